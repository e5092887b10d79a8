"""The full model against an earlier commit, interleaved: ``.venv/bin/python -m benchmarks.against REV``.

Checks ``REV`` out into a temporary git worktree and times the ``scaling`` case of the suite
(the calibrated baseline on 1,000 neighbourhoods, 50 steps, each run in a fresh process) with
that commit's code and with the working tree's, taking turns run by run (``REV``, now, ``REV``,
now, ...) so that a machine whose speed drifts slows both alike. Prints the seconds of the
steps of every run, the medians and their ratio (now / ``REV``). Both use this interpreter and
its packages; each side runs its own shipped baseline.

``--schelling`` times the large Schelling case instead, each round a fresh process running it
nine times after a warm-up (as a fresh worker meets it: each model closed, the freed memory
kept where the commit knows how), and compares the median milliseconds
of each phase.

``--build`` times building models instead: the baseline on its default city (120,000
households, five builds) and the large Schelling grid (fifteen), each round a fresh process
after a warm-up, and compares the median milliseconds.

``--startup`` times a cold ``urbsim run`` to its first step instead (the measure of
``python -m benchmarks.startup``), both sides and ``import numpy, numba`` taking turns, each a
fresh process, after one untimed round that fills the caches.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.__main__ import SCALING

ROOT = Path(__file__).resolve().parents[1]


SCHELLING_PHASES = """
import json, statistics, time
from urbsim.engine.model import UrbanModel
from urbsim.inputs import schelling as sch
try:  # a run process (an earlier commit may not have it)
    from urbsim.common.memory import reuse_freed_memory
    reuse_freed_memory()
except ImportError:
    pass
def run(seed):
    city, ms, params = sch.setup(100, 100, agents=8000, threshold=8, radius=2, mode="count")
    t = time.perf_counter()
    m = UrbanModel(params, city=city, milieus=ms, seed=seed, expected_steps=20)
    m.timings["build"] = time.perf_counter() - t
    for _ in range(20):
        m.step()
    m.recorded()
    timings = m.timings
    getattr(m, "close", lambda: None)()  # (an earlier commit may have no close)
    timings["total"] = time.perf_counter() - t
    return timings
run(0)
runs = [run(seed) for seed in range(1, 10)]
print(json.dumps({k: statistics.median(r[k] for r in runs) * 1e3 for k in runs[0]}))
"""
"""The large Schelling case (``benchmarks.__main__.SCHELLING``) nine times in this process after
a warm-up: median milliseconds of building the model, each phase and the whole run."""


BUILD = """
import json, statistics, time
from urbsim.engine.model import UrbanModel
from urbsim.inputs import schelling as sch
from urbsim.inputs.scenario import load
p = load("baseline").params()
UrbanModel(p.model_copy(update={"households": 2000}), seed=0)  # load the kernels
def baseline(seed):
    t = time.perf_counter()
    UrbanModel(p, seed=seed)
    return time.perf_counter() - t
def grid(seed):
    city, ms, params = sch.setup(100, 100, agents=8000, threshold=8, radius=2, mode="count")
    t = time.perf_counter()
    UrbanModel(params, city=city, milieus=ms, seed=seed, expected_steps=20)
    return time.perf_counter() - t
print(json.dumps({"baseline": statistics.median(map(baseline, range(5))) * 1e3,
                  "schelling": statistics.median(map(grid, range(15))) * 1e3}))
"""
"""Building the baseline (with its city) and the large Schelling model (after its grid):
median milliseconds."""


def _run(src: Path, script: str, *args: object) -> dict:
    env = os.environ | {"PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True,
                         text=True, check=True, env=env, cwd=src.parent)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    """Time both sides and print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rev", help="the earlier commit (anything git rev-parse takes)")
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3, help="runs of each side")
    ap.add_argument("--schelling", action="store_true",
                    help="the large Schelling case's phases instead of the full model")
    ap.add_argument("--build", action="store_true",
                    help="building the baseline and the large Schelling model instead")
    ap.add_argument("--startup", action="store_true",
                    help="a cold `urbsim run` to its first step instead of the full model")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree),
                        a.rev], check=True)
        try:
            sides = {a.rev: tree / "src", "now": ROOT / "src"}
            if a.schelling:
                return _medians(sides, a.rev, a.rounds, SCHELLING_PHASES,
                                "large Schelling case, median ms over {} fresh processes of 9 "
                                "runs each:")
            if a.build:
                return _medians(sides, a.rev, a.rounds, BUILD,
                                "building, median ms over {} fresh processes:")
            if a.startup:
                return _startup(sides, a.rev, a.rounds)
            times: dict[str, list[float]] = {k: [] for k in sides}
            memory: dict[str, list[float]] = {k: [] for k in sides}
            for r in range(a.rounds):
                for label, src in sides.items():
                    out = _run(src, SCALING, a.households, a.nodes, a.steps)
                    times[label].append(out["steps"])
                    memory[label].append(out["rss"])
                    print(f"round {r + 1}: {label}: {out['steps']:.2f} s, set-up "
                          f"{out['setup']:.2f} s, peak {out['rss']:.0f} MB", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{a.households:,} households x {a.nodes} neighbourhoods x {a.steps} steps, "
          f"median of {a.rounds}: {a.rev} {med[a.rev]:.2f} s, now {med['now']:.2f} s, "
          f"now / {a.rev} = {med['now'] / med[a.rev]:.2f}; peak memory "
          f"{max(memory[a.rev]):.0f} MB and {max(memory['now']):.0f} MB")
    return 0


def _medians(sides: dict[str, Path], rev: str, rounds: int, script: str, title: str) -> int:
    """The milliseconds ``script`` prints for both sides, round by round, then each one's
    median over the rounds (``title`` formatted with the rounds heads the table)."""
    got: dict[str, list[dict]] = {k: [] for k in sides}
    for r in range(rounds):
        for label, src in sides.items():
            got[label].append(_run(src, script))
            last = got[label][-1]
            shown = {k: v for k, v in last.items() if k in ("total", "record")} or last
            print(f"round {r + 1}: {label}: "
                  + ", ".join(f"{k} {v:.1f} ms" for k, v in shown.items()), flush=True)
    print(title.format(rounds))
    print(f"{'part':<14}{rev:>10}{'now':>10}")
    for k in got["now"][0]:
        old = statistics.median(g.get(k, float("nan")) for g in got[rev])
        print(f"{k:<14}{old:>10.2f}{statistics.median(g[k] for g in got['now']):>10.2f}")
    return 0


def _startup(sides: dict[str, Path], rev: str, rounds: int) -> int:
    """Seconds to the first step of both sides and of ``import numpy, numba``, medians."""
    from benchmarks.startup import FIRST_STEP, IMPORTS, bytecode, timed

    for src in sides.values():
        bytecode(src)
    times: dict[str, list[float]] = {"import numpy, numba": [], **{k: [] for k in sides}}
    with tempfile.TemporaryDirectory(prefix="urbsim-startup-") as tmp:
        out = str(Path(tmp) / "never.zarr")  # the run exits after its first step
        for r in range(rounds + 1):  # round 0 fills the caches
            for label in times:
                src = sides.get(label, sides["now"])
                env = os.environ | {"PYTHONPATH": str(src)}
                args = ["-c", IMPORTS] if label not in sides else ["-c", FIRST_STEP, "20000", out]
                t = timed(args, env, tmp, printed=True)
                if r:
                    times[label].append(t)
            if r:
                print(f"round {r}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items()),
                      flush=True)
    base = statistics.median(times["import numpy, numba"])
    print(f"cold `urbsim run` (20,000 households) to its first step, median of {rounds}: "
          + ", ".join(f"{k} {statistics.median(times[k]):.3f} s "
                      f"({statistics.median(times[k]) / base:.2f}x import numpy, numba)"
                      for k in sides))
    return 0


if __name__ == "__main__":
    sys.exit(main())
