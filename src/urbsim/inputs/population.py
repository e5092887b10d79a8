"""Households by milieu per neighbourhood, as a city gives them, in whole households.

A city file may give households by milieu per neighbourhood (counts, or shares of a total: see
:mod:`urbsim.inputs.city`). A run of another size scales them: :func:`whole` first gives each
neighbourhood its whole number of households, then each of its milieus, both by
truncate-replicate-sample (Lovelace & Ballas 2013, "Truncate, replicate, sample", Computers,
Environment and Urban Systems 41): the integer parts, then the households left drawn without
replacement with weights from the fractional parts. Each cell is then within one household of
its exact share, so a neighbourhood's milieu shares are within 1/households of the input.
"""

from __future__ import annotations

import numpy as np

from urbsim.common.errors import InputError
from urbsim.inputs.city import POPULATION, City
from urbsim.inputs.milieus import MilieuSet


def table(city: City, milieus: MilieuSet) -> np.ndarray | None:
    """``(N, M)`` households by neighbourhood and milieu as the city gives them (``None``:
    not given).

    Raises:
        InputError: a milieu code the set does not have, or a milieu of the set missing.
    """
    if not city.population:
        return None
    unknown = sorted(set(city.population) - set(milieus.codes))
    missing = [c for c in milieus.codes if c not in city.population]
    if unknown or missing:
        what = (f"unknown milieu codes {unknown}" if unknown
                else f"no column for the milieus {missing}")
        raise InputError(f"{what}; the milieu set {milieus.name} has {', '.join(milieus.codes)}",
                         "city", f"{POPULATION}<CODE>")
    return np.column_stack([city.population[c] for c in milieus.codes])


def integerise(values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whole numbers per cell of a ``(R, K)`` table, each row summing to its rounded total
    (truncate, replicate, sample); ``u`` holds uniforms of the table's shape (the weighted
    draw without replacement takes the largest ``log(u) / fraction``, Efraimidis & Spirakis
    2006)."""
    values = np.asarray(values, dtype=np.float64)
    whole = np.floor(values + 1e-9).astype(np.int64)
    left = np.rint(values.sum(1)).astype(np.int64) - whole.sum(1)
    frac = np.clip(values - whole, 0.0, None)
    with np.errstate(divide="ignore"):
        key = np.where(frac > 0, np.log(u) / np.where(frac > 0, frac, 1.0), -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")
    for r in np.flatnonzero(left > 0):
        whole[r, order[r, : left[r]]] += 1
    return whole


def whole(given: np.ndarray, households: int, u_rows: np.ndarray, u_cells: np.ndarray,
          dwellings: np.ndarray) -> np.ndarray:
    """``(N, M)`` whole households summing to ``households``, in proportion to ``given``:
    neighbourhood totals first (uniforms ``u_rows``, ``(N,)``), then milieus within each
    (``u_cells``, ``(N, M)``).

    Raises:
        InputError: no households given, or a neighbourhood scaled beyond its ``dwellings``.
    """
    total = given.sum()
    if total <= 0:
        raise InputError("the city gives no households by milieu", "city", f"{POPULATION}*")
    rows = integerise((given.sum(1) * households / total)[None, :], u_rows[None, :])[0]
    over = np.flatnonzero(rows > dwellings)
    if len(over):
        raise InputError(f"{households:,} households scaled from the city's {total:,.0f} give "
                         f"neighbourhood {int(over[0])} {rows[over[0]]:,} households for "
                         f"{dwellings[over[0]]:,} dwellings; run at most the city's households",
                         "city", "households")
    share = given / np.maximum(given.sum(1, keepdims=True), 1e-300)
    return integerise(share * rows[:, None], u_cells)
