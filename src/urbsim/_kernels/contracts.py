"""Tenancy contracts under German law, and housing costs on SGB II.

Columns ``0..G-1`` of the housing arrays are let dwellings, ``G..2G-1`` owner-occupied ones
(``G = C // 2``; column 0 is social housing). Every household pays its own ``contract``:

* **Letting** (:func:`let_rent`): a vacant let dwelling is let at the asking rent. In an area
  under the Mietpreisbremse (§556d BGB) at most ``limit x reference``, or the previous
  tenant's rent if higher (§556e), at the share ``enforced`` of the lets where the limit is
  kept (the rest go at the asking rent: a tenant must complain to get the excess back,
  §556g); social housing at its social rent; an owned dwelling is bought at the current user
  cost, which then stays fixed for its owner.
* **Reference rent** (:func:`reference_rents`, ortsübliche Vergleichsmiete, §558 (2) BGB): the
  mean contract rent of the non-social let dwellings of the same segment and neighbourhood
  whose rent was agreed or changed in the last ``window`` years; where a neighbourhood has
  none, the district's, then the city's, then the asking rent. A freeze holds it where it is.
* **Rises** (:func:`raise_rents`, §558 BGB): a sitting tenant's rent that has been unchanged
  for 15 months (with yearly steps: two steps) may rise towards the reference rent, by at most
  ``cap`` within three years (the Kappungsgrenze) over the rent of three years before.
* **KdU** (:func:`on_sgb`, :func:`paid`): a household with an income below ``income_limit``
  is on SGB II: the Jobcenter pays its housing cost up to ``ceiling + per_person x (size - 1)``;
  it pays only what lies above.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from urbsim._kernels import rng
from urbsim._kernels.jit import njit

WAIT = 2
"""Steps (years) a rent must be unchanged before it may rise: 15 months (§558 (1) BGB)."""

WINDOW = 3
"""Years over which the Kappungsgrenze limits a rise (§558 (3) BGB)."""


@njit(inline="always")
def ceiling(size, transfers):
    """The KdU ceiling of a household.

    Args:
        size: int, persons in the household.
        transfers: :class:`~urbsim._kernels.records.Transfers` (in), the KdU rule.

    Returns:
        float, the highest housing cost the Jobcenter pays (EUR/month).
    """
    return transfers.ceiling + transfers.per_person * (size - 1)


@njit(inline="always")
def on_sgb(income, transfers):
    """Whether a household is on SGB II.

    Args:
        income: float, its net income (EUR/month).
        transfers: :class:`~urbsim._kernels.records.Transfers` (in), the KdU rule.

    Returns:
        bool, its income is below the limit.
    """
    return income < transfers.income_limit


@njit(inline="always")
def paid(cost, income, size, transfers):
    """What a household pays itself of a housing cost.

    Args:
        cost: float, the rent or user cost (EUR/month).
        income: float, its net income (EUR/month).
        size: int, persons in the household.
        transfers: :class:`~urbsim._kernels.records.Transfers` (in), the KdU rule.

    Returns:
        float, all of ``cost``, or on SGB II what lies above the KdU ceiling (EUR/month).
    """
    if on_sgb(income, transfers):
        return max(0.0, cost - ceiling(size, transfers))
    return cost


@njit(inline="always")
def let_rent(n, c, rent, letting, u):
    """The rent (or, for an owned column, the user cost) at which a vacant dwelling of column
    ``c`` in neighbourhood ``n`` is let or sold now.

    Args:
        n: int, the neighbourhood.
        c: int, the column.
        rent: ``(N, C)`` float64 (in), asking rents and user costs.
        letting: :class:`~urbsim._kernels.records.Letting` (in).
        u: float, a uniform in [0, 1): the limit is kept when ``u < enforced[n]``.

    Returns:
        float, EUR/month.
    """
    asking = rent[n, c]
    n_let = rent.shape[1] // 2
    if (c == 0 or c >= n_let or not np.isfinite(letting.limit[n])
            or u >= letting.enforced[n]):
        return asking
    allowed = letting.limit[n] * letting.reference[n, c]
    if letting.keep_previous[n]:
        allowed = max(allowed, letting.previous[n, c])
    return min(asking, allowed)


@njit()
def reference_rents(households, rent, district, n_districts, step, window, held):
    """The local reference rent of every non-social let cell.

    Args:
        households: :class:`~urbsim._kernels.records.Households` (in): ``active``, ``node``,
            ``segment``, ``contract``, ``since`` are read.
        rent: ``(N, C)`` float64 (in), asking rents (the last fallback).
        district: ``(N,)`` int (in), district of each neighbourhood.
        n_districts: int, number of districts.
        step: int, the step.
        window: int, contracts agreed or changed in the last ``window`` years count.
        held: ``(N, C)`` float64 (in), last year's reference rents, kept where a freeze holds
            them (NaN elsewhere).

    Returns:
        ``(N, C)`` float64, the reference rent of columns ``1..G-1`` (0 elsewhere).
    """
    n, n_col = rent.shape
    n_let = n_col // 2
    total = np.zeros((n, n_col))
    count = np.zeros((n, n_col))
    d_total = np.zeros((n_districts, n_col))
    d_count = np.zeros((n_districts, n_col))
    active, node, segment = households.active, households.node, households.segment
    contract, since = households.contract, households.since
    for i in range(active.shape[0]):
        c = segment[i]
        if active[i] and 0 < c < n_let and step - since[i] < window:
            total[node[i], c] += contract[i]
            count[node[i], c] += 1.0
            d_total[district[node[i]], c] += contract[i]
            d_count[district[node[i]], c] += 1.0
    out = np.zeros((n, n_col))
    for c in range(1, n_let):
        city_total = d_total[:, c].sum()
        city_count = d_count[:, c].sum()
        for k in range(n):
            d = district[k]
            if count[k, c] > 0:
                out[k, c] = total[k, c] / count[k, c]
            elif d_count[d, c] > 0:
                out[k, c] = d_total[d, c] / d_count[d, c]
            elif city_count > 0:
                out[k, c] = city_total / city_count
            else:
                out[k, c] = rent[k, c]
            if not np.isnan(held[k, c]):
                out[k, c] = held[k, c]
    return out


@njit(parallel=True)
def raise_rents(seed, step, households, reference, rules):
    """Raise sitting tenants' rents towards the reference rent as §558 BGB allows (stream
    RAISE: a landlord raises with ``raise_probability``).

    A tenant of a non-social let dwelling whose rent is below the reference rent of its cell
    and unchanged for :data:`WAIT` steps gets ``min(reference, (1 + cap) x r3)``, where ``r3``
    is its rent :data:`WINDOW` years ago (``previous`` if the rent changed since, else the
    current one), when that is a rise.

    Args:
        seed: int, the run's seed.
        step: int, the step.
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``active``,
            ``node``, ``segment`` are read; ``contract``, ``previous``, ``since`` of raised
            tenants are written.
        reference: ``(N, C)`` float64 (in), reference rents.
        rules: :class:`~urbsim._kernels.records.ContractRules` (in).

    Returns:
        int, the number of rents raised.
    """
    active, node, segment = households.active, households.node, households.segment
    contract, previous, since = households.contract, households.previous, households.since
    n_let = reference.shape[1] // 2
    h = active.shape[0]
    raised = np.zeros(h, np.int8)
    for i in prange(h):
        c = segment[i]
        if (not active[i] or c <= 0 or c >= n_let or step - since[i] < WAIT
                or rules.frozen[node[i]]):
            continue
        ref = reference[node[i], c]
        if ref <= contract[i]:
            continue
        base = previous[i] if since[i] > step - WINDOW else contract[i]
        new = min(ref, (1.0 + rules.cap) * base)
        if new > contract[i] and rng.uniform(seed, step, rng.RAISE, i, 0) < rules.raise_probability:
            previous[i] = contract[i]
            contract[i] = new
            since[i] = step
            raised[i] = 1
    return int(raised.sum())
