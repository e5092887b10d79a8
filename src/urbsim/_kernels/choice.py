"""Search and choice: movers sample vacant dwellings and choose by multinomial logit.

Movers are processed one after another in the given order (a random permutation), so that
every choice sees the vacancies and compositions left by the previous ones. For each mover,
``K`` candidates are drawn (stream CHOICE): with probability ``local_share`` a node near home
(weights ``exp(-distance / decay)`` within the search distance) and then a vacant segment
there in proportion to its vacancies; otherwise a vacant dwelling uniformly from the whole city
(a Fenwick tree over vacancies). Candidates the household cannot afford (rent / income above
``max_burden``) or may not rent (social housing above the income limit) are dropped.

The options are the candidates with utility ``U`` (:func:`urbsim._kernels.satisfaction.utility`)
and, for voluntary movers when ``consider_staying``, the current home at ``S + move_cost``.
A household evaluating a place does not perceive itself there (its own ring weight at that
place is taken out). One option is chosen with probability ``exp(scale * U) / sum exp(scale * U)``. With no
acceptable candidate, a voluntary mover stays; a forced mover or an in-migrant (``node < 0``)
leaves the city or does not come.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from urbsim._kernels import composition, fenwick, rng
from urbsim._kernels.satisfaction import utility

STAYED, MOVED, LEFT = 0, 1, 2
FORCED = 2  # value of ``forced`` for movers that may not stay (displaced, newcomers)
SOCIAL = 0  # index of the social-rental segment


@njit(cache=True)
def relocate(seed, step, stream, order, forced, milieu, node, segment, income, years,
             attachment, active, counts, occ, capacity, vac_tree, cw, tot, sum_st, sum_sq, aff,
             ball_ptr, ball_idx, ball_hop, ring_w, search_ptr, search_idx, search_cum, amenity, rent,
             pref, status, affinity, seg_pref, count_mode, acceptable_burden, n_candidates,
             local_share, logit_scale, move_cost, consider_staying, social_limit, max_burden):
    """Move the households ``order`` (in that order); returns STAYED/MOVED/LEFT per entry.

    Updates in place: household arrays, ``counts``, ``occ``, ``vac_tree`` and the perceived
    aggregates. ``forced[j] == FORCED`` marks movers that may not stay.
    """
    n_seg = capacity.shape[1]
    result = np.zeros(order.shape[0], np.int8)
    cand_n = np.empty(n_candidates, np.int64)
    cand_s = np.empty(n_candidates, np.int64)
    util = np.empty(n_candidates + 1)
    # ring weight of home in each candidate's ball: looked up in the home's own ball (the balls
    # are symmetric), written into ``near_home`` once per mover when that beats a scan per
    # candidate
    near_home = np.zeros(capacity.shape[0])
    mark = n_candidates > 2
    for j in range(order.shape[0]):
        i = order[j]
        m = milieu[i]
        y = income[i]
        home = node[i]
        if mark and home >= 0:
            for e in range(ball_ptr[home], ball_ptr[home + 1]):
                near_home[ball_idx[e]] = ring_w[ball_hop[e]]
        hk = rng.key(seed, step, stream, i)
        k = 0
        total = fenwick.total(vac_tree)
        for c in range(n_candidates):
            if total == 0:
                break
            if home >= 0 and rng.keyed(hk, 3 * c) < local_share:
                lo, hi = search_ptr[home], search_ptr[home + 1]
                u = rng.keyed(hk, 3 * c + 1) * search_cum[hi - 1]
                e = lo + np.searchsorted(search_cum[lo:hi], u, side="right")
                n = search_idx[min(e, hi - 1)]
                free = 0
                for s in range(n_seg):
                    free += capacity[n, s] - occ[n, s]
                if free <= 0:
                    continue
                r = int(rng.keyed(hk, 3 * c + 2) * free)
                s = 0
                while r >= capacity[n, s] - occ[n, s]:
                    r -= capacity[n, s] - occ[n, s]
                    s += 1
            else:
                cell = fenwick.find(vac_tree, int(rng.keyed(hk, 3 * c + 1) * total))
                n = cell // n_seg
                s = cell % n_seg
            if rent[n, s] > max_burden * y or (s == SOCIAL and y > social_limit):
                continue
            excl = (near_home[n] if mark else
                    composition.weight_in_ball(ball_ptr, ball_idx, ball_hop, ring_w, n, home))
            util[k] = utility(m, y, n, s, excl, cw, tot, sum_st, sum_sq, aff, amenity, rent,
                              pref, status, seg_pref, count_mode, acceptable_burden)
            cand_n[k] = n
            cand_s[k] = s
            k += 1
        if mark and home >= 0:
            for e in range(ball_ptr[home], ball_ptr[home + 1]):
                near_home[ball_idx[e]] = 0.0
        stay = home >= 0 and forced[j] != FORCED and consider_staying
        if k == 0:
            if home >= 0 and forced[j] != FORCED:
                result[j] = STAYED
                continue
            result[j] = LEFT
        else:
            n_opt = k
            if stay:
                util[k] = utility(m, y, home, segment[i], ring_w[0], cw, tot, sum_st, sum_sq, aff,
                                  amenity, rent, pref, status, seg_pref, count_mode,
                                  acceptable_burden) + move_cost
                n_opt = k + 1
            best = util[0]
            for o in range(1, n_opt):
                best = max(best, util[o])
            z = 0.0
            for o in range(n_opt):
                util[o] = np.exp(logit_scale * (util[o] - best))
                z += util[o]
            u = rng.keyed(hk, 3 * n_candidates) * z
            pick = 0
            acc = util[0]
            while acc <= u and pick < n_opt - 1:
                pick += 1
                acc += util[pick]
            if pick == k:
                result[j] = STAYED
                continue
            result[j] = MOVED
        if home >= 0:
            s0 = segment[i]
            occ[home, s0] -= 1
            counts[home, m] -= 1
            fenwick.add(vac_tree, home * n_seg + s0, 1)
            composition.shift(cw, tot, sum_st, sum_sq, aff, ball_ptr, ball_idx, ball_hop,
                              ring_w, status, affinity, home, m, -1.0)
        if result[j] == LEFT:
            active[i] = False
            node[i] = -1
            continue
        n = cand_n[pick]
        s = cand_s[pick]
        occ[n, s] += 1
        counts[n, m] += 1
        fenwick.add(vac_tree, n * n_seg + s, -1)
        composition.shift(cw, tot, sum_st, sum_sq, aff, ball_ptr, ball_idx, ball_hop, ring_w,
                          status, affinity, n, m, 1.0)
        node[i] = n
        segment[i] = s
        years[i] = 0
        attachment[i] = 0.0
        active[i] = True
    return result
