"""The headline table: each indicator of two results, which direction is better, the effect in
plain words, whether a value is inside the city's target band; the differences with their 95 %
intervals in a details expander one click away.

Rows are computed once per result and language (:func:`rows`, :func:`posterior_rows`) and
drawn as plain HTML (:func:`html_table`): readable in the page and in the minutes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from urbsim.analysis.compare import contrast
from urbsim.analysis.summary import reduce
from urbsim.interfaces.workshop import effects, numformat, texts
from urbsim.interfaces.workshop.jobs import Result
from urbsim.interfaces.workshop.targets import BANDED, Band
from urbsim.interfaces.workshop.views import LAST


@dataclass(frozen=True)
class Row:
    """One indicator of the headline table, as shown."""

    key: str
    """The indicator (a key of :data:`urbsim.analysis.summary.LABELS`)."""
    label: str
    aim: str
    """Which direction is better, or the target band."""
    base: str
    """The compared result's value."""
    tried: str
    """The shown result's value."""
    effect: str
    """The effect in plain words."""
    interval: str
    """The difference with its 95 % interval (the details)."""
    signs: str = ""
    """Over posterior draws: the shares of draws clearly above and below zero."""
    marks: tuple[bool | None, bool | None] = (None, None)
    """Whether each value is inside its target band (``None``: no band)."""


def _first(result: Result, key: str) -> float:
    """``key`` in the run's first year (mean over seeds): where a rise is measured from."""
    if key not in result.series:
        return math.nan
    return float(result.series[key].isel(step=0).mean())


def _band(key: str, bands: Mapping[str, Band], results: tuple[Result, Result],
          values: tuple[float, float], lang: str) -> tuple[str, tuple[bool | None, bool | None]]:
    """The aim of ``key`` in words and whether each value is inside its band."""
    band = bands.get(BANDED.get(key, ""))
    if band is None or (band.low is None and band.high is None):
        return effects.aim(key, lang), (None, None)
    years = results[1].series.sizes["step"] - 1
    marks = tuple(band.inside(v, _first(r, key), years)
                  for r, v in zip(results, values, strict=True))
    return texts.t("aim_band", lang, band=band.describe(lang)), marks  # type: ignore[return-value]


def rows(base: Result, tried: Result, lang: str, names: tuple[str, str],
         bands: Mapping[str, Band]) -> list[Row]:
    """The headline rows of ``tried`` against ``base`` (paired by seed)."""
    out = []
    na = texts.t("na", lang)
    for d in contrast(reduce(base.series, LAST), reduce(tried.series, LAST), names):
        scale = max(abs(d.base), abs(d.other)) if np.isfinite(d.base + d.other) else None
        aim, marks = _band(d.indicator, bands, (base, tried), (d.base, d.other), lang)
        out.append(Row(d.indicator, texts.indicator(d.indicator, lang), aim,
                       numformat.fmt(d.base, lang, scale=scale, missing=na),
                       numformat.fmt(d.other, lang, scale=scale, missing=na),
                       effects.effect(d, lang, names),
                       numformat.interval(d.diff, d.low, d.high, lang, d.seeds > 1, missing=na),
                       marks=marks))
    return out


def posterior_rows(bases: list[Result], tried: list[Result], lang: str,
                   bands: Mapping[str, Band]) -> list[Row]:
    """The headline rows over posterior draws (:func:`urbsim.analysis.robust.robust`): the
    effect's 95 % range over draws and seeds, and the shares of draws clearly + / −."""
    from urbsim.analysis.robust import robust

    out = []
    na = texts.t("na", lang)
    for r in robust([reduce(b.series, LAST) for b in bases],
                    [reduce(t.series, LAST) for t in tried]):
        scale = max(abs(r.base), abs(r.other)) if np.isfinite(r.base + r.other) else None
        aim, marks = _band(r.indicator, bands, (bases[0], tried[0]), (r.base, r.other), lang)
        signs = (f"+ {numformat.percent(r.positive, lang)} / − "
                 f"{numformat.percent(r.negative, lang)}")
        out.append(Row(r.indicator, texts.indicator(r.indicator, lang), aim,
                       numformat.fmt(r.base, lang, scale=scale, missing=na),
                       numformat.fmt(r.other, lang, scale=scale, missing=na),
                       effects.posterior_effect(r, lang),
                       numformat.interval(r.diff, r.low, r.high, lang, missing=na), signs,
                       marks))
    return out


def _cell(text: str, mark: bool | None, lang: str) -> str:
    if mark is None:
        return f"<td>{html.escape(text)}</td>"
    sign, title = ("✓", texts.t("in_band", lang)) if mark else ("✗", texts.t("out_band", lang))
    return (f'<td>{html.escape(text)} <span class="urbsim-{"in" if mark else "out"}" '
            f'title="{html.escape(title)}">{sign}</span></td>')


def html_table(rows: list[Row], lang: str, names: tuple[str, str]) -> str:
    """The rows as an HTML table (indicator, better is, both values, effect), a legend of the
    target marks, and the differences with their intervals under a details expander."""
    posterior = any(r.signs for r in rows)
    head = [texts.t("col_indicator", lang), texts.t("col_aim", lang), *names,
            texts.t("col_effect", lang)]
    body = "".join(
        f"<tr><td>{html.escape(r.label)}</td><td>{html.escape(r.aim)}</td>"
        f"{_cell(r.base, r.marks[0], lang)}{_cell(r.tried, r.marks[1], lang)}"
        f"<td>{html.escape(r.effect)}</td></tr>" for r in rows)
    legend = (f'<p class="urbsim-legend">{html.escape(texts.t("band_legend", lang))}</p>'
              if any(m is not None for r in rows for m in r.marks) else "")
    detail_head = [texts.t("col_indicator", lang),
                   texts.t("col_diff_draws" if posterior else "col_diff", lang),
                   *([texts.t("col_signs", lang)] if posterior else [])]
    detail_body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in
                         (r.label, r.interval, *([r.signs] if posterior else []))) + "</tr>"
        for r in rows)
    return (f'<table class="urbsim-headline urbsim-effects">{_head(head)}<tbody>{body}</tbody>'
            f"</table>{legend}"
            f'<details class="urbsim-details"><summary>{html.escape(texts.t("details", lang))}'
            f'</summary><table class="urbsim-headline urbsim-intervals">{_head(detail_head)}'
            f"<tbody>{detail_body}</tbody></table></details>{_STYLE}")


def _head(cells: list[str]) -> str:
    return "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells) + "</tr></thead>"


_STYLE = """<style>
table.urbsim-headline { border-collapse: collapse; font: 13px sans-serif; }
table.urbsim-headline th, table.urbsim-headline td { padding: 2px 8px; border-bottom: 1px solid #ddd; }
table.urbsim-headline th, table.urbsim-effects td:nth-child(2) { white-space: nowrap; }
table.urbsim-headline td:nth-child(n+3) { text-align: right; }
table.urbsim-headline td:nth-child(5), table.urbsim-intervals td { text-align: left; }
table.urbsim-intervals td:nth-child(n+2) { text-align: right; }
.urbsim-in { color: #1a7f37; font-weight: bold; } .urbsim-out { color: #c62828; font-weight: bold; }
.urbsim-legend { font: 12px sans-serif; color: #555; margin: 4px 0; }
details.urbsim-details summary { cursor: pointer; font: 13px sans-serif; color: #1f5fa8; }
</style>"""
