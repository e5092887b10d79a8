"""Drawing a local candidate: ``np.searchsorted`` against urbsim's branch-free bisection.

Run: ``.venv/bin/python -m benchmarks.draws [--repeat 9] [--nodes 1000]``.

A mover's local candidate is a neighbourhood drawn from its home's search neighbourhood by
cumulative weight (``choice._draw_near``): a bisection of one row of the search kernel. This
times that draw alone on the search rows of the baseline on a synthetic city of ``--nodes``
neighbourhoods, a million draws per pass, five from each home (half of a mover's ten
candidates are local), in three numba loops taking turns pass by pass: ``np.searchsorted`` on
the row (what the kernel did before 2026-12-02), :func:`urbsim._kernels.bisection.right` (what
it does now), and a guide table per row (Chen and Asau's index: start at the bucket of the
draw, then step to the answer), an alternative it did not take. Prints the median
nanoseconds per draw of each; all three give the same answers (checked).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numba
import numpy as np

from urbsim._kernels import bisection
from urbsim.engine.model import UrbanModel
from urbsim.inputs.params import CityParams
from urbsim.inputs.scenario import load


@numba.njit
def _numpy(ptr, cum, homes, us):
    s = 0
    for j in range(homes.shape[0]):
        lo, hi = ptr[homes[j]], ptr[homes[j] + 1]
        s += lo + np.searchsorted(cum[lo:hi], us[j] * cum[hi - 1], side="right")
    return s


@numba.njit
def _branch_free(ptr, cum, homes, us):
    s = 0
    for j in range(homes.shape[0]):
        lo, hi = ptr[homes[j]], ptr[homes[j] + 1]
        s += bisection.right(cum, lo, hi, us[j] * cum[hi - 1])
    return s


@numba.njit
def _guide_table(ptr, cum):
    """Per row entry ``lo + k``: the first entry whose weight exceeds ``k / L`` of the row's
    total (``L`` entries)."""
    guide = np.empty(cum.shape[0], np.int64)
    for r in range(ptr.shape[0] - 1):
        lo, hi = ptr[r], ptr[r + 1]
        e = lo
        for k in range(hi - lo):
            while e < hi and cum[e] <= k * (cum[hi - 1] / (hi - lo)):
                e += 1
            guide[lo + k] = e
    return guide


@numba.njit
def _guided(ptr, cum, guide, homes, us):
    s = 0
    for j in range(homes.shape[0]):
        lo, hi = ptr[homes[j]], ptr[homes[j] + 1]
        x = us[j] * cum[hi - 1]
        e = guide[lo + min(int(x * ((hi - lo) / cum[hi - 1])), hi - lo - 1)]
        while e > lo and cum[e - 1] > x:
            e -= 1
        while e < hi and cum[e] <= x:
            e += 1
        s += e
    return s


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--nodes", type=int, default=1000)
    a = ap.parse_args(argv)
    params = load("baseline").params().model_copy(
        update={"households": 20 * a.nodes, "city": CityParams(neighbourhoods=a.nodes)})
    with UrbanModel(params, seed=1) as model:
        ptr, cum = model.search.ptr, model.search.cum
    rng = np.random.default_rng(0)
    homes = np.repeat(rng.integers(0, a.nodes, 200_000), 5)
    us = rng.random(homes.shape[0])
    guide = _guide_table(ptr, cum)
    runs = {"np.searchsorted": lambda: _numpy(ptr, cum, homes, us),
            "bisection.right": lambda: _branch_free(ptr, cum, homes, us),
            "guide table": lambda: _guided(ptr, cum, guide, homes, us)}
    answers = {name: run() for name, run in runs.items()}  # compiles each, checks them
    assert len(set(answers.values())) == 1, answers
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(a.repeat):
        for name, run in runs.items():
            t = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - t) / len(homes) * 1e9)
    print(f"search rows of {a.nodes} neighbourhoods, {np.diff(ptr).mean():.0f} entries a row "
          f"on average; ns per draw, median of {a.repeat} passes of {len(homes):,}:")
    for name, t in times.items():
        print(f"  {name:16} {statistics.median(t):6.1f}")


if __name__ == "__main__":
    main()
