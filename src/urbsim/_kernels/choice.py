"""Search and choice: movers sample vacant dwellings and choose by multinomial logit.

Movers are processed one after another in the given order (a random permutation), so that
every choice sees the vacancies and compositions left by the previous ones. For each mover,
``K`` candidates are drawn (stream CHOICE): with probability ``tie_share`` through same-milieu
ties (a neighbourhood in proportion to the households of the mover's milieu there, newcomers
included: chain migration), then a vacant column there in proportion to its vacancies;
otherwise with probability ``local_share`` a node near home (weights ``exp(-distance /
decay)`` within the search distance) and then a vacant column likewise; otherwise a vacant
dwelling uniformly from the whole city (a Fenwick tree over each neighbourhood's vacancies,
then the column the remainder of the draw falls in). Where applicants
queue (a neighbourhood's vacancy below twice the target), a share ``screening`` of landlords
asks for an income proof and prefers other applicants to one on SGB II or whose rent would
exceed ``screening_burden`` of its income (in full at or below the target vacancy, fading
to none at twice it). A candidate costs its let rent, or for an owner-occupied
column its user cost (:func:`urbsim._kernels.contracts.let_rent`). Candidates the household
cannot afford (cost / income above ``max_burden``; on SGB II, a rent above its KdU ceiling or
any purchase) or may not rent (social housing above the income limit) are dropped.

The options are the candidates with utility ``U`` (:func:`urbsim._kernels.satisfaction.utility`)
and, for voluntary movers when ``consider_staying``, the current home at ``S + move_cost``
(valued at the household's own contract). A household that moves signs a contract at the
candidate's cost; a tenant who leaves a let dwelling leaves its rent as the cell's previous
rent.
A household evaluating a place does not perceive itself there (its own ring weight at that
place is taken out). One option is chosen with probability
``exp(scale * U) / sum exp(scale * U)`` (no utility is computed where there is one option
only: a single candidate, staying not weighed). With no acceptable candidate, a voluntary
mover stays; a forced mover or an in-migrant (``node < 0``) leaves the city or does not come.
"""

from __future__ import annotations

import numpy as np

from urbsim._kernels import composition, contracts, fenwick, rng
from urbsim._kernels.jit import njit
from urbsim._kernels.records import Candidates
from urbsim._kernels.satisfaction import utility

STAYED, MOVED, LEFT = 0, 1, 2
FORCED = 2  # value of ``forced`` for movers that may not stay (displaced, newcomers)
SOCIAL = 0  # index of the social-rental segment


@njit()
def relocate(seed, step, stream, order, forced, households, housing, trees, perceived, balls,
             search, prefs, rules, letting, transfers):
    """Move the households ``order``, one after another in that order.

    Each mover draws ``K`` candidates and keeps the acceptable ones with their utility, then
    chooses one option by multinomial logit (:func:`_logit_pick`). A move or a departure is
    booked at once (:func:`_vacate`, :func:`_occupy`), so that the next mover sees the
    vacancies and compositions it leaves.

    Candidate ``c`` comes through ties with probability ``tie_share`` (draw ``5K + 1 + c``),
    see :func:`_draw_tie`; else it is local with probability ``local_share`` (draw ``3c``; only
    for a mover with a home), see :func:`_draw_near`; otherwise a vacant dwelling uniformly
    from the whole city (draw ``3c + 1``). It is dropped when the node drawn is full, its cost
    exceeds ``max_burden * y`` (on SGB II: its rent exceeds the KdU ceiling, or it is for
    sale), it is social housing and the income ``y`` exceeds ``social_limit``, or its landlord
    turns the applicant down (:func:`_turned_down`, draw ``4K + 1 + c``). No candidate is
    drawn when the city has no vacancy. Whether a rent limit is kept at candidate ``c`` uses
    draw ``3K + 1 + c``; the logit pick uses draw ``3K``.

    Args:
        seed: int, the run's seed.
        step: int, the step.
        stream: int, the random stream (:data:`urbsim._kernels.rng.CHOICE` for movers,
            :data:`~urbsim._kernels.rng.NEWCOMER_CHOICE` for in-migrants).
        order: ``(J,)`` int64 (in), household slots of the movers (each once), in the order
            they choose.
        forced: ``(J,)`` int8 (in), per entry of ``order``: ``FORCED`` (2) for movers that may
            not stay (displaced households, newcomers).
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``milieu``,
            ``income``, ``size`` are read; ``node``, ``segment``, ``years``, ``attachment``,
            ``active``, ``contract``, ``previous``, ``since`` of the movers are written.
        housing: :class:`~urbsim._kernels.records.Housing` (in/out): ``capacity``, ``rent``,
            ``amenity`` are read; ``occupied`` and ``counts`` are updated move by move.
        trees: :class:`~urbsim._kernels.records.Trees` (in/out), the vacancies (and the
            same-milieu ties when ``tie_share > 0``), updated move by move.
        perceived: :class:`~urbsim._kernels.records.Perceived` (in/out), updated move by move.
        balls: :class:`~urbsim._kernels.records.Balls` (in).
        search: :class:`~urbsim._kernels.records.Search` (in).
        prefs: :class:`~urbsim._kernels.records.Preferences` (in).
        rules: :class:`~urbsim._kernels.records.ChoiceRules` (in).
        letting: :class:`~urbsim._kernels.records.Letting` (in/out): ``previous`` is
            written as tenants leave.
        transfers: :class:`~urbsim._kernels.records.Transfers` (in), the KdU rule.

    Returns:
        ``(J,)`` int8, STAYED, MOVED or LEFT per entry of ``order``.
    """
    milieu, income = households.milieu, households.income
    node, segment = households.node, households.segment
    rent = housing.rent
    n_seg = rent.shape[1]
    n_let = n_seg // 2
    n_candidates, local_share = rules.n_candidates, rules.local_share
    vacancies = trees.vacancies
    ties = rules.tie_share > 0.0
    social_limit, max_burden = rules.social_limit, rules.max_burden
    result = np.zeros(order.shape[0], np.int8)
    cands = Candidates(np.empty(n_candidates, np.int64), np.empty(n_candidates, np.int64),
                       np.empty(n_candidates + 1), np.empty(n_candidates))
    # ring weight of home in each candidate's ball: looked up in the home's own ball (the balls
    # are symmetric), written into ``near_home`` once per mover when that beats a scan per
    # candidate
    mark = n_candidates > 2
    near_home = np.zeros(housing.capacity.shape[0])
    # what each mover reads of itself, gathered first: the loop below would wait on a cache
    # miss per field and mover (scattered slots); gathered, the misses overlap. A mover's own
    # fields change only at its turn, so the copies hold until then.
    n_j = order.shape[0]
    own_m, own_y = np.empty(n_j, milieu.dtype), np.empty(n_j, income.dtype)
    own_size = np.empty(n_j, households.size.dtype)
    own_home, own_seg = np.empty(n_j, node.dtype), np.empty(n_j, segment.dtype)
    own_contract = np.empty(n_j, households.contract.dtype)
    for j in range(n_j):
        i = order[j]
        own_m[j], own_y[j], own_size[j] = milieu[i], income[i], households.size[i]
        own_home[j], own_seg[j], own_contract[j] = node[i], segment[i], households.contract[i]
    for j in range(n_j):
        i = order[j]
        m = own_m[j]
        y = own_y[j]
        size = own_size[j]
        sgb = contracts.on_sgb(y, transfers)
        limit = contracts.ceiling(size, transfers) if sgb else max_burden * y
        home = own_home[j]
        hk = rng.key(seed, step, stream, i)
        ball = home if mark else -1
        _ring_weights(near_home, balls, ball, False)
        may_stay = home >= 0 and forced[j] != FORCED
        # one option (a single candidate, staying not weighed): the pick needs no utility
        weigh = n_candidates > 1 or (may_stay and rules.consider_staying)
        total = fenwick.total(vacancies)
        k = 0  # acceptable candidates
        for c in range(n_candidates if total > 0 else 0):
            if ties and rng.keyed(hk, 5 * n_candidates + 1 + c) < rules.tie_share:
                n, s = _draw_tie(hk, c, trees.ties[m], housing)
            elif home >= 0 and rng.keyed(hk, 3 * c) < local_share:
                n, s = _draw_near(hk, c, home, housing, search)
            else:
                n, rest = fenwick.find_rest(vacancies, int(rng.keyed(hk, 3 * c + 1) * total))
                s = _column(n, rest, housing)
            if n < 0 or (s == SOCIAL and y > social_limit) or (sgb and s >= n_let):
                continue
            r = contracts.let_rent(n, s, rent, letting, rng.keyed(hk, 3 * n_candidates + 1 + c))
            if r > limit or (rules.screening > 0.0 and _turned_down(
                    n, s, r, y, sgb, housing, rules,
                    rng.keyed(hk, 4 * n_candidates + 1 + c))):
                continue
            if weigh:
                excl = near_home[n] if mark else composition.weight_in_ball(balls, n, home)
                cands.utility[k] = utility(m, y, contracts.paid(r, y, size, transfers), n, s,
                                           excl, perceived, housing, prefs)
            else:
                cands.utility[k] = 0.0
            cands.node[k] = n
            cands.segment[k] = s
            cands.rent[k] = r
            k += 1
        _ring_weights(near_home, balls, ball, True)
        pick = 0
        if k == 0:
            result[j] = STAYED if may_stay else LEFT
        else:
            n_opt = k
            if may_stay and rules.consider_staying:  # staying is option k
                cost = contracts.paid(own_contract[j], y, size, transfers)
                cands.utility[k] = utility(m, y, cost, home, own_seg[j], balls.ring_w[0],
                                           perceived, housing, prefs) + rules.move_cost
                n_opt = k + 1
            pick = _logit_pick(cands.utility, n_opt, rules.logit_scale,
                               rng.keyed(hk, 3 * n_candidates))
            result[j] = STAYED if pick == k else MOVED
        if result[j] == STAYED:
            continue
        if home >= 0:
            if 0 < own_seg[j] < n_let:
                letting.previous[home, own_seg[j]] = own_contract[j]
            _vacate(home, own_seg[j], m, housing, trees, ties, perceived, balls, prefs)
        if result[j] == LEFT:
            households.active[i] = False
            node[i] = -1
        else:
            _occupy(i, m, cands.node[pick], cands.segment[pick], households, housing, trees,
                    ties, perceived, balls, prefs)
            households.contract[i] = households.previous[i] = cands.rent[pick]
            households.since[i] = step
    return result


# The helpers below are inlined into relocate. Each uses every array it takes on all of its
# paths (a single return, no early exit from a loop), so that LLVM drops the reference counting
# of its arguments: it would cost more than the work of a helper called per candidate. (Drawing
# all candidates of a mover in one helper taking a dozen records and arrays costs a quarter
# more time in relocate than the loop written out in it, for that reason.)


@njit(inline="always")
def _ring_weights(near_home, balls, home, clear):
    """Write the ring weights of the ball of ``home`` into ``near_home`` at its nodes (or zeros
    there when ``clear``); nothing for ``home < 0``.

    Args:
        near_home: ``(N,)`` float64 (out).
        balls: :class:`~urbsim._kernels.records.Balls` (in).
        home: int, the centre of the ball, or -1.
        clear: bool, write zeros instead of the weights.
    """
    lo = balls.ptr[max(home, 0)]
    hi = balls.ptr[home + 1] if home >= 0 else lo
    for e in range(lo, hi):
        near_home[balls.idx[e]] = 0.0 if clear else balls.ring_w[balls.hop[e]]


@njit(inline="always")
def _draw_near(hk, c, home, housing, search):
    """Candidate ``c`` near ``home``: a node of the home's search neighbourhood by weight (draw
    ``3c + 1``), then a vacant segment there in proportion to its vacancies (draw ``3c + 2``).

    Args:
        hk: uint64, the mover's key.
        c: int, the candidate's number.
        home: int, the mover's neighbourhood.
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``capacity`` and
            ``occupied`` are read.
        search: :class:`~urbsim._kernels.records.Search` (in).

    Returns:
        ``(node, segment)``; node -1 when the node drawn has no vacancy.
    """
    lo, hi = search.ptr[home], search.ptr[home + 1]
    u = rng.keyed(hk, 3 * c + 1) * search.cum[hi - 1]
    e = lo + np.searchsorted(search.cum[lo:hi], u, side="right")
    return _vacant_column(hk, c, search.idx[min(e, hi - 1)], housing)


@njit(inline="always")
def _draw_tie(hk, c, tie, housing):
    """Candidate ``c`` through same-milieu ties: a neighbourhood in proportion to the
    households of the mover's milieu there (draw ``3c + 1``), then a vacant column there in
    proportion to its vacancies (draw ``3c + 2``).

    Args:
        hk: uint64, the mover's key.
        c: int, the candidate's number.
        tie: ``(N + 1,)`` int64 (in), Fenwick tree of the milieu's households per node.
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``capacity`` and
            ``occupied`` are read.

    Returns:
        ``(node, segment)``; node -1 when the milieu has nobody or the node drawn no vacancy.
    """
    total = fenwick.total(tie)
    n = fenwick.find(tie, int(rng.keyed(hk, 3 * c + 1) * total)) if total > 0 else 0
    n, s = _vacant_column(hk, c, n, housing)
    return (n if total > 0 else -1), s


@njit(inline="always")
def _vacant_column(hk, c, n, housing):
    """A vacant column of neighbourhood ``n`` in proportion to its vacancies (draw ``3c + 2``).

    Args:
        hk: uint64, the mover's key.
        c: int, the candidate's number.
        n: int, the neighbourhood.
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``capacity`` and
            ``occupied`` are read.

    Returns:
        ``(node, segment)``; node -1 when ``n`` has no vacancy.
    """
    capacity, occ = housing.capacity, housing.occupied
    free = 0
    for s in range(capacity.shape[1]):
        free += capacity[n, s] - occ[n, s]
    s = _column(n, int(rng.keyed(hk, 3 * c + 2) * free), housing)
    return (n if free > 0 else -1), s


@njit(inline="always")
def _column(n, r, housing):
    """The column of neighbourhood ``n`` that holds its vacant dwelling number ``r``, counting
    them column by column (``0 <= r <`` its vacancies; the last column if ``r`` is beyond).

    Args:
        n: int, the neighbourhood.
        r: int, the vacant dwelling's number.
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``capacity`` and
            ``occupied`` are read.

    Returns:
        int, the column.
    """
    capacity, occ = housing.capacity, housing.occupied
    n_seg = capacity.shape[1]
    s = 0
    while s < n_seg - 1 and r >= capacity[n, s] - occ[n, s]:
        r -= capacity[n, s] - occ[n, s]
        s += 1
    return s


@njit(inline="always")
def _turned_down(n, s, r, y, sgb, housing, rules, u):
    """Whether the landlord of a let dwelling turns the applicant down (screening).

    Args:
        n: int, the neighbourhood.
        s: int, the column.
        r: float, the rent it would be let at.
        y: float, the applicant's income.
        sgb: bool, the applicant is on SGB II.
        housing: :class:`~urbsim._kernels.records.Housing` (in): ``capacity`` and
            ``occupied`` are read.
        rules: :class:`~urbsim._kernels.records.ChoiceRules` (in).
        u: float, a uniform in [0, 1).

    Returns:
        bool, for a non-social let dwelling whose applicant fails the income proof (on SGB II,
        or a rent above ``screening_burden * y``), with probability ``screening x queue``,
        ``queue = clip(2 - v / target, 0, 1)`` for the vacancy ``v`` of ``n``: full where
        vacancy is at or below target, none where it is twice the target.
    """
    capacity, occ = housing.capacity, housing.occupied
    n_let = capacity.shape[1] // 2
    cap = 0
    free = 0
    for k in range(capacity.shape[1]):
        cap += capacity[n, k]
        free += capacity[n, k] - occ[n, k]
    queue = min(1.0, max(0.0, 2.0 - free / cap / rules.vacancy_target)) if cap > 0 else 0.0
    return (0 < s < n_let and (sgb or r > rules.screening_burden * y)
            and u < rules.screening * queue)


@njit(inline="always")
def _logit_pick(util, n_opt, logit_scale, uniform):
    """Pick one of ``n_opt`` options with probability ``exp(scale * U) / sum exp(scale * U)``.

    Args:
        util: ``(>= n_opt,)`` float64 (in/out): the options' utilities on entry, their
            weights ``exp(scale * (U - max U))`` on return.
        n_opt: int, the number of options (at least 1).
        logit_scale: float, the scale.
        uniform: float, a uniform in [0, 1).

    Returns:
        int, the option picked.
    """
    best = util[0]
    for o in range(1, n_opt):
        best = max(best, util[o])
    z = 0.0
    for o in range(n_opt):
        util[o] = np.exp(logit_scale * (util[o] - best))
        z += util[o]
    u = uniform * z
    pick = 0
    acc = util[0]
    while acc <= u and pick < n_opt - 1:
        pick += 1
        acc += util[pick]
    return pick


@njit(inline="always")
def _vacate(home, s0, m, housing, trees, ties, perceived, balls, prefs):
    """Book a household of milieu ``m`` leaving its dwelling of segment ``s0`` at ``home``.

    Args:
        home: int, the neighbourhood.
        s0: int, the segment.
        m: int, the milieu.
        housing: :class:`~urbsim._kernels.records.Housing` (in/out): ``occupied`` and
            ``counts`` are decremented.
        trees: :class:`~urbsim._kernels.records.Trees` (in/out): one vacancy more (and one
            household of ``m`` less at ``home`` in its ties when ``ties``).
        ties: bool, the ties tree is kept.
        perceived: :class:`~urbsim._kernels.records.Perceived` (in/out).
        balls: :class:`~urbsim._kernels.records.Balls` (in).
        prefs: :class:`~urbsim._kernels.records.Preferences` (in).
    """
    housing.occupied[home, s0] -= 1
    housing.counts[home, m] -= 1
    fenwick.add(trees.vacancies, home, 1)
    if ties:
        fenwick.add(trees.ties[m], home, -1)
    composition.shift(perceived, balls, prefs, home, m, -1.0)


@njit(inline="always")
def _occupy(i, m, n, s, households, housing, trees, ties, perceived, balls, prefs):
    """Book household ``i`` of milieu ``m`` moving into a dwelling of segment ``s`` at ``n``.

    Args:
        i: int, the household's slot.
        m: int, its milieu.
        n: int, the neighbourhood.
        s: int, the segment.
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``node``,
            ``segment``, ``years`` (0), ``attachment`` (0), ``active`` of ``i`` are written.
        housing: :class:`~urbsim._kernels.records.Housing` (in/out): ``occupied`` and
            ``counts`` are incremented.
        trees: :class:`~urbsim._kernels.records.Trees` (in/out): one vacancy less (and one
            household of ``m`` more at ``n`` in its ties when ``ties``).
        ties: bool, the ties tree is kept.
        perceived: :class:`~urbsim._kernels.records.Perceived` (in/out).
        balls: :class:`~urbsim._kernels.records.Balls` (in).
        prefs: :class:`~urbsim._kernels.records.Preferences` (in).
    """
    housing.occupied[n, s] += 1
    housing.counts[n, m] += 1
    fenwick.add(trees.vacancies, n, -1)
    if ties:
        fenwick.add(trees.ties[m], n, 1)
    composition.shift(perceived, balls, prefs, n, m, 1.0)
    households.node[i] = n
    households.segment[i] = s
    households.years[i] = 0
    households.attachment[i] = 0.0
    households.active[i] = True
