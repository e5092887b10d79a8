"""Move decisions: life-course events, dissatisfaction, and tenants' moves forced by rent.

For each household, three independent draws (stream MOVE, draws 0, 1, 2)::

    p_life   = mobility[m] * age_mobility[age] * (1 - damping * attachment) [* owner_mobility]
    p_dissat = (1 - exp(-gain * max(0, -S))) * (1 - damping * attachment)
    p_forced = forced_rate  if the tenant's rent is above max_burden * income  else 0
             (on SGB II: the KdU forced_rate if its rent is above its KdU ceiling)

On SGB II the Jobcenter pays the rent up to the ceiling and asks a household above it to lower
its cost; few such requests end in a move. Owners are never forced by rent
and move less (``owner_mobility``). A household moves if any draw fires; a move whose forced
draw fired is a displacement. Returns 0 (stays), 1 (moves voluntarily) or 2 (forced to move).
A household none of whose probabilities is positive draws nothing (keyed draws: skipping them
changes no other draw), so that a content household costs a comparison or two.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from urbsim._kernels import contracts, rng
from urbsim._kernels.jit import njit


@njit(parallel=True)
def decide(seed, step, households, satisfaction, rules, transfers):
    """Move flag per household (0 stay, 1 voluntary, 2 forced).

    Args:
        seed: int, the run's seed.
        step: int, the step (draws of stream MOVE are keyed on it).
        households: :class:`~urbsim._kernels.records.Households` (in): ``active``,
            ``milieu``, ``segment``, ``income``, ``age``, ``attachment``, ``size``,
            ``contract`` are read.
        satisfaction: ``(H,)`` float64 (in), each household's utility of its home.
        rules: :class:`~urbsim._kernels.records.MovingRules` (in).
        transfers: :class:`~urbsim._kernels.records.Transfers` (in), the KdU rule.

    Returns:
        ``(H,)`` int8, 0 (stays), 1 (moves voluntarily) or 2 (forced to move); 0 for empty
        slots.
    """
    active, milieu = households.active, households.milieu
    segment, income = households.segment, households.income
    age, attachment = households.age, households.attachment
    size, contract = households.size, households.contract
    mobility, age_mobility = rules.mobility, rules.age_mobility
    damping, gain = rules.damping, rules.gain
    max_burden, forced_rate = rules.max_burden, rules.forced_rate
    n_let = rules.n_let
    h = active.shape[0]
    out = np.zeros(h, np.int8)
    for i in prange(h):
        if not active[i]:
            continue
        keep = 1.0 - damping * attachment[i]
        owner = segment[i] >= n_let
        p_life = (mobility[milieu[i]] * age_mobility[age[i]] * keep
                  * (rules.owner_mobility if owner else 1.0))
        s = satisfaction[i]  # content (s >= 0): no dissatisfaction, no exp taken
        p_dis = (1.0 - np.exp(-gain * max(0.0, -s))) * keep if s < 0.0 else 0.0
        rate = forced_rate
        limit = max_burden * income[i]
        if contracts.on_sgb(income[i], transfers):
            rate = transfers.forced_rate
            limit = contracts.ceiling(size[i], transfers)
        forced = not owner and contract[i] > limit
        if not (forced or p_life > 0.0 or p_dis > 0.0):
            continue  # no draw can fire (a uniform is never below 0): none is made
        k = rng.key(seed, step, rng.MOVE, i)
        if forced and rng.keyed(k, 2) < rate:
            out[i] = 2
        elif rng.keyed(k, 0) < p_life or rng.keyed(k, 1) < p_dis:
            out[i] = 1
    return out
