"""Housing market: asking rents and owners' user costs follow demand pressure.

Per neighbourhood and column with dwellings, the relative change is
``adjustment * (target - vacancy) / target``, clipped to ``±max_change``; the value then stays
within ``[floor, ceiling] x base``. Social rents stay at base when ``social_fixed``. These are
the prices of vacant dwellings: what sitting tenants pay follows its own rules
(:mod:`urbsim._kernels.contracts`), and the rent policies act on lets and contracts, not here.
"""

from __future__ import annotations

from urbsim._kernels.jit import njit


@njit()
def update_rents(housing, rules):
    """This year's asking rents and user costs from last year's and the vacancy.

    Args:
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``rent``, ``base_rent``,
            ``capacity``, ``occupied`` are read.
        rules: :class:`~urbsim._kernels.records.MarketRules` (in).

    Returns:
        ``(N, C)`` float64, a new rent array (cells without dwellings, and social rents when
        ``social_fixed``, keep their rent).
    """
    rent, base_rent = housing.rent, housing.base_rent
    capacity, occ = housing.capacity, housing.occupied
    target, adjustment, max_change = rules.vacancy_target, rules.adjustment, rules.max_change
    floor, ceiling = rules.floor, rules.ceiling
    social_fixed = rules.social_fixed
    n, n_col = rent.shape
    out = rent.copy()
    for i in range(n):
        for s in range(n_col):
            if capacity[i, s] <= 0 or (s == 0 and social_fixed):
                continue
            vacancy = (capacity[i, s] - occ[i, s]) / capacity[i, s]
            change = adjustment * (target - vacancy) / target
            change = min(max(change, -max_change), max_change)
            out[i, s] = min(max(rent[i, s] * (1.0 + change), floor * base_rent[i, s]),
                            ceiling * base_rent[i, s])
    return out
