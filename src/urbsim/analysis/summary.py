"""Headline indicators of runs: per step (:func:`series`) and as one figure per run
(:func:`headline`), for tables, comparisons, plots and tests.

Both work on a dataset of one run or of many (a ``seed`` dimension, or any other). Flows
(moves, migration, turnout, representation) are averaged over the last ``last`` steps of a run;
states (vacancy, rents, segregation) are taken at its end.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import xarray as xr

from urbsim.common.stats import half_width
from urbsim.inputs.params import FORMATS

LOW_STATUS = ("PRE", "HKON")
"""Milieus used as the proxy for low-status households (SGB-II recipients) in ``d_low``."""

LABELS = {
    "moves": "moves per year (% of households)",
    "displaced": "displaced per year (% of households)",
    "in_migrants": "in-migrants per year",
    "out_migrants": "out-migrants per year",
    "vacancy": "vacancy (%)",
    "rent_private": "asking rent, private rentals (EUR/month)",
    "contract_rent": "rent paid by private tenants (EUR/month)",
    "owner_share": "owner-occupiers (% of households)",
    "tenant_changes": "new tenancies per year (% of tenant households)",
    "multigroup_dissimilarity": "multigroup dissimilarity",
    "theil_h": "Theil H",
    "d_low": "D low-status (PRE+HKON)",
    "turnout_election": "turnout federal elections (%)",
    "turnout_municipal": "turnout municipal elections (%)",
    "turnout_open": "turnout open formats (%)",
    "turnout_panel": "panel acceptance (%)",
    "turnout_continuous": "turnout continuous formats (%)",
    "representation_gap_election": "representation gap, federal elections (0..1)",
    "representation_gap_municipal": "representation gap, municipal elections (0..1)",
    "representation_gap_open": "representation gap, open formats (0..1)",
    "representation_gap_panel": "representation gap, random-selection panels (0..1)",
    "representation_gap_continuous": "representation gap, continuous formats (0..1)",
    "representation_gap": "representation gap, all formats and elections together (0..1)",
}
"""Plain-language label of each indicator of :func:`series`. A format's representation gap
compares who took part with who was reached (in scope, or invited to a panel): half the sum
over milieus of the difference of their shares (0: a mirror, 1: disjoint)."""

_PERCENT, _SHARE, _AMOUNT = (0.0, 100.0), (0.0, 1.0), (0.0, np.inf)
BOUNDS = {
    **dict.fromkeys(("moves", "displaced", "vacancy", "owner_share", "tenant_changes",
                     *(f"turnout_{f}" for f in FORMATS)), _PERCENT),
    **dict.fromkeys(("multigroup_dissimilarity", "theil_h", "d_low", "representation_gap",
                     *(f"representation_gap_{f}" for f in FORMATS)), _SHARE),
    **dict.fromkeys(("in_migrants", "out_migrants", "rent_private", "contract_rent"), _AMOUNT),
}
"""The possible range of each indicator: percentages 0..100, indices and shares 0..1, counts
and rents at least 0."""

FLOWS = {"moves", "displaced", "in_migrants", "out_migrants", "tenant_changes",
         "representation_gap", *(f"{k}_{f}" for f in FORMATS
                                 for k in ("turnout", "representation_gap"))}
"""Indicators averaged over the last steps; all others are read at the end."""


def series(ds: xr.Dataset) -> xr.Dataset:
    """Headline indicators per step (NaN where undefined, e.g. turnout without an event)."""
    lead = [d for d in ds.households.dims if d not in ("neighbourhood", "milieu")]
    arrays = {k: ds[k].transpose(*lead, *(d for d in ds[k].dims if d not in lead)).values
              for k in NEEDS}
    values = indicators(arrays, ds.milieu.values, ds.segment.values, ds.format.values)
    coords = {k: c for k, c in ds.coords.items() if set(c.dims) <= set(lead)}
    return xr.Dataset({k: xr.DataArray(v, dims=lead, attrs={"long_name": LABELS[k]})
                       for k, v in values.items()}, coords=coords)


NEEDS = ("households", "reached", "participants", "dwellings", "vacant", "rent", "moves",
         "displaced", "in_migrants", "out_migrants", "multigroup_dissimilarity", "theil_h",
         "turnout", "representation_gap", "owners", "tenants", "contract_rent", "tenancies")
"""The recorded variables :func:`indicators` reads."""


def indicators(a: dict[str, np.ndarray], milieus, segments, formats) -> dict[str, np.ndarray]:
    """The numpy core of :func:`series`: recorded variables (:data:`NEEDS`) with any leading
    dims (``step``, and for many runs ``seed`` and others) before their own, as a model's
    recorder holds them; cheap enough to run once per run of a sweep."""
    with np.errstate(invalid="ignore", divide="ignore"):
        hh = a["households"]
        pop = hh.sum((-2, -1))
        # per format as recorded (participants against reached); all formats together from
        # the tallies summed over formats and neighbourhoods
        turnout, gap = a["turnout"] * 100, a["representation_gap"]
        private = list(segments).index("private")
        dwellings = a["dwellings"]
        low = np.isin(milieus, LOW_STATUS)
        tenants = a["tenants"][..., private]
        renting = pop - a["owners"].sum((-2, -1))
        return {
            "moves": a["moves"].sum(-1) / pop * 100,
            "displaced": a["displaced"].sum(-1) / pop * 100,
            "in_migrants": a["in_migrants"].sum(-1),
            "out_migrants": a["out_migrants"].sum(-1),
            "vacancy": a["vacant"].sum((-2, -1)) / dwellings.sum((-2, -1)) * 100,
            "rent_private": (a["rent"] * dwellings)[..., private].sum(-1)
            / dwellings[..., private].sum(-1),
            "contract_rent": np.nansum(a["contract_rent"][..., private] * tenants, -1)
            / tenants.sum(-1),
            "owner_share": a["owners"].sum((-2, -1)) / pop * 100,
            "tenant_changes": a["tenancies"].sum(-1) / np.where(renting > 0, renting, np.nan)
            * 100,
            "multigroup_dissimilarity": a["multigroup_dissimilarity"],
            "theil_h": a["theil_h"],
            "d_low": _d_two(hh[..., low].sum(-1), hh[..., ~low].sum(-1)) if low.any()
            else np.full(pop.shape, np.nan),
            **{f"turnout_{f}": turnout[..., i] for i, f in enumerate(formats)},
            **{f"representation_gap_{f}": gap[..., i] for i, f in enumerate(formats)},
            "representation_gap": _d_two(a["participants"].sum((-3, -2)),
                                         a["reached"].sum((-3, -2))),
        }


def headline(ds: xr.Dataset, last: int = 10) -> xr.Dataset:
    """One value per run and indicator: flows averaged over the recorded steps of the last
    ``last`` years (skipping steps where they are undefined, and step 0), states at the end.
    Indicators undefined in every run (e.g. a format that never took place) are dropped."""
    return reduce(series(ds), last)


def window(step: np.ndarray, last: int = 10) -> np.ndarray:
    """Which recorded steps a flow is averaged over: those of the last ``last`` years, without
    step 0 (the one rule behind :func:`reduce` and the calibration targets)."""
    return (step > step[-1] - last) & (step > 0)


def reduce(s: xr.Dataset, last: int = 10) -> xr.Dataset:
    """:func:`headline` from indicators per step (the output of :func:`series`, or any subset
    of it, e.g. as kept by an experiment)."""
    kept = s.isel(step=np.flatnonzero(window(s.step.values, last)))
    out = xr.Dataset({k: kept[k].mean("step") if k in FLOWS else s[k].isel(step=-1, drop=True)
                      for k in s.data_vars})
    out = out.drop_vars([k for k in out.data_vars if bool(out[k].isnull().all())])
    for k, v in out.items():
        v.attrs["long_name"] = LABELS.get(str(k), k)  # data variables are named by str
    return out


class Interval(NamedTuple):
    """An indicator's mean over seeds and its 95 % t-interval (NaN bounds with one seed)."""

    label: str
    mean: float
    low: float
    high: float
    outside: bool
    """Whether the interval leaves the indicator's possible range (:data:`BOUNDS`): too few
    seeds for a t-interval there (shown as computed, never clipped)."""


def intervals(ds: xr.Dataset, last: int = 10) -> list[Interval]:
    """The :class:`Interval` of each headline indicator of runs along ``seed``."""
    n = ds.sizes["seed"]
    rows = []
    for k, v in headline(ds, last).data_vars.items():
        mean = float(v.mean())
        half = float(half_width(v.std(ddof=1), n)) if n > 1 else np.nan
        lo, hi = BOUNDS[str(k)]
        rows.append(Interval(v.attrs["long_name"], mean, mean - half, mean + half,
                             bool(mean - half < lo or mean + half > hi)))
    return rows


def describe(ds: xr.Dataset) -> str:
    """One line on runs along ``seed``: households, neighbourhoods, years and seeds."""
    s = ds.seed.values
    seeds = f"seed {s[0]}" if len(s) == 1 else f"{len(s)} seeds ({s[0]}..{s[-1]})"
    first = int(ds.step[0])  # 0 unless only the final step is recorded
    return (f"{int(ds.households.isel(step=0, seed=0).sum()):,} households"
            f"{f' in year {first}' if first else ''} · "
            f"{ds.sizes['neighbourhood']} neighbourhoods · {int(ds.step[-1])} years · {seeds}")


def _d_two(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dissimilarity of two groups with counts by neighbourhood on the last axis (or of two
    distributions over milieus: the representation gap)."""
    return 0.5 * np.abs(a / a.sum(-1, keepdims=True) - b / b.sum(-1, keepdims=True)).sum(-1)


def fmt(x: float, sign: bool = False, scale: float | None = None) -> str:
    """A number for a table: thousands separators from 100, else three significant digits
    (of ``scale`` if given, so that numbers shown together share their decimals)."""
    if not np.isfinite(x):
        return "n/a"
    ref = abs(x) if scale is None else abs(scale)
    if ref >= 100:
        return f"{x:+,.0f}" if sign else f"{x:,.0f}"
    if ref == 0:
        return "0"
    digits = min(6, max(0, 2 - math.floor(math.log10(ref))))
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"
