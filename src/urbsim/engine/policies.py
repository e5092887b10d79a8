"""Housing policy levers and what each does to the city when in force.

Policies switch on before their ``start`` step and off after their ``end`` step, through
Mesa's event schedule (see :class:`urbsim.engine.model.UrbanModel`). While in force:

* :class:`~urbsim.inputs.params.RentCap` bounds the market's yearly rent increase and rent level;
* :class:`~urbsim.inputs.params.Construction` adds dwellings each step, split evenly over the target
  neighbourhoods (largest remainder), ``social_quota`` of them social rental;
* :class:`~urbsim.inputs.params.UnlockUnderused` converts a share of the single-family homes of one
  building period into an extra private-rental flat each step (fractions carried over).

New dwellings in a segment a neighbourhood did not have get the city's mean base rent of
that segment.
"""

from __future__ import annotations

import numpy as np

from urbsim.inputs.city import PERIODS, City
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import Construction, RentCap, UnlockUnderused


def rent_bounds(active: list, ceiling: float) -> tuple[float, float]:
    """``(upper level factor, max yearly increase or -1)`` under the policies in force."""
    caps = [p for p in active if isinstance(p, RentCap)]
    if not caps:
        return ceiling, -1.0
    return min(ceiling, *(p.max_factor for p in caps)), min(p.max_increase for p in caps)


def apply_housing(active: list, city: City, capacity: np.ndarray, base_rent: np.ndarray,
                  rent: np.ndarray, carry: np.ndarray) -> None:
    """One step of the housing policies in force, in the order they are listed: construction
    (:func:`build`) and conversion of under-used homes (:func:`unlock`). The arrays are changed
    in place (``carry``: the fractions of flats :func:`unlock` carries over).

    Rent caps are no housing policy: they bound the market, see :func:`rent_bounds`.
    """
    for policy in active:
        if isinstance(policy, Construction):
            build(policy, city, capacity, base_rent, rent)
        elif isinstance(policy, UnlockUnderused):
            unlock(policy, city, capacity, base_rent, rent, carry)


def split(total: int, n: int) -> np.ndarray:
    """``total`` split into ``n`` whole parts as evenly as possible (earlier parts larger)."""
    return total // n + (np.arange(n) < total % n)


def build(policy: Construction, city: City, capacity: np.ndarray, base_rent: np.ndarray,
          rent: np.ndarray) -> None:
    """Add one step's dwellings of a construction policy (arrays changed in place)."""
    nodes = np.flatnonzero(city.mask(policy.districts, policy.neighbourhoods))
    social = round(policy.dwellings * policy.social_quota)
    for seg, count in ((SEGMENTS.index("social"), social),
                       (SEGMENTS.index(policy.segment), policy.dwellings - social)):
        _add(nodes, seg, split(count, len(nodes)), capacity, base_rent, rent)


def unlock(policy: UnlockUnderused, city: City, capacity: np.ndarray, base_rent: np.ndarray,
           rent: np.ndarray, carry: np.ndarray) -> None:
    """Convert one step's share of under-used single-family homes (in place, ``carry`` too)."""
    nodes = np.flatnonzero(city.period == PERIODS.index(policy.period))
    sfh = capacity[nodes, SEGMENTS.index("single_family")]
    want = carry[nodes] + policy.rate * sfh
    new = np.floor(want).astype(np.int64)
    carry[nodes] = want - new
    _add(nodes, SEGMENTS.index("private"), new, capacity, base_rent, rent)


def _add(nodes: np.ndarray, seg: int, counts: np.ndarray, capacity: np.ndarray,
         base_rent: np.ndarray, rent: np.ndarray) -> None:
    has = capacity[:, seg] > 0
    mean = ((base_rent[has, seg] * capacity[has, seg]).sum() / capacity[has, seg].sum()
            if has.any() else 0.0)
    for n, c in zip(nodes, counts, strict=True):
        if c > 0 and capacity[n, seg] == 0:
            base_rent[n, seg] = rent[n, seg] = mean
        capacity[n, seg] += c
