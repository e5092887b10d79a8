"""ReferenceModel: the rules of :class:`urbsim.engine.model.UrbanModel`, one household per Mesa agent.

Each neighbourhood is a cell of a Mesa ``Network`` built on the city graph; each household is
a :class:`Household` (``CellAgent``) living in the cell of its neighbourhood, in a dwelling of
one housing segment. A step is one year in seven phases, as in the engine:

1. composition — households per neighbourhood x milieu, tallied from the cells; each place is
   perceived through ring weights (own neighbourhood, then 1, 2, ... hops away), and a
   household does not perceive itself where it lives;
2. satisfaction — every household's utility of its home (:meth:`Household.utility`);
3. move decision — three draws: life course, dissatisfaction, rent (:meth:`Household.decide`);
4. search and choice — movers one after another in random order, each sampling ``K``
   vacancies (near home or city-wide), dropping the unaffordable or not allowed, and choosing
   by multinomial logit, voluntary movers with the option to stay (:meth:`Household.relocate`);
5. housing market — rents follow vacancy, then construction and conversion policies;
6. turnover — departures, newcomers (who search like forced movers), ageing;
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

from urbsim._kernels.turnover import NEWCOMER_AGE  # a prior (constant), not a kernel
from urbsim.engine import households as hh_mod
from urbsim.engine import policies
from urbsim.engine.world import World
from urbsim.inputs.city import City
from urbsim.inputs.milieus import SEGMENTS, MilieuSet
from urbsim.inputs.params import FORMATS, ModelParams

STAY, VOLUNTARY, FORCED = 0, 1, 2  # move decisions
STAYED, MOVED, LEFT = 0, 1, 2  # outcomes of search and choice
SOCIAL = SEGMENTS.index("social")


class Household(CellAgent):
    """A household; its cell is its neighbourhood (``None`` while a newcomer searches).

    Attributes:
        milieu: index into the milieu set.
        segment: housing segment of its dwelling (index into :data:`SEGMENTS`).
        income: net income, EUR/month.
        age: age class (index into :data:`urbsim.engine.households.AGE_CLASSES`).
        years: years at the current address.
        attachment: attachment to the neighbourhood, 0..1.
        engagement: civic engagement, 0..1.
    """

    def __init__(self, model: ReferenceModel, cell, *, milieu: int, segment: int, income: float,
                 age: int, years: int, attachment: float, engagement: float) -> None:
        super().__init__(model)
        self.milieu, self.segment, self.income, self.age = milieu, segment, income, age
        self.years, self.attachment, self.engagement = years, attachment, engagement
        if cell is not None:
            self.cell = cell

    @property
    def node(self) -> int:
        """Index of the neighbourhood it lives in (-1: not housed)."""
        return -1 if self.cell is None else self.model.node_of[self.cell]

    def utility(self, n: int, s: int) -> float:
        """Utility of a dwelling of segment ``s`` in neighbourhood ``n`` (< 0: dissatisfied).

        ``homophily * (a - tolerance) + diversity * (div - 0.5) + status_pref * (st - status)
        + amenity_pref * (amenity - 0.5) - rent_sensitivity * max(0, rent / income -
        acceptable) + segment_pref[s]``, where ``a`` is the affinity-weighted share (or count)
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
        burden = md.rent[n, s] / self.income - md.params.satisfaction.acceptable_burden
        return (hom * (a - tol) + div_p * (div - 0.5) + st_p * (st - md.status[m])
                + am_p * (md.amenity[n] - 0.5) - rent_p * max(0.0, burden)
                + md.milieus.segment_pref[m, s])

    def satisfaction(self) -> float:
        """Utility of its own home."""
        return self.utility(self.node, self.segment)

    def decide(self, satisfaction: float) -> int:
        """Phase 3: STAY, VOLUNTARY or FORCED, from three independent draws.

        A move is forced (displacement) with ``forced_rate`` when rent / income exceeds
        ``max_burden``; otherwise voluntary with ``mobility * age_mobility * keep`` (life course)
        or ``(1 - exp(-gain * max(0, -S))) * keep`` (dissatisfaction), where
        ``keep = 1 - damping * attachment``.
        """
        md, p = self.model, self.model.params.moving
        life, dissat, rent = md.rng.random(3)
        if (md.rent[self.node, self.segment] > p.max_burden * self.income
                and rent < p.forced_rate):
            return FORCED
        keep = 1.0 - p.attachment_damping * self.attachment
        p_life = (md.milieus.mobility[self.milieu] * p.mobility_scale * p.age_mobility[self.age]
                  * keep)
        p_dissat = (1.0 - math.exp(-p.dissatisfaction_gain * max(0.0, -satisfaction))) * keep
        return VOLUNTARY if life < p_life or dissat < p_dissat else STAY

    def search(self) -> list[tuple[int, int]]:
        """Phase 4: sample ``K`` vacant dwellings; keep those it may rent and can afford.

        Each draw is local with ``local_share`` (a neighbourhood near home, weighted by
        ``exp(-distance / decay)``, then a vacant segment there in proportion to its
        vacancies; a draw that finds the neighbourhood full yields nothing), otherwise a
        vacant dwelling uniformly from the whole city. Newcomers search city-wide only.
        """
        md, pc = self.model, self.model.params.choice
        vacant = md.capacity - md.occupied
        if vacant.sum() == 0:
            return []
        home, found = self.node, []
        for _ in range(pc.candidates):
            if home >= 0 and md.rng.random() < pc.local_share:
                near, weight = md.nearby[home]
                n = near[md.draw(weight)]
                if vacant[n].sum() == 0:
                    continue
                s = md.draw(vacant[n])
            else:
                n, s = divmod(md.draw(vacant.ravel()), vacant.shape[1])
            unaffordable = md.rent[n, s] > md.params.moving.max_burden * self.income
            not_allowed = s == SOCIAL and self.income > pc.social_income_limit
            if not (unaffordable or not_allowed):
                found.append((n, s))
        return found

    def relocate(self, forced: bool) -> int:
        """Phase 4: search, then choose one option by multinomial logit; STAYED, MOVED or LEFT.

        The options are the candidates, plus the current home at ``S + move_cost`` for a
        voluntary mover when ``consider_staying``; option ``o`` is chosen with probability
        ``exp(scale * U_o) / sum exp(scale * U)``. Without candidates a voluntary mover stays,
        a forced mover leaves the city and a newcomer does not come.
        """
        md, pc = self.model, self.model.params.choice
        options = [(n, s, self.utility(n, s)) for n, s in self.search()]
        may_stay = self.cell is not None and not forced
        if not options:
            if may_stay:
                return STAYED
            md.remove_household(self)
            return LEFT
        if may_stay and pc.consider_staying:
            options.append((self.node, self.segment, self.satisfaction() + pc.move_cost))
        u = pc.logit_scale * np.array([o[2] for o in options])
        pick = md.draw(np.exp(u - u.max()))
        if may_stay and pc.consider_staying and pick == len(options) - 1:
            return STAYED
        md.move(self, *options[pick][:2])
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
        h = hh_mod.create(c, ms, p, self.seed, p.turnover.attachment_growth)
        for i in np.flatnonzero(h.active):
            Household(self, self.cells[h.node[i]], milieu=int(h.milieu[i]),
                      segment=int(h.segment[i]), income=float(h.income[i]), age=int(h.age[i]),
                      years=int(h.years[i]), attachment=float(h.attachment[i]),
                      engagement=float(h.engagement[i]))
        self.counts, self.occupied = self.tally()

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
            return float(np.hypot(*(c.pos[idx[a]] - c.pos[idx[b]]))) if d is None else d

        dist = nx.single_source_dijkstra_path_length(c.graph, v, cutoff=pc.search_distance,
                                                     weight=km)
        return (np.array([idx[u] for u in dist]),
                np.exp(-np.array(list(dist.values())) / pc.distance_decay))

    def perceived(self, n: int) -> np.ndarray:
        """Ring-weighted households per milieu around neighbourhood ``n`` (a new array)."""
        nodes, weights = self.rings[n]
        return weights @ self.counts[nodes]

    def draw(self, weights: np.ndarray) -> int:
        """An index drawn with probability proportional to the non-negative ``weights``."""
        cum = np.cumsum(weights)
        return int(np.searchsorted(cum, self.rng.random() * cum[-1], side="right"))

    def tally(self) -> tuple[np.ndarray, np.ndarray]:
        """Households per neighbourhood x milieu and per neighbourhood x segment, from the
        cells."""
        counts = np.zeros((self.city.n, len(self.milieus)), np.int64)
        occupied = np.zeros((self.city.n, len(SEGMENTS)), np.int64)
        for i, cell in enumerate(self.cells):
            for hh in cell.agents:
                counts[i, hh.milieu] += 1
                occupied[i, hh.segment] += 1
        return counts, occupied

    def move(self, hh: Household, n: int, s: int) -> None:
        """Move ``hh`` into a vacant dwelling of segment ``s`` in neighbourhood ``n``."""
        self._vacate(hh)
        hh.move_to(self.cells[n])
        hh.segment, hh.years, hh.attachment = s, 0, 0.0
        self.counts[n, hh.milieu] += 1
        self.occupied[n, s] += 1

    def remove_household(self, hh: Household) -> None:
        """Take ``hh`` out of its dwelling and out of the model."""
        self._vacate(hh)
        hh.remove()

    def _vacate(self, hh: Household) -> None:
        if hh.cell is not None:
            self.counts[hh.node, hh.milieu] -= 1
            self.occupied[hh.node, hh.segment] -= 1

    # ------------------------------------------------------------------ schedule
    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One year: the seven phases, then record."""
        self.flows = self._zero_flows()
        self.counts, self.occupied = self.tally()                                 # 1
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
            if newcomers:
                f["in_migrants"][hh.milieu] += outcome == MOVED
                continue
            f["moves"][hh.milieu] += outcome == MOVED
            f["displaced"][hh.milieu] += forced[j]
            f["out_migrants"][hh.milieu] += outcome == LEFT

    def _market(self) -> None:
        """Phase 5: rent change ``adjustment * (target - vacancy) / target`` per neighbourhood
        and segment, clipped to ``±max_change`` (and to a rent cap's increase); rents stay in
        ``[floor, upper] x base``; social rents fixed. Then the construction policies."""
        pm = self.params.market
        upper, cap = policies.rent_bounds(self.active_policies, pm.ceiling)
        has = self.capacity > 0
        vacancy = np.divide(self.capacity - self.occupied, self.capacity, where=has,
                            out=np.zeros(self.capacity.shape))
        change = np.clip(pm.adjustment * (pm.vacancy_target - vacancy) / pm.vacancy_target,
                         -pm.max_change, pm.max_change)
        if cap >= 0:
            change = np.minimum(change, cap)
        new = np.minimum(np.maximum(self.rent * (1 + change), pm.floor * self.base_rent),
                         upper * self.base_rent)
        if pm.social_fixed:
            has[:, SOCIAL] = False
        self.rent = np.where(has, new, self.rent)
        policies.apply_housing(self.active_policies, self.city, self.capacity, self.base_rent,
                               self.rent, self.unlock_carry)

    def _turnover(self) -> None:
        """Phase 6: each household leaves with ``out_rate`` (+ ``death_rate`` at 65+);
        incomes grow by ``income.growth``; ``in_ratio`` newcomers per household that left this
        step (their median grown since the start) search like forced movers; then every
        household ages."""
        pt, ms, f = self.params.turnover, self.milieus, self.flows
        for hh in list(self.agents):
            if self.rng.random() < pt.out_rate + (pt.death_rate if hh.age == 3 else 0.0):
                f["out_migrants"][hh.milieu] += 1
                self.remove_household(hh)
        growth = self.params.income.growth
        for hh in self.agents:  # incomes grow before this year's newcomers arrive
            hh.income *= 1.0 + growth
        n_in = round(f["out_migrants"].sum() * pt.in_ratio)
        mix = ms.share * np.exp(np.array([pt.trend.get(c, 0.0) for c in ms.codes]) * self.steps)
        newcomers = [self._newcomer(mix) for _ in range(n_in)]
        self._relocate(newcomers, [True] * n_in, newcomers=True)
        for hh in self.agents:
            hh.grow_older()

    def _newcomer(self, mix: np.ndarray) -> Household:
        """An in-migrant, not yet housed: milieu from ``mix``, log-normal income around the
        milieu's median, age class from :data:`NEWCOMER_AGE`, baseline engagement."""
        m = self.draw(mix)
        median = self.log_median[m] + self.steps * math.log1p(self.params.income.growth)
        return Household(self, None, milieu=m, segment=0, age=self.draw(NEWCOMER_AGE),
                         income=math.exp(median + self.params.income.sigma
                                         * self.rng.standard_normal()),
                         years=0, attachment=0.0, engagement=float(self.engagement0[m]))

    def _participation(self) -> None:
        """Phase 7: engagement relaxes to the milieu baseline; then each event of this step.

        A household in scope (for a panel: invited with ``invite_share``) takes part with
        probability ``sigmoid(logit(turnout) + format_shift + channels + social * neighbours
        + weight * (engagement - baseline) - fatigue * competing)``; ``neighbours`` is the mean
        engagement above baseline in its neighbourhood, ``competing`` the number of other
        non-election formats reaching it this step. Taking part raises engagement and
        attachment; an amenity budget goes where the participants live.
        """
        pp, ms, c, f = self.params.participation, self.milieus, self.city, self.flows
        households = list(self.agents)
        for hh in households:
            hh.engagement += pp.engagement_decay * (self.engagement0[hh.milieu] - hh.engagement)
        events = self.take_events()
        scopes = [c.mask(e.districts, e.neighbourhoods) for e in events]
        formats = sum((s.astype(int) for e, s in zip(events, scopes, strict=True)
                       if e.format != "election"), np.zeros(c.n, int))
        for e, scope in zip(events, scopes, strict=True):
            competing = np.maximum(formats - 1, 0) if e.format != "election" else 0 * formats
            neighbours = self._excess_engagement()
            context = self.context(self.tally()[0])
            channels = ms.channel_gain @ [e.channels.get(ch, 0.0) for ch in ms.channels]
            panel, fi = e.format == "panel", FORMATS.index(e.format)
            participants, reached = self._tallies(f)
            took = []
            for hh in households:
                n, m = hh.node, hh.milieu
                if not scope[n] or (panel and self.rng.random() >= e.invite_share):
                    continue
                contrast = 1.0 if e.format == "election" else pp.propensity_contrast
                x = (contrast * math.log(ms.turnout[m] / (1 - ms.turnout[m]))
                     + pp.format_shift[e.format]
                     + channels[m] + pp.social_influence * neighbours[n] + context[n]
                     + pp.engagement_weight * (hh.engagement - self.engagement0[m])
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
        milieu = np.array([hh.milieu for hh in households], np.int64)
        sat = np.array([hh.satisfaction() for hh in households])
        sat_sum = np.bincount(milieu, weights=sat, minlength=m)
        sat_n = np.bincount(milieu, minlength=m)
        self.store({
            "households": counts, "dwellings": self.capacity, "vacant": self.capacity - occupied,
            "rent": self.rent, "amenity": self.amenity,
            "satisfaction": np.divide(sat_sum, sat_n, out=np.full(m, np.nan), where=sat_n > 0),
            **f,
        })
