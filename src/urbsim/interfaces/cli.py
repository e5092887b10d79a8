"""The ``urbsim`` command line.

Exit codes: 0 ok, 2 bad input or a failing environment such as an unreachable Dask scheduler
(one line ``error: file: key: what was expected``, nothing written), 1 internal error (a bug:
the traceback is printed), 3 a failed calibration target, 4 experiment runs that failed after
their retries, 130 interrupted. Engine imports are lazy so that ``urbsim --help`` is quick.
Help texts are Markdown (typer's ``rich_markup_mode="markdown"``): paragraphs wrap to the
terminal, and ``[words]`` stay as written.

The command is its own program, so it does not load pydantic's plugins (packages that observe
every model's validation, found by scanning every installed package's entry points: 0.02 s of
each cold start): it sets ``PYDANTIC_DISABLE_PLUGINS=__all__`` unless the variable is set (set
it to ``none`` to load them). Its worker processes inherit the setting.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  rich_markup_mode="markdown",
                  help="urbsim: agent-based simulation of urban milieu dynamics.")

Scenario = Annotated[str, typer.Argument(
    help="scenario file, or the name of a shipped one (baseline, rent_brake, ...)")]
Seeds = Annotated[int, typer.Option(min=1, help="number of seeds (runs)")]
FirstSeed = Annotated[int, typer.Option(min=0, help="first seed; runs use seed, seed+1, ...")]
Steps = Annotated[int | None, typer.Option(min=1, help="years to simulate [default: the "
                                                       "scenario's steps]")]
Households = Annotated[int | None, typer.Option(min=1, help="households [default: the "
                                                            "scenario's]")]
Workers = Annotated[int | None, typer.Option(min=1, help="parallel processes [default: "
                                                         "min(seeds, cores)]")]
Record = Annotated[str | None, typer.Option(
    help="which steps to keep: every K-th (1: all; step 0 and the last always) or \"final\", "
         "the last only; headline flows then average the kept steps of the last years "
         "[default: the scenario's record]")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"urbsim {version('urbsim')}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="print the version and exit")] = False) -> None:
    """urbsim: agent-based simulation of urban milieu dynamics."""


@app.command()
def run(
    scenario: Scenario = "baseline",
    seeds: Seeds = 1,
    seed: FirstSeed = 0,
    steps: Steps = None,
    households: Households = None,
    out: Annotated[Path | None, typer.Option(
        help="where to write the dataset: .zarr (or a folder without extension), .nc for "
             "netCDF, or a tidy long table: .csv, .parquet [default: `results/<name>.zarr`, or "
             "the next free name]")] = None,
    workers: Workers = None,
    overwrite: Annotated[bool, typer.Option(help="replace an existing --out")] = False,
    record: Record = None,
) -> None:
    """Run a scenario over several seeds and print its headline indicators.

    Writes one dataset with a seed dimension (zarr, netCDF for .nc, or the long table of
    ``urbsim export`` for .csv and .parquet), atomically; any other extension is exit 2.
    """
    from urbsim.analysis import export, results
    from urbsim.common import files
    from urbsim.common.errors import InputError
    from urbsim.inputs.consistency import prepare

    with _guard(), _collector_paused():
        scn, n_steps = prepare(scenario, households, steps, record)
        if out is None:
            out = files.free_path(Path("results") / f"{scn.name}.zarr")
        suffix = out.suffix.lower()
        if suffix not in (*results.SUFFIXES, *export.FORMATS):
            raise InputError(f"cannot write {out.suffix!r}; expected .zarr (or no extension), "
                             f".nc, {', '.join(export.FORMATS)}", str(out), "out")
        files.check_target(out, overwrite)
        ds = _simulate(scn, range(seed, seed + seeds), n_steps, workers).assign_attrs(
            scenario=scn.name)
        from urbsim.analysis.summary import describe, intervals  # xarray, scipy: after the steps

        _intervals(f"{scn.name} · {describe(ds)}", intervals(ds), seeds)
        if suffix in export.FORMATS:
            n = export.write(ds, out, scn.name, overwrite)
            _err().print(f"wrote {out} ({n:,} rows)", highlight=False)
        else:
            results.write(ds, out, overwrite)
            _err().print(f"wrote {out}", highlight=False)


@app.command()
def compare(
    baseline: Annotated[str, typer.Argument(help="baseline: scenario file or name, or a stored "
                                                 "result (.zarr / .nc)")],
    other: Annotated[str, typer.Argument(help="the alternative: scenario or stored result")],
    seeds: Annotated[int | None, typer.Option(min=1, help="seeds per scenario [default: a stored "
                                                          "result's seeds, else 10]")] = None,
    seed: FirstSeed = 0,
    steps: Steps = None,
    households: Households = None,
    workers: Workers = None,
    plot: Annotated[Path | None, typer.Option(help="write an HTML page of time series with "
                                                   "95% bands")] = None,
    last: Annotated[int, typer.Option(min=1, help="flows are averaged over the last N "
                                                  "years")] = 10,
    posterior: Annotated[int | None, typer.Option(
        min=2, help="run both over N draws of the calibration's posterior (× the seeds): "
                    "effects over parameters and seeds, the share of draws with each sign, "
                    "and where the sign depends on uncertain parameters")] = None,
    posterior_file: Annotated[Path, typer.Option(
        help="--posterior: the posterior table (urbsim calibrate --abc)")] = Path(
        "calibration/posterior.csv"),
    record: Record = None,
) -> None:
    """Compare two scenarios (or stored results) seed by seed.

    Seed i of both draws the same random numbers where the scenarios do not differ, so the
    paired differences, their 95% confidence intervals and the verdicts show the effect.
    With --posterior N, both scenarios run for each of N posterior draws of the calibrated
    parameters, and the verdicts account for the parameters' uncertainty too.
    """
    from rich.table import Table

    from urbsim.analysis import compare as cmp
    from urbsim.analysis.summary import describe, fmt
    from urbsim.common import files

    with _guard():
        if plot is not None:
            files.check_target(plot, overwrite=True)
        if posterior is not None:
            _robust(baseline, other, posterior, posterior_file, seeds or 4, seed, steps,
                    households, workers, last, record)
            return
        runs = cmp.runs(baseline, other, seeds=seeds, seed=seed, steps=steps,
                        households=households, record=record,
                        simulate=lambda scn, s, n: _simulate(scn, s, n, workers))
        (name_a, a), (name_b, b) = runs.items()
        diffs = cmp.differences(a, b, last, (name_a, name_b))
        table = Table(title=f"{name_b} against {name_a} · {describe(b)}")
        for col in ("indicator", name_a, name_b, "difference [95% CI]", "verdict"):
            table.add_column(col, justify="left" if col in ("indicator", "verdict") else "right")
        for d in diffs:
            table.add_row(d.label, fmt(d.base), fmt(d.other), d.interval, d.verdict)
        _out().print(table)
        if diffs and not diffs[0].paired:
            _err().print("note: no common seeds, so the intervals are Welch's (unpaired)")
        if plot is not None:
            with _err().status("drawing the plots"):
                cmp.plot(runs, plot, f"{name_b} against {name_a}")
            _err().print(f"wrote {plot}", highlight=False)


def _robust(baseline: str, other: str, n: int, path: Path, seeds: int, seed: int,
            steps: int | None, households: int | None, workers: int | None, last: int,
            record: str | None) -> None:
    """``compare --posterior``: both scenarios over ``n`` posterior draws × ``seeds``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from rich.table import Table

    from urbsim.analysis import robust
    from urbsim.analysis.summary import fmt, headline
    from urbsim.engine.runner import run_seeds
    from urbsim.inputs.consistency import prepare
    from urbsim.inputs.params import update

    draws = robust.draws(path, n, seed)
    scns = [prepare(arg, households, steps, record) for arg in (baseline, other)]
    seed_list = list(range(seed, seed + seeds))
    heads: list[list] = [[], []]
    with Progress(f"{scns[1][0].name} against {scns[0][0].name} · {n} posterior draws × "
                  f"{seeds} seeds", BarColumn(), MofNCompleteColumn(), "runs",
                  TimeElapsedColumn(), console=_err(), transient=True) as bar:
        task = bar.add_task("", total=2 * n * seeds)
        for _, row in draws.iterrows():
            for i, (scn, n_steps) in enumerate(scns):
                params = update(scn.params(), {k: float(v) for k, v in row.items()})
                ds = run_seeds(params, seed_list, n_steps, workers or min(seeds, 2),
                               on_step=None, record=scn.record)
                heads[i].append(headline(ds, last))
                bar.advance(task, seeds)
    table = Table(title=f"{scns[1][0].name} against {scns[0][0].name} · {n} posterior draws "
                        f"({path.name}) × {seeds} seeds")
    for col in ("indicator", scns[0][0].name, scns[1][0].name,
                "difference [95% over draws and seeds]", "draws clearly + / −", "verdict"):
        table.add_column(col, justify="left" if col in ("indicator", "verdict") else "right")
    for r in robust.robust(heads[0], heads[1]):
        table.add_row(r.label, fmt(r.base), fmt(r.other), r.interval, r.signs, r.verdict)
    _out().print(table)


@app.command()
def validate(files: Annotated[list[str], typer.Argument(
        help="scenario or experiment files")]) -> None:
    """Check scenario files against the schema, their milieu set and their city, and
    experiment files (a top-level `scenarios` list) with their scenarios and design."""
    from urbsim.common.errors import InputError
    from urbsim.experiment import plan as pl
    from urbsim.inputs import consistency

    bad = 0
    with _guard():
        for f in files:
            try:
                if _is_experiment(f):
                    plan = pl.load(f)
                    _out().print(f"ok: {f} (experiment {plan.name}: {_runs(plan)})",
                                 highlight=False, soft_wrap=True)
                    continue
                scn = consistency.validate(f)
            except InputError as e:
                _error(e)
                bad += 1
                continue
            on = [k for k, e in scn.events.items() if e.enabled]
            pol = [k for k, p in scn.policies.items() if p.enabled]
            _out().print(f"ok: {f} ({scn.name}: {scn.households:,} households, {scn.steps} steps, "
                         f"events: {', '.join(on) or 'none'}; policies: {', '.join(pol) or 'none'})",
                         highlight=False, soft_wrap=True)
    if bad:
        raise typer.Exit(2)


def _is_experiment(file: str) -> bool:
    """Whether ``file`` reads as an experiment file: TOML with a top-level ``scenarios`` list
    (a scenario file has none)."""
    from urbsim.common.errors import InputError
    from urbsim.common.files import read_toml

    try:
        data = read_toml(file)
    except InputError:  # not a readable TOML file: the scenario loader says why
        return False
    return isinstance(data.get("scenarios"), list)


def _runs(plan) -> str:
    """``8 runs = 2 scenarios × 2 design points × 2 seeds, 3 years each``."""
    ns, nd, nr = plan.shape
    return (f"{plan.total:,} runs = {ns} scenario{'s' * (ns > 1)} × {nd} design "
            f"point{'s' * (nd > 1)} × {nr} seed{'s' * (nr > 1)}, {plan.steps} "
            f"year{'s' * (plan.steps > 1)} each")


@app.command()
def calibrate(
    config: Annotated[Path, typer.Argument(help="calibration config")] = Path(
        "calibration/config.toml"),
    check: Annotated[bool, typer.Option("--check", help="check the shipped baseline against "
                                                        "every target instead of fitting")] = False,
    abc: Annotated[bool, typer.Option("--abc", help="Bayesian calibration instead of the "
                                                    "point fit: ABC-SMC (pyabc), resumable")] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="--abc: a Dask scheduler address to simulate on (else local processes)")] = None,
    report: Annotated[Path | None, typer.Option(help="with --check or --abc: write an HTML "
                                                     "report")] = None,
    status: Annotated[bool, typer.Option(
        "--status", help="with --abc: show the stored run so far (generations, and the "
                         "particles' statistics against the targets) without simulating; "
                         "safe while the run goes on")] = False,
    workers: Workers = None,
) -> None:
    """Fit the baseline's free parameters to published targets (optuna, resumable).

    With --check: run the shipped baseline over the check seeds and compare every target;
    exit code 3 if a required target fails. With --abc: the posterior of the free parameters
    by ABC-SMC (settings in the config's [abc]), written with its provenance, and its
    predictive check on the check's seeds (exit code 3 if a required target fails there).
    With --abc --status: the stored run so far, without simulating.
    """
    from urbsim import calibration as cal_mod
    from urbsim.common.errors import InputError

    with _guard():
        if report is not None:
            from urbsim.common import files

            files.check_target(report, overwrite=True)
        cal = cal_mod.load(config)
        if status:
            if not abc:
                raise InputError("--status goes with --abc (the state of a Bayesian "
                                 "calibration run)", config)
            _abc_status(cal)
            return
        if abc:
            rows = _abc(cal, workers, scheduler, report)
        elif not check:
            _fit(cal)
            return
        else:
            with _err().status(f"running {', '.join(cal.config.runs)} over "
                               f"{cal.config.check.seeds} seeds"):
                rows = cal_mod.assess(cal, workers or min(2, os.cpu_count() or 1))
        _out().print(_targets_table(
            f"{'posterior predictive check' if abc else 'calibration check'} · reference "
            f"city {cal.config.city} · seeds {list(cal.config.check.seed_list)}",
            "5-95 % over draws and seeds" if abc else "range over seeds", rows))
        labels = cal_mod.labels(cal)
        kinds = [v.split(":")[0] for v in labels.values()]
        _out().print(f"{len(labels)} parameters: {kinds.count('calibrated')} calibrated, "
                     f"{kinds.count('sourced')} sourced, {kinds.count('prior')} prior, "
                     f"{sum(k not in ('calibrated', 'sourced', 'prior') for k in kinds)} unlabelled")
        if report is not None and not abc:
            with _err().status("writing the report"):
                cal_mod.report(cal, rows, report)
            _err().print(f"wrote {report}", highlight=False)
    inputs = [r.name for r in rows if r.input]
    if inputs:
        _err().print(f"reproduce inputs (checks, not validation): {', '.join(inputs)}",
                     highlight=False)
    gaps = [r.name for r in rows if r.verdict == "gap"]
    if gaps:
        _err().print(f"known gaps (not required, see targets.toml): {', '.join(gaps)}",
                     highlight=False)
    failed = [r.name for r in rows if r.verdict == "FAIL"]
    if failed:
        _err().print(f"failed: {', '.join(failed)}", highlight=False)
        raise typer.Exit(3)


def _targets_table(title: str, spread: str, rows: list):
    """A rich table of calibration rows: the model's value with its spread against each
    published value and tolerance, and the verdict."""
    from rich.table import Table

    from urbsim.analysis.summary import fmt

    table = Table(title=title)
    for col in ("target", f"model ({spread})", "published ± tolerance", "unit", ""):
        table.add_column(col, justify="right" if "±" in col or "model" in col else "left")
    for r in rows:
        table.add_row(r.name, f"{fmt(r.mean)} ({fmt(r.low)}..{fmt(r.high)})",
                      f"{fmt(r.target)} ± {fmt(r.tolerance)}", r.unit, r.verdict)
    return table


def _abc_status(cal) -> None:
    """Print the stored ABC run's generations and its last generation's statistics."""
    from rich.table import Table

    from urbsim.calibration import abc as abc_mod
    from urbsim.common.errors import InputError

    db = abc_mod.database(cal)
    if not db.exists():
        raise InputError(f"no ABC run of this calibration is stored (expected {db.name}): "
                         "start one with urbsim calibrate --abc", cal.path)
    gens, spent, rows = abc_mod.status(cal, db)
    a = cal.config.abc
    table = Table(title=f"{db.name} · {a.population} particles · {a.households:,} households")
    for col in ("generation", "epsilon", "simulations", "effective sample size", "minutes"):
        table.add_column(col, justify="right")
    for g in gens.itertuples():
        table.add_row(str(g.generation), f"{g.epsilon:.3g}", f"{g.simulations:,}",
                      f"{g.ess:.0f}", f"{g.seconds / 60:.1f}")
    _out().print(table)
    _out().print(f"{spent:,} simulations of the budget's {a.budget:,}; "
                 f"{len(gens)} of {a.generations} generations")
    left = a.generations - len(gens)
    if left <= 0 or spent >= a.budget:
        _out().print("the run is complete: the same command only reruns the predictive check "
                     "(raise abc.generations and abc.budget to go on)")
    elif len(gens) and gens.seconds.iloc[-1] > 0:
        last = int(gens.simulations.iloc[-1])
        pace = last / gens.seconds.iloc[-1] * 60
        rest = min(a.budget - spent, left * last)
        hours, minutes = divmod(round(rest / pace), 60)
        _out().print(f"at the last generation's pace ({pace:,.0f} simulations a minute), the "
                     f"rest ({left} more generation{'s' * (left > 1)} of about "
                     f"{last:,} simulations, or the budget's "
                     f"{a.budget - spent:,} if fewer) takes about {hours} h {minutes:02d} min; "
                     "later generations tend to need more")
    if not rows:
        _out().print("no generation is finished yet")
        return
    _out().print(_targets_table(
        f"generation {len(gens)}: the particles' own statistics (ABC's seeds, weighted; the "
        "posterior's verdict is the predictive check's, on held-out seeds)",
        "weighted mean, 5-95 %", rows))
    missed = [r.name for r in rows if r.verdict == "FAIL"]
    _out().print(f"outside their tolerance so far: {', '.join(missed) if missed else 'none'}")


def _abc(cal, workers: int | None, scheduler: str | None, report: Path | None) -> list:
    """ABC-SMC with a progress bar per generation, then the predictive check; writes the
    posterior (and the report); returns the check's rows."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from urbsim.calibration import abc as abc_mod

    a = cal.config.abc
    db = abc_mod.database(cal)
    n = workers or a.workers
    problem = abc_mod.urbsim_problem(cal, a.households, a.seed_list,
                                     threads=1 if scheduler else max(1, (os.cpu_count() or 1) // n))
    done = abc_mod.posterior(db, problem.bounds).generations if db.exists() else 0
    if done:
        _err().print(f"resuming {db.name} after generation {done}", highlight=False)
    t0 = time.monotonic()
    with Progress(f"ABC-SMC · {a.population} particles · {a.households:,} households",
                  BarColumn(), MofNCompleteColumn(), "generations", "{task.fields[state]}",
                  TimeElapsedColumn(), console=_err()) as bar:
        task = bar.add_task("", total=a.generations, completed=done, state="")

        def step(generation: int, epsilon: float, simulations: int) -> None:
            state = f"epsilon {epsilon:.3g}, {simulations:,} simulations"
            bar.update(task, completed=generation, state=state)
            if not bar.console.is_terminal:  # a log file: a line per generation
                _err().print(f"progress: generation {generation}/{a.generations}, {state}, "
                             f"{_clock(time.monotonic() - t0)} elapsed", highlight=False)

        post = abc_mod.run(problem, db, a.population, a.generations, a.budget, a.min_epsilon,
                           n, scheduler, step, a.alpha, a.kernel_scale)
    _err().print(f"posterior: generation {post.generations}, epsilon {post.epsilon:.3g}, "
                 f"effective sample size {post.ess:.0f} of {len(post.particles)}, "
                 f"{post.simulations:,} simulations", highlight=False)
    checking = f"predictive check: {a.predictive_draws} draws x {cal.config.check.seeds} " \
               "held-out seeds"
    if not _err().is_terminal:  # a log file: the status line below is not shown there
        _err().print(checking, highlight=False)
    with _err().status(checking):
        rows = abc_mod.predictive(cal, post, workers or a.workers)
    table, meta = abc_mod.write(cal, post, rows)
    _err().print(f"wrote {table} and {meta.name}", highlight=False)
    if report is not None:
        with _err().status("writing the report"):
            abc_mod.report(cal, post, rows, report)
        _err().print(f"wrote {report}", highlight=False)
    return rows


def _fit(cal) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
    from rich.table import Table

    from urbsim import calibration as cal_mod

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  "trials", TimeElapsedColumn(), console=_err()) as bar:
        task = bar.add_task("fitting", total=cal.config.fit.trials)

        def on_trial(done: int, total: int, best: float) -> None:
            bar.update(task, completed=done, description=f"fitting (best loss {best:.2f})")

        def on_stage(text: str) -> None:
            bar.update(task, description=text)

        record = cal_mod.fit(cal, on_trial, on_stage=on_stage)
    table = Table(title=f"fitted · loss {record['best_loss']:.3f} · {record['trials']} trials")
    for col in ("parameter", "value", "acceptable (loss within +4)", "identified"):
        table.add_column(col)
    for k, v in record["best"].items():
        s = record.get("slices", {}).get(k, {})
        table.add_row(k, f"{v:.4g}", "{:.3g} .. {:.3g}".format(*s["acceptable"]) if s else "",
                      ("yes" if s["identified"] else "weakly") if s else "")
    _out().print(table)
    if not record.get("at_slice_minimum", True):
        _err().print(f"warning: after {record['polish_steps']} polish steps a loss slice still "
                     "beats the optimum: run the fit again to polish on (it resumes the "
                     "study), or raise fit.polish", highlight=False)
    _err().print(f"wrote {cal.file(cal.config.fitted)} and {cal.file(cal.config.record)}",
                 highlight=False)


@app.command()
def experiment(
    file: Annotated[Path, typer.Argument(help="experiment file (experiments/*.toml)")],
    out: Annotated[Path | None, typer.Option(
        help="the zarr store [default: `results/<name>.zarr`]; an existing store of the same "
             "experiment is resumed")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="local worker processes [default: one per core]")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of a "
             "local cluster; its workers must see --out")] = None,
    threads: Annotated[int | None, typer.Option(
        min=1, help="numba threads per worker [default: cores // workers; 1 on a cluster]")] = None,
    retries: Annotated[int, typer.Option(min=0, help="retries of a failed run")] = 2,
    overwrite: Annotated[bool, typer.Option(help="start a new store instead of resuming")] = False,
    dashboard: Annotated[bool, typer.Option(help="serve the Dask dashboard and print its "
                                                 "link")] = False,
    dashboard_address: Annotated[str, typer.Option(
        help="where the local cluster serves its dashboard: this machine only by default; "
             "e.g. 0.0.0.0:8787 serves the network")] = "127.0.0.1:0",
    progress_interval: Annotated[float, typer.Option(
        min=0.1, envvar="URBSIM_PROGRESS_INTERVAL",
        help="seconds between progress lines when standard error is not a terminal (a log "
             "file, nohup, a batch scheduler)")] = 30.0,
) -> None:
    """Run an experiment (scenarios × design × seeds) on Dask into one zarr store.

    Each finished run is written at once; the same command again resumes, skipping runs that
    are done and trying failed ones again. Exit 4 when runs failed after their retries. On a
    terminal a progress bar shows the runs; otherwise a line every --progress-interval
    seconds gives runs done, failed, elapsed time and the estimated time left.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from urbsim.experiment import plan as pl
    from urbsim.experiment import sweep

    with _guard():
        with _err().status(f"checking {file}"):
            plan = pl.load(file)
        out = out or Path("results") / f"{plan.name}.zarr"
        if not out.exists() or overwrite:
            from urbsim.common.files import check_target

            check_target(out, overwrite=True)
        _err().print(f"{plan.name}: {_runs(plan)} → {out}", highlight=False)
        terminal = _err().is_terminal
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            "runs", TextColumn("{task.fields[failed]}", style="red"),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=_err(),
                            disable=not terminal)
        task = progress.add_task("starting the cluster", total=plan.total, failed="")
        lines = _Lines(plan.total, progress_interval if not terminal else None)

        def on_start(s) -> None:
            where = f"{s.workers} worker{'s' * (s.workers > 1)}" if s.workers else "all done"
            if s.resumed:
                torn = (f"; {s.torn} torn run{'s' * (s.torn > 1)} (data not matching "
                        "its checksum) will run again" if s.torn else "")
                _err().print(f"resuming: {s.skipped:,} of {s.total:,} runs already done{torn}",
                             highlight=False)
            if s.dashboard:
                _err().print(f"Dask dashboard: {s.dashboard}", highlight=False)
            progress.update(task, description=where, completed=s.skipped)
            lines.skipped = s.skipped

        def on_progress(done: int, failed: int) -> None:
            progress.update(task, advance=1, failed=f"{failed} failed" if failed else "")
            lines.done, lines.failed = done, failed

        try:
            with progress, lines:
                result = sweep.run(plan, out, workers=workers, scheduler=scheduler,
                                   threads=threads, overwrite=overwrite, retries=retries,
                                   dashboard=dashboard, dashboard_address=dashboard_address,
                                   on_start=on_start, on_progress=on_progress)
        except KeyboardInterrupt:
            _err().print(f"interrupted; finished runs are kept in {out}: run the same command "
                         f"again to resume", highlight=False)
            raise typer.Exit(130) from None
        _err().print(f"{result.done:,} runs in {result.seconds:.1f} s"
                     + (f" ({result.skipped:,} were done before)" if result.skipped else "")
                     + f"; store: {out}", highlight=False)
        if result.failed:
            for (i, j, k), message in result.failures[:5]:
                _err().print(f"failed: scenario {list(plan.scenarios)[i]}, point {j}, seed "
                             f"{plan.seeds[k]}: {message}", highlight=False)
            _err().print(f"{result.failed} run{'s' * (result.failed > 1)} failed; run the same "
                         f"command again to retry them", highlight=False)
            raise typer.Exit(4)


class _Lines:
    """Progress of a sweep as a plain line every ``interval`` seconds (``None``: no lines), for
    a log rather than a terminal: runs done of all, failed, elapsed time and the time left at
    the pace so far."""

    def __init__(self, total: int, interval: float | None) -> None:
        self.total, self.interval = total, interval
        self.skipped = self.done = self.failed = 0
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> _Lines:
        if self.interval is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def line(self) -> str:
        """The progress line now."""
        elapsed = time.monotonic() - self.t0
        finished = self.done + self.failed
        left = self.total - self.skipped - finished
        eta = _clock(elapsed / finished * left) if finished else "unknown"
        return (f"progress: {self.skipped + self.done:,}/{self.total:,} runs done, "
                f"{self.failed:,} failed, {_clock(elapsed)} elapsed, ETA {eta}")

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            _err().print(self.line(), highlight=False, soft_wrap=True)


def _clock(seconds: float) -> str:
    """``h:mm:ss``."""
    from datetime import timedelta

    return str(timedelta(seconds=round(seconds)))


@app.command()
def analyze(
    store: Annotated[Path, typer.Argument(help="experiment store (from urbsim experiment)")],
    out: Annotated[Path | None, typer.Option(
        help="HTML report [default: the store's name with .html]")] = None,
    indicators: Annotated[str | None, typer.Option(
        "--indicators", "--outputs",
        help="indicators to analyse, comma-separated [default: the experiment's "
             "analysis.indicators]; --outputs is the old name")] = None,
    last: Annotated[int | None, typer.Option(
        min=1, help="flows are averaged over the last N years [default: the experiment's]")] = None,
    discover: Annotated[str | None, typer.Option(
        help="scenario discovery: the parameter boxes where a condition on an indicator "
             "holds, e.g. \"representation_gap_open < 0.19\" (PRIM, EMA Workbench)")] = None,
    density: Annotated[float, typer.Option(
        min=0.01, max=1.0, help="--discover: the least share of a box's runs meeting the "
                               "condition")] = 0.8,
) -> None:
    """Sensitivity indices (Sobol, Morris with SALib), policy tables against the baseline,
    interaction heatmaps, scenario discovery (PRIM) and figures of an experiment store; tables
    here, everything in an HTML page."""
    from rich.table import Table

    from urbsim.experiment import analysis

    with _guard():
        out = out or store.with_suffix(".html")
        with _err().status(f"analysing {store}"):
            report = analysis.analyze(store, indicators.split(",") if indicators else None, last,
                                      discover, density)
        _out().print(report.title, highlight=False)
        for note in report.notes:
            _out().print(f"  {note}", highlight=False)
        for t in report.tables:
            table = Table(title=t.title)
            for i, c in enumerate(t.columns):
                table.add_column(c, justify="left" if i == 0 or c == "verdict" else "right")
            for r in t.rows:
                table.add_row(*r)
            _out().print(table)
        with _err().status("drawing the figures"):
            analysis.save(report, out)
        _err().print(f"wrote {out}", highlight=False)


@app.command("export")
def export_(
    store: Annotated[Path, typer.Argument(help="an experiment store (urbsim experiment) or a "
                                               "stored run (urbsim run --out)")],
    format: Annotated[str, typer.Option(
        "--format", help="csv or parquet [default: --out's extension, else csv]")] = "",
    out: Annotated[Path | None, typer.Option(
        help="the table to write [default: the store's name with .csv or .parquet]")] = None,
    overwrite: Annotated[bool, typer.Option(help="replace an existing --out")] = False,
) -> None:
    """Write a store as one long table for R and spreadsheets: one row per run × step ×
    indicator × coordinate, with the design's parameters as columns (see docs/store.md)."""
    from urbsim.analysis import export, results
    from urbsim.common.errors import InputError
    from urbsim.experiment import store as estore

    with _guard():
        kinds = {v: k for k, v in export.FORMATS.items()}
        if format and format not in kinds:
            raise InputError(f"expected {' or '.join(kinds)}, got {format!r}", None, "--format")
        if out is None:
            out = store.with_suffix(kinds[format or "csv"])
        elif format and out.suffix.lower() != kinds[format]:
            raise InputError(f"--out ends in {out.suffix!r}, but --format is {format}", str(out),
                             "out")
        if not store.exists():
            raise InputError("no such store", str(store))
        experiment = store.is_dir() and (store / "status").exists()
        with _err().status(f"reading {store}"):
            ds = estore.load(store) if experiment else results.read(store)
        with _err().status(f"writing {export.rows(ds):,} rows"):
            n = export.write(ds, out, "" if experiment else ds.attrs.get("scenario", store.stem),
                             overwrite)
        _err().print(f"wrote {out} ({n:,} rows)", highlight=False)


@app.command()
def schema(kind: Annotated[str, typer.Argument(
        help="scenario or experiment")] = "scenario") -> None:
    """Print the scenario (or experiment) file reference (Markdown) generated from the schema."""
    from urbsim.interfaces.schemadoc import HEADERS, markdown

    if kind not in HEADERS:
        _error(ValueError(f"expected one of {', '.join(HEADERS)}, got {kind!r}"))
        raise typer.Exit(2)
    sys.stdout.write(markdown(kind))


@app.command()
def workshop(
    scenario: Annotated[str, typer.Option(
        help="scenario to start from: a file, or the name of a shipped one")] = "baseline",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to serve on")] = 5006,
    host: Annotated[str, typer.Option(
        help="address to bind; the default serves this machine only. Another address "
             "(e.g. 0.0.0.0) makes the app reachable from the network")] = "127.0.0.1",
    seeds: Annotated[int, typer.Option(min=1, max=12, help="seeds per run (changeable in "
                                                           "the app)")] = 4,
    households: Annotated[int, typer.Option(min=500, max=120_000, help="households per run "
                                            "(changeable in the app); a city from files with "
                                            "more households runs as a weighted sample of "
                                            "this size")] = 30_000,
    steps: Annotated[int | None, typer.Option(min=2, max=40, help="years per run [default: "
                                              "the scenario's]")] = None,
    show: Annotated[bool, typer.Option(help="open a browser tab")] = False,
    posterior: Annotated[Path | None, typer.Option(
        help="the calibration's posterior (urbsim calibrate --abc): the app may run over its "
             "draws [default: calibration/posterior.csv where it exists]")] = None,
    vacancy_band: Annotated[tuple[float, float], typer.Option(
        help="the city's target band of vacancy, in % of the dwellings (changeable in the "
             "app)")] = (2.0, 5.0),
    rent_rise: Annotated[float, typer.Option(
        help="the city's target for rents, asked and paid: at most this rise a year, in %, "
             "since the run's first year (changeable in the app)")] = 2.0,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="run processes: runs computing at once; further Runs wait their "
                            "turn [default: one per core]")] = None,
) -> None:
    """Serve the strategy-workshop app in the browser (Panel): levers, runs against the
    baseline, maps, time series, downloads. Stops with Ctrl-C."""
    with _guard():
        from urbsim.common.errors import InputError
        from urbsim.inputs import consistency
        from urbsim.inputs import scenario as sc
        from urbsim.interfaces.workshop.app import Settings, serve
        from urbsim.interfaces.workshop.targets import Band

        scn = sc.load(scenario)
        consistency.check(scn)
        settings = Settings(seeds, households, steps or min(max(scn.steps, 2), 40))
        url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
        try:
            targets = {"vacancy": Band(*vacancy_band).check(),
                       "rent": Band(None, rent_rise, rise=True).check()}
        except ValueError as e:
            raise InputError(str(e), None, "--vacancy-band") from None
        _free(host, port)
        _err().print(f"urbsim workshop on {url} (computing the baseline in the background; "
                     "Ctrl-C stops)", highlight=False)
        if posterior is None and Path("calibration/posterior.csv").is_file():
            posterior = Path("calibration/posterior.csv")
        if posterior is not None:
            from urbsim.analysis.robust import draws

            draws(posterior, 1)  # a clear error now, not in the app
        serve(scn, settings, port=port, host=host, show=show, posterior=posterior,
              targets=targets, workers=workers)


def _free(host: str, port: int) -> None:
    """Raise :class:`InputError` now if ``host:port`` cannot be served on (in use, not an
    address of this machine), rather than as a server's traceback later."""
    import socket

    from urbsim.common.errors import InputError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            s.bind(infos[0][4])
    except OSError as e:
        raise InputError(f"cannot serve there: {e.strerror or e}; choose another --port or "
                         "--host", None, f"--host {host} --port {port}") from None


city_app = typer.Typer(no_args_is_help=True, help="Check a city's files.")
app.add_typer(city_app, name="city")


@city_app.command("check")
def city_check(
    file: Annotated[Path, typer.Argument(help="a scenario (.toml) whose city to check, the node "
                                              "table (CSV, with --edges), or polygons (GeoJSON, "
                                              "GeoPackage)")],
    edges: Annotated[Path | None, typer.Option(help="the edge table of a CSV city")] = None,
    districts: Annotated[Path | None, typer.Option(
        help="the districts table: `district` names, optionally `share_<CODE>` milieu "
             "shares")] = None,
    scale: Annotated[float | None, typer.Option(
        min=1e-9, help="polygons: take coordinates as planar, km per unit (default: from the "
                       "file's CRS)")] = None,
    households: Households = None,
    map: Annotated[Path | None, typer.Option(help="write an HTML map of the start")] = None,
) -> None:
    """Validate a city and summarise it: areas, districts, dwellings, rents, building periods,
    and the start the baseline's rules (or the scenario's) give it (milieu mix, segregation).

    Every problem is one line naming the file, row and column (exit code 2).
    """
    from rich.table import Table

    from urbsim.analysis import city_summary
    from urbsim.analysis.summary import fmt
    from urbsim.common import files
    from urbsim.common.errors import InputError
    from urbsim.inputs import city_files, population
    from urbsim.inputs import scenario as sc

    with _guard():
        if map is not None:
            files.check_target(map, overwrite=True)
        suffix = file.suffix.lower()
        if suffix == ".toml":
            params = sc.load(file).params()
            if params.city.nodes is None and params.city.polygons is None:
                raise InputError("the scenario names no city files (city.nodes or "
                                 "city.polygons): it runs the synthetic city", str(file), "city")
            city = city_files.load_city(params.households, params.city)
        else:
            params = sc.load("baseline").params()
            if suffix in (".geojson", ".json", ".gpkg"):
                city = city_files.load_polygons(file, districts, scale=scale)
            elif edges is None:
                raise InputError("a CSV city needs its edge table: --edges FILE", str(file),
                                 "edges")
            else:
                city = city_files.load_csv(file, edges, districts)
        with _err().status("placing households"):
            s = city_summary.summarise(city, params, households)
        table = Table(title=f"{file.name} · {s.areas:,} neighbourhoods · "
                            f"{len(s.districts)} districts · {s.edges:,} adjacencies")
        table.add_column("what")
        table.add_column("value", justify="right")
        rows = [("dwellings", f"{sum(s.dwellings.values()):,}"),
                *((f"  {k}", f"{v:,} (rent {fmt(s.rents[k])} EUR/month)")
                  for k, v in s.dwellings.items()),
                ("building periods (neighbourhoods)",
                 ", ".join(f"{k} {v}" for k, v in s.periods.items() if v)),
                ("districts (neighbourhoods)",
                 ", ".join(f"{k} {v}" for k, v in s.districts.items())),
                ("households placed", f"{s.households:,}"),
                ("milieu mix (%)", ", ".join(f"{k} {v:.1f}" for k, v in s.milieu_share.items())),
                ("D low-status (PRE+HKON) at the start", fmt(s.d_low)),
                ("multigroup D at the start", fmt(s.multigroup_d))]
        for row in rows:
            table.add_row(*row)
        _out().print(table)
        _err().print(population.describe(city), highlight=False)
        if s.hidden:
            _err().print(f"{s.hidden} areas with fewer than {params.city.suppress_below} "
                         "households are left out of the map (city.suppress_below)",
                         highlight=False)
        if map is not None:
            with _err().status("drawing the map"):
                city_summary.draw(city, s, map, file.stem)
            _err().print(f"wrote {map}", highlight=False)


history_app = typer.Typer(no_args_is_help=True, help="Check runs against a city's observed "
                                                    "history.")
app.add_typer(history_app, name="history")


@history_app.command("compare")
def history_compare(
    scenario: Scenario,
    observed: Annotated[Path, typer.Argument(help="the observed history: CSV with area, year, "
                                                  "indicator, value (and source)")],
    seeds: Annotated[int, typer.Option(min=2, help="seeds (runs) making the model's band")] = 10,
    seed: FirstSeed = 0,
    households: Households = None,
    level: Annotated[float, typer.Option(min=0.5, max=0.99, help="the band's central share of "
                                                                 "runs")] = 0.9,
    table: Annotated[Path | None, typer.Option(help="write every observation with the model's "
                                                    "median, band and error (CSV)")] = None,
    plot: Annotated[Path | None, typer.Option(help="write an HTML plot of band and observations "
                                                   "by indicator and area")] = None,
    workers: Workers = None,
) -> None:
    """Run a scenario over seeds and compare it with what the city observed: per indicator
    the error of the runs' median and the coverage, the share of observations inside the
    model's band (about the band's level when the model fits).

    The scenario's ``start_year`` matches calendar years to steps; the run lasts until the
    last observed year.
    """
    from rich.table import Table

    from urbsim.analysis import history as ah
    from urbsim.analysis import privacy
    from urbsim.analysis.summary import fmt
    from urbsim.common import files, memory
    from urbsim.common.errors import InputError
    from urbsim.inputs import history as ih
    from urbsim.inputs import population
    from urbsim.inputs.city_files import load_city
    from urbsim.inputs.consistency import prepare
    from urbsim.inputs.milieus import load as load_milieus

    with _guard():
        for target in (table, plot):
            if target is not None:
                files.check_target(target, overwrite=True)
        scn, _ = prepare(scenario, households)
        if scn.start_year is None:
            raise InputError("the scenario gives no start_year: the calendar year of its start "
                             "is needed to match observed years to steps", scn.path,
                             "start_year")
        city = load_city(scn.households, scn.city)
        codes = load_milieus(scn.milieus).codes
        obs = ih.load(observed, city, codes)
        steps = int(obs.year.max()) - scn.start_year
        if steps < 0:
            raise InputError(f"every observation is before the start ({scn.start_year})",
                             str(observed), "year")
        steps = max(steps, 1)  # the run lasts until the last observed year
        memory.check(scn.households, city.n, len(codes), steps)
        given = population.given_total(city) or scn.households
        ds = _simulate(scn, range(seed, seed + seeds), steps, workers)
        samples = ah.model_values(ds, obs, city, scn.start_year, given / scn.households)
        rows = ah.compare(samples, obs, level)
        summary = ah.summarise(rows)
        out = Table(title=f"{scn.name} against {observed.name} · {seeds} seeds · "
                          f"{level:.0%} band")
        for c in ("indicator", "observations", "compared", "mean error",
                  "mean absolute error", "coverage"):
            out.add_column(c, justify="left" if c == "indicator" else "right")
        for name, r in summary.iterrows():
            out.add_row(str(name), f"{r['observations']:,}", f"{r['compared']:,}",
                        fmt(r["mean error"]), fmt(r["mean absolute error"]),
                        "n/a" if r["coverage"] != r["coverage"] else f"{r['coverage']:.0%}")
        _out().print(out)
        compared = rows["inside"].count()
        if compared:
            _err().print(f"{int(rows['inside'].sum())} of {compared} observations inside the "
                         f"model's {level:.0%} band ({rows['inside'].mean():.0%})",
                         highlight=False)
        if len(rows) > compared:
            _err().print(f"{len(rows) - compared} observations without a model value (before "
                         "the start, or no event of the format that year)", highlight=False)
        per_area = ds.households.isel(step=0).sum("milieu").mean("seed").values
        hidden = privacy.small(ah.area_households(obs, city, per_area * given / scn.households),
                               scn.city.suppress_below)
        if hidden.any():
            rows = rows[~hidden]
            _err().print(f"{int(hidden.sum())} observations of areas with fewer than "
                         f"{scn.city.suppress_below} households are left out of the table and "
                         "plot (city.suppress_below)", highlight=False)
        if table is not None:
            with files.atomic(table, ".csv") as tmp:
                rows.to_csv(tmp, index=False)
            _err().print(f"wrote {table}", highlight=False)
        if plot is not None:
            with _err().status("drawing the plot"):
                ah.draw(rows, plot, f"{scn.name} against {observed.name}", level)
            _err().print(f"wrote {plot}", highlight=False)


# ----------------------------------------------------------------------------- helpers
def _simulate(scn, seeds, steps: int, workers: int | None):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    from urbsim.common.memory import reuse_freed_memory
    from urbsim.engine.runner import run_seeds

    seeds = list(seeds)
    workers = workers or min(len(seeds), os.cpu_count() or 1)
    reuse_freed_memory()  # this process may run several seeds one after the other
    with Progress(f"{scn.name} ({len(seeds)} seed{'s' * (len(seeds) > 1)}, {workers} "
                  f"process{'es' * (workers > 1)})", BarColumn(), MofNCompleteColumn(),
                  "steps", TimeElapsedColumn(), TimeRemainingColumn(), console=_err(),
                  transient=True) as bar:
        task = bar.add_task("", total=len(seeds) * steps)

        def step_done() -> None:
            _resume_collector()  # start-up is over
            bar.advance(task)

        return run_seeds(scn, seeds, steps, workers, on_step=step_done, record=scn.record)


def _intervals(title: str, rows: list, seeds: int) -> None:
    """The table of :func:`urbsim.analysis.summary.intervals`; intervals that leave their
    indicator's possible range are marked, with one warning."""
    from rich.table import Table

    from urbsim.analysis.summary import fmt

    several = seeds > 1
    table = Table(title=title)
    table.add_column("indicator")
    table.add_column("mean over seeds" if several else "value", justify="right")
    if several:
        table.add_column("95% CI", justify="right")
    for r in rows:
        table.add_row(r.label, fmt(r.mean),
                      *([f"{fmt(r.low)} to {fmt(r.high)}{' *' if r.outside else ''}"]
                        if several else []))
    _out().print(table)
    if several and any(r.outside for r in rows):
        _err().print(f"warning: intervals marked * leave their indicator's possible range: "
                     f"{seeds} seeds are too few for them there; run more seeds",
                     highlight=False, soft_wrap=True)


_PAUSED = threading.Event()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a command starts up, until its first step
    is done (:func:`_simulate`) or it ends. The imports, the scenario, the city and the model
    make many objects that live as long as the process and little garbage: collecting them
    took 0.19 s of the 1.6 s a cold ``urbsim run`` took to its first step."""
    if not gc.isenabled():  # someone else's choice: left alone
        yield
        return
    gc.disable()
    _PAUSED.set()
    try:
        yield
    finally:
        _resume_collector()


def _resume_collector() -> None:
    if _PAUSED.is_set():
        _PAUSED.clear()
        gc.enable()


def _out():
    """Standard output: the terminal's width, or 160 columns when piped (tables stay whole)."""
    from rich.console import Console

    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def _err():
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def _error(e: Exception) -> None:
    from rich.text import Text

    _err().print(Text.assemble(("error: ", "bold red"), str(e)), soft_wrap=True)


@contextmanager
def _guard() -> Iterator[None]:
    """Bad input, or an operating-system error (a full disk, no permission): one line, exit 2.
    Interrupted: exit 130. Anything else is a bug: exit 1.
    A deprecated key, or input taken by a stated rule, is one line ``warning: file: key:
    ...``, once per key."""
    import warnings

    from urbsim.common.errors import InputError, InputWarning
    from urbsim.common.schema import DeprecatedKey

    def show(message, category, *args, **kwargs) -> None:
        if not issubclass(category, DeprecatedKey | InputWarning):
            return shown(message, category, *args, **kwargs)
        from rich.text import Text

        _err().print(Text.assemble(("warning: ", "bold yellow"), str(message)), soft_wrap=True)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default", DeprecatedKey)
            warnings.simplefilter("default", InputWarning)
            shown, warnings.showwarning = warnings.showwarning, show
            yield
    except InputError as e:
        _error(e)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        _err().print("interrupted; nothing written")
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except OSError as e:  # the environment: a full disk, no permission, a lost mount, ...
        from urbsim.common.errors import printable

        where = f"{e.filename}: " if e.filename else ""
        _error(Exception(printable(f"{where}{e.strerror or e}")))
        raise typer.Exit(2) from None
    except Exception:
        import traceback

        traceback.print_exc()
        _err().print("internal error: this is a bug in urbsim; please report it with the "
                     "traceback above")
        raise typer.Exit(1) from None
