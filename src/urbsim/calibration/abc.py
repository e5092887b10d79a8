"""Bayesian calibration: approximate Bayesian computation with sequential Monte Carlo.

ABC-SMC (Toni et al. 2009, J. R. Soc. Interface 6; as implemented by pyabc, Schälte et al.
2022, JOSS 7(74)) draws the free parameters from their priors, simulates, and keeps a draw
when its distance to the published targets is below a threshold epsilon that shrinks from
generation to generation; each generation's particles, weighted, approximate the posterior
at its epsilon. The distance is the point fit's: ``sqrt`` of
:func:`urbsim.calibration.fitting.loss` (squared z-scores against the targets' tolerances,
plus the penalty for required targets missed), so an epsilon of ``sqrt(n)`` means targets
off by about one tolerance each.

A :class:`Problem` is what ABC needs of a model: free parameters with bounds (uniform priors,
log-uniform where the bounds say ``log``), a simulator returning statistics, and the distance
of statistics to the targets. :func:`urbsim_problem` makes the urbsim one from a calibration
config; tests use toy ones. :func:`run` starts or resumes a run stored in pyabc's SQLite
database (a generation is stored when it completes: a killed run resumes from the last one),
on one process, several (``workers``), or a Dask cluster (``scheduler``). :func:`posterior`
reads the last generation, with its epsilon and effective sample size.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from urbsim._kernels import libm
from urbsim.calibration.config import Bounds, Calibration


@dataclass(frozen=True)
class Problem:
    """What ABC needs of a model (the functions picklable, for worker processes)."""

    bounds: dict[str, Bounds]
    """Free parameters (dotted keys) and their prior ranges."""
    simulate: Callable[[dict[str, float]], dict[str, float]]
    """Parameter values -> statistics."""
    distance: Callable[[dict[str, float]], float]
    """Statistics -> distance to the targets (0: every target met exactly)."""


@dataclass(frozen=True)
class Posterior:
    """The last generation of a run."""

    particles: pd.DataFrame
    """One row per particle, a column per parameter."""
    weights: np.ndarray
    epsilon: float
    ess: float
    """Effective sample size of the weights, ``1 / sum(w**2)``."""
    generations: int
    simulations: int

    def mean(self) -> dict[str, float]:
        """The posterior mean of each parameter."""
        return {k: float(np.sum(self.weights * self.particles[k])) for k in self.particles}

    def draws(self, n: int, seed: int = 0) -> pd.DataFrame:
        """``n`` particles drawn with replacement by weight (a fixed seed: the same draws)."""
        rng = np.random.default_rng(seed)
        index = rng.choice(len(self.particles), size=n, p=self.weights / self.weights.sum())
        return self.particles.iloc[index].reset_index(drop=True)


SPACE = "log-bounds-in-log-space"
"""pyabc's parameter space (see :func:`prior`), part of the database's name: a run stored in
another space is not resumed."""


def prior(problem: Problem):
    """The pyabc prior: independent uniforms over the bounds, of the logarithm where the
    bounds are ``log``. pyabc samples and perturbs that space (:func:`natural` maps back): a
    log-uniform prior in the natural space, with pyabc's symmetric Gaussian kernel, weighs
    each particle by up to ``high / low`` per such parameter, and with three of them the
    effective sample size fell from 500 to 17 in one generation."""
    import pyabc

    def rv(b: Bounds):
        low, high = _space(b)
        return pyabc.RV("uniform", low, high - low)

    return pyabc.Distribution(**{k: rv(b) for k, b in problem.bounds.items()})


def _space(b: Bounds) -> tuple[float, float]:
    """The bounds in pyabc's space (of the logarithm where they are ``log``)."""
    return (math.log(b.low), math.log(b.high)) if b.log else (b.low, b.high)


def natural(bounds: dict[str, Bounds], values: dict[str, float]) -> dict[str, float]:
    """Parameter values from pyabc's space (the logarithm where the bounds are ``log``)."""
    return {k: math.exp(v) if bounds[k].log else float(v) for k, v in values.items()}


def run(problem: Problem, db: Path, population: int, generations: int, budget: int,
        min_epsilon: float, workers: int = 1, scheduler: str | None = None,
        on_generation: Callable[[int, float, int], None] | None = None,
        alpha: float = 0.5, kernel_scale: float = 2.0) -> Posterior:
    """Run ABC-SMC, or resume the run stored in ``db``, until ``generations`` generations in
    all, ``budget`` simulations in all, or an epsilon of ``min_epsilon``, each generation's
    epsilon the ``alpha`` quantile of the last one's distances, particles perturbed by a
    Gaussian kernel scaled by ``kernel_scale``;
    ``on_generation(generation, epsilon, simulations)`` after each."""
    import pyabc

    url = f"sqlite:///{db.resolve()}"
    done, spent = _progress(db)
    if done < generations and spent < budget:
        first = 0 if done else population  # a new run first samples the prior for epsilon
        parallel = workers > 1 and scheduler is None
        with (warnings.catch_warnings(), _Progress(done, spent + first, on_generation),
              _fork_safe_threads() if parallel else contextlib.nullcontext()):
            warnings.simplefilter("ignore")  # pyabc's pandas and SQLAlchemy deprecations
            sampler = (pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers) if parallel
                       else _dask(scheduler) if scheduler is not None
                       else pyabc.sampler.SingleCoreSampler())
            if parallel:
                _warm_up(problem)
            abc = pyabc.ABCSMC(_Model(problem.simulate, problem.bounds), prior(problem),
                               _Distance(problem.distance), population_size=population,
                               sampler=sampler, eps=pyabc.QuantileEpsilon(alpha=alpha),
                               transitions=pyabc.MultivariateNormalTransition(
                                   scaling=kernel_scale))
            if done:
                abc.load(url, 1)
            else:
                abc.new(url, {})
            abc.run(max_nr_populations=generations - done, minimum_epsilon=min_epsilon,
                    max_total_nr_simulations=budget)
    return posterior(db, problem.bounds)


@contextlib.contextmanager
def _fork_safe_threads():
    """Have numba pick a threading layer that survives ``fork`` (``forksafe``: TBB, or its own
    work queue where TBB is missing) if this process runs its first parallel kernel inside.
    With GNU OpenMP, numba's default where TBB is missing, a worker forked after the warm-up's
    simulation terminates at once ("fork() called from a process already using GNU OpenMP").
    The layer does not change results: the kernels are bitwise the same on any number of
    threads. The setting is restored on leaving, for a process whose first kernel runs later
    (the work queue is not thread-safe)."""
    import numba

    try:
        numba.threading_layer()
    except ValueError:  # not chosen yet: this process has run no parallel kernel
        before = numba.config.THREADING_LAYER
        numba.config.THREADING_LAYER = "forksafe"
        try:
            yield
        finally:
            numba.config.THREADING_LAYER = before
        return
    # chosen already, by a parallel kernel this process ran: on GNU OpenMP a forked worker
    # dies once it runs one (the command line starts a fresh process)
    yield


def _warm_up(problem: Problem) -> None:
    """Simulate once at the middle of the bounds in this process, before pyabc forks its
    worker processes (anew each generation). The workers then inherit every module and
    compiled kernel a simulation uses instead of importing them themselves: a run that goes
    on for days while the checkout it was started from is upgraded keeps one version of the
    model (workers importing new modules against the parent's old ones once crashed a run),
    and no generation's workers load the kernels again."""
    mid = {k: 0.5 * sum(_space(b)) for k, b in problem.bounds.items()}
    problem.simulate(natural(problem.bounds, mid))


class _Progress(logging.Handler):
    """Reads pyabc's log ("t: 3, eps: 1.2e+00." then "Accepted: 500 / 1234 = ...") into
    ``on_generation(generations done, epsilon, simulations in all)`` calls, and keeps pyabc's
    own log lines off the terminal while it is installed."""

    def __init__(self, done: int, spent: int, on_generation) -> None:
        super().__init__(logging.INFO)
        self.done, self.spent, self.epsilon, self.call = done, spent, float("nan"), on_generation
        self.logger = logging.getLogger("ABC")

    def __enter__(self) -> _Progress:
        self.saved = (self.logger.handlers[:], self.logger.level, self.logger.propagate)
        self.logger.handlers, self.logger.propagate = [self], False
        self.logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.handlers, level, self.logger.propagate = self.saved
        self.logger.setLevel(level)

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if eps := re.match(r"t: \d+, eps: (\S+?)\.?$", text):
            self.epsilon = float(eps[1])
        elif acc := re.match(r"Accepted: \d+ / (\d+)", text):
            self.done, self.spent = self.done + 1, self.spent + int(acc[1])
            if self.call is not None:
                self.call(self.done, self.epsilon, self.spent)


def posterior(db: Path, bounds: dict[str, Bounds]) -> Posterior:
    """The last generation stored in ``db``, its parameters in their natural space."""
    import pyabc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = pyabc.History(f"sqlite:///{db.resolve()}", _id=1)
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        pops = history.get_all_populations()
    weights = np.asarray(weights, float)
    frame = pd.DataFrame({k: libm.exp(frame[k].to_numpy()) if bounds[k].log else frame[k]
                          for k in frame})
    return Posterior(frame.reset_index(drop=True), weights, float(pops["epsilon"].iloc[-1]),
                     float(1.0 / np.sum(weights ** 2)), int(history.max_t + 1),
                     int(history.total_nr_simulations))


def status(cal: Calibration, db: Path) -> tuple[pd.DataFrame, int, list]:
    """What the run stored in ``db`` says so far, without simulating: per generation its
    epsilon, simulations, effective sample size and wall time (seconds, pyabc's record of
    the generation); the simulations in all (the prior sample
    that set the first epsilon included); and per target its statistic over the last
    generation's particles (weighted mean and 5-95 % range) against the target
    (:class:`urbsim.calibration.assessment.Row`). Those are the ABC's own simulations on its
    own seeds: they show where the run is heading; the posterior's verdict is the predictive
    check's, on held-out seeds."""
    import pyabc

    from urbsim.calibration.assessment import Row

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = pyabc.History(f"sqlite:///{db.resolve()}", _id=1)
        pops = history.get_all_populations()
        pops = pops[pops.t >= 0]
        ess = [1.0 / np.sum(np.asarray(history.get_distribution(m=0, t=int(t))[1]) ** 2)
               for t in pops.t]
        weights, stats = (history.get_weighted_sum_stats(t=history.max_t) if len(pops)
                          else ([], []))  # no generation finished yet: no rows
        spent = int(history.total_nr_simulations or 0)
    table = pd.DataFrame({"generation": pops.t.to_numpy() + 1,
                          "epsilon": pops.epsilon.to_numpy(),
                          "simulations": pops.samples.to_numpy(), "ess": ess,
                          "seconds": pops.wall_time.to_numpy(float)})
    w = np.asarray(weights, float)
    rows = []
    for k, t in cal.targets.targets.items() if len(pops) else ():
        x = np.array([s.get(k, np.nan) for s in stats], float)
        ok = np.isfinite(x)
        if ok.any():
            mean = float(np.average(x[ok], weights=w[ok]))
            low, high = np.quantile(x[ok], [0.05, 0.95], weights=w[ok], method="inverted_cdf")
        else:
            mean = low = high = np.nan
        rows.append(Row(k, t.statistic, mean, float(low), float(high), t.target(cal.config.city),
                        t.tolerance, t.unit, t.source, t.uncertain, t.required, t.input))
    return table, spent, rows


def _progress(db: Path) -> tuple[int, int]:
    """Generations completed and simulations spent by the run in ``db`` (0, 0: none)."""
    if not db.exists():
        return 0, 0
    import pyabc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = pyabc.History(f"sqlite:///{db.resolve()}", _id=1)
        if history.max_t < 0:
            return 0, 0
        return int(history.max_t + 1), int(history.total_nr_simulations)


def _dask(address: str):
    """A sampler on the Dask scheduler at ``address`` (bad input if none answers there)."""
    import pyabc

    from urbsim.common.scheduler import client

    return pyabc.sampler.DaskDistributedSampler(client(address))


class _Model:
    """A picklable pyabc model around a simulator (parameters from pyabc's space)."""

    def __init__(self, simulate: Callable[[dict[str, float]], dict[str, float]],
                 bounds: dict[str, Bounds]) -> None:
        self.simulate, self.bounds = simulate, bounds

    def __call__(self, parameter) -> dict[str, float]:
        return self.simulate(natural(self.bounds, dict(parameter)))


class _Distance:
    """A picklable pyabc distance: the problem's distance of the simulated statistics (the
    targets are in the problem, not in pyabc's observed data)."""

    def __init__(self, distance: Callable[[dict[str, float]], float]) -> None:
        self.distance = distance

    def __call__(self, x: dict, x0: dict) -> float:
        return float(self.distance(x))


# ----------------------------------------------------------------------------- urbsim itself
def urbsim_problem(cal: Calibration, households: int, seeds: tuple[int, ...],
                   threads: int = 0) -> Problem:
    """The calibration's fit as an ABC problem: its free parameters and bounds, its runs at
    ``households`` over ``seeds`` (in the calling process, with ``threads`` numba threads; 0:
    numba's default), the fit's loss as the distance. Several worker processes want one
    thread each: with numba's default every worker runs a thread per core, and two workers on
    two cores took twice as long per simulation."""
    return Problem(dict(cal.config.parameters),
                   functools.partial(_simulate, str(cal.path), households, seeds, threads),
                   functools.partial(_distance, str(cal.path)))


@functools.cache
def _calibration(path: str) -> Calibration:
    from urbsim.calibration.config import load

    return load(path)


def _simulate(path: str, households: int, seeds: tuple[int, ...], threads: int,
              values: dict[str, float]) -> dict[str, float]:
    """The mean statistic of each target over ``seeds`` (NaN where undefined)."""
    from urbsim.calibration.fitting import evaluate

    if threads:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    cal = _calibration(path)
    stats = evaluate(cal, values | {"households": households}, seeds, _Inline())
    with np.errstate(invalid="ignore"):
        return {k: float(np.mean(v)) for k, v in stats.items()}


def _distance(path: str, stats: dict[str, float]) -> float:
    from urbsim.calibration.fitting import loss

    return float(np.sqrt(loss(_calibration(path), {k: np.asarray([v]) for k, v in
                                                   stats.items()})))


class _Inline:
    """A pool that runs each job where it is submitted (inside a pyabc worker)."""

    def submit(self, fn, *args):
        result = fn(*args)
        return _Done(result)


@dataclass(frozen=True)
class _Done:
    value: object

    def result(self) -> object:
        return self.value


def database(cal: Calibration) -> Path:
    """The run's database: ``abc.storage`` with a hash of what defines the run (the fit's
    digest, ABC's size, seeds and population) in its name, so that a changed calibration
    starts a new run instead of resuming a stale one."""
    import hashlib

    a = cal.config.abc
    key = f"{cal.digest}:{a.households}:{a.seed_list}:{a.population}:{SPACE}"
    path = cal.file(a.storage)
    return path.with_name(f"{path.stem}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
                          f"{path.suffix}")


# ----------------------------------------------------------------------------- results
def write(cal: Calibration, post: Posterior, rows: list | None = None) -> tuple[Path, Path]:
    """The posterior as a table (particles with their weights; ``abc.posterior``) and its
    provenance beside it (``.json``: the config's digest, commit, settings, epsilon, effective
    sample size, and the predictive check's ``rows`` where given); both atomically."""
    import datetime as _dt
    import json

    from urbsim.common.files import atomic, write_text
    from urbsim.engine.recorder import git_commit

    a = cal.config.abc
    table = cal.file(a.posterior)
    with atomic(table, ".csv") as tmp:
        post.particles.assign(weight=post.weights).to_csv(tmp, index=False)
    record = {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(), "config_digest": cal.digest,
        "method": "ABC-SMC (pyabc), distance sqrt(fit loss)",
        "settings": a.model_dump(), "particles": len(post.particles),
        "generations": post.generations, "simulations": post.simulations,
        "epsilon": post.epsilon, "ess": post.ess, "mean": post.mean(),
        "predictive": None if rows is None else [
            {"target": r.name, "mean": r.mean, "low": r.low, "high": r.high,
             "published": r.target, "tolerance": r.tolerance, "required": r.required,
             "verdict": r.verdict} for r in rows]}
    meta = table.with_suffix(".json")
    write_text(meta, json.dumps(record, indent=1, default=float) + "\n")
    return table, meta


def predictive(cal: Calibration, post: Posterior, workers: int = 2) -> list:
    """The posterior predictive check: ``abc.predictive_draws`` draws of the posterior, each
    run over the check's seeds (which neither the fit nor ABC saw) at ABC's size; per target
    the mean, the 5-95 % range over draws and seeds, and the verdict against its tolerance
    (:class:`urbsim.calibration.assessment.Row`)."""
    from urbsim.calibration.assessment import Row
    from urbsim.engine.runner import worker_pool

    a, c = cal.config.abc, cal.config.check
    seeds = c.seed_list
    draws = post.draws(a.predictive_draws, seed=a.seed)
    stats: dict[str, list[float]] = {k: [] for k in cal.targets.targets}
    with worker_pool(workers) as pool:
        futures = [pool.submit(_simulate, str(cal.path), a.households, (s,), 0, dict(row))
                   for _, row in draws.iterrows() for s in seeds]
        for f in futures:
            for k, v in f.result().items():
                stats[k].append(v)
    rows = []
    for k, t in cal.targets.targets.items():
        x = np.asarray(stats[k], float)
        ok = x[np.isfinite(x)]
        low, high = np.quantile(ok, [0.05, 0.95]) if len(ok) else (np.nan, np.nan)
        rows.append(Row(k, t.statistic, float(ok.mean()) if len(ok) else np.nan, float(low),
                        float(high), t.target(cal.config.city), t.tolerance, t.unit, t.source,
                        t.uncertain, t.required, t.input))
    return rows


def report(cal: Calibration, post: Posterior, rows: list, path: Path) -> None:
    """An HTML page: each parameter's marginal posterior against its prior range, the
    pairwise scatter of the particles (colour: weight), and the predictive check."""
    import holoviews as hv
    import panel as pn
    from bokeh.resources import INLINE

    from urbsim.common.files import atomic

    hv.extension("bokeh", logo=False)
    frame = post.particles.assign(weight=post.weights)
    names = list(post.particles.columns)
    marginals = []
    for k in names:
        b = cal.config.parameters[k]
        edges = np.geomspace(b.low, b.high, 31) if b.log else np.linspace(b.low, b.high, 31)
        density, _ = np.histogram(frame[k], bins=edges, weights=frame.weight, density=True)
        marginals.append(hv.Histogram((edges, density), kdims=[k],
                                      vdims=["posterior density"]).opts(
            width=300, height=220, logx=b.log, title=k))
    pairs = [hv.Points(frame, [a, b], "weight").opts(color="weight", cmap="viridis", size=4,
                                                     width=260, height=240, tools=["hover"])
             for i, a in enumerate(names) for b in names[i + 1:]]
    lines = ["| target | predictive mean | 5-95 % | published ± tolerance | verdict |",
             "|---|---|---|---|---|"]
    lines += [f"| {r.name} | {r.mean:.4g} | {r.low:.4g} to {r.high:.4g} | {r.target:.4g} ± "
              f"{r.tolerance:.4g} | {r.verdict} |" for r in rows]
    head = (f"# Posterior · {len(frame)} particles · generation {post.generations} · epsilon "
            f"{post.epsilon:.3g} · effective sample size {post.ess:.0f} · {post.simulations:,} "
            "simulations\n\n## Posterior predictive check (held-out seeds)\n\n" + "\n".join(lines))
    page = pn.Column(pn.pane.Markdown(head), pn.pane.Markdown("## Marginals"),
                     pn.pane.HoloViews(hv.Layout(marginals).cols(4)),
                     pn.pane.Markdown("## Pairs"),
                     pn.pane.HoloViews(hv.Layout(pairs).cols(4) if pairs else hv.Div("")))
    with atomic(path, ".html") as tmp:
        page.save(tmp, resources=INLINE, title="urbsim posterior")
