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
from numba import prange

from urbsim._kernels import rng
from urbsim._kernels.jit import njit

NEWCOMER_AGE = np.array([0.45, 0.30, 0.18, 0.07])
"""Age-class distribution of in-migrants (18–29, 30–44, 45–64, 65+); prior, young-heavy."""


@njit(parallel=True)
def departures(seed, step, households, rules):
    """Which households leave the city this step (stream OUT).

    Args:
        seed: int, the run's seed.
        step: int, the step.
        households: :class:`~urbsim._kernels.records.Households` (in): ``active`` and
            ``age`` are read.
        rules: :class:`~urbsim._kernels.records.TurnoverRules` (in): ``out_rate`` and
            ``death_rate`` are read.

    Returns:
        ``(H,)`` bool, True for households that leave (False for empty slots).
    """
    active, age = households.active, households.age
    out_rate, death_rate = rules.out_rate, rules.death_rate
    h = active.shape[0]
    out = np.zeros(h, np.bool_)
    for i in prange(h):
        if active[i]:
            p = out_rate + (death_rate if age[i] == 3 else 0.0)
            out[i] = rng.uniform(seed, step, rng.OUT, i, 0) < p
    return out


@njit(inline="always")
def _pick(cum, u):
    """Index of the class a uniform ``u`` falls in.

    Args:
        cum: ``(C,)`` float64 (in), cumulative class shares (the last one 1).
        u: float, a uniform in [0, 1).

    Returns:
        int, the first ``k`` with ``cum[k] > u`` (the last class at most).
    """
    k = 0
    while k < cum.shape[0] - 1 and cum[k] <= u:
        k += 1
    return k


@njit()
def newcomers(seed, step, stream, slots, households, inflow):
    """Draw the attributes of newcomers into the household ``slots``.

    Milieu from the in-migration mix (draw 0), log-normal income around the milieu's median
    (draws 2 and 3: a normal), age class (draw 4); no years at the address, no attachment,
    the milieu's baseline engagement. The slots stay inactive until the newcomers find a home.

    Args:
        seed: int, the run's seed.
        step: int, the step.
        stream: int, the random stream (:data:`urbsim._kernels.rng.IN`).
        slots: ``(J,)`` int64 (in), free household slots to fill.
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``milieu``,
            ``income``, ``age``, ``years``, ``attachment``, ``engagement`` are written at
            ``slots``.
        inflow: :class:`~urbsim._kernels.records.Inflow` (in).
    """
    milieu, income, age = households.milieu, households.income, households.age
    years, attachment, engagement = households.years, households.attachment, households.engagement
    mix_cum, age_cum, log_median = inflow.mix_cum, inflow.age_cum, inflow.log_median
    sigma, engagement0 = inflow.sigma, inflow.engagement0
    for j in range(slots.shape[0]):
        i = slots[j]
        m = _pick(mix_cum, rng.uniform(seed, step, stream, i, 0))
        milieu[i] = m
        income[i] = np.exp(log_median[m] + sigma * rng.normal(seed, step, stream, i, 1))
        age[i] = _pick(age_cum, rng.uniform(seed, step, stream, i, 4))
        years[i] = 0
        attachment[i] = 0.0
        engagement[i] = engagement0[m]


@njit(parallel=True)
def age_households(seed, step, households, rules):
    """Advance age classes (stream AGEING), years at the address and attachment.

    Args:
        seed: int, the run's seed.
        step: int, the step.
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``active`` is
            read; ``age``, ``years``, ``attachment`` of the active households are updated.
        rules: :class:`~urbsim._kernels.records.TurnoverRules` (in): ``ageing`` and
            ``attachment_growth`` are read.
    """
    active, age = households.active, households.age
    years, attachment = households.years, households.attachment
    ageing, growth = rules.ageing, rules.attachment_growth
    for i in prange(active.shape[0]):
        if active[i]:
            if age[i] < 3 and rng.uniform(seed, step, rng.AGEING, i, 0) < ageing:
                age[i] += 1
            years[i] += 1
            attachment[i] += growth * (1.0 - attachment[i])
