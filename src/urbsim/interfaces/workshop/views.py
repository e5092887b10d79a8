"""The workshop's figures: pure functions of finished results (:mod:`.jobs`), in the page's
language (names from :mod:`.texts`, numbers by :mod:`.plotlocale`).

Values are means over seeds; flows (turnout, participation) are summed over the last
``LAST`` years, states (shares, rents, vacancy) taken at the end, as in
:mod:`urbsim.analysis.summary`. A run of a sample of a city gives counts of the sample:
:func:`weighted` scales them up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from urbsim.analysis.compare import PLOTTED, bands
from urbsim.analysis.maps import area_map
from urbsim.analysis.summary import FLOWS
from urbsim.inputs.city import City
from urbsim.interfaces.workshop import plotlocale, texts
from urbsim.interfaces.workshop.jobs import Result

LAST = 10
"""Years over which flows are averaged."""

COUNTS = ("in_migrants", "out_migrants")
"""Indicators that count households (the others are shares, rents or indices)."""


def weighted(result: Result, weight: float) -> Result:
    """``result`` with its counts (:data:`COUNTS`) times ``weight``: a sample's, for its city."""
    if weight == 1:
        return result
    with xr.set_options(keep_attrs=True):
        series = result.series.assign({k: result.series[k] * weight for k in COUNTS
                                       if k in result.series})
    return Result(result.runs, series)


def pooled(results: list[Result]) -> Result:
    """One result of several (posterior draws): their runs one after another along ``seed``
    (relabelled 0, 1, ...), so that means over seeds are means over draws and seeds."""
    if len(results) == 1:
        return results[0]

    def cat(parts: list[xr.Dataset]) -> xr.Dataset:
        out = xr.concat(parts, dim="seed", combine_attrs="drop_conflicts")
        return out.assign_coords(seed=np.arange(out.sizes["seed"]))

    return Result(cat([r.runs for r in results]), cat([r.series for r in results]))


def map_values(result: Result, what: str, milieu: str, step: int = -1) -> np.ndarray:
    """One value per neighbourhood of ``what`` (a key of :data:`texts.MAP`) in year ``step``
    (an index of the runs' steps; flows over the ``LAST`` years up to it)."""
    ds = result.runs
    if what == "share":
        hh = ds.households.isel(step=step)
        return (hh.sel(milieu=milieu) / hh.sum("milieu") * 100).mean("seed").values
    if what == "rent":
        return ds.rent.isel(step=step).sel(segment="private").mean("seed").values
    if what == "vacancy":
        at = ds.isel(step=step)
        return (at.vacant.sum("segment") / at.dwellings.sum("segment") * 100).mean("seed").values
    fmt_ = what.removeprefix("turnout_")
    end = range(ds.sizes["step"])[step] + 1
    window = ds.isel(step=slice(max(0, end - LAST), end)).sel(format=fmt_)
    part = window.participants.sum(("step", "milieu", "seed"))
    reached = window.reached.sum(("step", "milieu", "seed"))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (part / reached.where(reached > 0) * 100).values


def _hv():
    """HoloViews with its bokeh backend loaded (options need a plotting extension)."""
    import holoviews as hv
    import holoviews.plotting.bokeh  # registers the backend

    return hv


def city_map(city: City, values: np.ndarray, label: str, title: str, lang: str,
             clim: tuple[float, float] | None = None, diverging: bool = False):
    """The city coloured by one value per neighbourhood, on its polygons where it has them,
    else on its network (:func:`urbsim.analysis.maps.area_map`): the colour bar titled
    ``label`` (the measure and its unit), the names and the value on hover, in ``lang``."""
    _hv()
    colours: dict = {"cmap": "RdBu_r" if diverging else "viridis"}
    if clim is not None:
        colours["clim"] = clim
    element = area_map(city, values, label, title=title, width=600, height=390, xaxis=None,
                       yaxis=None, clabel=label,
                       hooks=[plotlocale.hook(lang, hide=("x", "y"))], **colours)
    return element.redim.label(neighbourhood=texts.t("neighbourhood", lang),
                               district=texts.t("district", lang))


def colour_limits(frames: list[np.ndarray], diverging: bool) -> tuple[float, float] | None:
    """One colour scale for all years of a map (symmetric around 0 for changes)."""
    values = np.concatenate(frames)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return None
    if diverging:
        lim = float(np.abs(finite).max()) or 1.0
        return -lim, lim
    low, high = float(finite.min()), float(finite.max())
    return (low, high) if high > low else (low - 1, high + 1)


def series_frame(result: Result, key: str, year0: int = 0) -> pd.DataFrame:
    """``key`` per year: the mean over seeds and its 95 % band (``low``, ``high``); a flow
    (:data:`urbsim.analysis.summary.FLOWS`) has no value in the starting year and is not
    drawn there."""
    if key not in result.series:
        return pd.DataFrame(columns=["year", "value", "low", "high"])
    b = bands(result.series[[key]])
    df = pd.DataFrame({"year": b.step.values + year0, "value": b[key].values,
                       "low": b[f"{key}_low"].values, "high": b[f"{key}_high"].values})
    if key in FLOWS:
        df = df[b.step.values > 0]
    return df.dropna().reset_index(drop=True)


COLOURS = ("#1f77b4", "#d62728")
"""The compared result's colour and the shown result's."""


def series_figure(base: Result, tried: Result, key: str, lang: str, names: tuple[str, str],
                  year0: int = 0):
    """An indicator over the years in both results, each a line with its 95 % band over
    seeds; the legend outside the plot, numbers in ``lang``."""
    hv = _hv()

    label = texts.indicator(key, lang)
    year = hv.Dimension("year", label=texts.t("year", lang))
    value = hv.Dimension("value", label=label)
    who = hv.Dimension("scenario", label=texts.t("scenario", lang))
    layers = []
    for name, result, colour in zip(names, (base, tried), COLOURS, strict=True):
        df = series_frame(result, key, year0).assign(scenario=name)
        if df.empty:
            continue
        layers += [
            hv.Area(df, kdims=[year], vdims=["low", "high"], label=name).opts(
                color=colour, alpha=0.2, line_width=0),
            hv.Curve(df, kdims=[year], vdims=[value, who], label=name).opts(
                color=colour, line_width=2, tools=["hover"]),
            hv.Scatter(df, kdims=[year], vdims=[value], label=name).opts(color=colour, size=6),
        ]
    return hv.Overlay(layers).opts(
        title=label, width=640, height=330, legend_position="right", ylabel="",
        xlabel=texts.t("year", lang), hooks=[plotlocale.hook(lang, years=True)])


def plotted(base: Result, tried: Result) -> list[str]:
    """Indicators over time defined in either scenario."""
    return [k for k in PLOTTED if any(k in r.series and bool(r.series[k].notnull().any())
                                      for r in (base, tried))]


def milieu_mix(result: Result, lang: str):
    """Milieu shares per district at the end (stacked bars, the legend outside)."""
    hv = _hv()

    hh = result.runs.households.isel(step=-1).mean("seed")
    by = hh.groupby(result.runs.neighbourhood_district.rename("district")).sum("neighbourhood")
    share = by / by.sum("milieu") * 100
    df = share.to_dataframe("share").reset_index()
    dims = [hv.Dimension("district", label=texts.t("district", lang)),
            hv.Dimension("milieu", label=texts.t("milieu", lang))]
    return hv.Bars(df, kdims=dims, vdims=[hv.Dimension("share", label=texts.t("share", lang))]
                   ).opts(stacked=True, invert_axes=True, width=640, height=400,
                          legend_position="right", tools=["hover"],
                          title=texts.t("tab_mix", lang), hooks=[plotlocale.hook(lang)])


def participation_frame(result: Result, format: str, lang: str) -> pd.DataFrame:
    """Per milieu: its share of the participants and of the residents reached by ``format``
    over the last years (%)."""
    window = result.runs.isel(step=slice(-LAST, None)).sel(format=format)
    part = window.participants.sum(("step", "neighbourhood", "seed"))
    reached = window.reached.sum(("step", "neighbourhood", "seed"))
    rows = []
    for name, v in ((texts.t("participants", lang), part), (texts.t("residents", lang), reached)):
        total = float(v.sum())
        for m, x in zip(v.milieu.values, v.values, strict=True):
            rows.append({"milieu": str(m), "group": name,
                         "share": float(x) / total * 100 if total else np.nan})
    return pd.DataFrame(rows)


def participation(result: Result, format: str, lang: str):
    """Who takes part against who lives here (grouped bars by milieu, the legend outside)."""
    hv = _hv()

    df = participation_frame(result, format, lang)
    dims = [hv.Dimension("milieu", label=texts.t("milieu", lang)),
            hv.Dimension("group", label=" ")]
    return hv.Bars(df, kdims=dims, vdims=[hv.Dimension("share", label=texts.t("share", lang))]
                   ).opts(width=680, height=360, legend_position="right", tools=["hover"],
                          multi_level=False, xlabel="", color="group", cmap=list(COLOURS[::-1]),
                          title=f"{texts.pick(texts.FORMATS[format], lang)}: "
                                f"{texts.t('tab_part', lang)}", hooks=[plotlocale.hook(lang)])


def formats_held(result: Result) -> list[str]:
    """Formats that reached anybody in the last years."""
    window = result.runs.isel(step=slice(-LAST, None))
    reached = window.reached.sum(("step", "neighbourhood", "milieu", "seed"))
    return [str(f) for f, n in zip(reached.format.values, reached.values, strict=True) if n > 0]
