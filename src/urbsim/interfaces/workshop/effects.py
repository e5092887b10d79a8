"""Effects in plain words for planners, and which direction of an indicator is better.

"-0.00005 [-0.00494, 0.00484]" is noise to a planner: :func:`effect` says "no clear
difference", or "about 3 % fewer displaced households: better", the size relative to the
compared value. The numbers stay one click away (the table's details, :mod:`.table`).
"""

from __future__ import annotations

import math

from urbsim.analysis.compare import Difference
from urbsim.analysis.robust import FLIP, Robust
from urbsim.interfaces.workshop import numformat, texts

BETTER = {
    "displaced": -1, "multigroup_dissimilarity": -1, "theil_h": -1, "d_low": -1,
    "turnout_election": 1, "turnout_municipal": 1, "turnout_open": 1, "turnout_panel": 1,
    "turnout_continuous": 1,
    **{k: -1 for k in ("representation_gap", "representation_gap_election",
                       "representation_gap_municipal", "representation_gap_open",
                       "representation_gap_panel", "representation_gap_continuous")},
}
"""Indicators whose better direction is unambiguous: -1 lower is better, +1 higher. Vacancy and
rents have target bands instead (:mod:`.targets`); moves, migration, owners and new tenancies
are neither good nor bad in themselves."""


def aim(key: str, lang: str) -> str:
    """Which direction of ``key`` is better, in words (empty where it depends)."""
    if key not in BETTER:
        return ""
    return texts.t("aim_lower" if BETTER[key] < 0 else "aim_higher", lang)


def _size(diff: float, base: float, key: str, lang: str) -> str:
    """A clear difference in words: its size relative to ``base`` where that is defined."""
    up = diff > 0
    if abs(base) < 1e-12 or not math.isfinite(base):
        return texts.pick(texts.VERDICTS["higher" if up else "lower"], lang)
    en, de, words_en, words_de = texts.EFFECTS.get(
        key, ("about {p} {w}", "etwa {p} {w}", ("higher", "lower"), ("höher", "niedriger")))
    share = diff / abs(base)
    p = numformat.percent(share, lang)
    if abs(share) < 0.005:
        p = texts.pick(texts.VERDICTS["less_than"], lang).format(p=numformat.percent(0.005,
                                                                                    lang))
    words = words_en if lang == "en" else words_de
    return (en if lang == "en" else de).format(p=p, w=words[0 if up else 1])


def _judged(text: str, diff: float, key: str, lang: str) -> str:
    """``text`` with "better" or "worse" where the direction of ``key`` is unambiguous."""
    if key not in BETTER:
        return text
    good = (diff > 0) == (BETTER[key] > 0)
    return texts.pick(texts.VERDICTS["better" if good else "worse"], lang).format(effect=text)


def effect(d: Difference, lang: str, names: tuple[str, str]) -> str:
    """The paired difference ``d`` (``names``: the compared and the shown result) in plain
    words: its size where the 95 % interval excludes zero, else that there is no clear
    difference."""
    v = texts.VERDICTS
    if not math.isfinite(d.base) and not math.isfinite(d.other):
        return texts.pick(v["neither"], lang)
    if not math.isfinite(d.base) or not math.isfinite(d.other):
        name = names[0] if math.isfinite(d.base) else names[1]
        return texts.pick(v["only"], lang).format(name=name)
    if d.paired and d.low == d.high == d.diff == 0.0:
        return texts.pick(v["identical"], lang)
    if d.seeds < 2:
        return texts.pick(v["one_seed"], lang)
    if d.low > 0 or d.high < 0:
        return _judged(_size(d.diff, d.base, d.indicator, lang), d.diff, d.indicator, lang)
    return texts.pick(v["unclear"], lang)


def posterior_effect(r: Robust, lang: str) -> str:
    """An effect over posterior draws and seeds (:func:`urbsim.analysis.robust.robust`) in
    plain words: "depends on uncertain parameters" where the sign flips between draws."""
    v = texts.VERDICTS
    if not math.isfinite(r.diff):
        return texts.t("na", lang)
    if r.positive >= FLIP and r.negative >= FLIP:
        return texts.pick(v["depends"], lang)
    if r.low > 0 or r.high < 0:
        text = texts.pick(v["posterior"], lang).format(
            effect=_size(r.diff, r.base, r.indicator, lang))
        return _judged(text, r.diff, r.indicator, lang)
    return texts.pick(v["unclear"], lang)
