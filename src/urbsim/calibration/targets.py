"""Calibration targets: published figures and the model statistics they are compared with.

A targets file (``calibration/targets.toml``) lists targets by name, each with a value (or one
value per reference city), a tolerance, a unit, a source and the statistic of
:data:`STATISTICS` it is compared with, computed on runs of one scenario. A statistic maps the
:class:`Runs` of a scenario (dimension ``seed``) to one value per seed.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, model_validator

from urbsim.analysis.summary import LOW_STATUS, reduce, series
from urbsim.common import schema
from urbsim.common.errors import InputError

LEADING = ("KET", "LIB", "PER")
"""The leading milieus (vhw 2011) in the skew of open formats."""


class Runs:
    """The runs of one scenario (a dataset along ``seed``), with their indicators per step
    (:func:`~urbsim.analysis.summary.series`) and per run (``headline``) computed once for
    all the statistics that read them: a calibration computes two dozen per simulation."""

    def __init__(self, ds: xr.Dataset) -> None:
        self.ds = ds

    @functools.cached_property
    def series(self) -> xr.Dataset:
        """:func:`~urbsim.analysis.summary.series` of the runs."""
        return series(self.ds)

    @functools.cached_property
    def headline(self) -> xr.Dataset:
        """:func:`~urbsim.analysis.summary.headline` of the runs."""
        return reduce(self.series)

    @functools.cached_property
    def taken(self) -> xr.Dataset:
        """Participants and reached households over all steps and neighbourhoods (seed x
        format x milieu; integer counts, so any order of summing gives the same rates)."""
        return self.ds[["participants", "reached"]].sum(("step", "neighbourhood"))


def _rate(r: Runs, fmt: str, milieus: tuple[str, ...] | None = None) -> xr.DataArray:
    """Participants per 100 households reached in format ``fmt`` over the whole run (of
    ``milieus`` only, if given)."""
    taken = r.taken.sel(format=fmt)
    if milieus is not None:
        taken = taken.sel(milieu=list(milieus))
    q = taken.reached.sum("milieu")
    q = q.copy(data=np.where(q.values > 0, q.values, np.nan))  # as q.where(q > 0), 20x faster
    return taken.participants.sum("milieu") / q * 100


def _spread(ds: xr.Dataset, fmt: str = "election") -> xr.DataArray:
    p = ds.participants.sel(format=fmt).sum("milieu")
    q = ds.reached.sel(format=fmt).sum("milieu")
    t = p / q.where(q > 0) * 100  # seed x step x neighbourhood
    held = ds.reached.sel(format=fmt).sum(("neighbourhood", "milieu")) > 0
    gap = (t.max("neighbourhood") - t.min("neighbourhood")).where(held)
    return gap.mean("step")


def _shares(ds: xr.Dataset) -> xr.DataArray:
    from urbsim.inputs.milieus import load

    counts = ds.households.isel(step=0).sum("neighbourhood")
    share = counts / counts.sum("milieu")
    ref = load(_params(ds)["milieus"]).share
    return abs(share - xr.DataArray(ref, dims="milieu")).max("milieu") * 100


def _params(ds: xr.Dataset) -> dict:

    return json.loads(ds.attrs["params"])["params"]


def _reach_open(ds: xr.Dataset) -> xr.DataArray:
    steps = ds.reached.sel(format="open").sum(("neighbourhood", "milieu")) > 0
    per_year = (ds.participants.sel(format="open").sum(("neighbourhood", "milieu"))
                / ds.households.sum(("neighbourhood", "milieu")) * 100)
    return per_year.where(steps).mean("step")


DECADE = 10
"""Years over which rent trends are compared with their sources (a decade each)."""


def _growth(level: xr.DataArray) -> xr.DataArray:
    """Mean yearly growth (%) of a level per step over the first :data:`DECADE` years (all
    of a shorter run)."""
    years = min(DECADE, level.sizes["step"] - 1)
    return ((level.isel(step=years) / level.isel(step=0)) ** (1 / years) - 1) * 100


def tenant_rent(ds: xr.Dataset) -> xr.DataArray:
    """Mean contract rent of all tenant households per step (social housing included, as in
    the consumer-price index for net rents)."""
    n = ds.tenants
    return (ds.contract_rent.fillna(0) * n).sum(("neighbourhood", "segment")) / n.sum(
        ("neighbourhood", "segment"))


STATISTICS: dict[str, tuple[str, Callable[..., xr.DataArray]]] = {
    "milieu_share_error": ("largest deviation of a milieu's share at the start from the milieu "
                           "set's share (percentage points)", lambda r: _shares(r.ds)),
    "moves": ("moves within the city per year, % of households (last 10 years)",
              lambda r: r.headline["moves"]),
    "tenant_changes": ("new tenancies (moves into let dwellings from within the city or from "
                       "outside) per year, % of tenant households (last 10 years): Techem's "
                       "count", lambda r: r.headline["tenant_changes"]),
    "owner_share": ("households living in a home they own at the end (%)",
                    lambda r: r.headline["owner_share"]),
    "contract_rent_growth": ("mean yearly growth of the rent all tenant households pay, over "
                             "the first ten years (%)", lambda r: _growth(tenant_rent(r.ds))),
    "asking_rent_growth": ("mean yearly growth of the asking rent of private rental "
                           "dwellings, over the first ten years (%)",
                           lambda r: _growth(r.series["rent_private"])),
    "d_low_start": ("dissimilarity D of the low-status milieus (PRE+HKON) at the start",
                    lambda r: r.series["d_low"].isel(step=0)),
    "d_low_end": ("dissimilarity D of the low-status milieus (PRE+HKON) at the end",
                  lambda r: r.series["d_low"].isel(step=-1)),
    "d_low_change": ("change of D of the low-status milieus (PRE+HKON) from the start to "
                     "the end", lambda r: r.series["d_low"].isel(step=-1)
                     - r.series["d_low"].isel(step=0)),
    "vacancy": ("vacant dwellings at the end (%)", lambda r: r.headline["vacancy"]),
    "vacancy_decade": ("vacant dwellings after the first ten years (%; at the end of a shorter "
                       "run)", lambda r: r.series["vacancy"].isel(
                           step=min(DECADE, r.series.sizes["step"] - 1))),
    "turnout_election": ("turnout in federal elections, all households (%)",
                         lambda r: _rate(r, "election")),
    "turnout_election_milieu": ("turnout in federal elections of milieu ARG (%)",
                                lambda r, code: _rate(r, "election", (code,))),
    "turnout_spread": ("federal election turnout of the highest minus the lowest "
                       "neighbourhood (percentage points, mean over elections)",
                       lambda r: _spread(r.ds)),
    "turnout_gap_status": ("federal election turnout of the leading milieus (KET, LIB, PER) "
                           "minus that of the low-status milieus (PRE, HKON), percentage points",
                           lambda r: _rate(r, "election", LEADING)
                           - _rate(r, "election", LOW_STATUS)),
    "turnout_municipal": ("turnout in municipal (council) elections, all households (%)",
                          lambda r: _rate(r, "municipal")),
    "turnout_spread_municipal": ("municipal election turnout of the highest minus the lowest "
                                 "neighbourhood (percentage points, mean over elections)",
                                 lambda r: _spread(r.ds, "municipal")),
    "continuous_reach": ("residents in scope of a continuous format taking part in a year (%)",
                         lambda r: _rate(r, "continuous")),
    "panel_acceptance": ("share of invited households accepting a random-selection panel (%)",
                         lambda r: _rate(r, "panel")),
    "panel_acceptance_low_ratio": (
        "panel acceptance of the low-status milieus (PRE+HKON) / acceptance of all",
        lambda r: _rate(r, "panel", LOW_STATUS) / _rate(r, "panel")),
    "open_reach": ("households taking part in open formats per year (% of all households)",
                   lambda r: _reach_open(r.ds)),
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
        if arg and arg not in r.ds.milieu.values:
            raise InputError(f"unknown milieu {arg!r}; known: {', '.join(r.ds.milieu.values)}",
                             None, "statistic")
        return np.asarray((fn(r, arg) if arg else fn(r)).values, dtype=float).reshape(-1)


class Targets(BaseModel):
    """A targets file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cities: tuple[str, ...] = Field(description="reference cities for targets given by city")
    targets: dict[str, Target] = Field(description="targets by name")


def load(path: str | Path) -> Targets:
    """Read and validate a targets file (errors name the file and the dotted key)."""
    return schema.load(Targets, Path(path), "targets TOML file")
