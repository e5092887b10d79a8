"""Housing policy levers and what each does to the city when in force.

Policies switch on before their ``start`` step and off after their ``end`` step, through
Mesa's event schedule (see :class:`urbsim.engine.model.UrbanModel`). While in force:

* :class:`~urbsim.inputs.params.RentBrake` (Mietpreisbremse) limits re-let rents in its area
  to ``1 + markup`` times the reference rent, or the previous rent if higher, at the share
  ``compliance`` of the lets; neighbourhoods of the building period "new" (first let after
  1 October 2014) are exempt;
* :class:`~urbsim.inputs.params.LowerCap` lowers the Kappungsgrenze of sitting tenants' rises;
* :class:`~urbsim.inputs.params.RentFreeze` stops rises and the reference rents in its area,
  and limits re-let rents there to the frozen reference rent; neighbourhoods of the building
  period "new" are exempt too (Berlin's MietenWoG exempted dwellings ready from 2014 on);
* :class:`~urbsim.inputs.params.RenewSocial` renews a share of the social bindings that end;
* :class:`~urbsim.inputs.params.Construction` adds dwellings each step, split evenly over the
  target neighbourhoods (largest remainder), ``social_quota`` of them social rental, the rest
  let (segment private) or owner-occupied (owner flats, single-family houses);
* :class:`~urbsim.inputs.params.UnlockUnderused` converts a share of the under-used homes
  (owner-occupied single-family houses of one building period whose household is 65+ with at
  most two persons) into an extra private rental flat each step: ``rate`` times their number
  city-wide (the fraction carried over to the next step), apportioned to the neighbourhoods
  by largest remainder of their under-used homes.

New dwellings in a column a neighbourhood did not have get the city's mean base rent of that
column. Columns are those of :mod:`urbsim._kernels.records`: ``s`` let, ``G + s`` owned.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from urbsim.inputs.city import PERIODS, City
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import (
    Construction,
    LowerCap,
    RenewSocial,
    RentBrake,
    RentFreeze,
    UnlockUnderused,
)

G = len(SEGMENTS)
SOCIAL, PRIVATE, SINGLE_FAMILY = (SEGMENTS.index(s) for s in ("social", "private",
                                                               "single_family"))


class RentRules(NamedTuple):
    """The rent policies in force, as the contract kernels take them."""

    limit: np.ndarray
    """``(N,)`` highest re-let rent as a multiple of the reference rent (``inf``: none)."""
    keep_previous: np.ndarray
    """``(N,)`` a higher previous rent may be kept (not under a freeze)."""
    cap: float
    """The Kappungsgrenze: highest rise of a sitting tenant's rent in three years."""
    frozen: np.ndarray
    """``(N,)`` rents and reference rents frozen."""
    enforced: np.ndarray
    """``(N,)`` share of the lets at which the limit is kept (a freeze: all)."""


def rent_rules(active: list, city: City, cap: float) -> RentRules:
    """The rent policies in force in ``city`` (``cap``: the Kappungsgrenze without them)."""
    limit = np.full(city.n, np.inf)
    frozen = np.zeros(city.n, bool)
    new = PERIODS.index("new")  # first let after 1 Oct 2014 (brake), ready from 2014 (freeze)
    enforced = np.zeros(city.n)
    for p in active:
        if isinstance(p, RentBrake):
            area = city.mask(p.districts, p.neighbourhoods) & (city.period != new)
            limit[area] = np.minimum(limit[area], 1.0 + p.markup)
            enforced[area] = np.maximum(enforced[area], p.compliance)
        elif isinstance(p, RentFreeze):
            frozen |= city.mask(p.districts, p.neighbourhoods) & (city.period != new)
        elif isinstance(p, LowerCap):
            cap = min(cap, p.cap)
    limit[frozen] = 1.0
    enforced[frozen] = 1.0  # a public-law ceiling, enforced by the authorities
    return RentRules(limit, ~frozen, cap, frozen, enforced)


def renewed(active: list) -> float:
    """Share of the ending social bindings that policies renew."""
    return max((p.share for p in active if isinstance(p, RenewSocial)), default=0.0)


def apply_housing(active: list, city: City, capacity: np.ndarray, base_rent: np.ndarray,
                  rent: np.ndarray, carry: dict, underused: np.ndarray) -> None:
    """One step of the housing policies in force, in the order they are listed: construction
    (:func:`build`) and conversion of under-used homes (:func:`unlock`). The arrays are changed
    in place (``carry``: the fraction of a dwelling each policy carries over to its next step;
    ``underused``: the under-used homes per neighbourhood).

    Rent policies change no dwelling: see :func:`rent_rules`.
    """
    for policy in active:
        if isinstance(policy, Construction):
            build(policy, city, capacity, base_rent, rent, carry)
        elif isinstance(policy, UnlockUnderused):
            unlock(policy, city, capacity, base_rent, rent, carry, underused)


def split(total: int, n: int) -> np.ndarray:
    """``total`` split into ``n`` whole parts as evenly as possible (earlier parts larger)."""
    return total // n + (np.arange(n) < total % n)


def build(policy: Construction, city: City, capacity: np.ndarray, base_rent: np.ndarray,
          rent: np.ndarray, carry: dict) -> None:
    """Add one step's dwellings of a construction policy (arrays changed in place): its
    ``dwellings`` times the city's :attr:`~urbsim.inputs.city.City.sample` (a sample builds
    its share), the fraction carried over in ``carry[policy]``."""
    nodes = np.flatnonzero(city.mask(policy.districts, policy.neighbourhoods))
    want = carry.get(policy, 0.0) + policy.dwellings * city.sample
    total = int(np.floor(want + 1e-9))
    carry[policy] = want - total
    social = round(total * policy.social_quota)
    seg = SEGMENTS.index(policy.segment)
    column = seg if seg == PRIVATE else G + seg
    for col, count in ((SOCIAL, social), (column, total - social)):
        add(nodes, col, split(count, len(nodes)), capacity, base_rent, rent)


def unlock(policy: UnlockUnderused, city: City, capacity: np.ndarray, base_rent: np.ndarray,
           rent: np.ndarray, carry: dict, underused: np.ndarray) -> None:
    """Convert one step's share of the under-used homes (in place; ``carry[policy]`` holds
    the fraction of a flat carried over)."""
    nodes = np.flatnonzero(city.period == PERIODS.index(policy.period))
    homes = underused[nodes]
    want = carry.get(policy, 0.0) + policy.rate * homes.sum()
    total = int(np.floor(want + 1e-9))
    carry[policy] = want - total
    add(nodes, PRIVATE, apportion(total, homes), capacity, base_rent, rent)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """``total`` split in proportion to ``weights`` into whole parts, by largest remainder
    (ties to the earlier); all zeros when the weights are."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), np.int64)
    quota = total * weights / weights.sum()
    out = np.floor(quota).astype(np.int64)
    out[np.argsort(-(quota - out), kind="stable")[: total - out.sum()]] += 1
    return out


def add(nodes: np.ndarray, col: int, counts: np.ndarray, capacity: np.ndarray,
        base_rent: np.ndarray, rent: np.ndarray) -> None:
    """Add ``counts`` dwellings of column ``col`` at ``nodes`` (in place)."""
    open_column(nodes[counts > 0], col, capacity, base_rent, rent)
    np.add.at(capacity[:, col], nodes, counts)


def open_column(nodes: np.ndarray, col: int, capacity: np.ndarray, base_rent: np.ndarray,
                rent: np.ndarray) -> None:
    """Give the ``nodes`` without dwellings of column ``col``, about to get their first, the
    city's capacity-weighted mean base rent of that column as base and current rent (in place;
    nothing when no neighbourhood has the column)."""
    has = capacity[:, col] > 0
    new = np.asarray(nodes, np.int64)[~has[nodes]]
    if len(new) and has.any():
        w = capacity[has, col]
        base_rent[new, col] = rent[new, col] = (base_rent[has, col] * w).sum() / w.sum()
