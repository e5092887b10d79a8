"""Numbers in the browser's plots as the page's language writes them.

Bokeh formats axis ticks, colour bars, hovers and slider values in the browser, so the
server's Babel (:mod:`.numformat`) cannot reach them: the formatters here are small
JavaScript functions given the same decimal and grouping symbols. :func:`hook` puts them on
every axis, colour bar and hover of a HoloViews plot; :func:`slider_format` on a slider.
"""

from __future__ import annotations

import json
import re

from urbsim.interfaces.workshop import numformat, texts

_FORMAT = """
const DEC = {dec}, GRP = {grp}, NA = {na};
function fmt(x, digits, group) {{
  const s = Math.abs(x).toFixed(digits);
  let [i, f] = s.split(".");
  if (group && i.length > 3) i = i.replace(/\\B(?=(\\d{{3}})+(?!\\d))/g, GRP);
  return (x < 0 && Number(s) !== 0 ? "-" : "") + (f ? i + DEC + f : i);
}}
function exact(x, most) {{  // the fewest decimals (up to most) that show x exactly
  let d = 0;
  while (d < most && Math.abs(Math.round(x * 10 ** d) - x * 10 ** d) > 1e-6) d++;
  return d;
}}
"""


def _prelude(lang: str) -> str:
    dec, grp = numformat.symbols(lang)
    return _FORMAT.format(dec=json.dumps(dec), grp=json.dumps(grp),
                          na=json.dumps(texts.t("na", lang)))


def tick_formatter(lang: str, group: bool = True):
    """Axis ticks with as many decimals as their spacing needs (``group``: thousands
    separators; off for years)."""
    from bokeh.models import CustomJSTickFormatter

    code = _prelude(lang) + f"""
const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : tick;
return fmt(tick, exact(step, 8), {json.dumps(group)});"""
    return CustomJSTickFormatter(code=code)


def slider_format(lang: str):
    """A slider's value with the decimals it has (``0,5`` in German)."""
    from bokeh.models import CustomJSTickFormatter

    return CustomJSTickFormatter(code=_prelude(lang) + "return fmt(tick, exact(tick, 6), true);")


def hover_formatter(lang: str, group: bool = True):
    """A hover's number with three significant digits, thousands separators from 100 (the
    rule of :func:`.numformat.fmt`); text is shown as it is."""
    from bokeh.models import CustomJSHover

    code = _prelude(lang) + f"""
if (typeof value !== "number") return value == null ? NA : String(value);
if (!isFinite(value)) return NA;
const ref = Math.abs(value);
if (!{json.dumps(group)}) return fmt(value, exact(value, 6), false);
const d = ref >= 100 || ref === 0 ? 0 : Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(ref))));
return fmt(value, d, true);"""
    return CustomJSHover(code=code)


_FIELD = re.compile(r"^@\{?([^{}]+?)\}?$")


def hook(lang: str, years: bool = False, plain: tuple[str, ...] = ("year",),
         hide: tuple[str, ...] = ()):
    """A HoloViews plot hook: ``lang``'s numbers on the axes (a categorical axis is left as it
    is; with ``years`` the x axis in whole years, without grouping), the colour bar and the
    hovers (the fields in ``plain`` without grouping, those in ``hide`` left out), and the
    toolbar's tooltips in ``lang``."""

    def apply(plot, element) -> None:
        from bokeh.models import CategoricalAxis, HoverTool
        from bokeh.models.annotations import ColorBar

        fig = plot.state
        for axis, group in ((fig.xaxis, not years), (fig.yaxis, True)):
            for ax in axis:
                if isinstance(ax, CategoricalAxis):
                    continue
                ax.formatter = tick_formatter(lang, group)
                if not group and hasattr(ax.ticker, "min_interval"):
                    ax.ticker.min_interval = 1
        for bar in fig.select(ColorBar):
            bar.formatter = tick_formatter(lang)
        for tool in fig.toolbar.tools:
            if (name := type(tool).__name__) in texts.TOOLS:
                tool.description = texts.pick(texts.TOOLS[name], lang)
        for tool in fig.select(HoverTool):
            if not isinstance(tool.tooltips, list):
                continue
            formatters = dict(tool.formatters or {})
            tips = []
            for label, spec in tool.tooltips:
                m = _FIELD.match(spec) if isinstance(spec, str) else None
                if m and m.group(1) in hide:
                    continue
                if m and not m.group(1).startswith("$"):
                    field = f"@{{{m.group(1)}}}"
                    formatters[field] = hover_formatter(lang, m.group(1) not in plain)
                    spec = f"{field}{{custom}}"
                tips.append((label, spec))
            tool.update(tooltips=tips, formatters=formatters)

    return apply
