"""Housing market: rents follow demand pressure, within policy bounds.

Per neighbourhood and segment with dwellings, the relative rent change is
``adjustment * (target - vacancy) / target``, clipped to ``±max_change`` and, under a rent cap,
to at most ``cap_increase``; the rent then stays within ``[floor, upper] x base rent``, where
``upper`` is the ceiling, or the cap's level factor when lower. Social rents stay at base when
``social_fixed``.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def update_rents(housing, rules):
    """This year's rents from last year's and the vacancy.

    Args:
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``rent``, ``base_rent``,
            ``capacity``, ``occupied`` are read.
        rules: :class:`~urbsim._kernels.records.MarketRules` (in).

    Returns:
        ``(N, G)`` float64, a new rent array (cells without dwellings, and social rents when
        ``social_fixed``, keep their rent).
    """
    rent, base_rent = housing.rent, housing.base_rent
    capacity, occ = housing.capacity, housing.occupied
    target, adjustment, max_change = rules.vacancy_target, rules.adjustment, rules.max_change
    floor, upper, cap_increase = rules.floor, rules.upper, rules.cap_increase
    social_fixed = rules.social_fixed
    n, n_seg = rent.shape
    out = rent.copy()
    for i in range(n):
        for s in range(n_seg):
            if capacity[i, s] <= 0 or (s == 0 and social_fixed):
                continue
            vacancy = (capacity[i, s] - occ[i, s]) / capacity[i, s]
            change = adjustment * (target - vacancy) / target
            change = min(max(change, -max_change), max_change)
            if cap_increase >= 0.0:
                change = min(change, cap_increase)
            out[i, s] = min(max(rent[i, s] * (1.0 + change), floor * base_rent[i, s]),
                            upper * base_rent[i, s])
    return out
