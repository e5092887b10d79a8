"""Headline indicators of runs: per step (:func:`series`) and as one figure per run
(:func:`headline`), for tables, comparisons, plots and tests.

Both work on a dataset of one run or of many (a ``seed`` dimension, or any other). Flows
(moves, migration, turnout, representation) are averaged over the last ``last`` steps of a run;
states (vacancy, rents, segregation) are taken at its end.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

LOW_STATUS = ("PRE", "HKON")
"""Milieus used as the proxy for low-status households (SGB-II recipients) in ``d_low``."""

LABELS = {
    "moves": "moves per year (% of households)",
    "displaced": "displaced per year (% of households)",
    "in_migrants": "in-migrants per year",
    "out_migrants": "out-migrants per year",
    "vacancy": "vacancy (%)",
    "rent_private": "mean private rent (EUR/month)",
    "multigroup_dissimilarity": "multigroup dissimilarity",
    "theil_h": "Theil H",
    "d_low": "D low-status (PRE+HKON)",
    "turnout_election": "turnout election (%)",
    "turnout_open": "turnout open formats (%)",
    "turnout_panel": "panel acceptance (%)",
    "turnout_continuous": "turnout continuous formats (%)",
    "representation_gap": "representation gap (0..1)",
}
"""Plain-language label of each indicator of :func:`series`."""

FLOWS = {"moves", "displaced", "in_migrants", "out_migrants", "turnout_election", "turnout_open",
         "turnout_panel", "turnout_continuous", "representation_gap"}
"""Indicators averaged over the last steps; all others are read at the end."""


def series(ds: xr.Dataset) -> xr.Dataset:
    """Headline indicators per step (NaN where undefined, e.g. turnout without an event)."""
    pop = ds.households.sum(("neighbourhood", "milieu"))
    by_format = ds.reached.sum(("neighbourhood", "milieu"))
    turnout = ds.participants.sum(("neighbourhood", "milieu")) / by_format.where(by_format > 0) * 100
    private = (ds.rent * ds.dwellings).sel(segment="private").sum("neighbourhood")
    out = xr.Dataset({
        "moves": ds.moves.sum("milieu") / pop * 100,
        "displaced": ds.displaced.sum("milieu") / pop * 100,
        "in_migrants": ds.in_migrants.sum("milieu"),
        "out_migrants": ds.out_migrants.sum("milieu"),
        "vacancy": ds.vacant.sum(("neighbourhood", "segment"))
        / ds.dwellings.sum(("neighbourhood", "segment")) * 100,
        "rent_private": private / ds.dwellings.sel(segment="private").sum("neighbourhood"),
        "multigroup_dissimilarity": ds.multigroup_dissimilarity,
        "theil_h": ds.theil_h,
        "d_low": _d_low(ds),
        **{f"turnout_{f}": turnout.sel(format=f, drop=True) for f in ds.format.values},
        "representation_gap": ds.representation_gap,
    })
    for k, v in out.items():
        v.attrs["long_name"] = LABELS[k]
    return out


def headline(ds: xr.Dataset, last: int = 10) -> xr.Dataset:
    """One value per run and indicator: flows averaged over the last ``last`` steps (skipping
    steps where they are undefined), states at the end. Indicators undefined in every run
    (e.g. a format that never took place) are dropped."""
    s = series(ds)
    window = s.isel(step=slice(max(1, s.sizes["step"] - last), None))
    out = xr.Dataset({k: window[k].mean("step") if k in FLOWS else s[k].isel(step=-1, drop=True)
                      for k in s.data_vars})
    out = out.drop_vars([k for k in out.data_vars if bool(out[k].isnull().all())])
    for k, v in out.items():
        v.attrs["long_name"] = LABELS[k]
    return out


def _d_low(ds: xr.Dataset) -> xr.DataArray:
    from urbsim.indicators import dissimilarity

    low = ds.milieu.isin(list(LOW_STATUS))
    if not bool(low.any()):
        return xr.full_like(ds.theil_h, np.nan)
    counts = ds.households
    two = xr.concat([counts.where(low).sum("milieu"), counts.where(~low).sum("milieu")],
                    dim="group")
    return xr.apply_ufunc(lambda c: dissimilarity(c)[0], two,
                          input_core_dims=[["neighbourhood", "group"]], vectorize=True)


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
    digits = min(6, max(0, 2 - int(np.floor(np.log10(ref)))))
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"
