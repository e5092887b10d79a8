"""Calibration targets: published figures and the model statistics they are compared with.

A targets file (``calibration/targets.toml``) lists targets by name, each with a value (or one
value per reference city), a tolerance, a unit, a source and the statistic of
:data:`STATISTICS` it is compared with, computed on runs of one scenario. A statistic maps the
:class:`Runs` of a scenario (dimension ``seed``) to one value per seed.
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, model_validator

from urbsim.analysis.summary import FLOWS, LOW_STATUS, NEEDS, indicators, window
from urbsim.common import schema
from urbsim.common.errors import InputError

LEADING = ("KET", "LIB", "PER")
"""The leading milieus (vhw 2011) in the skew of open formats."""


class Runs:
    """The runs of one scenario, seed first: the recorded variables the statistics read (numpy
    arrays, seed x step x the variable's own dims), their indicators per step
    (:func:`~urbsim.analysis.summary.indicators`) and per run, each computed once for all the
    statistics that read them. A calibration computes two dozen statistics per simulation:
    on xarray objects their overhead took a quarter of an ABC simulation's time.

    Args:
        runs: the runs as one dataset (with a ``seed`` dimension, or one run without) or as
            one dataset per seed (as the runs come back; they are not concatenated).
    """

    def __init__(self, runs: xr.Dataset | Sequence[xr.Dataset]) -> None:
        first = runs if isinstance(runs, xr.Dataset) else runs[0]
        self.milieus: list[str] = [str(m) for m in first.milieu.values]
        self.formats: list[str] = [str(f) for f in first.format.values]
        self.segments = first.segment.values
        self.params: dict = json.loads(first.attrs["params"])["params"]
        self.steps: np.ndarray = first.step.values
        """The recorded steps."""
        self._runs = runs
        self._arrays: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        """Recorded variable ``name``, seed x step x its own dims."""
        if name not in self._arrays:
            runs = self._runs
            if isinstance(runs, xr.Dataset):
                ds = runs if "seed" in runs.dims else runs.expand_dims("seed")
                self._arrays[name] = ds[name].transpose("seed", "step", ...).values
            else:
                self._arrays[name] = np.stack([d[name].values for d in runs])
        return self._arrays[name]

    @functools.cached_property
    def series(self) -> dict[str, np.ndarray]:
        """The indicators per step (seed x step) of
        :func:`~urbsim.analysis.summary.indicators`."""
        return indicators({k: self[k] for k in NEEDS}, self.milieus, self.segments,
                          self.formats)

    def headline(self, name: str, last: int = 10) -> np.ndarray:
        """Indicator ``name`` per seed as :func:`~urbsim.analysis.summary.headline` gives it:
        a flow averaged over the steps of the last ``last`` years (step 0 and steps where it
        is undefined left out), a state at the end."""
        v = self.series[name]
        if name not in FLOWS:
            return v[:, -1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a flow undefined in the window
            return np.nanmean(v[:, window(self.steps, last)], axis=1)

    def at(self, name: str, position: int) -> np.ndarray:
        """Indicator ``name`` per seed at the recorded step of index ``position``."""
        return self.series[name][:, position]

    def format(self, name: str, fmt: str) -> np.ndarray:
        """Tally ``name`` (``participants`` or ``reached``) of format ``fmt``: seed x step x
        neighbourhood x milieu."""
        return self[name][:, :, self.formats.index(fmt)]

    @functools.cached_property
    def taken(self) -> dict[str, np.ndarray]:
        """Participants and reached households over all steps and neighbourhoods (seed x
        format x milieu; integer counts, so any order of summing gives the same rates)."""
        return {k: self[k].sum((1, 3)) for k in ("participants", "reached")}


def _nan_unless_positive(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, np.nan)


def _rate(r: Runs, fmt: str, milieus: tuple[str, ...] | None = None) -> np.ndarray:
    """Participants per 100 households reached in format ``fmt`` over the whole run (of
    ``milieus`` only, if given)."""
    f = r.formats.index(fmt)
    cols = slice(None) if milieus is None else [r.milieus.index(m) for m in milieus]
    p, q = (r.taken[k][:, f, cols].sum(-1) for k in ("participants", "reached"))
    return p / _nan_unless_positive(q) * 100


def _spread(r: Runs, fmt: str = "election") -> np.ndarray:
    p = r.format("participants", fmt).sum(-1)  # seed x step x neighbourhood
    q = r.format("reached", fmt).sum(-1)
    t = p / _nan_unless_positive(q) * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # steps without the format
        gap = np.nanmax(t, -1) - np.nanmin(t, -1)
        return np.nanmean(np.where(q.sum(-1) > 0, gap, np.nan), axis=1)


def _shares(r: Runs) -> np.ndarray:
    from urbsim.inputs.milieus import load

    counts = r["households"][:, 0].sum(1)  # seed x milieu
    share = counts / counts.sum(-1, keepdims=True)
    return np.abs(share - load(r.params["milieus"]).share).max(-1) * 100


def _reach_open(r: Runs) -> np.ndarray:
    held = r.format("reached", "open").sum((-2, -1)) > 0
    per_year = (r.format("participants", "open").sum((-2, -1))
                / r["households"].sum((-2, -1)) * 100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # no open format at all
        return np.nanmean(np.where(held, per_year, np.nan), axis=1)


DECADE = 10
"""Years over which rent trends are compared with their sources (a decade each)."""


def _decade(r: Runs) -> int:
    """The index of step ten, or of the last step of a shorter run."""
    return min(DECADE, len(r.steps) - 1)


def _growth(r: Runs, level: np.ndarray) -> np.ndarray:
    """Mean yearly growth (%) of a level (seed x step) over the first :data:`DECADE` years
    (all of a shorter run)."""
    years = _decade(r)
    return ((level[:, years] / level[:, 0]) ** (1 / years) - 1) * 100


def tenant_rent(r: Runs) -> np.ndarray:
    """Mean contract rent of all tenant households per step (social housing included, as in
    the consumer-price index for net rents)."""
    n = r["tenants"]
    return (np.nan_to_num(r["contract_rent"], nan=0.0) * n).sum((-2, -1)) / n.sum((-2, -1))


STATISTICS: dict[str, tuple[str, Callable[..., np.ndarray]]] = {
    "milieu_share_error": ("largest deviation of a milieu's share at the start from the milieu "
                           "set's share (percentage points)", _shares),
    "moves": ("moves within the city per year, % of households (last 10 years)",
              lambda r: r.headline("moves")),
    "tenant_changes": ("new tenancies (moves into let dwellings from within the city or from "
                       "outside) per year, % of tenant households (last 10 years): Techem's "
                       "count", lambda r: r.headline("tenant_changes")),
    "owner_share": ("households living in a home they own at the end (%)",
                    lambda r: r.headline("owner_share")),
    "contract_rent_growth": ("mean yearly growth of the rent all tenant households pay, over "
                             "the first ten years (%)", lambda r: _growth(r, tenant_rent(r))),
    "asking_rent_growth": ("mean yearly growth of the asking rent of private rental "
                           "dwellings, over the first ten years (%)",
                           lambda r: _growth(r, r.series["rent_private"])),
    "d_low_start": ("dissimilarity D of the low-status milieus (PRE+HKON) at the start",
                    lambda r: r.at("d_low", 0)),
    "d_low_end": ("dissimilarity D of the low-status milieus (PRE+HKON) at the end",
                  lambda r: r.at("d_low", -1)),
    "d_low_change": ("change of D of the low-status milieus (PRE+HKON) from the start to "
                     "the end", lambda r: r.at("d_low", -1) - r.at("d_low", 0)),
    "vacancy": ("vacant dwellings at the end (%)", lambda r: r.headline("vacancy")),
    "vacancy_decade": ("vacant dwellings after the first ten years (%; at the end of a shorter "
                       "run)", lambda r: r.at("vacancy", _decade(r))),
    "turnout_election": ("turnout in federal elections, all households (%)",
                         lambda r: _rate(r, "election")),
    "turnout_election_milieu": ("turnout in federal elections of milieu ARG (%)",
                                lambda r, code: _rate(r, "election", (code,))),
    "turnout_spread": ("federal election turnout of the highest minus the lowest "
                       "neighbourhood (percentage points, mean over elections)",
                       _spread),
    "turnout_gap_status": ("federal election turnout of the leading milieus (KET, LIB, PER) "
                           "minus that of the low-status milieus (PRE, HKON), percentage points",
                           lambda r: _rate(r, "election", LEADING)
                           - _rate(r, "election", LOW_STATUS)),
    "turnout_municipal": ("turnout in municipal (council) elections, all households (%)",
                          lambda r: _rate(r, "municipal")),
    "turnout_spread_municipal": ("municipal election turnout of the highest minus the lowest "
                                 "neighbourhood (percentage points, mean over elections)",
                                 lambda r: _spread(r, "municipal")),
    "continuous_reach": ("residents in scope of a continuous format taking part in a year (%)",
                         lambda r: _rate(r, "continuous")),
    "panel_acceptance": ("share of invited households accepting a random-selection panel (%)",
                         lambda r: _rate(r, "panel")),
    "panel_acceptance_low_ratio": (
        "panel acceptance of the low-status milieus (PRE+HKON) / acceptance of all",
        lambda r: _rate(r, "panel", LOW_STATUS) / _rate(r, "panel")),
    "open_reach": ("households taking part in open formats per year (% of all households)",
                   _reach_open),
    "open_skew": ("participation rate in open formats of the leading milieus (KET, LIB, PER) / "
                  "of the low-status milieus (PRE, HKON)",
                  lambda r: _rate(r, "open", LEADING) / _rate(r, "open", LOW_STATUS)),
}
"""Model statistics by name: (description, function of the :class:`Runs` of a scenario).
``turnout_election_milieu:KET`` passes ``KET`` as ARG."""


class Target(BaseModel):
    """One published figure and the model statistic compared with it."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    statistic: str = Field(description="name in urbsim.calibration.targets.STATISTICS, `name:ARG` for "
                                       "per-milieu statistics")
    value: float | None = Field(None, description="the published value")
    values: dict[str, float] = Field(default_factory=dict,
                                     description="published values by reference city")
    tolerance: float = Field(gt=0, description="largest acceptable |model - value|")
    unit: str = Field(description="unit of value and tolerance")
    source: str = Field(min_length=1, description="citation, or `assumption: ...`")
    uncertain: str = Field("", description="why the figure is uncertain (empty: it is not)")
    scenario: str = Field("baseline", description="scenario whose runs give the statistic")
    weight: float = Field(1.0, ge=0, description="weight in the calibration loss")
    required: bool = Field(True, description="false: a known gap of the model, fitted and shown "
                                             "but not required to pass (`uncertain` says why)")
    input: bool = Field(False, description="true: the figure is also an input of the model (or "
                                           "computed from one); the check shows that the model "
                                           "reproduces it, which validates nothing")

    @model_validator(mode="after")
    def _check(self) -> Target:
        name = self.statistic.split(":")[0]
        if name not in STATISTICS:
            raise ValueError(f"unknown statistic {name!r}; known: {', '.join(STATISTICS)}")
        if (self.value is None) == (not self.values):
            raise ValueError("give either `value` or `values` (by city)")
        return self

    def target(self, city: str) -> float:
        """The value for the reference ``city`` (for targets given by city)."""
        if self.value is not None:
            return self.value
        if city not in self.values:
            raise KeyError(city)
        return self.values[city]

    def compute(self, runs: Runs | xr.Dataset) -> np.ndarray:
        """The statistic, one value per seed."""
        r = runs if isinstance(runs, Runs) else Runs(runs)
        name, _, arg = self.statistic.partition(":")
        fn = STATISTICS[name][1]
        if arg and arg not in r.milieus:
            raise InputError(f"unknown milieu {arg!r}; known: {', '.join(r.milieus)}",
                             None, "statistic")
        return np.asarray(fn(r, arg) if arg else fn(r), dtype=float).reshape(-1)


class Targets(BaseModel):
    """A targets file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cities: tuple[str, ...] = Field(description="reference cities for targets given by city")
    targets: dict[str, Target] = Field(description="targets by name")


def load(path: str | Path) -> Targets:
    """Read and validate a targets file (errors name the file and the dotted key)."""
    return schema.load(Targets, Path(path), "targets TOML file")
