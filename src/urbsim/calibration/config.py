"""A calibration config: its schema, loading and checking, and the label of every parameter.

A calibration config (``calibration/config.toml``) names the targets file, the reference city,
the runs (scenario, steps) that yield the statistics, the free parameters with bounds, the
seeds, and labels (``sourced: ...`` / ``prior: ...``) for the parameters it does not fit.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from urbsim.calibration import targets as tg
from urbsim.common import schema
from urbsim.common.errors import InputError
from urbsim.common.files import read_toml
from urbsim.inputs import consistency
from urbsim.inputs import scenario as sc
from urbsim.inputs.params import digest_dump, get, update


class Bounds(BaseModel):
    """Bounds of a free parameter."""

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
    """A run that yields statistics: a scenario and its length."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(description="scenario file (relative to the config)")
    steps: int = Field(ge=1, le=1000, description="years to simulate")


class _Seeds(BaseModel):
    """Runs over ``seeds`` consecutive seeds from ``seed`` (as ``urbsim run --seeds --seed``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seeds: int
    seed: int

    @property
    def seed_list(self) -> tuple[int, ...]:
        """The seeds run: ``seed``, ``seed + 1``, ... (``seeds`` of them)."""
        return tuple(range(self.seed, self.seed + self.seeds))


class Fit(_Seeds):
    """Settings of the fit."""

    trials: int = Field(60, ge=1, le=100_000, description="optuna trials in all")
    seeds: int = Field(2, ge=1, le=1000, description="seeds per evaluation (a count)")
    seed: int = Field(0, ge=0, description="first seed: the fit runs seed, seed + 1, ...")
    sampler_seed: int = Field(0, ge=0, description="seed of the CMA-ES sampler")
    workers: int = Field(2, ge=1, le=256, description="parallel processes")
    polish: int = Field(3, ge=0, le=100,
                        description="after the trials, rounds of stepping to the best point of "
                                    "the loss slices while one beats the optimum (a coordinate "
                                    "step; each round costs one set of slices)")


class Check(_Seeds):
    """Settings of the check (``urbsim calibrate --check``)."""

    seeds: int = Field(4, ge=2, le=1000, description="seeds of the check (a count)")
    seed: int = Field(100, ge=0, description="first seed: the check runs seed, seed + 1, ... "
                                             "(not the fit's seeds)")


class Abc(_Seeds):
    """Settings of the Bayesian calibration (``urbsim calibrate --abc``, ABC-SMC)."""

    population: int = Field(500, ge=10, le=100_000, description="particles per generation")
    generations: int = Field(8, ge=1, le=1000, description="generations in all (a resumed run "
                                                          "goes on to this many)")
    budget: int = Field(20_000, ge=10, description="simulations in all, at most")
    min_epsilon: float = Field(0.0, ge=0, description="stop once epsilon (sqrt of the fit's "
                                                      "loss) is at most this")
    alpha: float = Field(0.5, gt=0, lt=1, description="each generation's epsilon is this "
                                                      "quantile of the last one's distances "
                                                      "(pyabc's QuantileEpsilon; 0.5: the "
                                                      "median). Lower falls faster at more "
                                                      "simulations a generation; a resumed run "
                                                      "may change it")
    kernel_scale: float = Field(2.0, gt=0, le=10,
                                description="scaling of pyabc's Gaussian perturbation kernel "
                                            "(its covariance: this times the bandwidth "
                                            "rule's). Wider than pyabc's 1 keeps the weights "
                                            "even with many parameters: in a 17-parameter toy "
                                            "the effective sample size of 500 particles after "
                                            "three generations was 20 at 1 and 278 at 2, for "
                                            "a fifth more simulations "
                                            "(tests/test_abc.py)")
    households: int = Field(30_000, ge=100, le=1_000_000,
                            description="households per simulation (smaller than the fit's, to "
                                        "fit these machines)")
    seeds: int = Field(2, ge=1, le=100, description="seeds per simulation (a count)")
    seed: int = Field(0, ge=0, description="first seed of the simulations")
    workers: int = Field(2, ge=1, le=256, description="parallel processes (or a Dask cluster "
                                                      "with --scheduler)")
    storage: str = Field("abc.db", description="pyabc's SQLite database (relative): the run "
                                               "resumes from it")
    posterior: str = Field("posterior.csv", description="the particles of the last generation "
                                                        "with their weights (relative); "
                                                        "provenance beside it as .json")
    predictive_draws: int = Field(20, ge=1, le=10_000,
                                  description="posterior draws of the predictive check, each "
                                              "run over the check's seeds")


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
    priors: dict[str, Bounds] = Field(
        default_factory=dict, description="plausible ranges of priors (dotted keys) for the "
                                          "sensitivity study; the shipped value lies inside")
    fit: Fit = Fit()
    check: Check = Check()
    abc: Abc = Abc()


MISS = 10.0
"""Weight of a required target's miss in the loss (:func:`urbsim.calibration.fitting.loss`), on
top of its squared error: the fit prefers a point where every required target passes to one
that trades one away for a smaller sum."""

MARGIN = 0.2
"""Share of a required target's tolerance the fit keeps free: a miss counts from ``|z| > 1 -
MARGIN``, since the check runs seeds the fit does not see."""

LOSS = f"z^2 + {MISS} miss^2 beyond {1 - MARGIN}"
"""Names the loss in the digest: a study of another loss is not resumed."""


@dataclass
class Calibration:
    """A loaded config with its targets and resolved paths."""

    path: Path
    config: Config
    targets: tg.Targets
    scenarios: dict[str, sc.Scenario] = field(default_factory=dict)
    """The runs' scenarios, loaded and checked once (see :func:`_scenario`)."""

    def file(self, name: str) -> Path:
        """A path relative to the config's folder."""
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
            params = digest_dump(scenario(self, name).params())
            for key in c.parameters:
                *up, leaf = key.split(".")
                node = params
                for part in up:
                    node = node[part]
                node.pop(leaf, None)
            fixed[name] = {"steps": run.steps, "params": params}
        loss_terms = {k: t.model_dump(include={"statistic", "value", "values", "tolerance",
                                               "scenario", "weight", "required"})
                      for k, t in self.targets.targets.items()}
        blob = json.dumps({"parameters": c.model_dump()["parameters"], "runs": fixed,
                           "seeds": list(c.fit.seed_list), "city": c.city, "targets": loss_terms,
                           "loss": LOSS},
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def load(path: str | Path) -> Calibration:
    """Read and check a calibration config, its targets and its scenarios."""
    path = Path(path)
    data = read_toml(path, "calibration config TOML file")
    for table in ("fit", "check"):
        _seed_list(data.get(table), path, table)
    config = schema.validate(Config, data, path)
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
        scn = scenario(cal, run)
        for key in config.parameters:
            try:
                update(scn, {key: get(scn, key)})
            except KeyError:
                raise InputError("no such parameter", path, f"parameters.{key}") from None
            where = scn.stated_in(key)
            if where is not None and Path(where).resolve() != fitted:
                raise InputError(f"states a calibrated parameter, which would hide the fitted "
                                 f"value in {config.fitted}; remove it", where, key)
    base = scenario(cal, next(iter(config.runs)))
    for key, b in config.priors.items():
        if key in config.parameters:
            raise InputError("a calibrated parameter, not a prior", path, f"priors.{key}")
        try:
            value = get(base, key)
        except KeyError:
            raise InputError("no such parameter", path, f"priors.{key}") from None
        if not (isinstance(value, int | float) and b.low <= value <= b.high):
            raise InputError(f"the shipped value {value} lies outside [{b.low}, {b.high}]",
                             path, f"priors.{key}")
    return cal


def labels(cal: Calibration) -> dict[str, str]:
    """Every parameter of the baseline (dotted key) -> ``calibrated``, ``sourced: ...`` or
    ``prior: ...`` (by the longest matching prefix in the config's labels)."""
    base = scenario(cal, next(iter(cal.config.runs)))
    fitted = set(cal.config.parameters)
    out = {}
    for key in leaves(base.params().model_dump(mode="json")):
        if key in fitted or any(key.startswith(f + ".") for f in fitted):
            out[key] = "calibrated"
            continue
        parts = key.split(".")
        label = next((cal.config.labels[p] for n in range(len(parts), 0, -1)
                      if (p := ".".join(parts[:n])) in cal.config.labels), "")
        out[key] = label
    return out


def scenario(cal: Calibration, run: str) -> sc.Scenario:
    """The scenario of a run, loaded and checked on first use (not once per trial)."""
    if run not in cal.scenarios:
        scn = sc.load(sc.locate(cal.config.runs[run].scenario, cal.path.parent, cal.path,
                                f"runs.{run}.scenario"))
        consistency.check(scn, cal.config.runs[run].steps)
        cal.scenarios[run] = scn
    return cal.scenarios[run]



def leaves(data: dict, prefix: str = "") -> list[str]:
    """The dotted keys of the leaves of a nested ``data`` (empty tables count as leaves)."""
    out = []
    for k, v in data.items():
        if isinstance(v, dict) and v:
            out += leaves(v, f"{prefix}{k}.")
        else:
            out.append(f"{prefix}{k}")
    return out


def _seed_list(table: object, path: Path, name: str) -> None:
    """Turn the old form ``seeds = [100, 101, 102]`` (a list) into ``seeds = 3`` and
    ``seed = 100``, with a :class:`~urbsim.common.schema.DeprecatedKey` warning: ``seeds``
    is a count everywhere (as ``urbsim run --seeds``)."""
    if not isinstance(table, dict) or not isinstance(table.get("seeds"), list):
        return
    seeds = table["seeds"]
    start = seeds[0] if seeds and isinstance(seeds[0], int) else None
    if start is None or seeds != list(range(start, start + len(seeds))) or "seed" in table:
        raise InputError("expected a number of seeds (and the first as `seed`), got a list "
                         f"{schema.short(seeds)}", path, f"{name}.seeds")
    table["seeds"], table["seed"] = len(seeds), start
    warnings.warn(schema.DeprecatedKey(
        f"{path}: {name}.seeds: a list of seeds is deprecated; write seeds = {len(seeds)} and "
        f"seed = {start}"), stacklevel=3)
