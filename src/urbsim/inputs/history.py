"""What a city has observed, to check runs against: a long table, one observation per row.

A UTF-8 CSV with the columns ``area``, ``year``, ``indicator``, ``value`` and optionally
``error`` (the value's standard error, in its unit: a survey's sampling error, an estimate's
uncertainty; empty or absent: exact) and ``source``. ``area`` names a neighbourhood id, a
district, or ``city`` for the whole city; ``year`` is a calendar year, matched to the run's
steps by the scenario's ``start_year``.
Each indicator of :data:`INDICATORS` says which model state it is compared with; a value is
in the unit stated there.

Every problem is one line naming the file, the line and the column (an
:class:`~urbsim.common.errors.InputError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from urbsim.common.errors import InputError
from urbsim.inputs.city import City
from urbsim.inputs.city_files import StrPath, read_table
from urbsim.inputs.params import FORMATS

COLUMNS = ("area", "year", "indicator", "value")
"""Required columns (``error`` and ``source`` are optional)."""
CITY = "city"
"""The area name for the whole city."""

INDICATORS: dict[str, tuple[str, str]] = {
    "households": ("households", "households living in the area, the run's scaled to the "
                                 "city's (a run of fewer households is a sample)"),
    "share_<CODE>": ("% of households", "households of milieu <CODE> (e.g. share_PRE), of all "
                                        "households in the area"),
    "sgb2_share": ("% of households", "households on SGB II (Bürgergeld): in the model those "
                                      "whose income is below the KdU income limit"),
    "vacancy": ("% of dwellings", "vacant dwellings, of all dwellings in the area"),
    "moves": ("% of households", "households moving within the city that year (the whole "
                                 "city only: the model counts moves by milieu, not by area; "
                                 "a register's Ortsumzüge)"),
    "rent_asking": ("EUR/month", "asking rent of a private rental dwelling (the model's rents "
                                 "are per dwelling: multiply EUR/m² by the mean flat size)"),
    "rent_contract": ("EUR/month", "mean contract rent of the tenants of private rental "
                                   "dwellings"),
    **{f"turnout_{f}": ("% of those reached", f"turnout of the {f} format (elections: of the "
                                              "electorate; postal votes assigned to the area)")
       for f in FORMATS},
}
"""Indicator -> (unit, what it compares): the model's side is computed by
:func:`urbsim.analysis.history.model_values`."""

CITY_ONLY = frozenset({"moves"})
"""Indicators the model records for the whole city only."""

_SHARE = re.compile(r"share_(?P<code>[^\s]+)$")


@dataclass(frozen=True)
class History:
    """Observations, one per row of the file (all arrays ``(K,)``).

    Attributes:
        source: the file.
        area: the areas as written.
        kind: 0 a neighbourhood, 1 a district, 2 the city.
        index: the neighbourhood or district index (0 for the city).
        year: calendar year.
        indicator: indicator name (``share_PRE``, ``sgb2_share``, ...).
        value: the observed value.
        error: its standard error (0: exact).
        origin: the ``source`` column ("" where not given).
    """

    source: str
    area: np.ndarray
    kind: np.ndarray
    index: np.ndarray
    year: np.ndarray
    indicator: np.ndarray
    value: np.ndarray
    error: np.ndarray
    origin: np.ndarray

    def __len__(self) -> int:
        return len(self.value)


def load(path: StrPath, city: City, codes: tuple[str, ...]) -> History:
    """Read and check an observed-history file against ``city`` and the milieu ``codes``.

    Raises:
        InputError: an unreadable file, a missing column or value, an unknown area or
            indicator, a year or value that is not a number, a duplicate observation.
    """
    src = str(path)
    nodes = {v: i for i, v in enumerate(city.ids)}
    districts = {d: i for i, d in enumerate(city.districts)}
    rows = read_table(path, COLUMNS)
    if not rows:
        raise InputError("expected at least one observation", src, "line 2")
    out: dict[str, list] = {k: [] for k in ("area", "kind", "index", "year", "indicator",
                                              "value", "error", "origin")}
    seen: dict[tuple, str] = {}
    for line, row in rows:
        for c in COLUMNS:
            if c not in row:
                raise InputError("missing value", src, f"{line}.{c}")
        area = row["area"]
        kinds = [k for k, names in enumerate((nodes, districts, {CITY: 0})) if area in names]
        if not kinds:
            raise InputError(f"unknown area {area!r}; expected a neighbourhood id, a district "
                             f"or {CITY!r}", src, f"{line}.area")
        if len(kinds) > 1:
            raise InputError(f"{area!r} names both a neighbourhood and a district", src,
                             f"{line}.area")
        kind = kinds[0]
        year = _number(row, "year", src, line)
        if not year.is_integer():
            raise InputError(f"expected a whole year, got {row['year']!r}", src, f"{line}.year")
        indicator = row["indicator"]
        match = _SHARE.match(indicator)
        if indicator not in INDICATORS and not (match and match["code"] in codes):
            known = ", ".join(k for k in INDICATORS if k != "share_<CODE>")
            raise InputError(f"unknown indicator {indicator!r}; expected share_<CODE> (CODE "
                             f"one of {', '.join(codes)}) or one of {known}", src,
                             f"{line}.indicator")
        if indicator in CITY_ONLY and kind != 2:
            raise InputError(f"{indicator} is known for the whole city only; expected area "
                             f"{CITY!r}", src, f"{line}.area")
        value = _number(row, "value", src, line)
        unit = INDICATORS["share_<CODE>" if match else indicator][0]
        if unit.startswith("%") and not 0 <= value <= 100:
            raise InputError(f"expected a percentage in [0, 100], got {row['value']!r}", src,
                             f"{line}.value")
        if value < 0:
            raise InputError(f"expected a value >= 0, got {row['value']!r}", src,
                             f"{line}.value")
        error = _number(row, "error", src, line) if "error" in row else 0.0
        if error < 0:
            raise InputError(f"expected a standard error >= 0, got {row['error']!r}", src,
                             f"{line}.error")
        key = (area, int(year), indicator)
        if key in seen:
            raise InputError(f"duplicate observation of {indicator} in {area} {int(year)}, "
                             f"first at {seen[key]}", src, f"{line}.indicator")
        seen[key] = line
        for k, v in zip(out, (area, kind, (nodes, districts, {CITY: 0})[kind][area], int(year),
                              indicator, value, error, row.get("source", "")),
                            strict=True):
            out[k].append(v)
    return History(source=src, area=np.asarray(out["area"], dtype=object),
                   kind=np.asarray(out["kind"], np.int8), index=np.asarray(out["index"]),
                   year=np.asarray(out["year"]), indicator=np.asarray(out["indicator"],
                                                                      dtype=object),
                   value=np.asarray(out["value"], float), error=np.asarray(out["error"], float),
                   origin=np.asarray(out["origin"], dtype=object))


def _number(row: dict[str, str], column: str, src: str, line: str) -> float:
    try:
        x = float(row[column])
    except ValueError:
        raise InputError(f"expected a number, got {row[column]!r}", src,
                         f"{line}.{column}") from None
    if not np.isfinite(x):
        raise InputError(f"expected a finite number, got {row[column]!r}", src,
                         f"{line}.{column}")
    return x
