"""Turnover: departures from the city, newcomers' attributes, ageing and attachment.

* Departure: each household leaves with ``out_rate`` per year; a 65+ household also dissolves
  with ``death_rate`` (stream OUT).
* Newcomers: milieu drawn from the in-migration mix, income log-normal around the milieu's
  median, age class from :data:`NEWCOMER_AGE` (stream IN); they then search like movers.
* Ageing: one age class up with probability ``ageing`` (stream AGEING); years at the address
  +1; attachment grows by ``growth * (1 - attachment)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from urbsim._kernels import rng

NEWCOMER_AGE = np.array([0.45, 0.30, 0.18, 0.07])
"""Age-class distribution of in-migrants (18–29, 30–44, 45–64, 65+); prior, young-heavy."""


@njit(cache=True, parallel=True)
def departures(seed, step, active, age, out_rate, death_rate):
    """True for households that leave the city this step."""
    h = active.shape[0]
    out = np.zeros(h, np.bool_)
    for i in prange(h):
        if active[i]:
            p = out_rate + (death_rate if age[i] == 3 else 0.0)
            out[i] = rng.uniform(seed, step, rng.OUT, i, 0) < p
    return out


@njit(cache=True, inline="always")
def _pick(cum, u):
    k = 0
    while k < cum.shape[0] - 1 and cum[k] <= u:
        k += 1
    return k


@njit(cache=True)
def newcomers(seed, step, stream, slots, mix_cum, age_cum, log_median, sigma, milieu, income,
              age, years, attachment, engagement, engagement0):
    """Draw attributes of newcomers into the household ``slots`` (in place)."""
    for j in range(slots.shape[0]):
        i = slots[j]
        m = _pick(mix_cum, rng.uniform(seed, step, stream, i, 0))
        milieu[i] = m
        income[i] = np.exp(log_median[m] + sigma * rng.normal(seed, step, stream, i, 1))
        age[i] = _pick(age_cum, rng.uniform(seed, step, stream, i, 4))
        years[i] = 0
        attachment[i] = 0.0
        engagement[i] = engagement0[m]


@njit(cache=True, parallel=True)
def age_households(seed, step, active, age, years, attachment, ageing, growth):
    """Advance age classes, years at the address and attachment (in place)."""
    for i in prange(active.shape[0]):
        if active[i]:
            if age[i] < 3 and rng.uniform(seed, step, rng.AGEING, i, 0) < ageing:
                age[i] += 1
            years[i] += 1
            attachment[i] += growth * (1.0 - attachment[i])
