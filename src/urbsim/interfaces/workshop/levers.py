"""The policy levers of the workshop: what a widget changes in a scenario, in plain words.

Each lever group is one named table of a scenario (an event or a policy) with a switch and a
few numbers. A group the starting scenario lacks is taken from the shipped scenario that
defines it (``random_panels`` for the panel, ``rent_brake`` for the Mietpreisbremse, ...), so the levers
change exactly what the shipped policy scenarios change. Where a group names places (the
districts of the continuous formats, where new dwellings are built), they are chosen from the
city's own districts and neighbourhoods. Every value a browser sends is checked here (type,
range, places the city has) before the scenario is validated again by its schema.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np

from urbsim.common.errors import InputError
from urbsim.inputs import scenario as sc
from urbsim.inputs.city import City
from urbsim.inputs.scenario import Scenario
from urbsim.interfaces.workshop import numformat, texts


@dataclass(frozen=True)
class Number:
    """A number in a table: the widget shows ``value × scale`` in ``unit``."""

    key: str
    label: dict[str, str]
    unit: dict[str, str]
    low: float
    high: float
    step: float
    scale: float = 1.0
    integer: bool = False

    def check(self, shown: object) -> float | int:
        """The stored value of a widget value, or ValueError naming the lever."""
        if isinstance(shown, bool) or not isinstance(shown, int | float) or shown != shown:
            raise ValueError(f"{self.label['en']}: expected a number, got {shown!r}")
        if not self.low <= shown <= self.high:
            raise ValueError(f"{self.label['en']}: expected {self.low:g} to {self.high:g}, "
                             f"got {shown:g}")
        if self.integer:
            if shown != int(shown):
                raise ValueError(f"{self.label['en']}: expected a whole number, got {shown:g}")
            return int(shown)
        return round(float(shown) / self.scale, 10)


@dataclass(frozen=True)
class Group:
    """A switchable table (``events.<name>`` or ``policies.<name>``) and its numbers."""

    section: str
    name: str
    source: str
    """The shipped scenario that defines the table (used where the start lacks it)."""
    topic: str
    """``participation`` or ``housing``."""
    label: dict[str, str]
    numbers: tuple[Number, ...]
    places: tuple[str, ...] = ()
    """Keys of :data:`PLACES` the group lets one choose (empty: the whole city)."""

    @property
    def id(self) -> str:
        """``section.name``, e.g. ``events.panel``: the key of the group's switch."""
        return f"{self.section}.{self.name}"


def _pair(pair: tuple[str, str]) -> dict[str, str]:
    return dict(zip(texts.LANGS, pair, strict=True))


def _n(key, label, unit, low, high, step, scale=1.0, integer=False) -> Number:
    """A number whose label and unit are the catalogue's :data:`texts.LEVERS` ``label`` and
    :data:`texts.UNITS` ``unit``."""
    return Number(key, _pair(texts.LEVERS[label]), _pair(texts.UNITS[unit]), low, high, step,
                  scale, integer)


def _g(section, name, source, topic, numbers, places=()) -> Group:
    return Group(section, name, source, topic, _pair(texts.LEVERS[f"{section}.{name}"]),
                 numbers, places)


PLACES = {k: _pair(texts.LEVERS[k]) for k in ("districts", "neighbourhoods")}
"""Lists of places a table may name (none named: the whole city), with their labels."""

GROUPS: tuple[Group, ...] = (
    _g("events", "open_format", "baseline", "participation", (
        _n("every", "every", "years", 1, 5, 1, integer=True),
        _n("channels.outreach", "outreach", "intensity", 0, 3, 0.5),
        _n("channels.social_media", "social_media", "intensity", 0, 3, 0.5),
        _n("channels.local_anchor", "local_anchor_open", "intensity", 0, 3, 0.5),
    )),
    _g("events", "panel", "random_panels", "participation", (
        _n("invite_share", "invite_share", "percent", 0, 10, 0.5, scale=100),
        _n("every", "every", "years", 1, 5, 1, integer=True),
    )),
    _g("events", "anchored", "continuous_local", "participation", (
        _n("channels.local_anchor", "local_anchor", "intensity", 0, 3, 0.5),
    ), ("districts",)),
    _g("policies", "rent_brake", "rent_brake", "housing", (
        _n("markup", "markup", "above_reference", 0, 30, 1, scale=100),
    )),
    _g("policies", "lower_cap", "lower_cap", "housing", (
        _n("cap", "cap", "in_three_years", 0, 15, 1, scale=100),
    )),
    _g("policies", "social_quota", "social_quota", "housing", (
        _n("dwellings", "dwellings", "a_year", 0, 2000, 50, integer=True),
        _n("social_quota", "social_quota", "percent", 0, 100, 5, scale=100),
    ), ("districts", "neighbourhoods")),
    _g("policies", "unlock_underused", "unlock_underused", "housing", (
        _n("rate", "rate", "percent_a_year", 0, 20, 1, scale=100),
    )),
)
"""Every lever group, in the order the app shows them."""


def choices(city: City) -> dict[str, list[str]]:
    """The places each group's place lists offer: ``{f"{group.id}.{key}": names}``."""
    names = {"districts": list(city.districts), "neighbourhoods": list(city.ids)}
    return {f"{g.id}.{key}": names[key] for g in GROUPS for key in g.places}


def estates(city: City, k: int) -> list[str]:
    """The ``k`` districts with the largest share of social dwellings, in the city's order."""
    n = len(city.districts)
    social = np.bincount(city.district, city.capacity[:, 0], n)
    share = social / np.maximum(np.bincount(city.district, city.capacity.sum(1), n), 1)
    return [city.districts[i] for i in sorted(np.argsort(-share, kind="stable")[:k])]


def _template(group: Group, city: City) -> dict:
    """The group's table as its shipped scenario defines it, its districts the city's: as many
    as the shipped table names, those with the most social housing (for the synthetic city the
    shipped ones)."""
    table = copy.deepcopy(_shipped_table(group.source, group.section, group.name))
    if table.get("districts"):
        table["districts"] = estates(city, len(table["districts"]))
    return table


@functools.cache
def _shipped_table(source: str, section: str, name: str) -> dict:
    return getattr(sc.load(source), section)[name].model_dump(mode="json")


def _table(data: dict, group: Group) -> dict | None:
    return data.get(group.section, {}).get(group.name)


def _get(table: dict, key: str):
    for part in key.split("."):
        table = table.get(part, 0) if isinstance(table, dict) else 0
    return table


def read(scn: Scenario, city: City) -> dict[str, object]:
    """The widget values of a scenario in ``city``: ``{group.id: bool, f"{group.id}.{key}":
    shown}`` (numbers as shown, places as lists of names)."""
    data = scn.model_dump(mode="json")
    out: dict[str, object] = {}
    for g in GROUPS:
        table = _table(data, g)
        out[g.id] = bool(table and table.get("enabled", True))
        source = table if table is not None else _template(g, city)
        for n in g.numbers:
            value = _get(source, n.key) * n.scale
            out[f"{g.id}.{n.key}"] = int(value) if n.integer else round(float(value), 6)
        for key in g.places:
            out[f"{g.id}.{key}"] = list(source.get(key, ()))
    return out


def _place_list(g: Group, key: str, value: object, city: City) -> list[str]:
    """``value`` if it lists places of the city, or ValueError naming the lever."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{g.label['en']}: {key}: expected a list of names, got {value!r}")
    try:
        (city.district_index if key == "districts" else city.node_index)(value)
    except InputError as e:
        raise ValueError(f"{g.label['en']}: {e.message}") from None
    return list(value)


def apply(scn: Scenario, values: Mapping[str, object], city: City) -> Scenario:
    """``scn`` in ``city`` with the widget ``values`` (as from :func:`read`; missing ones
    unchanged).

    Raises:
        ValueError: a value of the wrong type or out of range, or a place the city lacks,
            naming the lever; an unknown lever name.
    """
    known = {g.id for g in GROUPS} | {f"{g.id}.{k}" for g in GROUPS
                                      for k in (*(n.key for n in g.numbers), *g.places)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown lever {sorted(unknown)[0]!r}")
    stored: dict[str, object] = {}
    for g in GROUPS:
        for n in g.numbers:
            if (shown := values.get(f"{g.id}.{n.key}")) is not None:
                try:
                    stored[f"{g.id}.{n.key}"] = n.check(shown)
                except ValueError as e:
                    raise ValueError(f"{g.label['en']}: {e}") from None
        for key in g.places:
            if (names := values.get(f"{g.id}.{key}")) is not None:
                stored[f"{g.id}.{key}"] = _place_list(g, key, names, city)
    data = scn.model_dump(mode="json")
    for g in GROUPS:
        on = values.get(g.id)
        if on is not None and not isinstance(on, bool):
            raise ValueError(f"{g.label['en']}: expected on or off, got {on!r}")
        table = _table(data, g)
        if table is None and not on:
            continue
        if table is None:
            table = data.setdefault(g.section, {})[g.name] = _template(g, city)
        if on is not None:
            table["enabled"] = on
        for key in g.places:
            if (names := stored.get(f"{g.id}.{key}")) is not None:
                table[key] = names
        for n in g.numbers:
            if (value := stored.get(f"{g.id}.{n.key}")) is None:
                continue
            *path, last = n.key.split(".")
            node = table
            for part in path:
                node = node.setdefault(part, {})
            if last in node or value != 0:  # an absent channel is 0 already: keep it absent
                node[last] = value
    return _revalidate(scn, data)


def changes(start: Scenario, tried: Scenario, city: City, lang: str = "en") -> list[str]:
    """What ``tried`` changes against ``start`` in ``city``, one plain-language line per lever."""
    a, b = read(start, city), read(tried, city)
    lines = []
    for g in GROUPS:
        if not b[g.id]:
            if a[g.id]:
                lines.append(f"{g.label[lang]}: {texts.t('off', lang)}")
            continue
        new = {k for k in (*(n.key for n in g.numbers), *g.places)
               if not a[g.id] or a[f"{g.id}.{k}"] != b[f"{g.id}.{k}"]}
        parts = [f"{n.label[lang]} {_fmt(b[f'{g.id}.{n.key}'], lang)} {n.unit[lang]}"
                 for n in g.numbers if n.key in new]
        parts += [f"{PLACES[k][lang]} "
                  f"{', '.join(cast(list[str], b[f'{g.id}.{k}'])) or texts.t('all', lang)}"
                  for k in g.places if k in new and (a[g.id] or b[f"{g.id}.{k}"])]
        if not a[g.id] or parts:
            lines.append(f"{g.label[lang]}: " + (", ".join(parts) if parts else
                                                 texts.t("on", lang)))
    return lines


def _fmt(x: object, lang: str) -> str:
    """A lever's value as shown: whole numbers without decimals, others with what they have."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    places = 0 if float(x).is_integer() else len(f"{x:g}".partition(".")[2])
    return numformat.number(float(x), lang, places)


def _revalidate(scn: Scenario, data: dict) -> Scenario:
    """``data`` validated as a scenario, keeping ``scn``'s origins (for error messages)."""
    out = Scenario.model_validate(data)
    out._origins = dict(scn._origins)
    return out
