"""Records: the arrays and settings the kernels take, bundled by what they describe.

Each record is a :class:`typing.NamedTuple` of arrays and scalars, which numba compiles as a
tuple (no Python object is touched inside a kernel). A kernel reads or writes the arrays of a
record in place; the record itself is never changed, so the caller builds it anew whenever it
replaces one of the arrays (e.g. the rent array the market returns, or the household arrays
that grow when construction adds dwellings). Building a record costs a quarter of a
microsecond; numba's dispatcher takes about half a microsecond more to type a record than to
type its arrays passed one by one, which only matters for kernels called many times a step.

Sizes in the shapes below:

* ``H``: household slots (active households plus free slots for newcomers);
* ``N``: neighbourhoods (nodes of the city graph);
* ``M``: milieus;
* ``G``: housing segments (index 0 is social rental);
* ``C``: dwelling columns, ``2 G``: column ``s`` is segment ``s`` let to tenants, column
  ``G + s`` segment ``s`` occupied by its owners (social housing is never owned);
* ``A``: age classes (four: 18-29, 30-44, 45-64, 65+);
* ``E``: entries of all balls together (each node's neighbours within the radius);
* ``R``: the radius of perception, in hops (ring weights ``0..R``);
* ``S``: entries of all local search neighbourhoods together;
* ``K``: candidates a mover draws.

Integer arrays are int64 unless said otherwise, real ones float64.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Households(NamedTuple):
    """The households, one entry per slot (only slots with ``active`` hold a household).

    Attributes:
        active: ``(H,)`` bool, the slot holds a household living in the city.
        milieu: ``(H,)`` int64, index into the milieu set.
        node: ``(H,)`` int64, neighbourhood of its home (-1 when not housed).
        segment: ``(H,)`` int64, dwelling column ``0..C-1`` of its home (segment and tenure:
            it owns its home when ``segment >= C // 2``).
        income: ``(H,)`` float64, net income in EUR/month.
        age: ``(H,)`` int64, age class ``0..A-1``.
        years: ``(H,)`` int64, years at the current address.
        attachment: ``(H,)`` float64, attachment to the neighbourhood, 0..1.
        engagement: ``(H,)`` float64, civic engagement, 0..1.
        size: ``(H,)`` int64, persons.
        contract: ``(H,)`` float64, what it pays for its home per month: a tenant's contract
            rent, an owner's user cost fixed when it bought (EUR/month).
        previous: ``(H,)`` float64, the contract rent before its last change.
        since: ``(H,)`` int64, step of the contract's last change (move-in or rise).
    """

    active: np.ndarray
    milieu: np.ndarray
    node: np.ndarray
    segment: np.ndarray
    income: np.ndarray
    age: np.ndarray
    years: np.ndarray
    attachment: np.ndarray
    engagement: np.ndarray
    size: np.ndarray
    contract: np.ndarray
    previous: np.ndarray
    since: np.ndarray


class Housing(NamedTuple):
    """The housing stock and market of each neighbourhood, and who lives there.

    Attributes:
        capacity: ``(N, C)`` int64, dwellings per neighbourhood x column.
        occupied: ``(N, C)`` int64, occupied dwellings per neighbourhood x column.
        counts: ``(N, M)`` int64, households per neighbourhood x milieu.
        rent: ``(N, C)`` float64, asking rent of a let dwelling, or monthly user cost of buying
            an owned one, EUR/month.
        base_rent: ``(N, C)`` float64, the same at the start (the market's bounds refer to it).
        amenity: ``(N,)`` float64, amenity level of each neighbourhood, 0..1.
    """

    capacity: np.ndarray
    occupied: np.ndarray
    counts: np.ndarray
    rent: np.ndarray
    base_rent: np.ndarray
    amenity: np.ndarray


class Perceived(NamedTuple):
    """The composition perceived from each neighbourhood (own one plus rings of neighbours),
    ring-weighted; see :mod:`urbsim._kernels.composition` for the formulas.

    Attributes:
        cw: ``(N, M)`` float64, ring-weighted households per milieu.
        tot: ``(N,)`` float64, ``sum_k cw[n, k]``.
        sum_st: ``(N,)`` float64, ``sum_k cw[n, k] * status[k]`` (zeros, not kept, when no
            milieu weighs status: :class:`Preferences`).
        sum_sq: ``(N,)`` float64, ``sum_k cw[n, k] ** 2`` (zeros, not kept, when no milieu
            weighs diversity).
        aff: ``(N, M)`` float64, ``aff[n, m] = sum_k affinity[m, k] * cw[n, k]`` (``cw``
            itself when the affinity is the identity).
    """

    cw: np.ndarray
    tot: np.ndarray
    sum_st: np.ndarray
    sum_sq: np.ndarray
    aff: np.ndarray


class Balls(NamedTuple):
    """What each neighbourhood's residents perceive: the nodes within ``R`` hops (its ball, in
    CSR form, as :func:`urbsim._kernels.graph.balls` returns it) and the weight of each ring.

    Balls are symmetric: ``j`` is in the ball of ``i`` exactly when ``i`` is in the ball of
    ``j``, at the same hop.

    Attributes:
        ptr: ``(N + 1,)`` int64, the ball of node ``n`` is entries ``ptr[n]:ptr[n + 1]``.
        idx: ``(E,)`` int32, node of each entry (increasing within a ball).
        hop: ``(E,)`` int8, hops from the ball's centre to that node, ``0..R``.
        ring_w: ``(R + 1,)`` float64, weight of a household ``r`` hops away (``ring_w[0]``:
            one's own neighbourhood).
    """

    ptr: np.ndarray
    idx: np.ndarray
    hop: np.ndarray
    ring_w: np.ndarray


class Search(NamedTuple):
    """Where a mover searches locally: the neighbourhoods within the search distance of each
    node, with cumulative weights ``exp(-distance / decay)`` (CSR form, as
    :meth:`urbsim.inputs.city.City.search_kernel` returns it).

    Attributes:
        ptr: ``(N + 1,)`` int64, the search neighbourhood of node ``n`` is entries
            ``ptr[n]:ptr[n + 1]``.
        idx: ``(S,)`` int64, node of each entry.
        cum: ``(S,)`` float64, cumulative weight within the row (its last entry is the total).
    """

    ptr: np.ndarray
    idx: np.ndarray
    cum: np.ndarray


class Preferences(NamedTuple):
    """How the milieus value a place (:func:`urbsim._kernels.satisfaction.utility`).

    Attributes:
        pref: ``(M, 6)`` float64, utility weights per milieu, columns HOMOPHILY, TOLERANCE,
            DIVERSITY, STATUS, AMENITY, RENT of :mod:`urbsim._kernels.satisfaction`.
        status: ``(M,)`` float64, social status of each milieu, 0..1.
        affinity: ``(M, M)`` float64, ``affinity[m, k]``: how much milieu ``m`` counts a
            neighbour of milieu ``k`` as its own kind.
        segment_pref: ``(M, C)`` float64, utility of each dwelling column per milieu.
        count_mode: bool, homophily from the weighted count of alike neighbours instead of
            their share.
        acceptable_burden: float, rent / income share felt as no burden.
        weighs_status: bool, some milieu weighs the neighbours' status (``pref[:, STATUS]``
            not all zero): only then is ``sum_st`` of :class:`Perceived` kept.
        weighs_diversity: bool, some milieu weighs their diversity: only then is ``sum_sq``
            kept.
        own_kind: bool, ``affinity`` is the identity: ``aff`` of :class:`Perceived` is then
            ``cw`` itself (the same array), equal to what the sum would give.
    """

    pref: np.ndarray
    status: np.ndarray
    affinity: np.ndarray
    segment_pref: np.ndarray
    count_mode: bool
    acceptable_burden: float
    weighs_status: bool
    weighs_diversity: bool
    own_kind: bool


class ChoiceRules(NamedTuple):
    """How movers search and choose (:func:`urbsim._kernels.choice.relocate`).

    Attributes:
        n_candidates: int, ``K``, vacant dwellings a mover draws.
        local_share: float, probability that a draw is local (near home) rather than
            city-wide.
        logit_scale: float, scale of the utilities in the multinomial logit.
        move_cost: float, utility added to staying, for voluntary movers.
        consider_staying: bool, voluntary movers keep their home as an option.
        social_limit: float, highest income (EUR/month) allowed into social housing.
        max_burden: float, highest rent / income a household accepts.
        tie_share: float, probability that a candidate comes through same-milieu ties.
        screening: float, probability, in a neighbourhood without slack, that a landlord
            turns down an applicant whose rent would exceed ``screening_burden`` of its income.
        screening_burden: float, the rent / income landlords accept without doubt.
        vacancy_target: float, vacancy at which a neighbourhood has slack (no screening).
    """

    n_candidates: int
    local_share: float
    logit_scale: float
    move_cost: float
    consider_staying: bool
    social_limit: float
    max_burden: float
    tie_share: float
    screening: float
    screening_burden: float
    vacancy_target: float


class Letting(NamedTuple):
    """At what rent a vacant dwelling is let (:func:`urbsim._kernels.contracts.let_rent`).

    Attributes:
        reference: ``(N, C)`` float64, local reference rent of the let columns (0 elsewhere).
        previous: ``(N, C)`` float64, contract rent of the last tenant who left a dwelling of
            the cell (0: none yet), the "Vormiete".
        limit: ``(N,)`` float64, highest re-let rent as a multiple of the reference rent in a
            designated area (``inf``: no limit).
        keep_previous: ``(N,)`` bool, a higher previous rent may be kept (Mietpreisbremse,
            §556e BGB; not under a freeze).
        enforced: ``(N,)`` float64, share of the lets at which the limit is kept (the others
            go at the asking rent).
    """

    reference: np.ndarray
    previous: np.ndarray
    limit: np.ndarray
    keep_previous: np.ndarray
    enforced: np.ndarray


class Transfers(NamedTuple):
    """Housing costs of households on SGB II, paid up to a ceiling (KdU,
    :mod:`urbsim._kernels.contracts`).

    Attributes:
        income_limit: float, net income (EUR/month) below which a household is on SGB II.
        ceiling: float, highest housing cost paid for one person (EUR/month).
        per_person: float, added per further person.
        forced_rate: float, yearly probability that a household above its ceiling is made
            to move.
    """

    income_limit: float
    ceiling: float
    per_person: float
    forced_rate: float


class ContractRules(NamedTuple):
    """How sitting tenants' rents rise (:func:`urbsim._kernels.contracts.raise_rents`).

    Attributes:
        cap: float, highest rise within three years (Kappungsgrenze).
        raise_probability: float, yearly probability a landlord raises when allowed.
        frozen: ``(N,)`` bool, no rent rises in the neighbourhood (a freeze is in force).
    """

    cap: float
    raise_probability: float
    frozen: np.ndarray


class Trees(NamedTuple):
    """Fenwick trees (:mod:`urbsim._kernels.fenwick`) movers draw candidates from, kept up to
    date move by move.

    Attributes:
        vacancies: ``(N + 1,)`` int64, vacant dwellings per neighbourhood, all columns
            together (:func:`urbsim._kernels.fenwick.vacancies`).
        ties: ``(M, N + 1)`` int64, per milieu its households per neighbourhood (the same-milieu
            ties a candidate may come through); ``(M, 1)`` when no candidate does.
    """

    vacancies: np.ndarray
    ties: np.ndarray


class Candidates(NamedTuple):
    """Work space of one mover's choice (filled anew for each mover).

    Attributes:
        node: ``(K,)`` int64, neighbourhood of each acceptable candidate.
        segment: ``(K,)`` int64, its segment.
        utility: ``(K + 1,)`` float64, utility of each option (the last one: staying), then
            its unnormalised logit weight.
        rent: ``(K,)`` float64, the rent (or user cost) each candidate would be let at.
    """

    node: np.ndarray
    segment: np.ndarray
    utility: np.ndarray
    rent: np.ndarray


class MovingRules(NamedTuple):
    """Why households move (:func:`urbsim._kernels.moving.decide`).

    Attributes:
        mobility: ``(M,)`` float64, yearly life-course move probability per milieu.
        age_mobility: ``(A,)`` float64, its factor per age class.
        damping: float, how much attachment lowers the move probabilities.
        gain: float, how fast the probability of a move out of dissatisfaction rises with it.
        max_burden: float, rent / income above which a tenant may be displaced.
        forced_rate: float, yearly probability of displacement above ``max_burden`` (or, on
            SGB II, above the KdU ceiling).
        owner_mobility: float, factor on the life-course move probability of owners.
        n_let: int, ``G``: columns from ``G`` on are owner-occupied.
    """

    mobility: np.ndarray
    age_mobility: np.ndarray
    damping: float
    gain: float
    max_burden: float
    forced_rate: float
    owner_mobility: float
    n_let: int


class MarketRules(NamedTuple):
    """How asking rents and owners' user costs follow vacancy
    (:func:`urbsim._kernels.market.update_rents`).

    Attributes:
        vacancy_target: float, vacancy rate at which rents stay put.
        adjustment: float, relative rent change per unit of relative vacancy gap.
        max_change: float, largest relative change in a year, either way.
        floor: float, lowest rent as a multiple of the base rent.
        ceiling: float, highest rent as a multiple of the base rent.
        social_fixed: bool, social rents stay at their base.
    """

    vacancy_target: float
    adjustment: float
    max_change: float
    floor: float
    ceiling: float
    social_fixed: bool


class TurnoverRules(NamedTuple):
    """Who leaves the city, and how households age
    (:mod:`urbsim._kernels.turnover`).

    Attributes:
        out_rate: float, yearly probability of leaving the city.
        death_rate: float, added for households aged 65+.
        ageing: float, yearly probability of moving up one age class.
        attachment_growth: float, attachment grows by ``growth * (1 - attachment)`` a year.
    """

    out_rate: float
    death_rate: float
    ageing: float
    attachment_growth: float


class Inflow(NamedTuple):
    """Who comes to the city (:func:`urbsim._kernels.turnover.newcomers`).

    Attributes:
        mix_cum: ``(M,)`` float64, cumulative milieu shares of the in-migrants (last one 1).
        age_cum: ``(A,)`` float64, cumulative age-class shares of the in-migrants.
        log_median: ``(M,)`` float64, log of the median income per milieu.
        sigma: float, standard deviation of log income.
        engagement0: ``(M,)`` float64, baseline engagement per milieu (a newcomer's).
    """

    mix_cum: np.ndarray
    age_cum: np.ndarray
    log_median: np.ndarray
    sigma: float
    engagement0: np.ndarray


class Dialogue(NamedTuple):
    """One dialogue event: whom it reaches and how it draws them in
    (:func:`urbsim._kernels.participation.take_part`).

    Attributes:
        base_logit: ``(M,)`` float64, base propensity per milieu (logit of turnout, scaled).
        channel_logit: ``(M,)`` float64, the channels' lift per milieu (logit).
        format_shift: float, logit shift of the format (federal election 0).
        engagement_share: float, share of the engagement terms that counts in this event.
        scope: ``(N,)`` bool, neighbourhoods the event reaches.
        competing: ``(N,)`` float64, other formats competing in the same step per
            neighbourhood.
        panel: bool, households are invited at random (a citizen panel).
        invite_share: float, share of the households in scope a panel invites.
    """

    base_logit: np.ndarray
    channel_logit: np.ndarray
    format_shift: float
    engagement_share: float
    scope: np.ndarray
    competing: np.ndarray
    panel: bool
    invite_share: float


class ParticipationRules(NamedTuple):
    """How engagement drives taking part and follows it (:mod:`urbsim._kernels.participation`).

    Attributes:
        engagement0: ``(M,)`` float64, baseline engagement per milieu.
        social: float, weight of the neighbours' engagement above baseline.
        weight: float, weight of one's own engagement above baseline.
        fatigue: float, logit lost per competing format.
        decay: float, yearly rate at which engagement returns to its baseline.
        engagement_gain: float, taking part raises engagement by ``gain * (1 - engagement)``.
        attachment_gain: float, and attachment by ``gain * (1 - attachment)``.
    """

    engagement0: np.ndarray
    social: float
    weight: float
    fatigue: float
    decay: float
    engagement_gain: float
    attachment_gain: float
