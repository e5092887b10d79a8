"""The experiment file schema (``experiments/*.toml``): scenarios × parameter design × seeds.

Every parameter of a design is a dotted scenario key (``moving.mobility_scale``,
``events.panel.invite_share``) with a distribution. All distributions are bounded, so that
every point of the unit hypercube (Morris levels include its corners) maps to a finite value:
``uniform`` and ``loguniform`` between ``low`` and ``high``, ``normal`` truncated to
``[low, high]``, ``triangular`` with its ``mode``. A grid takes explicit ``values`` or
``levels`` evenly spaced points between ``low`` and ``high``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from urbsim.analysis.summary import LABELS
from urbsim.common.recording import Checked
from urbsim.common.schema import Name
from urbsim.engine.recorder import VARIABLES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Parameter(_Strict):
    """One varied parameter: a distribution (samplers) or values (grid)."""

    dist: Literal["uniform", "loguniform", "normal", "triangular"] = Field(
        "uniform", description="distribution for lhs, sobol and morris designs")
    low: float | None = Field(None, description="lower bound")
    high: float | None = Field(None, description="upper bound")
    mean: float | None = Field(None, description="mean of a normal distribution")
    sd: float | None = Field(None, gt=0, description="standard deviation of a normal distribution")
    mode: float | None = Field(None, description="mode of a triangular distribution")
    values: tuple[float, ...] | None = Field(None, min_length=1, max_length=1000,
                                             description="grid: the values to run")
    levels: int | None = Field(None, ge=2, le=1000,
                               description="grid: this many evenly spaced values from low to high")
    integer: bool = Field(False, description="round sampled values to integers")
    label: str = Field("", max_length=200, description="plain-language name for tables and plots")

    @model_validator(mode="after")
    def _complete(self) -> Parameter:
        if self.values is not None:
            if self.levels is not None or self.low is not None or self.high is not None:
                raise ValueError("give either values or low/high, not both")
            return self
        if self.low is None or self.high is None:
            raise ValueError("expected low and high (or values, for a grid)")
        if not self.low < self.high:
            raise ValueError(f"expected low < high, got {self.low} and {self.high}")
        if self.dist == "loguniform" and self.low <= 0:
            raise ValueError("a loguniform distribution needs low > 0")
        if self.dist == "normal" and (self.mean is None or self.sd is None):
            raise ValueError("a normal distribution needs mean and sd (truncated to low..high)")
        if self.dist == "triangular" and not (self.mode is not None
                                              and self.low <= self.mode <= self.high):
            raise ValueError("a triangular distribution needs low <= mode <= high")
        return self


class Design(_Strict):
    """How the parameter space is sampled."""

    method: Literal["none", "grid", "lhs", "sobol", "morris", "posterior"] = Field(
        "none", description="none (scenarios only), grid (every combination of values), lhs "
                            "(Latin hypercube, scipy.stats.qmc), sobol (Saltelli's scheme, SALib), "
                            "morris (elementary effects, SALib) or posterior (draws of the "
                            "calibration's posterior, `file`: effects over parameters and seeds)")
    file: str | None = Field(None, description="posterior: the posterior table (urbsim "
                                               "calibrate --abc), relative to the experiment file")
    samples: int | None = Field(None, ge=1, le=1_000_000,
                                description="lhs: points; sobol: base sample N (a power of 2; "
                                            "N·(D+2) points, N·(2D+2) with second order); "
                                            "morris: trajectories (N·(D+1) points); "
                                            "posterior: draws")
    second_order: bool = Field(False, description="sobol: also second-order indices")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels (even)")


class Output(_Strict):
    """What each run keeps, per step."""

    indicators: tuple[str, ...] = Field(tuple(LABELS), description="headline indicators "
                                        "(names as in `urbsim run`'s table)")
    variables: tuple[str, ...] = Field((), description="recorded variables kept whole, e.g. "
                                       "households by neighbourhood and milieu; [\"all\"] for "
                                       "all (formerly `fields`)")
    record: Checked = Field(
        1, description="which steps each run keeps: every k-th (1: every step; step 0 and the "
                       "last always) or \"final\", the last only (indicators are computed for "
                       "kept steps only: a faster sweep)",
        json_schema_extra={"unit": "steps or \"final\""})

    @model_validator(mode="after")
    def _known(self) -> Output:
        for name, known, what in (("indicators", LABELS, "indicator"),
                                  ("variables", {**VARIABLES, "all": None}, "variable")):
            for i, v in enumerate(getattr(self, name)):
                if v not in known:
                    raise ValueError(f"output.{name}[{i}]: unknown {what} {v!r}; expected one of "
                                     f"{', '.join(known)}")
        return self

    @property
    def variable_names(self) -> tuple[str, ...]:
        """The recorded variables kept (``"all"`` spelled out)."""
        return tuple(VARIABLES) if "all" in self.variables else self.variables


ANALYSED = ("d_low", "multigroup_dissimilarity", "representation_gap")
"""The indicators ``urbsim analyze`` reports by default (those of them an experiment keeps)."""


class Analysis(_Strict):
    """Defaults of ``urbsim analyze``."""

    indicators: tuple[str, ...] = Field(ANALYSED, min_length=1,
                                        description="headline indicators analysed (default: "
                                                    "those of d_low, multigroup_dissimilarity "
                                                    "and representation_gap that are kept, else "
                                                    "every kept one; formerly `outputs`)")
    last: int = Field(10, ge=1, le=1000, description="flows are averaged over the last steps")


RENAMED = {"output.fields": "output.variables", "analysis.outputs": "analysis.indicators"}
"""Keys of experiment files that were renamed (the old names work, with a warning)."""


class Experiment(_Strict):
    """An experiment file."""

    name: Name = Field("", description="short name (default: the file name); it names the "
                                       "store")
    description: str = Field("", max_length=5000, description="the question, in a sentence")
    scenarios: tuple[str, ...] = Field(min_length=1, max_length=1000, description="scenario "
                                       "files (relative to this file) or shipped names")
    baseline: str | None = Field(None, description="the scenario others are compared with "
                                                   "(default: the first)")
    seeds: int = Field(ge=1, le=100_000, description="replications per scenario and design "
                                                     "point (common random numbers across them)")
    root_seed: int = Field(0, ge=0, le=2**63 - 1, description="root of the SeedSequence the "
                                                               "run seeds and the design come from")
    steps: int | None = Field(None, ge=1, le=1000, description="years per run (default: the "
                                                               "first scenario's)")
    households: int | None = Field(None, ge=1, le=100_000_000,
                                   description="households per run (default: each scenario's)")
    design: Design = Design()
    parameters: dict[str, Parameter] = Field(default_factory=dict,
                                             description="varied parameters by dotted key")
    output: Output = Output()
    analysis: Analysis = Analysis()

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        kept = self.output.indicators
        if "indicators" not in self.analysis.model_fields_set:  # the default: what is kept
            chosen = tuple(k for k in ANALYSED if k in kept) or kept
            if chosen:  # (frozen: set once, while validating)
                object.__setattr__(self, "analysis", self.analysis.model_copy(
                    update={"indicators": chosen}))
        for i, k in enumerate(self.analysis.indicators):
            if k not in self.output.indicators:
                raise ValueError(f"analysis.indicators[{i}]: {k!r} is not kept "
                                 "(output.indicators)")
        d = self.design
        if d.method == "none":
            if self.parameters:
                raise ValueError("design.method: varied parameters need a design (grid, lhs, sobol, morris)")
            return self
        if d.method == "posterior":
            if self.parameters:
                raise ValueError("parameters: a posterior design draws the posterior's "
                                 "parameters; give none")
            if d.file is None or d.samples is None:
                raise ValueError("design: a posterior design needs `file` and `samples`")
            return self
        if not self.parameters:
            raise ValueError(f"parameters: a {d.method} design needs parameters")
        for key, p in self.parameters.items():
            if d.method == "grid" and p.values is None and p.levels is None:
                raise ValueError(f"parameters.{key}: a grid needs values, or low, high and levels")
            if d.method != "grid" and (p.values is not None or p.levels is not None):
                raise ValueError(f"parameters.{key}: values and levels are for a grid; "
                                 f"a {d.method} design samples low..high")
        if d.method in ("lhs", "sobol", "morris") and d.samples is None:
            raise ValueError(f"design.samples: a {d.method} design needs a number of samples")
        if d.method == "sobol" and d.samples is not None and d.samples & (d.samples - 1):
            raise ValueError(f"design.samples: a Sobol design needs a power of 2, got {d.samples}")
        if d.method == "morris" and d.levels % 2:
            raise ValueError(f"design.levels: Morris needs an even number, got {d.levels}")
        return self
