"""Global sensitivity over every parameter with a range (issue 21, part 3): Morris screening
of all of them, then Sobol indices of those that matter.

    .venv/bin/python scripts/sensitivity.py --out docs/sensitivity.md   # offline, 2 cores: hours
    .venv/bin/python scripts/sensitivity.py --small --out /tmp/s.md     # the pipeline, minutes

The parameters are the calibration's: its free parameters with their fit bounds and every
prior with a range (``calibration/config.toml`` ``[parameters]`` and ``[priors]``; log
scales as given). The outputs are rents, displacement, segregation and the representation
gap of each format (:data:`OUTPUTS`), in the scenarios where each format happens
(:data:`SCENARIOS`). Stage 1 runs a Morris design (SALib; ``r`` trajectories) over all
parameters and ranks them by mu* per output; stage 2 runs a Saltelli design over the
:data:`TOP` parameters with the largest mu* across outputs and reports, per output, the three
with the largest total index and the share of the variance of single runs that is seed noise
(within a design point, over seeds). Both stages are ordinary experiments (Dask, resumable,
their stores beside the report); the page is written between its ``sensitivity results``
markers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import tomli_w

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

OUTPUTS = ("rent_private", "contract_rent", "displaced", "d_low", "multigroup_dissimilarity",
           "representation_gap_election", "representation_gap_municipal",
           "representation_gap_open", "representation_gap_panel",
           "representation_gap_continuous")
SCENARIOS = ("baseline", "random_panels", "continuous_local")
"""The baseline has the elections and the open format; the panel and continuous formats
happen in their scenarios."""
TOP = 8
"""Parameters that go on from screening to Sobol."""
FULL = {"households": 10_000, "steps": 20, "seeds": 3, "trajectories": 10, "sobol": 32}
SMALL = {"households": 2_000, "steps": 3, "seeds": 2, "trajectories": 2, "sobol": 4}


def parameters() -> dict[str, dict]:
    """Every calibrated parameter and every prior with a range, as experiment parameters."""
    from urbsim import calibration

    cal = calibration.load(ROOT / "calibration" / "config.toml")
    out = {}
    for kind, table in (("calibrated", cal.config.parameters), ("prior", cal.config.priors)):
        for key, b in table.items():
            out[key] = {"low": b.low, "high": b.high, "label": f"{key} ({kind})",
                        "dist": "loguniform" if b.log else "uniform"}
            if key == "choice.candidates":
                out[key]["integer"] = True
    return out


def experiment(folder: Path, name: str, params: dict[str, dict], design: dict,
               size: dict, scenarios: tuple[str, ...]) -> Path:
    """Write an experiment file for one stage and return its path."""
    doc = {"name": name, "scenarios": list(scenarios), "seeds": size["seeds"],
           "root_seed": 20261130, "steps": size["steps"], "households": size["households"],
           "design": design, "parameters": params,
           "output": {"indicators": list(OUTPUTS)},
           "analysis": {"indicators": list(OUTPUTS), "last": min(10, size["steps"])}}
    path = folder / f"{name}.toml"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


def run(path: Path) -> tuple[object, Path]:
    """Run (or resume) an experiment file; its plan and store."""
    from urbsim.experiment import plan, sweep

    p = plan.load(path)
    store = path.with_suffix(".zarr")
    sweep.run(p, store, workers=2)
    return p, store


def screen(store: Path) -> dict[str, dict[str, float]]:
    """Morris mu* (scaled by the output's largest) per output and parameter, the scenarios
    where the output is defined pooled by their largest."""
    from urbsim.analysis.summary import LABELS
    from urbsim.experiment import analysis

    report = analysis.analyze(store, list(OUTPUTS))
    out: dict[str, dict[str, float]] = {}
    for t in report.tables:
        for k in OUTPUTS:
            if t.title.startswith(f"Morris elementary effects on {LABELS[k]} ("):
                mu = t.data.set_index("parameter")["mu_star"]
                if np.isfinite(mu).any() and mu.max() > 0:
                    scaled = (mu / mu.max()).to_dict()
                    prev = out.setdefault(k, {})
                    for name, v in scaled.items():
                        prev[name] = max(prev.get(name, 0.0), float(v))
    return out


def chosen(mu: dict[str, dict[str, float]], top: int) -> list[str]:
    """The ``top`` parameters with the largest scaled mu* across outputs."""
    score: dict[str, float] = {}
    for values in mu.values():
        for name, v in values.items():
            score[name] = max(score.get(name, 0.0), v)
    return sorted(score, key=lambda n: -score[n])[:top]


def sobol(store: Path) -> list[dict]:
    """Per output (and scenario): the three parameters with the largest total index, with its
    95 % interval, and the seed share of the variance of single runs."""
    import xarray as xr

    from urbsim.analysis.summary import LABELS, reduce
    from urbsim.experiment import analysis
    from urbsim.experiment import store as st

    report = analysis.analyze(store, list(OUTPUTS))
    ds = st.load(store)
    h = reduce(ds[list(OUTPUTS)].load(), min(10, int(ds.attrs["steps"])))
    rows = []
    for t in report.tables:
        for k in OUTPUTS:
            prefix = f"Sobol indices of {LABELS[k]} ("
            if not t.title.startswith(prefix):
                continue
            scenario = t.title[len(prefix):].rstrip(")")
            y: xr.DataArray = h[k].sel(scenario=scenario)
            total = float(y.var())  # the law of total variance: within-point share <= 1
            share = float(y.var("seed").mean()) / total if total > 0 else np.nan
            best = t.data.sort_values("ST", ascending=False).head(3)
            rows.append({"output": k, "scenario": scenario, "seed_share": share,
                         "top": [(r.parameter, float(r.ST), float(r.ST_conf))
                                 for r in best.itertuples()]})
    return rows


def markdown(rows: list[dict], screened: list[str], size: dict, n_params: int) -> str:
    """The report's table."""
    lines = [f"{n_params} parameters screened (Morris, {size['trajectories']} trajectories); "
             f"Sobol (N = {size['sobol']}) on {', '.join(f'`{p}`' for p in screened)}; "
             f"{size['households']:,} households, {size['steps']} years, {size['seeds']} seeds.",
             "", "| output | scenario | largest total indices (ST ± 95%) | seed share of the "
             "variance |", "|---|---|---|---|"]
    for r in rows:
        top = "; ".join(f"`{p}` {s:.2f} ± {c:.2f}" for p, s, c in r["top"])
        lines.append(f"| {r['output']} | {r['scenario']} | {top} | {r['seed_share']:.0%} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    from urbsim.common.files import require_between, write_between

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True,
                        help="page to write the table into (between 'sensitivity results' "
                             "markers), or a new file")
    parser.add_argument("--small", action="store_true", help="the pipeline at a small size")
    parser.add_argument("--folder", type=Path, default=ROOT / "results" / "sensitivity",
                        help="where the stages' experiments and stores go")
    args = parser.parse_args()
    size = SMALL if args.small else FULL
    if args.out.exists():
        require_between(args.out, "sensitivity results")
    args.folder.mkdir(parents=True, exist_ok=True)
    scenarios = SCENARIOS[:1] if args.small else SCENARIOS
    params = parameters()
    _, store = run(experiment(args.folder, "screening", params,
                              {"method": "morris", "samples": size["trajectories"]}, size,
                              scenarios))
    screened = chosen(screen(store), TOP if not args.small else 4)
    _, store = run(experiment(args.folder, "sobol", {k: params[k] for k in screened},
                              {"method": "sobol", "samples": size["sobol"]}, size, scenarios))
    table = markdown(sobol(store), screened, size, len(params))
    if args.out.exists():
        write_between(args.out, "sensitivity results", table)
    else:
        args.out.write_text(f"<!-- sensitivity results -->\n{table}<!-- end sensitivity "
                            "results -->\n", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
