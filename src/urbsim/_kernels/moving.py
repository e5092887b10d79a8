"""Move decisions: life-course events, dissatisfaction, and moves forced by rent.

For each household, three independent draws (stream MOVE, draws 0, 1, 2)::

    p_life   = mobility[m] * age_mobility[age] * (1 - damping * attachment)
    p_dissat = (1 - exp(-gain * max(0, -S))) * (1 - damping * attachment)
    p_forced = forced_rate  if rent / income > max_burden  else 0

A household moves if any draw fires; a move whose forced draw fired is a displacement.
Returns 0 (stays), 1 (moves voluntarily) or 2 (forced to move) per household.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from urbsim._kernels import rng


@njit(cache=True, parallel=True)
def decide(seed, step, households, satisfaction, rent, rules):
    """Move flag per household (0 stay, 1 voluntary, 2 forced).

    Args:
        seed: int, the run's seed.
        step: int, the step (draws of stream MOVE are keyed on it).
        households: :class:`~urbsim._kernels.records.Households` (in): ``active``,
            ``milieu``, ``node``, ``segment``, ``income``, ``age``, ``attachment`` are read.
        satisfaction: ``(H,)`` float64 (in), each household's utility of its home.
        rent: ``(N, G)`` float64 (in), current rents.
        rules: :class:`~urbsim._kernels.records.MovingRules` (in).

    Returns:
        ``(H,)`` int8, 0 (stays), 1 (moves voluntarily) or 2 (forced to move); 0 for empty
        slots.
    """
    active, milieu, node = households.active, households.milieu, households.node
    segment, income = households.segment, households.income
    age, attachment = households.age, households.attachment
    mobility, age_mobility = rules.mobility, rules.age_mobility
    damping, gain = rules.damping, rules.gain
    max_burden, forced_rate = rules.max_burden, rules.forced_rate
    h = active.shape[0]
    out = np.zeros(h, np.int8)
    for i in prange(h):
        if not active[i]:
            continue
        keep = 1.0 - damping * attachment[i]
        p_life = mobility[milieu[i]] * age_mobility[age[i]] * keep
        p_dis = (1.0 - np.exp(-gain * max(0.0, -satisfaction[i]))) * keep
        forced = rent[node[i], segment[i]] > max_burden * income[i]
        k = rng.key(seed, step, rng.MOVE, i)
        if forced and rng.keyed(k, 2) < forced_rate:
            out[i] = 2
        elif rng.keyed(k, 0) < p_life or rng.keyed(k, 1) < p_dis:
            out[i] = 1
    return out
