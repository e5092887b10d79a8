"""Demand from outside the city: how many households try to move in each year.

Out-migration and the dissolution of households are rates of the turnover
(:mod:`urbsim._kernels.turnover`). In-migration makes up for them, plus the trend in the number
of households that projections give for the city at regional rents, scaled by how the city's
asking rents and vacancy compare with the region's::

    attempts = max(0, departures + trend * H) * (rent index / regional index) ** -e_rent
                                               * clip(vacancy / regional vacancy, 1/4, 4) ** e_vacancy

``H`` is the number of households before the departures, the rent index the mean asking rent
of the non-social let dwellings relative to the start, and the regional index
``(1 + regional_rent_growth) ** t``. Newcomers who then find no acceptable vacancy do not come.
"""

from __future__ import annotations

import numpy as np

from urbsim.inputs.params import DemandParams


def attempts(p: DemandParams, t: int, departures: int, households: int, rent_index: float,
             vacancy: float) -> int:
    """In-migration attempts in step ``t`` (see the module docstring)."""
    base = max(0.0, departures + p.household_trend * households)
    relative = rent_index / (1.0 + p.regional_rent_growth) ** t
    slack = float(np.clip(vacancy / p.regional_vacancy, 0.25, 4.0))
    return round(base * relative ** -p.rent_elasticity * slack ** p.vacancy_elasticity)


def rent_index(rent: np.ndarray, base_rent: np.ndarray, capacity: np.ndarray) -> float:
    """Mean asking rent of the non-social let dwellings (columns ``1..G-1``) relative to
    their base rents, weighted by the dwellings."""
    g = rent.shape[1] // 2
    w = capacity[:, 1:g]
    base = (base_rent[:, 1:g] * w).sum()
    return float((rent[:, 1:g] * w).sum() / base) if base > 0 else 1.0
