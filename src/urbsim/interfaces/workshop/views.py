"""The workshop's figures and tables: pure functions of finished results (:mod:`.jobs`).

Values are means over seeds; flows (turnout, participation) are summed over the last
``LAST`` years, states (shares, rents, vacancy) taken at the end, as in :mod:`urbsim.analysis.summary`.
A run of a sample of a city gives counts of the sample: :func:`weighted` scales them up.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import xarray as xr

from urbsim.analysis.compare import PLOTTED, contrast, figure, frame
from urbsim.analysis.maps import area_map
from urbsim.analysis.summary import fmt, reduce
from urbsim.inputs.city import City
from urbsim.interfaces.workshop import texts
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


def headline_rows(base: Result, tried: Result, lang: str, names=("baseline", "tried")):
    """Rows ``(indicator, baseline, tried, difference [CI], verdict)`` of the headline table."""
    rows = []
    for d in contrast(reduce(base.series, LAST), reduce(tried.series, LAST), names):
        scale = max(abs(d.base), abs(d.other)) if np.isfinite(d.base + d.other) else None
        rows.append((texts.indicator(d.indicator, lang), fmt(d.base, scale=scale),
                     fmt(d.other, scale=scale), d.interval, texts.verdict(d.verdict, lang)))
    return rows


def posterior_rows(bases: list[Result], tried: list[Result], lang: str):
    """Rows ``(indicator, baseline, tried, difference [95% over draws and seeds], draws clearly
    + / −, verdict)`` over posterior draws (:func:`urbsim.analysis.robust.robust`)."""
    from urbsim.analysis.robust import robust

    rows = []
    for r in robust([reduce(b.series, LAST) for b in bases],
                    [reduce(t.series, LAST) for t in tried]):
        scale = max(abs(r.base), abs(r.other)) if np.isfinite(r.base + r.other) else None
        rows.append((texts.indicator(r.indicator, lang), fmt(r.base, scale=scale),
                     fmt(r.other, scale=scale), r.interval, r.signs,
                     texts.verdict(r.verdict, lang)))
    return rows


def pooled(results: list[Result]) -> Result:
    """One result of several (posterior draws): their runs one after another along ``seed``
    (relabelled 0, 1, ...), so that means over seeds are means over draws and seeds."""
    if len(results) == 1:
        return results[0]

    def cat(parts: list[xr.Dataset]) -> xr.Dataset:
        out = xr.concat(parts, dim="seed", combine_attrs="drop_conflicts")
        return out.assign_coords(seed=np.arange(out.sizes["seed"]))

    return Result(cat([r.runs for r in results]), cat([r.series for r in results]))


def headline_table(rows, lang: str, names: tuple[str, str]) -> str:
    """The headline rows as an HTML table (plain text: readable in the page and the minutes);
    rows over posterior draws (:func:`posterior_rows`) have the sign shares too."""
    posterior = bool(rows) and len(rows[0]) == 6
    head = [texts.t("col_indicator", lang), *names,
            texts.t("col_diff_draws" if posterior else "col_diff", lang),
            *([texts.t("col_signs", lang)] if posterior else []), texts.t("col_verdict", lang)]
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    return (f'<table class="urbsim-headline"><thead><tr>{cells}</tr></thead>'
            f"<tbody>{body}</tbody></table>{_STYLE}")


_STYLE = """<style>
table.urbsim-headline { border-collapse: collapse; font: 14px sans-serif; }
table.urbsim-headline th, table.urbsim-headline td { padding: 3px 10px; border-bottom: 1px solid #ddd; }
table.urbsim-headline td:not(:first-child) { text-align: right; }
</style>"""


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


def city_map(city: City, frames: dict[int, np.ndarray], label: str, year: str,
             diverging: bool = False):
    """The city coloured by one value per neighbourhood in each year of ``frames`` (a slider
    named ``year``, at the last year first; one colour scale for all), on its polygons where
    it has them, else on its network (:func:`urbsim.analysis.maps.area_map`; hover: name,
    district, value)."""
    import holoviews as hv

    values = np.concatenate(list(frames.values()))
    finite = values[np.isfinite(values)]
    colours: dict = {"cmap": "RdBu_r" if diverging else "viridis"}
    if finite.size:
        lim = float(np.abs(finite).max()) or 1.0
        colours["clim"] = (-lim, lim) if diverging else (float(finite.min()), float(finite.max()))
    title = f"{label}, {{dimensions}}"  # the year, filled in by holoviews
    dim = hv.Dimension("year", label=year, values=list(frames), default=max(frames))
    return hv.DynamicMap(lambda k: area_map(city, frames[k], "value", title=title, width=640,
                                            height=520, xaxis=None, yaxis=None, **colours),
                         kdims=[dim])


def series_figure(base: Result, tried: Result, indicator: str, lang: str,
                  names: tuple[str, str]):
    """An indicator over time in both scenarios, with 95 % bands over seeds."""
    df = frame({names[0]: base.series, names[1]: tried.series})
    return figure(df, indicator, texts.indicator(indicator, lang)).opts(width=700, height=380)


def plotted(base: Result, tried: Result) -> list[str]:
    """Indicators over time defined in either scenario."""
    return [k for k in PLOTTED if any(k in r.series and bool(r.series[k].notnull().any())
                                      for r in (base, tried))]


def milieu_mix(result: Result, lang: str):
    """Milieu shares per district at the end (stacked bars)."""
    import hvplot.pandas  # noqa: F401 - registers .hvplot

    hh = result.runs.households.isel(step=-1).mean("seed")
    by = hh.groupby(result.runs.neighbourhood_district.rename("district")).sum("neighbourhood")
    share = by / by.sum("milieu") * 100
    df = share.to_dataframe("share").reset_index()
    return df.hvplot.barh(x="district", y="share", by="milieu", stacked=True, width=700,
                          height=420, legend="right", xlabel=texts.t("district", lang),
                          ylabel=texts.t("share", lang), title=texts.t("tab_mix", lang))


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
    """Who takes part against who lives here (grouped bars by milieu)."""
    import hvplot.pandas  # noqa: F401 - registers .hvplot

    df = participation_frame(result, format, lang)
    return df.hvplot.bar(x="milieu", y="share", by="group", width=760, height=380, rot=0,
                         ylabel=texts.t("share", lang), legend="top_right", xlabel="",
                         title=f"{texts.pick(texts.FORMATS[format], lang)}: "
                               f"{texts.t('tab_part', lang)}").opts(multi_level=False)


def formats_held(result: Result) -> list[str]:
    """Formats that reached anybody in the last years."""
    window = result.runs.isel(step=slice(-LAST, None))
    reached = window.reached.sum(("step", "neighbourhood", "milieu", "seed"))
    return [str(f) for f, n in zip(reached.format.values, reached.values, strict=True) if n > 0]

