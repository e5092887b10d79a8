"""Composition of neighbourhoods: integer counts, and the weighted composition each household
perceives (own neighbourhood plus rings of neighbours within the radius).

The perceived aggregates of node ``n`` (a :class:`~urbsim._kernels.records.Perceived`) are,
with ``w`` the ring weight of each node ``j`` in the ball of ``n`` and ``c[j, k]`` the count of
milieu ``k`` at ``j``:

* ``cw[n, k]   = sum_j w * c[j, k]``       (weighted composition)
* ``tot[n]     = sum_k cw[n, k]``
* ``sum_st[n]  = sum_k cw[n, k] * status[k]``
* ``sum_sq[n]  = sum_k cw[n, k] ** 2``
* ``aff[n, m]  = sum_k affinity[m, k] * cw[n, k]``

They are rebuilt from the integer counts at each step and updated incrementally on each move.
Only what some preference reads is kept (:class:`~urbsim._kernels.records.Preferences`):
``sum_st`` where a milieu weighs status, ``sum_sq`` where one weighs diversity, and ``aff`` is
``cw`` itself where the affinity is the identity (the sum would give ``cw`` bit for bit: every
other term is ``0 * x`` with ``x >= 0``). A model whose milieus weigh composition only (such as
Schelling's) updates two arrays per node of a ball on each move instead of five.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from urbsim._kernels.jit import njit
from urbsim._kernels.records import Perceived


@njit()
def counts(households, n_nodes, n_milieus):
    """Households per neighbourhood x milieu.

    Args:
        households: :class:`~urbsim._kernels.records.Households` (in): ``active``, ``node``,
            ``milieu`` are read.
        n_nodes: int, ``N``.
        n_milieus: int, ``M``.

    Returns:
        ``(N, M)`` int64 counts of the active households.
    """
    node, milieu, active = households.node, households.milieu, households.active
    c = np.zeros((n_nodes, n_milieus), np.int64)
    for i in range(node.shape[0]):
        if active[i]:
            c[node[i], milieu[i]] += 1
    return c


@njit()
def occupancy(households, n_nodes, n_segments):
    """Occupied dwellings per neighbourhood x segment.

    Args:
        households: :class:`~urbsim._kernels.records.Households` (in): ``active``, ``node``,
            ``segment`` are read.
        n_nodes: int, ``N``.
        n_segments: int, ``G``.

    Returns:
        ``(N, G)`` int64 counts of the active households' dwellings.
    """
    node, segment, active = households.node, households.segment, households.active
    o = np.zeros((n_nodes, n_segments), np.int64)
    for i in range(node.shape[0]):
        if active[i]:
            o[node[i], segment[i]] += 1
    return o


@njit(parallel=True)
def perceived(c, balls, prefs):
    """The perceived aggregates from counts ``c`` (each node's row is summed by one thread in
    ball order: the result does not depend on threads).

    Args:
        c: ``(N, M)`` int64 (in), households per neighbourhood x milieu.
        balls: :class:`~urbsim._kernels.records.Balls` (in).
        prefs: :class:`~urbsim._kernels.records.Preferences` (in): ``status`` and
            ``affinity`` are read.

    Returns:
        A new :class:`~urbsim._kernels.records.Perceived`.
    """
    ball_ptr, ball_idx, ball_hop, ring_w = balls.ptr, balls.idx, balls.hop, balls.ring_w
    status, affinity = prefs.status, prefs.affinity
    n, m = c.shape
    cw = np.zeros((n, m))
    tot = np.zeros(n)
    sum_st = np.zeros(n)
    sum_sq = np.zeros(n)
    aff = cw if prefs.own_kind else np.zeros((n, m))
    for i in prange(n):
        for e in range(ball_ptr[i], ball_ptr[i + 1]):
            w = ring_w[ball_hop[e]]
            if w != 0.0:
                j = ball_idx[e]
                for k in range(m):
                    cw[i, k] += w * c[j, k]
        for k in range(m):
            x = cw[i, k]
            tot[i] += x
            if prefs.weighs_status:
                sum_st[i] += x * status[k]
            if prefs.weighs_diversity:
                sum_sq[i] += x * x
            if not prefs.own_kind:
                for a in range(m):
                    aff[i, a] += affinity[a, k] * x
    return Perceived(cw, tot, sum_st, sum_sq, aff)


@njit(inline="always")
def shift(perceived, balls, prefs, node, k, sign):
    """Update the aggregates in place when one household of milieu ``k`` arrives at
    (``sign=+1``) or leaves (``sign=-1``) ``node``. The ball is symmetric, so the nodes whose
    perception changes are the nodes of ``node``'s own ball, with the same weights.

    Args:
        perceived: :class:`~urbsim._kernels.records.Perceived` (in/out): every array kept is
            updated for the nodes of the ball of ``node``.
        balls: :class:`~urbsim._kernels.records.Balls` (in).
        prefs: :class:`~urbsim._kernels.records.Preferences` (in): ``status`` and
            ``affinity`` are read.
        node: int, the neighbourhood the household arrives at or leaves.
        k: int, its milieu.
        sign: float, +1.0 (arrives) or -1.0 (leaves).
    """
    cw, tot, sum_st, sum_sq, aff = perceived
    ball_ptr, ball_idx, ball_hop, ring_w = balls.ptr, balls.idx, balls.hop, balls.ring_w
    status, affinity = prefs.status, prefs.affinity
    m = cw.shape[1]
    for e in range(ball_ptr[node], ball_ptr[node + 1]):
        w = ring_w[ball_hop[e]] * sign
        if w != 0.0:
            j = ball_idx[e]
            old = cw[j, k]
            cw[j, k] = old + w
            tot[j] += w
            if prefs.weighs_status:
                sum_st[j] += w * status[k]
            if prefs.weighs_diversity:
                sum_sq[j] += (old + w) * (old + w) - old * old
            if not prefs.own_kind:  # else ``aff`` is ``cw``
                for a in range(m):
                    aff[j, a] += affinity[a, k] * w


@njit(inline="always")
def weight_in_ball(balls, node, other):
    """Ring weight of ``other`` in the ball of ``node`` (0 when outside it or ``other < 0``).

    Args:
        balls: :class:`~urbsim._kernels.records.Balls` (in).
        node: int, centre of the ball.
        other: int, the node looked for (may be negative: not housed).

    Returns:
        float, ``ring_w[hop]`` of ``other`` in the ball, else 0.0.
    """
    ball_ptr, ball_idx, ball_hop, ring_w = balls.ptr, balls.idx, balls.hop, balls.ring_w
    for e in range(ball_ptr[node], ball_ptr[node + 1]):
        if ball_idx[e] == other:
            return ring_w[ball_hop[e]]
    return 0.0


@njit()
def tallies(active, node, column, milieu, contract, sgb, capacity, occupied, n_milieus):
    """The recorded housing tallies, in one pass over the households and one over the cells,
    in the dtypes they are recorded in.

    Args:
        active: ``(H,)`` bool (in), the slots counted.
        node: ``(H,)`` int64 (in), home neighbourhood.
        column: ``(H,)`` int64 (in), dwelling column (``>= G``: owned).
        milieu: ``(H,)`` int64 (in), milieu.
        contract: ``(H,)`` float64 (in), contract rent.
        sgb: ``(H,)`` bool (in), on SGB II.
        capacity: ``(N, 2G)`` int64 (in), dwellings per neighbourhood x column (let, then
            owned).
        occupied: ``(N, 2G)`` int64 (in), the occupied ones.
        n_milieus: int, ``M``.

    Returns:
        ``(tenants, contract_rent, owners, on_sgb, vacant)``: tenant households and their
        mean contract rent per neighbourhood x segment (``(N, G)`` int32, and float64 summed
        in slot order, NaN where none), owner households and households on SGB II per
        neighbourhood x milieu (``(N, M)`` int32), vacant dwellings per neighbourhood x
        segment, let and owned together (``(N, G)`` int32).
    """
    n_nodes, n_segments = capacity.shape[0], capacity.shape[1] // 2
    tenants = np.zeros((n_nodes, n_segments), np.int32)
    rent = np.zeros((n_nodes, n_segments), np.float64)
    owners = np.zeros((n_nodes, n_milieus), np.int32)
    on_sgb = np.zeros((n_nodes, n_milieus), np.int32)
    for i in range(active.shape[0]):
        if not active[i]:
            continue
        n, g, k = node[i], column[i], milieu[i]
        if g < n_segments:
            tenants[n, g] += 1
            rent[n, g] += contract[i]
        else:
            owners[n, k] += 1
        if sgb[i]:
            on_sgb[n, k] += 1
    vacant = np.empty((n_nodes, n_segments), np.int32)
    for n in range(n_nodes):
        for g in range(n_segments):
            rent[n, g] = rent[n, g] / tenants[n, g] if tenants[n, g] > 0 else np.nan
            vacant[n, g] = (capacity[n, g] - occupied[n, g]
                            + capacity[n, g + n_segments] - occupied[n, g + n_segments])
    return tenants, rent, owners, on_sgb, vacant
