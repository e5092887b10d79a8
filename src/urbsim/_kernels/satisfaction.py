"""Residential satisfaction: the utility a household draws from a dwelling in a neighbourhood.

The milieus' parameters are :class:`~urbsim._kernels.records.Preferences`: ``pref`` is an
``(M, 6)`` matrix, columns :data:`HOMOPHILY`,
:data:`TOLERANCE`, :data:`DIVERSITY`, :data:`STATUS`, :data:`AMENITY`, :data:`RENT`.
For household of milieu ``m`` with income ``y`` paying ``cost`` a month for a dwelling of
column ``s`` (segment and tenure) at node ``n``::

    U =  homophily[m] * (a - tolerance[m])          affinity to the perceived neighbours
       + diversity[m] * (div - 0.5)                  Simpson diversity, normalised to 0..1
       + status_pref[m] * (st - status[m])           neighbourhood minus own status (0..1)
       + amenity[m] * (amenity[n] - 0.5)
       - rent[m] * max(0, cost / y - acceptable_burden)
       + segment_pref[m, s]

``a`` is the affinity-weighted share of the perceived neighbours (or their weighted count when
``count_mode``); the household itself is excluded from its own neighbourhood (``excl`` is its
own ring-0 weight when ``n`` is where it lives, else 0). ``cost`` is what the household pays
itself: its contract rent or user cost at home, the rent it would be let a candidate at, less
what the Jobcenter pays on SGB II (:func:`urbsim._kernels.contracts.paid`). Every term is zero
where a household is content, so ``U < 0`` means dissatisfied. An empty neighbourhood is
neutral. Where no milieu weighs status (diversity), ``sum_st`` (``sum_sq``) is not kept and
``st`` (``div``) is meaningless, but its term is zero all the same. (The utility does not
read the flags that say so: a branch on them made numba count references on every call, ten
times the cost of the utility itself.)
"""

from __future__ import annotations

import numpy as np
from numba import prange

from urbsim._kernels import contracts
from urbsim._kernels.jit import njit

HOMOPHILY, TOLERANCE, DIVERSITY, STATUS, AMENITY, RENT = range(6)


@njit(inline="always")
def utility(m, y, cost, n, s, excl, perceived, housing, prefs):
    """Utility of node ``n``, column ``s`` for a household of milieu ``m``, income ``y``.

    Args:
        m: int, the household's milieu.
        y: float, its income (EUR/month).
        cost: float, what it pays itself for the dwelling (EUR/month).
        n: int, the neighbourhood valued.
        s: int, the dwelling column valued.
        excl: float, the household's own ring weight in the perception of ``n`` (taken out:
            one does not perceive oneself); 0.0 where it does not appear.
        perceived: :class:`~urbsim._kernels.records.Perceived` (in).
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``amenity`` is read.
        prefs: :class:`~urbsim._kernels.records.Preferences` (in).

    Returns:
        float, the utility ``U`` (< 0: dissatisfied).
    """
    cw, tot, sum_st, sum_sq, aff = perceived
    amenity = housing.amenity
    pref, status, seg_pref = prefs.pref, prefs.status, prefs.segment_pref
    count_mode, acceptable_burden = prefs.count_mode, prefs.acceptable_burden
    n_m = cw.shape[1]
    t = tot[n] - excl
    if t > 1e-9:
        a = aff[n, m] - excl
        if not count_mode:
            a /= t
        st = (sum_st[n] - excl * status[m]) / t
        c = cw[n, m]
        sq = (sum_sq[n] - 2.0 * excl * c + excl * excl) / (t * t)
        div = (1.0 - sq) / (1.0 - 1.0 / n_m) if n_m > 1 else 0.0
    else:
        a = 0.0 if count_mode else pref[m, TOLERANCE]
        st = status[m]
        div = 0.5
    burden = cost / y - acceptable_burden
    return (pref[m, HOMOPHILY] * (a - pref[m, TOLERANCE])
            + pref[m, DIVERSITY] * (div - 0.5)
            + pref[m, STATUS] * (st - status[m])
            + pref[m, AMENITY] * (amenity[n] - 0.5)
            - pref[m, RENT] * max(0.0, burden)
            + seg_pref[m, s])


@njit(parallel=True)
def current(households, perceived, w0, housing, prefs, transfers):
    """Satisfaction of every household with its current home, at its own contract.

    Args:
        households: :class:`~urbsim._kernels.records.Households` (in): ``active``,
            ``milieu``, ``node``, ``segment``, ``income``, ``size``, ``contract`` are read.
        perceived: :class:`~urbsim._kernels.records.Perceived` (in).
        w0: float, the weight a household has in the perception of its own neighbourhood
            (``ring_w[0]`` of :class:`~urbsim._kernels.records.Balls`), taken out of it.
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``amenity``.
        prefs: :class:`~urbsim._kernels.records.Preferences` (in).
        transfers: :class:`~urbsim._kernels.records.Transfers` (in), the KdU rule.

    Returns:
        ``(H,)`` float64 utility of each household's home (NaN for empty slots).
    """
    active, milieu, node = households.active, households.milieu, households.node
    segment, income = households.segment, households.income
    h = active.shape[0]
    out = np.full(h, np.nan)
    for i in prange(h):
        if active[i]:
            cost = contracts.paid(households.contract[i], income[i], households.size[i],
                                  transfers)
            out[i] = utility(milieu[i], income[i], cost, node[i], segment[i], w0, perceived,
                             housing, prefs)
    return out


@njit()
def mean_by_milieu(satisfaction, households, n_milieus):
    """Mean satisfaction of the active households per milieu, summed in household order.

    Args:
        satisfaction: ``(H,)`` float64 (in), each household's satisfaction.
        households: :class:`~urbsim._kernels.records.Households` (in): ``active`` and
            ``milieu`` are read.
        n_milieus: int, ``M``.

    Returns:
        ``(M,)`` float64 means (NaN where a milieu has no household).
    """
    milieu, active = households.milieu, households.active
    total = np.zeros(n_milieus)
    count = np.zeros(n_milieus, np.int64)
    for i in range(satisfaction.shape[0]):
        if active[i]:
            total[milieu[i]] += satisfaction[i]
            count[milieu[i]] += 1
    out = np.full(n_milieus, np.nan)
    for k in range(n_milieus):
        if count[k] > 0:
            out[k] = total[k] / count[k]
    return out
