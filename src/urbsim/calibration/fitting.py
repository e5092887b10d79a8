"""The fit: free parameters against published targets, with optuna's CMA-ES sampler.

:func:`fit` minimises ``sum(weight * z**2)``, ``z = (model mean - target) / tolerance``, plus
a penalty for each required target outside its tolerance (:func:`loss`), over the free
parameters (the first trial evaluates the current values: priors, or the previous fit),
evaluating the same seeds in every trial (common random numbers keep the objective smooth).
The study lives in an SQLite file, so an interrupted fit resumes. The best values go to the
fitted file (``calibration/fitted.toml``, which ``scenarios/baseline.toml`` extends) with the
fit's provenance, and the fit record with one-at-a-time loss slices through the optimum
(identifiability) to ``fit.json``.
"""

from __future__ import annotations

import datetime as _dt
import json
import warnings
from collections.abc import Callable
from typing import cast

import numpy as np

from urbsim.calibration import config
from urbsim.calibration.config import Calibration
from urbsim.common.files import write_text
from urbsim.engine.recorder import git_commit
from urbsim.inputs.params import get, update

SLICE_POINTS = 7
"""Grid points per parameter in the loss slices."""
IDENTIFIED = 4.0
"""A parameter counts as pinned down when moving it within its bounds raises the loss by at
least this much on both sides of the optimum (the 95 % threshold of a chi-square with one
degree of freedom is 3.84)."""


def evaluate(cal: Calibration, values: dict[str, float], seeds, pool) -> dict[str, np.ndarray]:
    """Every target's statistic (one value per seed) for the runs with ``values`` set."""
    from urbsim.calibration.targets import Runs
    from urbsim.engine.runner import run_one

    jobs = {}
    for name, run in cal.config.runs.items():
        params = update(config.scenario(cal, name), values)
        jobs[name] = [pool.submit(run_one, params, s, run.steps) for s in seeds]
    runs = {name: Runs([f.result() for f in futures]) for name, futures in jobs.items()}
    return {k: t.compute(runs[t.scenario]) for k, t in cal.targets.targets.items()}


def loss(cal: Calibration, stats: dict[str, np.ndarray]) -> float:
    """``sum(weight * z**2 + MISS * max(0, |z| - (1 - MARGIN))**2)`` with ``z = (mean -
    target) / tolerance`` (the miss term for required targets only; :data:`config.MISS`,
    :data:`config.MARGIN`); an undefined statistic costs 1e6."""
    total = 0.0
    for k, t in cal.targets.targets.items():
        m = float(np.mean(stats[k]))
        if not np.isfinite(m):
            total += 1e6
            continue
        z = (m - t.target(cal.config.city)) / t.tolerance
        miss = max(0.0, abs(z) - (1.0 - config.MARGIN)) if t.required else 0.0
        total += t.weight * z ** 2 + config.MISS * miss ** 2
    return total


def fit(cal: Calibration, on_trial: Callable[[int, int, float], None] | None = None,
        slices: bool = True, on_stage: Callable[[str], None] | None = None) -> dict:
    """Run (or resume) the optuna study, then write the fitted file and the fit record.

    ``on_trial(done, total, best_loss)`` is called after each trial, ``on_stage(text)`` as the
    loss slices and the polish steps after the trials begin. Returns the record.
    """
    import optuna

    c = cal.config
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(f"sqlite:///{cal.file(c.storage).resolve()}")
    try:
        return _optimise(cal, storage, on_trial, slices, on_stage or (lambda text: None))
    finally:
        storage.engine.dispose()  # close the SQLite connections now, not at garbage collection


def _optimise(cal: Calibration, storage, on_trial, slices: bool, stage) -> dict:
    import optuna

    from urbsim.engine.runner import worker_pool

    c = cal.config
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    base = config.scenario(cal, next(iter(c.runs)))
    # the current values (priors or the last fit); free parameters are numbers (the fit
    # suggests floats for them)
    start = {k: float(np.clip(cast(float, get(base, k)), b.low, b.high))
             for k, b in c.parameters.items()}
    # CMA-ES searches around them rather than around the middle of the bounds (``x0`` is
    # deprecated since optuna 4.9 in favour of warm starts from earlier studies' trials, which
    # a changed config does not have)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        sampler = optuna.samplers.CmaEsSampler(x0=start, seed=c.fit.sampler_seed,
                                               warn_independent_sampling=False)
    study = optuna.create_study(study_name=f"baseline-{cal.digest}", storage=storage,
                                load_if_exists=True, direction="minimize", sampler=sampler)
    done = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
    if not study.trials:  # the first trial: the start itself
        study.enqueue_trial(start)
    with worker_pool(c.fit.workers) as pool:
        def objective(trial) -> float:
            values = {k: trial.suggest_float(k, b.low, b.high, log=b.log)
                      for k, b in c.parameters.items()}
            stats = evaluate(cal, values, c.fit.seed_list, pool)
            trial.set_user_attr("stats", {k: float(np.mean(v)) for k, v in stats.items()})
            return loss(cal, stats)

        def report(study, trial) -> None:
            if on_trial is not None:
                n = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
                on_trial(n, c.fit.trials, study.best_value)

        if done < c.fit.trials:
            study.optimize(objective, n_trials=c.fit.trials - done, callbacks=[report])
        best = study.best_trial
        cuts, steps = None, 0
        if slices:
            # CMA-ES may stop short of a minimum; a slice point that beats it becomes a trial
            # (the study stays the one record of what was evaluated) and the slices are redone
            stage("loss slices")
            cuts = _slices(cal, best.params, study.best_value, pool)
            while steps < c.fit.polish and (step := _better(cuts, best.params,
                                                            study.best_value)):
                steps += 1
                stage(f"polish step {steps}: a slice point beats the optimum")
                study.enqueue_trial(step)
                study.optimize(objective, n_trials=1)
                best = study.best_trial
                cuts = _slices(cal, best.params, study.best_value, pool)
        record = {
            "config": str(cal.path), "config_digest": cal.digest, "study": study.study_name,
            "trials": len(study.trials), "best_loss": study.best_value, "best": best.params,
            "stats": best.user_attrs["stats"], "seeds": list(c.fit.seed_list),
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "git_commit": git_commit(),
            "sampler": f"optuna {optuna.__version__} CMA-ES, seed "
                       f"{c.fit.sampler_seed}",
        }
        if cuts is not None:
            record["slices"] = cuts
            record["polish_steps"] = steps
            record["at_slice_minimum"] = _better(cuts, best.params, study.best_value) is None
    write_fitted(cal, record)
    write_text(cal.file(c.record), json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record


def _slices(cal: Calibration, best: dict[str, float], best_loss: float, pool) -> dict:
    """Loss along each parameter's bounds with the others at the optimum."""
    out = {}
    for k, b in cal.config.parameters.items():
        grid = (np.geomspace(b.low, b.high, SLICE_POINTS) if b.log
                else np.linspace(b.low, b.high, SLICE_POINTS))
        losses = [loss(cal, evaluate(cal, best | {k: float(x)}, cal.config.fit.seed_list, pool))
                  for x in grid]
        below = [v - best_loss for x, v in zip(grid, losses, strict=True) if x < best[k]]
        above = [v - best_loss for x, v in zip(grid, losses, strict=True) if x > best[k]]
        pinned = bool(below and above and max(below) >= IDENTIFIED and max(above) >= IDENTIFIED)
        ok = [float(x) for x, v in zip(grid, losses, strict=True) if v - best_loss < IDENTIFIED]
        ok.append(best[k])
        out[k] = {"grid": grid.tolist(), "loss": losses, "identified": pinned,
                  "acceptable": [min(ok), max(ok)]}
    return out


def _better(cuts: dict, best: dict[str, float], best_loss: float) -> dict[str, float] | None:
    """The slice point with the lowest loss, as a full parameter set, where it beats
    ``best_loss``; else None."""
    key, x, value = min(((k, x, v) for k, s in cuts.items()
                         for x, v in zip(s["grid"], s["loss"], strict=True)),
                        key=lambda item: item[2])
    return best | {key: float(x)} if value < best_loss - 1e-9 else None


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
        "(sum of ((model - target) / tolerance)^2, plus misses of required targets),",
        f"#      config digest {record['config_digest']}; record: {c.record}",
    ]
    sections: dict[str, list[str]] = {}
    for key, value in sorted(record["best"].items()):
        *table, leaf = key.split(".")
        sections.setdefault(".".join(table), []).append(f"{leaf} = {value:.6g}  # calibrated")
    for table, rows in sorted(sections.items()):
        lines += ["", f"[{table}]", *rows]
    write_text(cal.file(c.fitted), "\n".join(lines) + "\n")
