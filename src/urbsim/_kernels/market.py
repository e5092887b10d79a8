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
def update_rents(rent, base_rent, capacity, occ, target, adjustment, max_change, floor,
                 upper, cap_increase, social_fixed):
    """New rent array (``cap_increase < 0`` means no cap on the increase)."""
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
