"""Calibration of the baseline: fit free parameters to published targets, check the fit, report.

A calibration config (``calibration/config.toml``) names the targets file, the reference city,
the runs (scenario, steps) that yield the statistics, the free parameters with bounds, the
seeds, and labels (``sourced: ...`` / ``prior: ...``) for the parameters it does not fit.

* :func:`fit` minimises ``sum(weight * ((model mean - target) / tolerance)**2)`` over the
  free parameters with optuna's CMA-ES sampler (the first trial evaluates the current values:
  priors, or the previous fit), evaluating the same seeds in every trial (common random
  numbers keep the objective smooth). The study lives in an SQLite file, so an interrupted
  fit resumes. The best values go to the fitted file (``calibration/fitted.toml``, which
  ``scenarios/baseline.toml`` extends) with the fit's provenance, and the fit record with
  one-at-a-time loss slices through the optimum (identifiability) to ``fit.json``.
* :func:`check` runs the baseline as shipped over other seeds and compares every target.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from urbsim import scenario as sc
from urbsim import targets as tg
from urbsim.errors import InputError
from urbsim.params import get, update

SLICE_POINTS = 7
"""Grid points per parameter in the loss slices."""
IDENTIFIED = 4.0
"""A parameter counts as pinned down when moving it within its bounds raises the loss by at
least this much on both sides of the optimum (the 95 % threshold of a chi-square with one
degree of freedom is 3.84)."""


class Bounds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    low: float = Field(description="lower bound")
    high: float = Field(description="upper bound")
    log: bool = Field(False, description="sample on a log scale")

    @model_validator(mode="after")
    def _order(self) -> Bounds:
        if not self.low < self.high:
            raise ValueError(f"expected low < high, got {self.low} and {self.high}")
        if self.log and self.low <= 0:
            raise ValueError("a log scale needs low > 0")
        return self


class Run(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(description="scenario file (relative to the config)")
    steps: int = Field(ge=1, le=1000, description="years to simulate")


class Fit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    trials: int = Field(60, ge=1, le=100_000, description="optuna trials in all")
    seeds: tuple[int, ...] = Field((0, 1), min_length=1, description="seeds per evaluation")
    sampler_seed: int = Field(0, ge=0, description="seed of the CMA-ES sampler")
    workers: int = Field(2, ge=1, le=256, description="parallel processes")


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    seeds: tuple[int, ...] = Field((100, 101, 102, 103), min_length=2,
                                   description="seeds of the check (not those of the fit)")


class Config(BaseModel):
    """A calibration config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    targets: str = Field(description="targets file (relative to the config)")
    city: str = Field(description="reference city for targets given by city")
    fitted: str = Field(description="file the fitted values are written to (relative)")
    record: str = Field(description="JSON record of the fit (relative)")
    storage: str = Field(description="optuna SQLite file (relative)")
    runs: dict[str, Run] = Field(description="runs by name; a target's `scenario` names one")
    parameters: dict[str, Bounds] = Field(description="free parameters (dotted keys) and bounds")
    labels: dict[str, str] = Field(default_factory=dict,
                                   description="`sourced: ...` or `prior: ...` by dotted key "
                                               "prefix, for what the fit does not set")
    fit: Fit = Fit()
    check: Check = Check()


@dataclass
class Calibration:
    """A loaded config with its targets and resolved paths."""

    path: Path
    config: Config
    targets: tg.Targets
    scenarios: dict[str, sc.Scenario] = field(default_factory=dict)
    """The runs' scenarios, loaded and checked once (see :func:`_scenario`)."""

    def file(self, name: str) -> Path:
        return self.path.parent / name

    @property
    def digest(self) -> str:
        """Hash of what defines the fit: the free parameters and bounds, the targets' loss terms
        (not their descriptions), the runs with every parameter they hold fixed (not the fitted
        values), seeds and city. A changed prior therefore starts a new study instead of
        resuming a stale one."""
        c = self.config
        fixed = {}
        for name, run in c.runs.items():
            params = _scenario(self, name).params().model_dump(mode="json")
            for key in c.parameters:
                *up, leaf = key.split(".")
                node = params
                for part in up:
                    node = node[part]
                node.pop(leaf, None)
            fixed[name] = {"steps": run.steps, "params": params}
        loss_terms = {k: t.model_dump(include={"statistic", "value", "values", "tolerance",
                                               "scenario", "weight"})
                      for k, t in self.targets.targets.items()}
        blob = json.dumps({"parameters": c.model_dump()["parameters"], "runs": fixed,
                           "seeds": c.fit.seeds, "city": c.city, "targets": loss_terms},
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def load(path: str | Path) -> Calibration:
    """Read and check a calibration config, its targets and its scenarios."""
    path = Path(path)
    data = sc.read_toml(path, "calibration config TOML file")
    try:
        config = Config.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as e:
        key, message = sc.describe_error(e, Config)
        raise InputError(message, path, key) from None
    cal = Calibration(path, config, tg.load(path.parent / config.targets))
    cities = cal.targets.cities
    if config.city not in cities:
        raise InputError(f"not a reference city of {config.targets} (cities: "
                         f"{', '.join(cities)})", path, "city")
    for name, t in cal.targets.targets.items():
        if t.scenario not in config.runs:
            raise InputError(f"no run named {t.scenario!r}, which target {name!r} of "
                             f"{config.targets} needs", path, "runs")
        if t.value is None and config.city not in t.values:
            raise InputError(f"no value for the reference city {config.city!r} "
                             f"(cities: {', '.join(t.values)})", cal.file(config.targets),
                             f"targets.{name}.values")
    fitted = cal.file(config.fitted).resolve()
    for run in config.runs:
        scn = _scenario(cal, run)
        for key in config.parameters:
            try:
                update(scn, {key: get(scn, key)})
            except KeyError:
                raise InputError("no such parameter", path, f"parameters.{key}") from None
            where = scn.stated_in(key)
            if where is not None and Path(where).resolve() != fitted:
                raise InputError(f"states a calibrated parameter, which would hide the fitted "
                                 f"value in {config.fitted}; remove it", where, key)
    return cal


# ----------------------------------------------------------------------------- evaluation
def evaluate(cal: Calibration, values: dict[str, float], seeds, pool) -> dict[str, np.ndarray]:
    """Every target's statistic (one value per seed) for the runs with ``values`` set."""
    import xarray as xr

    from urbsim.runner import run_one

    jobs = {}
    for name, run in cal.config.runs.items():
        params = update(_scenario(cal, name), values)
        jobs[name] = [pool.submit(run_one, params, s, run.steps) for s in seeds]
    runs = {}
    for name, futures in jobs.items():
        runs[name] = xr.concat([f.result() for f in futures], dim=xr.Variable("seed", list(seeds)),
                               combine_attrs="drop_conflicts")
    return {k: t.compute(runs[t.scenario]) for k, t in cal.targets.targets.items()}


def loss(cal: Calibration, stats: dict[str, np.ndarray]) -> float:
    """``sum(weight * ((mean - target) / tolerance)**2)``; an undefined statistic costs 1e6."""
    total = 0.0
    for k, t in cal.targets.targets.items():
        m = float(np.mean(stats[k]))
        total += 1e6 if not np.isfinite(m) else t.weight * ((m - t.target(cal.config.city))
                                                             / t.tolerance) ** 2
    return total


def fit(cal: Calibration, on_trial: Callable[[int, int, float], None] | None = None,
        slices: bool = True) -> dict:
    """Run (or resume) the optuna study, then write the fitted file and the fit record.

    ``on_trial(done, total, best_loss)`` is called after each trial. Returns the record.
    """
    import optuna


    c = cal.config
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(f"sqlite:///{cal.file(c.storage).resolve()}")
    try:
        return _optimise(cal, storage, on_trial, slices)
    finally:
        storage.engine.dispose()  # close the SQLite connections now, not at garbage collection


def _optimise(cal: Calibration, storage, on_trial, slices: bool) -> dict:
    import optuna

    from urbsim.runner import worker_pool

    c = cal.config
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sampler = optuna.samplers.CmaEsSampler(seed=c.fit.sampler_seed,
                                           warn_independent_sampling=False)
    study = optuna.create_study(study_name=f"baseline-{cal.digest}", storage=storage,
                                load_if_exists=True, direction="minimize", sampler=sampler)
    done = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
    if not study.trials:  # the first trial: the current values (priors or the last fit)
        base = _scenario(cal, next(iter(c.runs)))
        study.enqueue_trial({k: float(np.clip(get(base, k), b.low, b.high))
                             for k, b in c.parameters.items()})
    with worker_pool(c.fit.workers) as pool:
        def objective(trial) -> float:
            values = {k: trial.suggest_float(k, b.low, b.high, log=b.log)
                      for k, b in c.parameters.items()}
            stats = evaluate(cal, values, c.fit.seeds, pool)
            trial.set_user_attr("stats", {k: float(np.mean(v)) for k, v in stats.items()})
            return loss(cal, stats)

        def report(study, trial) -> None:
            if on_trial is not None:
                n = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
                on_trial(n, c.fit.trials, study.best_value)

        if done < c.fit.trials:
            study.optimize(objective, n_trials=c.fit.trials - done, callbacks=[report])
        best = study.best_trial
        record = {
            "config": str(cal.path), "config_digest": cal.digest, "study": study.study_name,
            "trials": len(study.trials), "best_loss": best.value, "best": best.params,
            "stats": best.user_attrs["stats"], "seeds": list(c.fit.seeds),
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "git_commit": _git(),
            "sampler": f"optuna {optuna.__version__} CMA-ES, seed "
                       f"{c.fit.sampler_seed}",
        }
        if slices:
            record["slices"] = _slices(cal, best.params, best.value, pool)
    write_fitted(cal, record)
    _atomic_text(cal.file(c.record), json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


def _slices(cal: Calibration, best: dict[str, float], best_loss: float, pool) -> dict:
    """Loss along each parameter's bounds with the others at the optimum."""
    out = {}
    for k, b in cal.config.parameters.items():
        grid = (np.geomspace(b.low, b.high, SLICE_POINTS) if b.log
                else np.linspace(b.low, b.high, SLICE_POINTS))
        losses = [loss(cal, evaluate(cal, best | {k: float(x)}, cal.config.fit.seeds, pool))
                  for x in grid]
        below = [v - best_loss for x, v in zip(grid, losses, strict=True) if x < best[k]]
        above = [v - best_loss for x, v in zip(grid, losses, strict=True) if x > best[k]]
        pinned = bool(below and above and max(below) >= IDENTIFIED and max(above) >= IDENTIFIED)
        ok = [float(x) for x, v in zip(grid, losses, strict=True) if v - best_loss < IDENTIFIED]
        ok.append(best[k])
        out[k] = {"grid": grid.tolist(), "loss": losses, "identified": pinned,
                  "acceptable": [min(ok), max(ok)]}
    return out


def write_fitted(cal: Calibration, record: dict) -> None:
    """Write the fitted values as a scenario fragment with the fit's provenance."""
    c = cal.config
    lines = [
        "# Calibrated parameters of the baseline: written by",
        f"#   urbsim calibrate {cal.path.as_posix()}",
        "# Do not edit by hand; change calibration/config.toml or targets.toml and fit again.",
        "# scenarios/baseline.toml extends this file.",
        f"# fit: {record['created']}, git {record['git_commit']}, {record['trials']} trials "
        f"({record['sampler']}),",
        f"#      seeds {record['seeds']}, reference city {c.city}, loss {record['best_loss']:.3f} "
        "(sum of ((model - target) / tolerance)^2),",
        f"#      config digest {record['config_digest']}; record: {c.record}",
    ]
    sections: dict[str, list[str]] = {}
    for key, value in sorted(record["best"].items()):
        *table, leaf = key.split(".")
        sections.setdefault(".".join(table), []).append(f"{leaf} = {value:.6g}  # calibrated")
    for table, rows in sorted(sections.items()):
        lines += ["", f"[{table}]", *rows]
    _atomic_text(cal.file(c.fitted), "\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- check
@dataclass(frozen=True)
class Row:
    """One target in the check."""

    name: str
    statistic: str
    mean: float
    low: float
    high: float
    target: float
    tolerance: float
    unit: str
    source: str
    uncertain: str
    required: bool

    @property
    def passed(self) -> bool:
        """Within tolerance."""
        return bool(np.isfinite(self.mean) and abs(self.mean - self.target) <= self.tolerance)

    @property
    def verdict(self) -> str:
        """``pass``, ``FAIL`` (a required target missed) or ``gap`` (a known gap missed)."""
        return "pass" if self.passed else "FAIL" if self.required else "gap"


def check(cal: Calibration, workers: int = 2) -> list[Row]:
    """Run the shipped scenarios (no values changed) over the check seeds; one row per target.
    The spread is the range over seeds."""
    from urbsim.runner import worker_pool

    with worker_pool(workers) as pool:
        stats = evaluate(cal, {}, cal.config.check.seeds, pool)
    rows = []
    for k, t in cal.targets.targets.items():
        v = stats[k]
        rows.append(Row(k, t.statistic, float(np.mean(v)), float(np.min(v)), float(np.max(v)),
                        t.target(cal.config.city), t.tolerance, t.unit, t.source, t.uncertain,
                        t.required))
    return rows


def labels(cal: Calibration) -> dict[str, str]:
    """Every parameter of the baseline (dotted key) -> ``calibrated``, ``sourced: ...`` or
    ``prior: ...`` (by the longest matching prefix in the config's labels)."""
    base = _scenario(cal, next(iter(cal.config.runs)))
    fitted = set(cal.config.parameters)
    out = {}
    for key in _leaves(base.params().model_dump(mode="json")):
        if key in fitted or any(key.startswith(f + ".") for f in fitted):
            out[key] = "calibrated"
            continue
        parts = key.split(".")
        label = next((cal.config.labels[p] for n in range(len(parts), 0, -1)
                      if (p := ".".join(parts[:n])) in cal.config.labels), "")
        out[key] = label
    return out


# ----------------------------------------------------------------------------- helpers
def _scenario(cal: Calibration, run: str) -> sc.Scenario:
    """The scenario of a run, loaded and checked on first use (not once per trial)."""
    if run not in cal.scenarios:
        scn = sc.load(sc.locate(cal.config.runs[run].scenario, cal.path.parent, cal.path,
                                f"runs.{run}.scenario"))
        sc.check(scn, cal.config.runs[run].steps)
        cal.scenarios[run] = scn
    return cal.scenarios[run]



def _leaves(data: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in data.items():
        if isinstance(v, dict) and v:
            out += _leaves(v, f"{prefix}{k}.")
        else:
            out.append(f"{prefix}{k}")
    return out


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _git() -> str:
    from urbsim.recorder import git_commit

    return git_commit()


# ----------------------------------------------------------------------------- report
def report(cal: Calibration, rows: list[Row], path: Path) -> None:
    """An HTML page (hvplot/bokeh, works offline): every target against the model with its
    spread over seeds, the loss slices of the fit (identifiability), and every parameter's
    label. Written atomically."""
    import holoviews as hv
    import hvplot.pandas  # noqa: F401 - registers .hvplot
    import pandas as pd
    from bokeh.resources import INLINE

    df = pd.DataFrame([{
        "target": r.name, "z": (r.mean - r.target) / r.tolerance,
        "z_low": (r.low - r.target) / r.tolerance, "z_high": (r.high - r.target) / r.tolerance,
        "model": r.mean, "published": r.target, "tolerance": r.tolerance, "unit": r.unit,
        "passed": r.verdict} for r in rows])
    band = hv.HSpan(-1, 1).opts(color="green", alpha=0.12)
    bars = hv.ErrorBars([(i, z, z - lo, hi - z) for i, (z, lo, hi) in
                         enumerate(zip(df.z, df.z_low, df.z_high, strict=True))],
                        vdims=["z", "neg", "pos"])
    dots = df.reset_index().hvplot.scatter(x="index", y="z", by="passed", size=60,
                                           hover_cols=["target", "model", "published", "unit"])
    fit_plot = (band * bars * dots).opts(
        title="model against target: (model - target) / tolerance, bars: range over seeds; "
              "green: within tolerance", width=950, height=380, xlabel="",
        ylabel="deviation in tolerances",
        xticks=list(enumerate(df.target)), xrotation=45)
    table = hv.Table(df[["target", "model", "published", "tolerance", "unit", "passed"]]
                     .round(3)).opts(width=950, height=30 * (len(df) + 1))
    parts = [fit_plot, table]
    record_path = cal.file(cal.config.record)
    if record_path.exists():
        record = json.loads(record_path.read_text(encoding="utf-8"))
        for key, s in record.get("slices", {}).items():
            verdict = "pinned down" if s["identified"] else "weakly identified"
            curve = pd.DataFrame({key: s["grid"], "loss": s["loss"]}).hvplot.line(
                x=key, y="loss", logy=True, title=f"{key}: {verdict}", width=460, height=260)
            parts.append(curve * hv.VLine(record["best"][key]).opts(color="red"))
    lab = labels(cal)
    parts.append(hv.Table(pd.DataFrame({"parameter": list(lab), "label": list(lab.values())}))
                 .opts(width=950, height=min(1200, 26 * (len(lab) + 1)),
                       title="every parameter of the baseline"))
    layout = hv.Layout(parts).cols(1).opts(title="urbsim calibration report")
    tmp = path.with_name(f".{path.stem}.tmp.html")
    hv.save(layout, tmp, backend="bokeh", resources=INLINE, title="urbsim calibration report")
    os.replace(tmp, path)
