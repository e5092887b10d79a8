"""Composition of neighbourhoods: integer counts, and the weighted composition each household
perceives (own neighbourhood plus rings of neighbours within the radius).

The perceived aggregates of node ``n`` are, with ``w`` the ring weight of each node ``j`` in the
ball of ``n`` and ``c[j, k]`` the count of milieu ``k`` at ``j``:

* ``cw[n, k]   = sum_j w * c[j, k]``       (weighted composition)
* ``tot[n]     = sum_k cw[n, k]``
* ``sum_st[n]  = sum_k cw[n, k] * status[k]``
* ``sum_sq[n]  = sum_k cw[n, k] ** 2``
* ``aff[n, m]  = sum_k affinity[m, k] * cw[n, k]``

They are rebuilt from the integer counts at each step and updated incrementally on each move.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def counts(node, milieu, active, n_nodes, n_milieus):
    """Households per node x milieu (int64)."""
    c = np.zeros((n_nodes, n_milieus), np.int64)
    for i in range(node.shape[0]):
        if active[i]:
            c[node[i], milieu[i]] += 1
    return c


@njit(cache=True)
def occupancy(node, segment, active, n_nodes, n_segments):
    """Occupied dwellings per node x segment (int64)."""
    o = np.zeros((n_nodes, n_segments), np.int64)
    for i in range(node.shape[0]):
        if active[i]:
            o[node[i], segment[i]] += 1
    return o


@njit(cache=True, parallel=True)
def perceived(c, ball_ptr, ball_idx, ball_hop, ring_w, status, affinity):
    """The perceived aggregates ``(cw, tot, sum_st, sum_sq, aff)`` from counts ``c`` (each
    node's row is summed by one thread in ball order: the result does not depend on threads)."""
    n, m = c.shape
    cw = np.zeros((n, m))
    tot = np.zeros(n)
    sum_st = np.zeros(n)
    sum_sq = np.zeros(n)
    aff = np.zeros((n, m))
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
            sum_st[i] += x * status[k]
            sum_sq[i] += x * x
            for a in range(m):
                aff[i, a] += affinity[a, k] * x
    return cw, tot, sum_st, sum_sq, aff


@njit(cache=True, inline="always")
def shift(cw, tot, sum_st, sum_sq, aff, ball_ptr, ball_idx, ball_hop, ring_w, status, affinity,
          node, k, sign):
    """Update the aggregates in place when one household of milieu ``k`` arrives at
    (``sign=+1``) or leaves (``sign=-1``) ``node``. The ball is symmetric, so the nodes whose
    perception changes are the nodes of ``node``'s own ball, with the same weights."""
    m = cw.shape[1]
    for e in range(ball_ptr[node], ball_ptr[node + 1]):
        w = ring_w[ball_hop[e]] * sign
        if w != 0.0:
            j = ball_idx[e]
            old = cw[j, k]
            cw[j, k] = old + w
            tot[j] += w
            sum_st[j] += w * status[k]
            sum_sq[j] += (old + w) * (old + w) - old * old
            for a in range(m):
                aff[j, a] += affinity[a, k] * w


@njit(cache=True, inline="always")
def weight_in_ball(ball_ptr, ball_idx, ball_hop, ring_w, node, other):
    """Ring weight of ``other`` in the ball of ``node`` (0 when outside it or ``other < 0``)."""
    for e in range(ball_ptr[node], ball_ptr[node + 1]):
        if ball_idx[e] == other:
            return ring_w[ball_hop[e]]
    return 0.0
