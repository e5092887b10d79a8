"""What a workshop takes home: the tried scenario as TOML, and a one-page HTML summary.

Both are generated in memory from the session's state; nothing is read from or written to a
path a browser names.
"""

from __future__ import annotations

import datetime as dt
import io

import tomli_w

from urbsim.inputs.scenario import Scenario
from urbsim.interfaces.workshop import numformat, table, texts, views
from urbsim.interfaces.workshop.jobs import Result
from urbsim.interfaces.workshop.table import Row


def scenario_toml(tried: Scenario, base: Scenario | None, base_name: str | None, name: str,
                  description: str, steps: int, households: int, lang: str = "en") -> str:
    """A scenario file of ``tried``: ``extends`` the shipped ``base_name`` and states what
    differs from it, or (without a shipped base) states everything; its opening comment in
    ``lang``."""
    data = tried.model_dump(mode="json", exclude={"name", "description", "extends", "steps",
                                                  "households"})
    if base is not None:
        data = _diff(base.model_dump(mode="json"), data)
    head = {"extends": base_name} if base is not None else {}
    text = tomli_w.dumps({**head, "name": name, "description": description, "steps": steps,
                          "households": households, **_drop_none(data)})
    stamp = dt.date.today().isoformat()
    return (f"# {texts.t('toml_head', lang, date=stamp)}\n"
            f"# {texts.t('toml_run', lang, base=base_name or 'baseline')}\n\n{text}")


def summary_html(title: str, heading: str, lines: list[str], rows: list[Row],
                 names: tuple[str, str], base: Result, tried: Result, settings: dict, lang: str,
                 sample: str = "", year0: int = 0) -> bytes:
    """A self-contained page (bokeh inline, works offline): ``heading`` over the levers'
    ``lines``, the headline table (its intervals under a details expander), the main
    indicators over time and who takes part; ``sample`` states a sample's weighting."""
    import panel as pn
    from bokeh.resources import INLINE

    changes = "\n".join(f"- {line}" for line in lines) or f"- {texts.t('no_change', lang)}"
    note = " ".join(filter(None, (texts.t("summary_note", lang, seeds=settings["seeds"],
                                          households=numformat.number(settings["households"],
                                                                      lang),
                                          steps=settings["steps"]), sample)))
    shown = [k for k in ("d_low", "representation_gap", "turnout_open", "displaced")
             if k in views.plotted(base, tried)]
    figures = [views.series_figure(base, tried, k, lang, names, year0).opts(width=560,
                                                                           height=300)
               for k in shown]
    held = views.formats_held(tried)
    if held:
        fmt = "open" if "open" in held else held[0]
        figures.append(views.participation(tried, fmt, lang).opts(width=920, height=320))
    page = pn.Column(
        pn.pane.Markdown(f"# {title}\n\n{dt.date.today().isoformat()} · "
                         f"{heading}:\n\n{changes}\n\n*{note}*"),
        pn.pane.HTML(table.html_table(rows, lang, names)),
        pn.GridBox(*figures, ncols=2),
    )
    buf = io.BytesIO()
    page.save(buf, resources=INLINE, title=title)
    return buf.getvalue()


def _diff(a: dict, b: dict) -> dict:
    """What ``b`` states differently from ``a`` (tables compared key by key)."""
    out = {}
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            if sub := _diff(a[k], v):
                out[k] = sub
        elif k not in a or a[k] != v:
            out[k] = v
    return out


def _drop_none(d: dict) -> dict:
    return {k: _drop_none(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}
