"""The policy levers of the workshop: what a widget changes in a scenario, in plain words.

Each lever group is one named table of a scenario (an event or a policy) with a switch and a
few numbers. A group the starting scenario lacks is taken from the shipped scenario that
defines it (``random_panels`` for the panel, ``rent_brake`` for the Mietpreisbremse, ...), so the levers
change exactly what the shipped policy scenarios change. Every value a browser sends is
checked here (type and range) before the scenario is validated again by its schema.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass

from urbsim.inputs import scenario as sc
from urbsim.inputs.scenario import Scenario


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

    @property
    def id(self) -> str:
        """``section.name``, e.g. ``events.panel``: the key of the group's switch."""
        return f"{self.section}.{self.name}"


def _n(key, en, de, unit_en, unit_de, low, high, step, scale=1.0, integer=False) -> Number:
    return Number(key, {"en": en, "de": de}, {"en": unit_en, "de": unit_de}, low, high, step,
                  scale, integer)


GROUPS: tuple[Group, ...] = (
    Group("events", "open_format", "baseline", "participation",
          {"en": "Open participation format", "de": "Offenes Beteiligungsformat"}, (
              _n("every", "held every", "findet statt alle", "years", "Jahre", 1, 5, 1,
                 integer=True),
              _n("channels.outreach", "outreach at home", "aufsuchende Ansprache",
                 "intensity 0–3", "Intensität 0–3", 0, 3, 0.5),
              _n("channels.social_media", "social media", "soziale Medien",
                 "intensity 0–3", "Intensität 0–3", 0, 3, 0.5),
              _n("channels.local_anchor", "local anchor person or place",
                 "lokale Ankerperson oder -ort", "intensity 0–3", "Intensität 0–3", 0, 3, 0.5),
          )),
    Group("events", "panel", "random_panels", "participation",
          {"en": "Random-selection citizen panel", "de": "Bürgerrat mit Zufallsauswahl"}, (
              _n("invite_share", "households invited", "eingeladene Haushalte", "%", "%",
                 0, 10, 0.5, scale=100),
              _n("every", "held every", "findet statt alle", "years", "Jahre", 1, 5, 1,
                 integer=True),
          )),
    Group("events", "anchored", "continuous_local", "participation",
          {"en": "Continuous local formats (estate districts)",
           "de": "Verstetigte Formate vor Ort (Großsiedlungen)"}, (
              _n("channels.local_anchor", "local anchor", "lokaler Anker",
                 "intensity 0–3", "Intensität 0–3", 0, 3, 0.5),
          )),
    Group("policies", "rent_brake", "rent_brake", "housing",
          {"en": "Rent brake on re-lets (Mietpreisbremse)", "de": "Mietpreisbremse"}, (
              _n("markup", "re-let rent at most", "Wiedervermietung höchstens",
                 "% above the reference rent", "% über der Vergleichsmiete", 0, 30, 1,
                 scale=100),
          )),
    Group("policies", "lower_cap", "lower_cap", "housing",
          {"en": "Lower cap on rent rises (hypothetical)",
           "de": "Niedrigere Kappungsgrenze (hypothetisch)"}, (
              _n("cap", "sitting tenants' rent rise at most", "Mieterhöhung höchstens",
                 "% in three years", "% in drei Jahren", 0, 15, 1, scale=100),
          )),
    Group("policies", "social_quota", "social_quota", "housing",
          {"en": "New construction", "de": "Neubau"}, (
              _n("dwellings", "new dwellings", "neue Wohnungen", "a year", "pro Jahr",
                 0, 2000, 50, integer=True),
              _n("social_quota", "social housing quota", "Sozialwohnungsquote", "%", "%",
                 0, 100, 5, scale=100),
          )),
    Group("policies", "unlock_underused", "unlock_underused", "housing",
          {"en": "Unlock under-used homes (1950–79 houses of older owners)",
           "de": "Untergenutzten Wohnraum mobilisieren (Häuser 1950–79 älterer Eigentümer)"}, (
              _n("rate", "under-used houses yielding a flat", "untergenutzte Häuser mit neuer "
                 "Wohnung", "% a year", "% pro Jahr", 0, 20, 1, scale=100),
          )),
)
"""Every lever group, in the order the app shows them."""


def _template(group: Group) -> dict:
    """The group's table as its shipped scenario defines it."""
    return _shipped_table(group.source, group.section, group.name)


@functools.cache
def _shipped_table(source: str, section: str, name: str) -> dict:
    return getattr(sc.load(source), section)[name].model_dump(mode="json")


def _table(data: dict, group: Group) -> dict | None:
    return data.get(group.section, {}).get(group.name)


def _get(table: dict, key: str):
    for part in key.split("."):
        table = table.get(part, 0) if isinstance(table, dict) else 0
    return table


def read(scn: Scenario) -> dict[str, object]:
    """The widget values of a scenario: ``{group.id: bool, f"{group.id}.{key}": shown}``."""
    data = scn.model_dump(mode="json")
    out: dict[str, object] = {}
    for g in GROUPS:
        table = _table(data, g)
        out[g.id] = bool(table and table.get("enabled", True))
        source = table if table is not None else _template(g)
        for n in g.numbers:
            value = _get(source, n.key) * n.scale
            out[f"{g.id}.{n.key}"] = int(value) if n.integer else round(float(value), 6)
    return out


def apply(scn: Scenario, values: Mapping[str, object]) -> Scenario:
    """``scn`` with the widget ``values`` (as from :func:`read`; missing ones unchanged).

    Raises:
        ValueError: a value of the wrong type or out of range, naming the lever; an unknown
            lever name.
    """
    known = {g.id for g in GROUPS} | {f"{g.id}.{n.key}" for g in GROUPS for n in g.numbers}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown lever {sorted(unknown)[0]!r}")
    stored = {}
    for g in GROUPS:
        for n in g.numbers:
            if (shown := values.get(f"{g.id}.{n.key}")) is not None:
                try:
                    stored[f"{g.id}.{n.key}"] = n.check(shown)
                except ValueError as e:
                    raise ValueError(f"{g.label['en']}: {e}") from None
    data = scn.model_dump(mode="json")
    for g in GROUPS:
        on = values.get(g.id)
        if on is not None and not isinstance(on, bool):
            raise ValueError(f"{g.label['en']}: expected on or off, got {on!r}")
        table = _table(data, g)
        if table is None and not on:
            continue
        if table is None:
            table = data.setdefault(g.section, {})[g.name] = copy.deepcopy(_template(g))
        if on is not None:
            table["enabled"] = on
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


def changes(start: Scenario, tried: Scenario, lang: str = "en") -> list[str]:
    """What ``tried`` changes against ``start``, one plain-language line per lever."""
    a, b = read(start), read(tried)
    lines = []
    for g in GROUPS:
        if not b[g.id]:
            if a[g.id]:
                lines.append(f"{g.label[lang]}: {'aus' if lang == 'de' else 'off'}")
            continue
        parts = [f"{n.label[lang]} {_fmt(b[f'{g.id}.{n.key}'])} {n.unit[lang]}"
                 for n in g.numbers if not a[g.id] or a[f"{g.id}.{n.key}"] != b[f"{g.id}.{n.key}"]]
        if not a[g.id] or parts:
            lines.append(f"{g.label[lang]}: " + (", ".join(parts) if parts else
                                                 ("an" if lang == "de" else "on")))
    return lines


def _fmt(x: object) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _revalidate(scn: Scenario, data: dict) -> Scenario:
    """``data`` validated as a scenario, keeping ``scn``'s origins (for error messages)."""
    out = Scenario.model_validate(data)
    out._origins = dict(scn._origins)
    return out
