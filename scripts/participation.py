"""Who takes part under the participation scenarios: per format, per milieu group, paired.

    .venv/bin/python scripts/participation.py                      # 120,000 households, 10 seeds
    .venv/bin/python scripts/participation.py --households 4000 --seeds 2 --steps 6

Runs ``baseline``, ``outreach``, ``random_panels``, ``continuous_local`` and ``many_formats``
with the same seeds (common random numbers) and prints a markdown table of the last ten years
(fewer in a shorter run): per format the turnout and the representation gap (its participants
against its reached), the open format's rate among the leading (KET, LIB, PER) and the
low-status milieus (PRE, HKON) and their ratio, the low-status rate against the baseline's
(the outreach factor bounds it), the leading milieus' federal election turnout, panel
acceptance and its low-status ratio, and the reach of continuous formats with the highest
milieu's. Scenario cells give the paired difference to the baseline with its 95 % t-interval.
``--out FILE`` writes the table into the ``participation results`` markers of that file.
"""

from __future__ import annotations

import os
import sys
import time

import batch_options
import numpy as np

SCENARIOS = ("baseline", "outreach", "random_panels", "continuous_local", "many_formats")
LEADING, LOW = ["KET", "LIB", "PER"], ["PRE", "HKON"]
ROWS = {
    "turnout_open": "open formats: turnout (%)",
    "gap_open": "open formats: representation gap",
    "open_leading": "open formats: rate of KET+LIB+PER (%)",
    "open_low": "open formats: rate of PRE+HKON (%)",
    "open_ratio": "open formats: leading / low-status",
    "open_rise": "open formats: PRE+HKON rate / the baseline's",
    "election_leading": "federal election: turnout of KET+LIB+PER (%)",
    "gap_election": "federal election: representation gap",
    "turnout_municipal": "council election: turnout (%)",
    "turnout_panel": "panels: acceptance (%)",
    "panel_low": "panels: acceptance PRE+HKON / all",
    "gap_panel": "panels: representation gap",
    "turnout_continuous": "continuous formats: reach in scope (%)",
    "continuous_highest": "continuous formats: reach of the highest milieu (%)",
    "gap_continuous": "continuous formats: representation gap",
}


def run(name: str, households: int, seed: int, steps: int) -> dict[str, float]:
    """One run's figures (see :data:`ROWS`; NaN where the format was not held), with the
    open-format rate of every milieu for the paired rise."""
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    from urbsim.analysis.summary import headline
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs import scenario as sc

    p = sc.load(name).params().model_copy(update={"households": households})
    ds = UrbanModel(p, seed=seed, expected_steps=steps).run(steps)
    last = min(10, steps)
    w = ds.isel(step=slice(-last, None))

    def rate(fmt: str, milieus: list[str] | None = None) -> float:
        part, reach = w.participants.sel(format=fmt), w.reached.sel(format=fmt)
        if milieus is not None:
            part, reach = part.sel(milieu=milieus), reach.sel(milieu=milieus)
        n = int(reach.sum())
        return 100 * int(part.sum()) / n if n else np.nan

    h = headline(ds, last)
    get = lambda k: float(h[k]) if k in h else np.nan  # noqa: E731
    by_milieu = [rate("continuous", [m]) for m in ds.milieu.values]
    leading, low = rate("open", LEADING), rate("open", LOW)
    return {
        "turnout_open": get("turnout_open"), "gap_open": get("representation_gap_open"),
        "open_leading": leading, "open_low": low, "open_ratio": leading / low,
        "open_rise": np.nan,
        "election_leading": rate("election", LEADING),
        "gap_election": get("representation_gap_election"),
        "turnout_municipal": get("turnout_municipal"), "turnout_panel": get("turnout_panel"),
        "panel_low": rate("panel", LOW) / rate("panel"), "gap_panel": get("representation_gap_panel"),
        "turnout_continuous": get("turnout_continuous"),
        "continuous_highest": np.nan if np.isnan(by_milieu).all() else float(np.nanmax(by_milieu)),
        "gap_continuous": get("representation_gap_continuous"),
    }


def cell(x: np.ndarray, base: np.ndarray | None) -> str:
    """The mean, and for a scenario the paired difference to the baseline ± half-width."""
    if np.isnan(x).all():
        return "–"
    mean, half = batch_options.interval(x)
    text = f"{mean:.3g}"
    if base is None:
        return text + ("" if np.isnan(half) else f" ± {half:.2g}")
    if np.isnan(base).all():
        return text
    dm, dh = batch_options.interval(x - base)
    return text + f" ({dm:+.2g}" + ("" if np.isnan(dh) else f" ± {dh:.2g}") + ")"


def report(results: dict[str, list[dict]], households: int, seeds: int, steps: int,
           seconds: float) -> str:
    """The markdown table of all runs."""
    base_low = np.array([r["open_low"] for r in results["baseline"]])
    for runs in results.values():
        for r, b in zip(runs, base_low, strict=True):
            r["open_rise"] = r["open_low"] / b
    lines = [f"{households:,} households, {seeds} seeds (0..{seeds - 1}, the same in every "
             f"scenario), {steps} years, the last {min(10, steps)} of them "
             f"({sum(map(len, results.values()))} runs, {seconds:.0f} s).", "",
             "| figure | " + " | ".join(SCENARIOS) + " |", "|---|" + "---|" * len(SCENARIOS)]
    for key, label in ROWS.items():
        base = np.array([r[key] for r in results["baseline"]])
        cells = [cell(np.array([r[key] for r in results[n]]), None if n == "baseline" else base)
                 for n in SCENARIOS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Scenario cells: mean (paired difference to the baseline ± 95 % half-width); "
              "–: the format is not held."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print (and optionally write) the table."""
    ap = batch_options.parser(__doc__, "table")
    a = batch_options.parse(ap, argv, "participation results")
    t0 = time.perf_counter()
    results = batch_options.run_all(run, {name: name for name in SCENARIOS}, a)
    text = report(results, a.households, a.seeds, a.steps, time.perf_counter() - t0)
    batch_options.emit(text, a, "participation results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
