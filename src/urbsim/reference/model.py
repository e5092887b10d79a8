"""ReferenceModel: the rules of :class:`urbsim.engine.model.UrbanModel`, one household per Mesa agent.

Each neighbourhood is a cell of a Mesa ``Network`` built on the city graph; each household is
a :class:`Household` (``CellAgent``) living in the cell of its neighbourhood, in a dwelling of
one column: a housing segment, let (columns ``0..G-1``, column 0 social housing) or
owner-occupied (``G + s``). Every household pays its own contract: a tenant's contract rent, an
owner's user cost fixed when it bought. A household whose income is below the KdU income limit
is on SGB II: the Jobcenter pays its housing cost up to its ceiling (:meth:`Household.paid`).
A step is one year in seven phases, as in the engine:

1. composition — households per neighbourhood x milieu, tallied from the cells; each place is
   perceived through ring weights (own neighbourhood, then 1, 2, ... hops away), and a
   household does not perceive itself where it lives;
2. satisfaction — every household's utility of its home at what it pays of its own contract
   (:meth:`Household.utility`);
3. move decision — three draws: life course (owners move less), dissatisfaction, a tenant's
   contract above its burden limit or, on SGB II, above its KdU ceiling
   (:meth:`Household.decide`);
4. search and choice — movers one after another in random order, each sampling ``K``
   vacancies (near home or city-wide) at the rent they would be let at (within the
   Mietpreisbremse, :meth:`ReferenceModel.let_rent`), dropping the unaffordable or not allowed
   (SGB II: within the ceiling and never buying), and choosing by multinomial logit, voluntary
   movers with the option to stay (:meth:`Household.relocate`); a move signs a contract at
   that rent, and a tenant leaving a private let dwelling leaves its rent as the cell's
   previous rent;
5. housing market — asking rents and user costs follow vacancy; social bindings that end and
   are not renewed turn their dwellings into private lets (tenants keep their contracts);
   construction and conversion policies; reference rents (held under a freeze); sitting
   tenants' rises (§558 BGB; none under a freeze); the KdU ceilings follow the mean reference
   rent, the income limits of SGB II and social housing follow incomes
   (:meth:`ReferenceModel._market`);
6. turnover — departures, income growth, newcomers as many as the demand rule
   (:mod:`urbsim.engine.demand`) makes try, who search like forced movers, ageing;
7. participation — this step's dialogue events, with fatigue, social influence and feedback
   on engagement, attachment and amenities.

Random numbers come from the model's numpy generator ``self.rng``, so runs agree with the
engine in distribution, not number by number. The initial households are those of
:func:`urbsim.engine.households.create` (the same as the engine's for the same seed).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from mesa.discrete_space import CellAgent, Network

from urbsim._kernels import libm  # the C library's functions, as the engine's
from urbsim._kernels.contracts import WAIT, WINDOW  # constants of §558 BGB, not kernels
from urbsim._kernels.turnover import NEWCOMER_AGE  # a prior (constant), not a kernel
from urbsim.engine import demand, policies
from urbsim.engine import households as hh_mod
from urbsim.engine.world import World
from urbsim.inputs.city import City
from urbsim.inputs.milieus import SEGMENTS, MilieuSet
from urbsim.inputs.params import ELECTIONS, FORMATS, ModelParams

STAY, VOLUNTARY, FORCED = 0, 1, 2  # move decisions
STAYED, MOVED, LEFT = 0, 1, 2  # outcomes of search and choice
G = len(SEGMENTS)  # let columns 0..G-1, owner-occupied columns G..2G-1
SOCIAL, PRIVATE, SINGLE_FAMILY = policies.SOCIAL, policies.PRIVATE, policies.SINGLE_FAMILY


class Household(CellAgent):
    """A household; its cell is its neighbourhood (``None`` while a newcomer searches).

    Attributes:
        milieu: index into the milieu set.
        column: dwelling column of its home: segment ``s`` let (``s``) or owned (``G + s``).
        income: net income, EUR/month.
        age: age class (index into :data:`urbsim.engine.households.AGE_CLASSES`).
        size: persons.
        years: years at the current address.
        attachment: attachment to the neighbourhood, 0..1.
        engagement: civic engagement, 0..1.
        contract: what it pays for its home per month (tenant: contract rent; owner: user
            cost fixed when it bought), EUR.
        previous: its contract before the last change.
        since: step of the contract's last change (move-in or rise).
    """

    def __init__(self, model: ReferenceModel, cell, *, milieu: int, column: int, income: float,
                 age: int, size: int, years: int, attachment: float, engagement: float,
                 contract: float = 0.0, previous: float = 0.0, since: int = 0) -> None:
        super().__init__(model)
        self.milieu, self.column, self.income, self.age = milieu, column, income, age
        self.size, self.years, self.attachment, self.engagement = size, years, attachment, engagement
        self.contract, self.previous, self.since = contract, previous, since
        if cell is not None:
            self.cell = cell

    @property
    def node(self) -> int:
        """Index of the neighbourhood it lives in (-1: not housed)."""
        return -1 if self.cell is None else self.model.node_of[self.cell]

    @property
    def owner(self) -> bool:
        """Whether it owns its home."""
        return self.column >= G

    @property
    def sgb(self) -> bool:
        """Whether it is on SGB II (income below the KdU income limit)."""
        return self.income < self.model.kdu.income_limit

    def ceiling(self) -> float:
        """Its KdU ceiling: ``ceiling + per_person * (size - 1)``, EUR/month."""
        k = self.model.kdu
        return k.ceiling + k.per_person * (self.size - 1)

    def paid(self, cost: float) -> float:
        """What it pays itself of a housing ``cost``: all of it, or on SGB II what lies above
        its ceiling."""
        return max(0.0, cost - self.ceiling()) if self.sgb else cost

    def utility(self, n: int, c: int, cost: float) -> float:
        """Utility of a dwelling of column ``c`` in neighbourhood ``n`` for which it would
        pay ``cost`` itself (< 0: dissatisfied).

        ``homophily * (a - tolerance) + diversity * (div - 0.5) + status_pref * (st - status)
        + amenity_pref * (amenity - 0.5) - rent_sensitivity * max(0, cost / income -
        acceptable) + segment_pref[c]``, where ``a`` is the affinity-weighted share (or count)
        of the perceived neighbours, ``div`` their normalised Simpson diversity and ``st`` their
        mean status. An empty place is neutral.
        """
        md, m = self.model, self.milieu
        hom, tol, div_p, st_p, am_p, rent_p = md.pref[m]
        cw = md.perceived(n)
        if self.node >= 0:  # one does not perceive oneself, wherever one appears in n's rings
            nodes, weights = md.rings[n]
            cw[m] -= weights[nodes == self.node].sum()
        total = cw.sum()
        count_mode = md.params.satisfaction.composition == "count"
        if total > 1e-9:
            share = cw / total
            a = md.affinity[m] @ (cw if count_mode else share)
            st = md.status @ share
            k = len(cw)
            div = (1.0 - share @ share) / (1.0 - 1.0 / k) if k > 1 else 0.0
        else:
            a, st, div = (0.0 if count_mode else tol), md.status[m], 0.5
        burden = cost / self.income - md.params.satisfaction.acceptable_burden
        return (hom * (a - tol) + div_p * (div - 0.5) + st_p * (st - md.status[m])
                + am_p * (md.amenity[n] - 0.5) - rent_p * max(0.0, burden)
                + md.segment_pref[m, c])

    def satisfaction(self) -> float:
        """Utility of its own home, at what it pays of its own contract."""
        return self.utility(self.node, self.column, self.paid(self.contract))

    def decide(self, satisfaction: float) -> int:
        """Phase 3: STAY, VOLUNTARY or FORCED, from three independent draws.

        A tenant's move is forced (displacement) with ``forced_rate`` when its contract rent
        exceeds ``max_burden * income`` (on SGB II: with the KdU ``forced_rate`` when it
        exceeds its KdU ceiling); owners are never forced. Otherwise it moves voluntarily with
        ``mobility * age_mobility * keep`` (life course; times ``owner_mobility`` for owners)
        or ``(1 - exp(-gain * max(0, -S))) * keep`` (dissatisfaction), where
        ``keep = 1 - damping * attachment``.
        """
        md, p = self.model, self.model.params.moving
        life, dissat, rent = md.rng.random(3)
        if self.sgb:
            rate, limit = md.kdu.forced_rate, self.ceiling()
        else:
            rate, limit = p.forced_rate, p.max_burden * self.income
        if not self.owner and self.contract > limit and rent < rate:
            return FORCED
        keep = 1.0 - p.attachment_damping * self.attachment
        p_life = (md.milieus.mobility[self.milieu] * p.mobility_scale * p.age_mobility[self.age]
                  * keep * (p.owner_mobility if self.owner else 1.0))
        p_dissat = (1.0 - math.exp(-p.dissatisfaction_gain * max(0.0, -satisfaction))) * keep
        return VOLUNTARY if life < p_life or dissat < p_dissat else STAY

    def search(self) -> list[tuple[int, int, float]]:
        """Phase 4: sample ``K`` vacant dwellings; keep those it may take and can afford, each
        as ``(neighbourhood, column, rent)``.

        Each draw comes through same-milieu ties with ``tie_share`` (a neighbourhood in
        proportion to the households of its milieu there, newcomers too), else is local with
        ``local_share`` (a neighbourhood near home, weighted by ``exp(-distance / decay)``);
        either way then a vacant column there in proportion to its vacancies (a draw that finds
        the neighbourhood full yields nothing); otherwise a vacant dwelling uniformly from the
        whole city. Newcomers have no home to search near. A candidate costs the rent it would
        be let (or sold) at; it is dropped when that is above ``max_burden * income`` (on SGB
        II: above the KdU ceiling), when it is social housing and the income is above the
        limit, when it is for sale and the household on SGB II, or when its landlord turns the
        household down (:meth:`ReferenceModel.turned_down`).
        """
        md, pc = self.model, self.model.params.choice
        vacant = md.capacity - md.occupied
        if vacant.sum() == 0:
            return []
        sgb = self.sgb
        limit = self.ceiling() if sgb else md.params.moving.max_burden * self.income
        home, found = self.node, []
        for _ in range(pc.candidates):
            tie = pc.tie_share > 0 and md.rng.random() < pc.tie_share
            if tie or (home >= 0 and md.rng.random() < pc.local_share):
                if tie:
                    if md.counts[:, self.milieu].sum() == 0:
                        continue
                    n = md.draw(md.counts[:, self.milieu].astype(float))
                else:
                    near, weight = md.nearby[home]
                    n = near[md.draw(weight)]
                if vacant[n].sum() == 0:
                    continue
                c = md.draw(vacant[n])
            else:
                n, c = divmod(md.draw(vacant.ravel()), vacant.shape[1])
            if (c == SOCIAL and self.income > md.social_limit) or (sgb and c >= G):
                continue
            rent = md.let_rent(n, c)
            if rent <= limit and not md.turned_down(n, c, rent, self.income, sgb):
                found.append((n, c, rent))
        return found

    def relocate(self, forced: bool) -> int:
        """Phase 4: search, then choose one option by multinomial logit; STAYED, MOVED or LEFT.

        The options are the candidates, valued at what it would pay itself of their rent,
        plus the current home at ``S + move_cost`` (valued at its own contract) for a
        voluntary mover when ``consider_staying``; option ``o`` is chosen with probability
        ``exp(scale * U_o) / sum exp(scale * U)``. Without candidates a voluntary mover stays,
        a forced mover leaves the city and a newcomer does not come. A move signs a contract
        at the candidate's rent.
        """
        md, pc = self.model, self.model.params.choice
        options = [(n, c, r, self.utility(n, c, self.paid(r))) for n, c, r in self.search()]
        may_stay = self.cell is not None and not forced
        if not options:
            if may_stay:
                return STAYED
            md.remove_household(self)
            return LEFT
        if may_stay and pc.consider_staying:
            options.append((self.node, self.column, self.contract,
                            self.satisfaction() + pc.move_cost))
        u = pc.logit_scale * np.array([o[3] for o in options])
        pick = md.draw(libm.exp(u - u.max()))
        if may_stay and pc.consider_staying and pick == len(options) - 1:
            return STAYED
        n, c, rent, _ = options[pick]
        md.move(self, n, c)
        self.contract = self.previous = rent
        self.since = md.steps
        return MOVED

    def grow_older(self) -> None:
        """Phase 6: up one age class with ``ageing``; a year more at the address; attachment
        grows by ``growth * (1 - attachment)``."""
        p = self.model.params.turnover
        if self.age < 3 and self.model.rng.random() < p.ageing:
            self.age += 1
        self.years += 1
        self.attachment += p.attachment_growth * (1.0 - self.attachment)


class ReferenceModel(World):
    """The urbsim rules in plain Python with Mesa agents (slow; for reading and testing).

    Takes the arguments of :class:`~urbsim.engine.model.UrbanModel` and raises what it raises.
    """

    implementation = "reference"

    def __init__(self, params: ModelParams | None = None, *, city: City | None = None,
                 milieus: MilieuSet | str | None = None, seed: int | None = 0,
                 expected_steps: int = 50) -> None:
        super().__init__(params, city=city, milieus=milieus, seed=seed)
        p, c, ms = self.params, self.city, self.milieus
        self.space = Network(c.graph, layout=None, random=self.random)
        self.cells = [self.space[v] for v in c.ids]
        self.node_of = {cell: i for i, cell in enumerate(self.cells)}
        self.w0 = p.satisfaction.ring_weights[0]
        self.rings = [self._ring(cell) for cell in self.cells]
        self.nearby = [self._nearby(v) for v in c.ids]
        self.kdu = self.transfers(0)
        """The KdU rule in force (:class:`~urbsim._kernels.records.Transfers`)."""
        self.rules = policies.rent_rules([], c, p.contracts.cap)
        """The rent policies in force (:class:`~urbsim.engine.policies.RentRules`)."""
        self.social_limit = p.choice.social_income_limit
        """The income limit of social housing (WBS), grown with incomes since the start."""
        h = hh_mod.create(c, self.capacity, self.base_rent, ms, p, self.seed, self.kdu)
        for i in np.flatnonzero(h.active):
            Household(self, self.cells[h.node[i]], milieu=int(h.milieu[i]),
                      column=int(h.segment[i]), income=float(h.income[i]), age=int(h.age[i]),
                      size=int(h.size[i]), years=int(h.years[i]),
                      attachment=float(h.attachment[i]), engagement=float(h.engagement[i]),
                      contract=float(h.contract[i]), previous=float(h.previous[i]),
                      since=int(h.since[i]))
        self.counts, self.occupied = self.tally()
        self.location0 = self.location_score(self.counts)
        self.asking = self.priced(self.rent, self.counts)
        self.reference = self.reference_rents(0)
        self.reference0 = self.reference_level()  # the KdU ceilings grow with it

        self.recorder = self.new_recorder(expected_steps)
        self.flows = self._zero_flows()
        self._record()

    # ------------------------------------------------------------------ space
    def _ring(self, cell) -> tuple[np.ndarray, np.ndarray]:
        """Neighbourhoods within the radius of ``cell`` and their ring weights."""
        weights = self.params.satisfaction.ring_weights
        hop, ring = {cell: 0}, [cell]
        for r in range(1, len(weights)):
            ring = list(dict.fromkeys(o for x in ring for o in x.connections.values()
                                      if o not in hop))
            hop.update(dict.fromkeys(ring, r))
        return (np.array([self.node_of[o] for o in hop]),
                np.array([weights[r] for r in hop.values()]))

    def _nearby(self, v: str) -> tuple[np.ndarray, np.ndarray]:
        """Neighbourhoods within the search distance of ``v`` and their weights
        ``exp(-distance / decay)`` (edges without a distance: straight line)."""
        pc, c = self.params.choice, self.city
        idx = {u: i for i, u in enumerate(c.ids)}

        def km(a: str, b: str, attrs: dict) -> float:
            d = attrs.get("distance")
            return libm.hypot(*(c.pos[idx[a]] - c.pos[idx[b]])) if d is None else d

        dist = nx.single_source_dijkstra_path_length(c.graph, v, cutoff=pc.search_distance,
                                                     weight=km)
        return (np.array([idx[u] for u in dist]),
                libm.exp(-np.array(list(dist.values())) / pc.distance_decay))

    def perceived(self, n: int) -> np.ndarray:
        """Ring-weighted households per milieu around neighbourhood ``n`` (a new array)."""
        nodes, weights = self.rings[n]
        return weights @ self.counts[nodes]

    def draw(self, weights: np.ndarray) -> int:
        """An index drawn with probability proportional to the non-negative ``weights``."""
        cum = np.cumsum(weights)
        return int(np.searchsorted(cum, self.rng.random() * cum[-1], side="right"))

    def tally(self) -> tuple[np.ndarray, np.ndarray]:
        """Households per neighbourhood x milieu and per neighbourhood x dwelling column,
        from the cells."""
        counts = np.zeros((self.city.n, len(self.milieus)), np.int64)
        occupied = np.zeros(self.capacity.shape, np.int64)
        for i, cell in enumerate(self.cells):
            for hh in cell.agents:
                counts[i, hh.milieu] += 1
                occupied[i, hh.column] += 1
        return counts, occupied

    def move(self, hh: Household, n: int, c: int) -> None:
        """Move ``hh`` into a vacant dwelling of column ``c`` in neighbourhood ``n``."""
        self._vacate(hh)
        hh.move_to(self.cells[n])
        hh.column, hh.years, hh.attachment = c, 0, 0.0
        self.counts[n, hh.milieu] += 1
        self.occupied[n, c] += 1

    def remove_household(self, hh: Household) -> None:
        """Take ``hh`` out of its dwelling and out of the model."""
        self._vacate(hh)
        hh.remove()

    def _vacate(self, hh: Household) -> None:
        """Book ``hh`` leaving its dwelling; a tenant leaving a private let dwelling (not
        social, not owned) leaves its contract rent as the cell's previous rent."""
        if hh.cell is not None:
            n = hh.node
            self.counts[n, hh.milieu] -= 1
            self.occupied[n, hh.column] -= 1
            if SOCIAL < hh.column < G:
                self.previous_rent[n, hh.column] = hh.contract

    # ------------------------------------------------------------------ contracts
    def let_rent(self, n: int, c: int) -> float:
        """The rent (or, for an owned column, the user cost) at which a vacant dwelling of
        column ``c`` in neighbourhood ``n`` is let or sold now: the asking rent; in an area
        under the Mietpreisbremse at most ``limit x reference rent``, or the previous tenant's
        rent if higher, at the share of the lets that keep the limit (the others at the
        asking rent); under a freeze at most the frozen reference rent. Social and owned
        dwellings go at their asking rent."""
        asking = float(self.asking[n, c])
        limit = float(self.rules.limit[n])
        if (c == SOCIAL or c >= G or not math.isfinite(limit)
                or self.rng.random() >= self.rules.enforced[n]):
            return asking
        allowed = limit * float(self.reference[n, c])
        if self.rules.keep_previous[n]:
            allowed = max(allowed, float(self.previous_rent[n, c]))
        return min(asking, allowed)

    def turned_down(self, n: int, c: int, rent: float, income: float, sgb: bool) -> bool:
        """Whether the landlord of a vacant dwelling turns an applicant down: a non-social let
        dwelling whose applicant is on SGB II or would pay more than ``screening_burden`` of
        its income, with probability ``screening x clip(2 - v / target, 0, 1)`` for the
        neighbourhood's vacancy ``v`` (other applicants queue)."""
        pc = self.params.choice
        if (pc.screening == 0.0 or not SOCIAL < c < G
                or not (sgb or rent > pc.screening_burden * income)):
            return False
        cap = self.capacity[n].sum()
        queue = (min(1.0, max(0.0, 2.0 - (cap - self.occupied[n].sum()) / cap
                              / self.params.market.vacancy_target)) if cap > 0 else 0.0)
        return bool(self.rng.random() < pc.screening * queue)

    def reference_rents(self, t: int) -> np.ndarray:
        """The reference rent of every private let cell (columns ``1..G-1``; 0 elsewhere) in
        step ``t``: the mean contract rent of the tenants of the same column and neighbourhood
        whose rent was agreed or changed in the last ``reference_years`` years; where a
        neighbourhood has none, the district's, then the city's, then the asking rent."""
        c, window = self.city, self.params.contracts.reference_years
        total, count = np.zeros(self.capacity.shape), np.zeros(self.capacity.shape)
        d_total = np.zeros((len(c.districts), self.capacity.shape[1]))
        d_count = np.zeros_like(d_total)
        for hh in self.agents:
            if SOCIAL < hh.column < G and t - hh.since < window:
                n, d = hh.node, c.district[hh.node]
                total[n, hh.column] += hh.contract
                count[n, hh.column] += 1
                d_total[d, hh.column] += hh.contract
                d_count[d, hh.column] += 1
        out = np.zeros(self.capacity.shape)
        for col in range(SOCIAL + 1, G):
            city_count = d_count[:, col].sum()
            for n in range(c.n):
                d = c.district[n]
                if count[n, col] > 0:
                    out[n, col] = total[n, col] / count[n, col]
                elif d_count[d, col] > 0:
                    out[n, col] = d_total[d, col] / d_count[d, col]
                elif city_count > 0:
                    out[n, col] = d_total[:, col].sum() / city_count
                else:
                    out[n, col] = self.asking[n, col]
        return out

    def _raise_rents(self, t: int) -> None:
        """§558 BGB: a tenant of a private let dwelling whose rent is below the reference rent
        and unchanged for ``WAIT`` years gets ``min(reference, (1 + cap) x r3)`` with ``r3`` its
        rent ``WINDOW`` years ago, when that is a rise, with ``raise_probability``; nothing
        where a freeze is in force."""
        cap, chance = self.rules.cap, self.params.contracts.raise_probability
        for hh in self.agents:
            if not SOCIAL < hh.column < G or t - hh.since < WAIT or self.rules.frozen[hh.node]:
                continue
            ref = self.reference[hh.node, hh.column]
            if ref <= hh.contract:
                continue
            r3 = hh.previous if hh.since > t - WINDOW else hh.contract
            new = min(ref, (1.0 + cap) * r3)
            if new > hh.contract and self.rng.random() < chance:
                hh.previous, hh.contract, hh.since = hh.contract, new, t

    def _expire_bindings(self, t: int) -> None:
        """Social bindings that end in step ``t`` and are not renewed: each dwelling drawn
        uniformly from the neighbourhood's social dwellings, occupied or vacant, becomes a
        private let one; its tenant stays and keeps its contract, dated back out of the
        reference window if unchanged for ``WAIT`` steps (a subsidised rent does not count,
        §558 (2) BGB). A neighbourhood's first
        private let dwellings get the city's mean base rent of that column."""
        ending = self.ending_bindings(t, policies.renewed(self.active_policies))
        if not ending.any():
            return
        cap, occ = self.capacity, self.occupied
        policies.open_column(np.flatnonzero(ending), PRIVATE, cap, self.base_rent, self.rent)
        for n, cell in enumerate(self.cells):
            e = min(int(ending[n]), int(cap[n, SOCIAL]))
            if e == 0:
                continue
            tenants = [hh for hh in cell.agents if hh.column == SOCIAL]
            dwellings = len(tenants) + int(cap[n, SOCIAL] - occ[n, SOCIAL])
            for k in self.rng.choice(dwellings, size=e, replace=False):
                if k < len(tenants):
                    hh = tenants[k]
                    hh.column = PRIVATE
                    if hh.since <= t - WAIT:  # its subsidised rent leaves the reference window
                        hh.since = min(hh.since, t - self.params.contracts.reference_years)
                    occ[n, SOCIAL] -= 1
                    occ[n, PRIVATE] += 1
            cap[n, SOCIAL] -= e
            cap[n, PRIVATE] += e

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One year: the seven phases, then record."""
        self.flows = self._zero_flows()
        self.counts, self.occupied = self.tally()                                 # 1
        self.rules = policies.rent_rules(self.active_policies, self.city,
                                         self.params.contracts.cap)
        households = list(self.agents)
        decisions = [hh.decide(hh.satisfaction()) for hh in households]           # 2, 3
        movers = [(hh, d) for hh, d in zip(households, decisions, strict=True) if d != STAY]
        self._relocate([hh for hh, _ in movers], [d == FORCED for _, d in movers])  # 4
        self._market()                                                            # 5
        self._turnover()                                                          # 6
        self._participation()                                                     # 7
        self._record()

    def _relocate(self, who: list[Household], forced: list[bool], newcomers: bool = False
                  ) -> None:
        """Phase 4 (and newcomers in 6): relocate ``who`` one by one in random order."""
        f = self.flows
        for j in self.rng.permutation(len(who)):
            hh = who[j]
            outcome = hh.relocate(forced[j])
            f["tenancies"][hh.milieu] += outcome == MOVED and hh.column < G
            if newcomers:
                f["in_migrants"][hh.milieu] += outcome == MOVED
                continue
            f["moves"][hh.milieu] += outcome == MOVED
            f["displaced"][hh.milieu] += forced[j]
            f["out_migrants"][hh.milieu] += outcome == LEFT

    def _market(self) -> None:
        """Phase 5, in this order:

        1. asking rents and user costs change by ``adjustment * (target - vacancy) / target``
           per neighbourhood and column, clipped to ``±max_change``, and stay in
           ``[floor, ceiling] x base``; social rents fixed;
        2. social bindings end (:meth:`_expire_bindings`);
        3. construction and conversion policies (:func:`urbsim.engine.policies.apply_housing`),
           counting as under-used the owner-occupied single-family houses whose household is
           65+ with at most two persons;
        4. reference rents (:meth:`reference_rents`; where a freeze is in force, last
           year's are held);
        5. sitting tenants' rises (:meth:`_raise_rents`);
        6. the KdU rule of the step, its ceilings scaled by the mean reference rent against
           the start, and the income limit of social housing, grown with incomes.
        """
        pm, t = self.params.market, self.steps
        has = self.capacity > 0
        vacancy = np.divide(self.capacity - self.occupied, self.capacity, where=has,
                            out=np.zeros(self.capacity.shape))
        change = np.clip(pm.adjustment * (pm.vacancy_target - vacancy) / pm.vacancy_target,
                         -pm.max_change, pm.max_change)
        new = np.minimum(np.maximum(self.rent * (1 + change), pm.floor * self.base_rent),
                         pm.ceiling * self.base_rent)
        if pm.social_fixed:
            has[:, SOCIAL] = False
        self.rent = np.where(has, new, self.rent)
        self._expire_bindings(t)
        underused = np.zeros(self.city.n, np.int64)
        for hh in self.agents:
            if hh.column == G + SINGLE_FAMILY and hh.age == 3 and hh.size <= 2:
                underused[hh.node] += 1
        policies.apply_housing(self.active_policies, self.city, self.capacity, self.base_rent,
                               self.rent, self.policy_carry, underused)
        self.asking = self.priced(self.rent, self.counts)  # the location premium
        reference = self.reference_rents(t)
        frozen = self.rules.frozen
        reference[frozen] = self.reference[frozen]
        self.reference = reference
        self._raise_rents(t)
        self.kdu = self.transfers(t)
        self.social_limit = self.wbs_limit(t)

    def _turnover(self) -> None:
        """Phase 6: each household leaves with ``out_rate`` (+ ``death_rate`` at 65+);
        incomes grow by ``income.growth``; as many newcomers as :func:`demand.attempts
        <urbsim.engine.demand.attempts>` gives (from this step's out-migrants, the households
        and the vacancy before the departures, and the asking rents; none in a closed city)
        search like forced movers; then every household ages."""
        pt, ms, f, t = self.params.turnover, self.milieus, self.flows, self.steps
        before = len(self.agents)
        vacancy = 1.0 - self.occupied.sum() / max(self.capacity.sum(), 1)
        # departures are simultaneous: in random order, so that the previous rent a cell
        # keeps when several of its tenants leave is any one of theirs
        for hh in self.rng.permutation(np.array(list(self.agents), object)):
            if self.rng.random() < pt.out_rate + (pt.death_rate if hh.age == 3 else 0.0):
                f["out_migrants"][hh.milieu] += 1
                self.remove_household(hh)
        growth = self.params.income.growth
        for hh in self.agents:  # incomes grow before this year's newcomers arrive
            hh.income *= 1.0 + growth
        open_city = pt.out_rate > 0 or pt.death_rate > 0
        n_in = (demand.attempts(self.params.demand, t, int(f["out_migrants"].sum()), before,
                                demand.rent_index(self.asking, self.base_rent, self.capacity),
                                vacancy) if open_city else 0)
        mix = ms.share * libm.exp(np.array([pt.trend.get(c, 0.0) for c in ms.codes]) * t)
        newcomers = [self._newcomer(mix) for _ in range(n_in)]
        self._relocate(newcomers, [True] * n_in, newcomers=True)
        for hh in self.agents:
            hh.grow_older()

    def _newcomer(self, mix: np.ndarray) -> Household:
        """An in-migrant, not yet housed: milieu from ``mix``, log-normal income around the
        milieu's median, age class from :data:`NEWCOMER_AGE`, two persons aged 30-44 and one
        otherwise, baseline engagement, no contract yet."""
        m = self.draw(mix)
        median = self.log_median[m] + self.steps * math.log1p(self.params.income.growth)
        age = self.draw(NEWCOMER_AGE)
        return Household(self, None, milieu=m, column=0, age=age, size=1 + (age == 1),
                         income=math.exp(median + self.params.income.sigma
                                         * self.rng.standard_normal()),
                         years=0, attachment=0.0, engagement=float(self.engagement0[m]))

    def _participation(self) -> None:
        """Phase 7: engagement relaxes to the milieu baseline; then each event of this step.

        A household in scope (for a panel: invited with ``invite_share``) takes part with
        probability ``sigmoid(contrast * logit(turnout) + format_shift + lift + context
        + share * (social * neighbours + weight * (engagement - baseline))
        - fatigue * competing)``; ``lift`` is the channels' (:meth:`World.channel_lift`),
        ``neighbours`` the mean engagement above baseline in its neighbourhood, ``share`` 1
        (elections: ``election_engagement``), ``competing`` the number of other formats (not
        elections) reaching it this step. Taking part raises engagement and attachment; an
        amenity budget goes where the participants live.
        """
        pp, ms, c, f = self.params.participation, self.milieus, self.city, self.flows
        households = list(self.agents)
        for hh in households:
            hh.engagement += pp.engagement_decay * (self.engagement0[hh.milieu] - hh.engagement)
        events = self.take_events()
        scopes = [c.mask(e.districts, e.neighbourhoods) for e in events]
        formats = sum((s.astype(int) for e, s in zip(events, scopes, strict=True)
                       if e.format not in ELECTIONS), np.zeros(c.n, int))
        for e, scope in zip(events, scopes, strict=True):
            vote = e.format in ELECTIONS
            competing = 0 * formats if vote else np.maximum(formats - 1, 0)
            neighbours = self._excess_engagement()
            context = self.context(self.tally()[0])
            lift = self.channel_lift(e.channels)
            share = pp.election_engagement if vote else 1.0
            contrast = 1.0 if vote else pp.propensity_contrast
            panel, fi = e.format == "panel", FORMATS.index(e.format)
            participants, reached = self._tallies(f)
            took = []
            for hh in households:
                n, m = hh.node, hh.milieu
                if not scope[n] or (panel and self.rng.random() >= e.invite_share):
                    continue
                x = (contrast * math.log(ms.turnout[m] / (1 - ms.turnout[m]))
                     + pp.format_shift[e.format] + lift[m] + context[n, m]
                     + share * (pp.social_influence * neighbours[n]
                                + pp.engagement_weight * (hh.engagement - self.engagement0[m]))
                     - pp.fatigue * competing[n])
                yes = self.rng.random() < 1 / (1 + math.exp(-x))
                reached[fi, n, m] += 1
                participants[fi, n, m] += yes
                if panel:
                    f["invited"][m] += 1
                    f["accepted"][m] += yes
                if yes:
                    took.append(hh)
            for hh in took:
                hh.engagement += pp.engagement_gain * (1 - hh.engagement)
                hh.attachment += pp.attachment_gain * (1 - hh.attachment)
            if e.amenity_budget > 0 and took:
                part = np.bincount([hh.node for hh in took], minlength=c.n)
                self.amenity = np.minimum(1.0, self.amenity + e.amenity_budget * part / len(took))

    def _excess_engagement(self) -> np.ndarray:
        """Mean engagement above the milieu baseline of each neighbourhood's residents."""
        return np.array([np.mean([hh.engagement - self.engagement0[hh.milieu]
                                  for hh in cell.agents]) if not cell.is_empty else 0.0
                         for cell in self.cells])

    # ------------------------------------------------------------------ recording
    def _record(self) -> None:
        """Record the state and this step's flows (same variables as UrbanModel)."""
        f, m = self.flows, len(self.milieus)
        counts, occupied = self.tally()
        households = list(self.agents)

        def column(name: str, dtype) -> np.ndarray:
            return np.array([getattr(hh, name) for hh in households], dtype)

        milieu = column("milieu", np.int64)
        sat = np.array([hh.satisfaction() for hh in households], np.float64)
        sat_sum = np.bincount(milieu, weights=sat, minlength=m)
        sat_n = np.bincount(milieu, minlength=m)
        self.store({
            "households": counts, "amenity": self.amenity,
            "satisfaction": np.divide(sat_sum, sat_n, out=np.full(m, np.nan), where=sat_n > 0),
            **self.housing_state(occupied, self.reference, np.ones(len(households), bool),
                                 column("node", np.int64),
                                 column("column", np.int64), milieu,
                                 column("contract", np.float64),
                                 column("sgb", bool)),
            **f,
        })
