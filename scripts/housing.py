"""The housing market's acceptance run: the baseline and the rent policies, many seeds.

    .venv/bin/python scripts/housing.py                       # 120,000 households, 10 seeds
    .venv/bin/python scripts/housing.py --households 4000 --seeds 2 --steps 6   # a quick look

Runs ``baseline``, ``rent_brake``, ``lower_cap`` and ``rent_freeze`` with the same seeds (common
random numbers), checks the model's invariants after every step (``UrbanModel.check_state``:
among them, no sitting tenant's rent above the reference rent after a rise), and prints a
markdown report: displacement, rent trends of asking and contract rents, re-let rents, the
vacancy of the 1950-1979 estates, and each policy's effect against the baseline (mean over
seeds with a 95 % t-interval of the paired difference). ``--out FILE`` writes the report into
the ``housing results`` markers of that file (docs/housing.md).
"""

from __future__ import annotations

import os
import sys
import time

import batch_options
import numpy as np

SCENARIOS = ("baseline", "rent_brake", "lower_cap", "rent_freeze")
ROWS = {
    "displaced": "displaced a year (% of households)",
    "displaced_initial": "initial households displaced within the run (%)",
    "asking_growth": "asking rents, private (% a year)",
    "contract_growth": "rent tenants pay, all tenants (% a year)",
    "relet_early": "re-let rent, private, years 1-3 (EUR/month)",
    "relet": "re-let rent, private, last 5 years (EUR/month)",
    "contract": "rent private tenants pay at the end (EUR/month)",
    "vacancy": "vacancy at the end (%)",
    "vacancy_estates": "vacancy of the 1950-1979 estates at the end (%)",
    "owner_share": "owner-occupiers at the end (%)",
    "sgb": "households on SGB II at the end (%)",
}


def run(name: str, households: int, seed: int, steps: int) -> dict[str, float]:
    """One run's figures (see :data:`ROWS`); raises if an invariant breaks."""
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    from urbsim.analysis.summary import series
    from urbsim.calibration.targets import Runs, tenant_rent
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs import scenario as sc
    from urbsim.inputs.city import PERIODS
    from urbsim.inputs.milieus import SEGMENTS

    private = SEGMENTS.index("private")
    m = UrbanModel(sc.load(name).model_copy(update={"households": households}), seed=seed,
                   expected_steps=steps)
    h = m.households
    start = h.active.sum()
    relet, early = [], []
    for t in range(1, steps + 1):
        m.step()
        bad = m.check_state()
        if bad:
            raise AssertionError(f"{name}, seed {seed}, step {t}: {bad}")
        h = m.households
        new = h.active & (h.since == t) & (h.segment == private) & (h.contract == h.previous)
        if t > steps - 5 and new.any():
            relet.append(h.contract[new])
        if t <= 3 and new.any():
            early.append(h.contract[new])
    ds = m.dataset()
    s = series(ds)
    estates = (m.city.period == PERIODS.index("1950-1979"))
    end = ds.isel(step=-1)
    growth = lambda x: float(((x[-1] / x[0]) ** (1 / steps) - 1) * 100)  # noqa: E731
    return {
        "displaced": float(s["displaced"][1:].mean()),
        "displaced_initial": float(ds.displaced.sum() / start * 100),
        "asking_growth": growth(s["rent_private"].values),
        "contract_growth": growth(tenant_rent(Runs(ds))[0]),
        "relet_early": float(np.concatenate(early).mean()) if early else np.nan,
        "relet": float(np.concatenate(relet).mean()) if relet else np.nan,
        "contract": float(s["contract_rent"][-1]),
        "vacancy": float(s["vacancy"][-1]),
        "vacancy_estates": float(end.vacant[estates].sum() / end.dwellings[estates].sum() * 100),
        "owner_share": float(s["owner_share"][-1]),
        "sgb": float(end.sgb.sum() / end.households.sum() * 100),
    }


def report(results: dict[str, list[dict]], households: int, seeds: int, steps: int,
           seconds: float) -> str:
    """The markdown report of all runs."""
    lines = [f"{households:,} households, {seeds} seeds (0..{seeds - 1}, the same in every "
             f"scenario), {steps} years; every invariant held after every step "
             f"({sum(map(len, results.values()))} runs, {seconds:.0f} s).", "",
             "| figure | " + " | ".join(SCENARIOS) + " |",
             "|---|" + "---|" * len(SCENARIOS)]
    base = results["baseline"]
    for key, label in ROWS.items():
        cells = []
        for name in SCENARIOS:
            x = np.array([r[key] for r in results[name]])
            mean, half = batch_options.interval(x)
            cell = f"{mean:,.2f}" if abs(mean) < 100 else f"{mean:,.0f}"
            if name != "baseline":
                diff = x - np.array([r[key] for r in base])
                dm, dh = batch_options.interval(diff)
                rel = dm / abs(np.mean([r[key] for r in base])) * 100 if key in (
                    "relet_early", "relet", "contract") else None
                cell += (f" ({dm:+.2f} ± {dh:.2f}" + (f", {rel:+.1f} %" if rel is not None
                                                       else "") + ")")
            elif len(x) > 1:
                cell += f" ± {half:.2f}"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Policy cells: mean (paired difference to the baseline ± 95 % half-width"
              "; for rents also in % of the baseline)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print (and optionally write) the report."""
    ap = batch_options.parser(__doc__, "report")
    a = batch_options.parse(ap, argv, "housing results")
    t0 = time.perf_counter()
    results = batch_options.run_all(run, {name: name for name in SCENARIOS}, a)
    text = report(results, a.households, a.seeds, a.steps, time.perf_counter() - t0)
    batch_options.emit(text, a, "housing results")
    return 0


if __name__ == "__main__":
    sys.exit(main())
