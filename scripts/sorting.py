"""Ablation of the sorting rules: what each does to segregation, paired over seeds.

    .venv/bin/python scripts/sorting.py                        # 120,000 households, 10 seeds
    .venv/bin/python scripts/sorting.py --set choice.tie_share=0.5 --set choice.screening=1
    .venv/bin/python scripts/sorting.py --households 4000 --seeds 2 --steps 6   # a quick look

Runs the baseline with the sorting rules as given (``--set KEY=VALUE``, on top of the shipped
baseline), then the same with each rule switched off in turn (``choice.tie_share``,
``choice.screening``, ``market.location_premium`` set to 0), and the same from a random start
(``placement.rule = "random"``), all with the same seeds (common random numbers). Prints a
markdown table: D of the low-status milieus (PRE+HKON) at the start, at the end and its change
(95 % t-interval over seeds), the multigroup D at the start and at the end, and for each
ablation the paired difference of the year-end D with its 95 % t-interval. ``--out FILE``
writes it into the ``sorting results`` markers of that file.
"""

from __future__ import annotations

import os
import sys
import time

import batch_options
import numpy as np

RULES = {"ties": "choice.tie_share", "screening": "choice.screening",
         "location premium": "market.location_premium"}


def run(values: dict, households: int, seed: int, steps: int) -> tuple[float, float, float,
                                                                       float]:
    """``(D low at the start, at the end, multigroup D at the start, at the end)``."""
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    from urbsim.analysis.summary import series
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs import scenario as sc
    from urbsim.inputs.params import update

    p = update(sc.load("baseline"), values).model_copy(update={"households": households})
    s = series(UrbanModel(p, seed=seed, expected_steps=steps).run(steps))
    d, mg = s["d_low"].values, s["multigroup_dissimilarity"].values
    return float(d[0]), float(d[-1]), float(mg[0]), float(mg[-1])


def interval(x: np.ndarray) -> str:
    """``mean ± half-width`` of the 95 % t-interval (no interval with one seed)."""
    mean, half = batch_options.interval(x)
    return f"{mean:+.3f}" if np.isnan(half) else f"{mean:+.3f} ± {half:.3f}"


def main(argv: list[str] | None = None) -> int:
    """Run the configurations and print (and optionally write) the table."""
    ap = batch_options.parser(__doc__, "table")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a parameter on top of the shipped baseline (repeatable)")
    a = batch_options.parse(ap, argv, "sorting results")
    given = {}
    for item in a.set:
        key, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--set {item!r}: expected KEY=VALUE")
        given[key] = value if key == "placement.rule" else float(value)
    configs = {"as given": given,
               **{f"without {name}": given | {key: 0.0} for name, key in RULES.items()},
               "random start": given | {"placement.rule": "random"}}
    t0 = time.perf_counter()
    res = {c: np.array(r) for c, r in batch_options.run_all(run, configs, a).items()}
    shown = ", ".join(f"{k} = {v}" for k, v in given.items()) or "the shipped baseline"
    lines = [f"{shown}; {a.households:,} households, {a.seeds} seeds, {a.steps} years "
             f"({time.perf_counter() - t0:.0f} s).", "",
             "| configuration | D low, start | D low, end | change | multigroup D, start | "
             "multigroup D, end | D low at the end against 'as given' |",
             "|---|---|---|---|---|---|---|"]
    for c, r in res.items():
        diff = "" if c == "as given" else interval(r[:, 1] - res["as given"][:, 1])
        lines.append(f"| {c} | {r[:, 0].mean():.3f} | {r[:, 1].mean():.3f} | "
                     f"{interval(r[:, 1] - r[:, 0])} | {r[:, 2].mean():.3f} | "
                     f"{r[:, 3].mean():.3f} | {diff} |")
    batch_options.emit("\n".join(lines) + "\n", a, "sorting results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
