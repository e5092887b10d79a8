"""Social-housing bindings that end: the dwelling stays, as a private rental.

Each year ``ending[n]`` social dwellings of neighbourhood ``n`` leave their binding (the end
years of a neighbourhood's bound stock spread evenly, see :class:`urbsim.inputs.params.CityParams`).
Each one is drawn uniformly from the neighbourhood's social dwellings, occupied or vacant
(stream BINDING); an occupied one keeps its tenant and its contract rent, which from then on
may rise as any private tenant's (:mod:`urbsim._kernels.contracts`). A rent fixed under the
subsidy does not count towards the reference rent (§558 (2) BGB): a contract unchanged for 15
months (two steps) is dated back out of the reference window, so that the landlord may ask for
a rise at once; a younger one stays as it is (it may not rise yet, and counts until it leaves
the window).
"""

from __future__ import annotations

import numpy as np

from urbsim._kernels import rng
from urbsim._kernels.contracts import WAIT
from urbsim._kernels.jit import njit

SOCIAL, PRIVATE = 0, 1  # the let columns of social and private rental blocks


@njit()
def expire(seed, step, households, capacity, occupied, ending, window):
    """Turn ``ending[n]`` social dwellings of each neighbourhood into private let ones.

    Args:
        seed: int, the run's seed.
        step: int, the step.
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``active``,
            ``node`` are read; ``segment`` of the tenants whose dwelling leaves its binding
            is set to the private column, and ``since`` to at most ``step - window`` where it
            is at most ``step - WAIT``.
        capacity: ``(N, C)`` int64 (in/out), dwellings: social ones move to private.
        occupied: ``(N, C)`` int64 (in/out), occupied dwellings, likewise.
        ending: ``(N,)`` int64 (in), dwellings whose binding ends (at most the social ones).
        window: int, years of contracts the reference rent counts (``reference_years``).

    Returns:
        int, the number of tenants whose dwelling left its binding.
    """
    n = capacity.shape[0]
    active, node, segment = households.active, households.node, households.segment
    start = np.zeros(n + 1, np.int64)
    for i in range(active.shape[0]):
        if active[i] and segment[i] == SOCIAL:
            start[node[i] + 1] += 1
    start = np.cumsum(start)
    members = np.empty(start[n], np.int64)
    fill = start[:n].copy()
    for i in range(active.shape[0]):
        if active[i] and segment[i] == SOCIAL:
            members[fill[node[i]]] = i
            fill[node[i]] += 1
    moved = 0
    for k in range(n):
        e = min(ending[k], capacity[k, SOCIAL])
        lo = start[k]
        left = start[k + 1] - lo  # tenants still in bound dwellings
        vacant = capacity[k, SOCIAL] - occupied[k, SOCIAL]
        for j in range(e):
            u = rng.uniform(seed, step, rng.BINDING, k, j) * (left + vacant)
            if u < left:  # an occupied dwelling: swap its tenant out of the pool
                pick = lo + int(u)
                i = members[pick]
                members[pick] = members[lo + left - 1]
                left -= 1
                segment[i] = PRIVATE
                if households.since[i] <= step - WAIT:  # never earlier than §558 allows
                    households.since[i] = min(households.since[i], step - window)
                occupied[k, SOCIAL] -= 1
                occupied[k, PRIVATE] += 1
                moved += 1
            else:
                vacant -= 1
        capacity[k, SOCIAL] -= e
        capacity[k, PRIVATE] += e
    return moved
