"""The glossary tab: the words of the results explained, and the milieu codes named."""

from __future__ import annotations

import html

from urbsim.inputs.milieus import MilieuSet
from urbsim.interfaces.workshop import texts


def glossary_html(lang: str, milieus: MilieuSet) -> str:
    """The glossary of :data:`texts.GLOSSARY` and the codes of ``milieus`` as HTML."""
    terms = "".join(f"<dt>{html.escape(texts.pick(term, lang))}</dt>"
                    f"<dd>{html.escape(texts.pick(text, lang))}</dd>"
                    for term, text in texts.GLOSSARY)
    codes = "".join(
        "<li>" + html.escape(texts.t(
            "milieu_group", lang, code=code, name=name,
            group=texts.pick(texts.MILIEU_GROUPS.get(group, (group, group)), lang))) + "</li>"
        for code, name, group in zip(milieus.codes, milieus.names, milieus.groups, strict=True))
    return (f'<div class="urbsim-glossary"><dl>{terms}</dl>'
            f"<h4>{html.escape(texts.t('glossary_milieus', lang))}</h4><ul>{codes}</ul></div>"
            f"{_STYLE}")


def milieu_options(milieus: MilieuSet, present: list[str]) -> dict[str, str]:
    """The map's milieu menu: ``{"PRE: Prekäre": "PRE"}`` for the milieus ``present``."""
    names = dict(zip(milieus.codes, milieus.names, strict=True))
    return {f"{code}: {names[code]}" if code in names else code: code for code in present}


_STYLE = """<style>
.urbsim-glossary { font: 13px sans-serif; max-width: 820px; }
.urbsim-glossary dt { font-weight: bold; margin-top: 6px; }
.urbsim-glossary dd { margin: 0 0 0 16px; }
.urbsim-glossary ul { columns: 2; margin: 0; }
</style>"""
