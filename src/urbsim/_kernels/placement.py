"""Initial placement: households take dwellings by preference, never beyond capacity.

Households are placed one after another in a random order. Each draws up to ``tries`` cells
(neighbourhood x segment) from its milieu's static preference distribution ``pref_cum[m]``
(status-matched and segment-weighted, see :mod:`urbsim.engine.households`) and takes the first that
is vacant, affordable and allowed (social housing needs an income at or below the limit; a
household on SGB II rents within its KdU ceiling and does not own). If none is, it takes a
vacant dwelling drawn uniformly from all vacancies. A household whose neighbourhood the city
fixes (``node >= 0`` before placement: the city gives households by milieu) draws only among
that neighbourhood's cells, and if none passes takes its first vacant column from a random
one on.
"""

from __future__ import annotations

import numpy as np

from urbsim._kernels import contracts, fenwick, rng
from urbsim._kernels.jit import njit


@njit()
def place(seed, order, households, pref_cum, capacity, rent, max_burden, social_limit, tries,
          transfers):
    """Give households ``order`` (in that order) a home, by preference (stream PLACEMENT).

    Args:
        seed: int, the run's seed.
        order: ``(J,)`` int64 (in), household slots in placement order.
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``milieu``,
            ``income``, ``size`` are read; ``node`` (read: >= 0 fixes the neighbourhood) and
            ``segment`` are written at ``order``.
        pref_cum: ``(M, N * C)`` float64 (in), cumulative preference weight of each cell
            (neighbourhood-major) per milieu.
        capacity: ``(N, C)`` int64 (in), dwellings.
        rent: ``(N, C)`` float64 (in), rents and user costs.
        max_burden: float, highest rent / income a household takes.
        social_limit: float, highest income allowed into social housing.
        tries: int, cells drawn by preference before falling back to a uniform vacancy.
        transfers: :class:`~urbsim._kernels.records.Transfers` (in), the KdU rule.

    Returns:
        ``(N, C)`` int64, the occupied dwellings.
    """
    milieu, income = households.milieu, households.income
    node, segment = households.node, households.segment
    n, n_seg = capacity.shape
    n_let = n_seg // 2
    occ = np.zeros((n, n_seg), np.int64)
    tree = fenwick.build(capacity.ravel())
    # what each household reads of itself gathered first, and its home written back after
    # the loop: the slots are in a random order, and the loop would wait on a cache miss per
    # field and household (as ``choice.relocate`` gathers its movers')
    n_j = order.shape[0]
    own_m, own_y = np.empty(n_j, milieu.dtype), np.empty(n_j, income.dtype)
    own_size, own_node = np.empty(n_j, households.size.dtype), np.empty(n_j, node.dtype)
    for j in range(n_j):
        i = order[j]
        own_m[j], own_y[j], own_size[j], own_node[j] = milieu[i], income[i], households.size[i], node[i]
    home, column = np.empty(n_j, node.dtype), np.empty(n_j, segment.dtype)
    for j in range(n_j):
        cum = pref_cum[own_m[j]]
        y = own_y[j]
        cell = -1
        sgb = contracts.on_sgb(y, transfers)
        limit = contracts.ceiling(own_size[j], transfers) if sgb else max_burden * y
        k = rng.key(seed, 0, rng.PLACEMENT, order[j])
        fixed = own_node[j]
        first, last = (0, cum.shape[0] - 1) if fixed < 0 else (fixed * n_seg,
                                                                (fixed + 1) * n_seg - 1)
        lo = cum[first - 1] if first > 0 else 0.0
        for t in range(tries):
            u = lo + rng.keyed(k, t) * (cum[last] - lo)
            c = min(max(np.searchsorted(cum, u, side="right"), first), last)
            a, s = c // n_seg, c % n_seg
            if (occ[a, s] < capacity[a, s] and rent[a, s] <= limit
                    and not (s == 0 and y > social_limit) and not (sgb and s >= n_let)):
                cell = c
                break
        if cell < 0 and fixed >= 0:
            start = int(rng.keyed(k, tries + 1) * n_seg)
            for d in range(n_seg):
                s = (start + d) % n_seg
                if occ[fixed, s] < capacity[fixed, s]:
                    cell = fixed * n_seg + s
                    break
        if cell < 0:
            total = fenwick.total(tree)
            cell = fenwick.find(tree, int(rng.keyed(k, tries) * total))
        a, s = cell // n_seg, cell % n_seg
        occ[a, s] += 1
        fenwick.add(tree, cell, -1)
        home[j], column[j] = a, s
    for j in range(n_j):
        node[order[j]], segment[order[j]] = home[j], column[j]
    return occ
