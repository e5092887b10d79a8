"""UrbanModel: one ``mesa.Model`` step is one year, in seven phases run by numba kernels.

1. composition — integer counts per neighbourhood x milieu and the perceived composition
   within the radius (:mod:`urbsim._kernels.composition`), both updated on every move and
   carried from the last record (recomputed there when households left or arrived);
2. satisfaction — every household's utility of its home (:mod:`urbsim._kernels.satisfaction`),
   carried from the last record too;
3. move decision — life course, dissatisfaction, tenants' rent (:mod:`urbsim._kernels.moving`);
4. search and choice — movers in random order, signing contracts
   (:mod:`urbsim._kernels.choice`, :mod:`urbsim._kernels.contracts`);
5. housing market — asking rents and user costs, social bindings that end, construction and
   conversion policies, reference rents and sitting tenants' rises
   (:mod:`urbsim._kernels.market`, :mod:`urbsim._kernels.bindings`,
   :mod:`urbsim.engine.policies`, :mod:`urbsim._kernels.contracts`); none of it when
   ``market.enabled`` is false;
6. turnover — departures, income growth, newcomers from the demand rule (who search like
   movers), ageing (:mod:`urbsim._kernels.turnover`, :mod:`urbsim._kernels.incomes`,
   :mod:`urbsim.engine.demand`);
7. participation — the dialogue events of this step (:mod:`urbsim._kernels.participation`),
   with feedback on engagement, attachment and amenities.

Policy switches and dialogue events are Mesa events, scheduled half a step before the step
they act in (:mod:`urbsim.engine.calendar`). Steps are recorded at the run's recording level
(every step by default; :mod:`urbsim.engine.recorder`); :meth:`UrbanModel.dataset` returns the
run as an ``xarray.Dataset``. The set-up shared with the
Mesa-agent reference is in :mod:`urbsim.engine.world`.
"""

from __future__ import annotations

import math
import time

import numpy as np

from urbsim._kernels import (
    bindings,
    choice,
    composition,
    contracts,
    fenwick,
    incomes,
    libm,
    market,
    moving,
    participation,
    records,
    rng,
    turnover,
)
from urbsim._kernels import satisfaction as sat
from urbsim.common.recording import Level
from urbsim.engine import demand, policies
from urbsim.engine import households as hh_mod
from urbsim.engine.world import World
from urbsim.inputs.city import City
from urbsim.inputs.milieus import SEGMENTS, MilieuSet
from urbsim.inputs.params import ELECTIONS, FORMATS, ModelParams


class UrbanModel(World):
    """The urbsim engine as a Mesa model.

    Args:
        params: model parameters (default: :class:`~urbsim.inputs.params.ModelParams`).
        city: the city; default the one ``params.city`` describes (the synthetic city for
            ``params.households``, or city files).
        milieus: a :class:`~urbsim.inputs.milieus.MilieuSet`, or the name or path of one;
            default ``params.milieus``.
        seed: non-negative integer seed; ``None`` draws one (recorded in the dataset).
        expected_steps: preallocation hint for the recorder.
        record: which steps are recorded: every k-th (``1``: all) or ``"final"`` (the last
            only); the last step of a run is always recorded.

    Raises:
        InputError: parameters that do not fit the city or milieu set (unknown milieu codes,
            districts, neighbourhoods, channels; more households than dwellings).
    """

    def __init__(self, params: ModelParams | None = None, *, city: City | None = None,
                 milieus: MilieuSet | str | None = None, seed: int | None = 0,
                 expected_steps: int = 50, record: Level = 1) -> None:
        super().__init__(params, city=city, milieus=milieus, seed=seed, record=record)
        p, c, ms = self.params, self.city, self.milieus
        m = len(ms)
        self.base_logit = libm.log(ms.turnout / (1 - ms.turnout))
        ring_w = np.asarray(p.satisfaction.ring_weights, np.float64)
        self.balls = records.Balls(*c.hops(len(ring_w) - 1), ring_w)
        if p.choice.local_share > 0:
            self.search = records.Search(*c.search_kernel(p.choice.search_distance,
                                                          p.choice.distance_decay))
        else:
            self.search = records.Search(np.zeros(c.n + 1, np.int64), np.zeros(1, np.int64),
                                         np.ones(1))
        ps, pc, pm, pt, pp = (p.satisfaction, p.choice, p.moving, p.turnover,
                              p.participation)
        self.preferences = records.Preferences(
            self.pref, self.status, self.affinity, self.segment_pref, ps.composition == "count",
            ps.acceptable_burden, bool(self.pref[:, sat.STATUS].any()),
            bool(self.pref[:, sat.DIVERSITY].any()), bool((self.affinity == np.eye(m)).all()))
        self.choice_rules = records.ChoiceRules(pc.candidates, pc.local_share, pc.logit_scale,
                                                pc.move_cost, pc.consider_staying,
                                                pc.social_income_limit, pm.max_burden,
                                                pc.tie_share, pc.screening,
                                                pc.screening_burden, p.market.vacancy_target)
        self.moving_rules = records.MovingRules(ms.mobility * pm.mobility_scale,
                                                np.asarray(pm.age_mobility),
                                                pm.attachment_damping, pm.dissatisfaction_gain,
                                                pm.max_burden, pm.forced_rate, pm.owner_mobility,
                                                len(SEGMENTS))
        self.turnover_rules = records.TurnoverRules(pt.out_rate, pt.death_rate, pt.ageing,
                                                    pt.attachment_growth)
        self.participation_rules = records.ParticipationRules(
            self.engagement0, pp.social_influence, pp.engagement_weight, pp.fatigue,
            pp.engagement_decay, pp.engagement_gain, pp.attachment_gain)

        self._transfers = self.transfers(0)
        self.households = h = hh_mod.create(c, self.capacity, self.base_rent, ms, p, self.seed,
                                            self._transfers)
        self.counts = composition.counts(h.record(), c.n, m)
        self.occ = composition.occupancy(h.record(), c.n, self.capacity.shape[1])
        self.location0 = self.location_score(self.counts)
        self.asking = self.priced(self.rent, self.counts)
        self._unheld = np.full_like(self.rent, np.nan)  # no reference rent held by a freeze
        self.reference = contracts.reference_rents(h.record(), self.asking, c.district,
                                                   len(c.districts), 0,
                                                   p.contracts.reference_years, self._unheld)
        self.reference0 = self.reference_level()
        self._rules = policies.rent_rules([], c, p.contracts.cap)

        self.recorder = self.new_recorder(expected_steps)
        self.timings: dict[str, float] = {}
        """Seconds spent per phase over all steps so far (benchmarks/ profiles with it)."""
        self.search_work = {"seconds": 0.0, "candidates": 0}
        """Seconds in the search-and-choice kernel (movers and newcomers) and the candidates
        it drew (``choice.candidates`` per searcher while any dwelling is vacant)."""
        self._t = 0.0
        self._flows = self._zero_flows()
        self._extra = False
        self._record(None)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One year: the seven phases, then record (seconds per phase add up in
        :attr:`timings`)."""
        p, c, h, t = self.params, self.city, self.households, self.steps
        lap = self._lap
        lap(None)
        self._flows = self._zero_flows()
        self._ensure_slots()
        # nothing moves between steps: the last record's composition and satisfaction hold
        # (unless a caller added dwellings, and so household slots, in between)
        agg = self._agg
        lap("composition")                                                       # 1
        s = self._sat if len(self._sat) == len(h) else self._satisfaction(agg)
        lap("satisfaction")                                                      # 2
        self._rules = policies.rent_rules(self.active_policies, c, p.contracts.cap)
        flags = moving.decide(self.seed, t, h.record(), s, self.moving_rules, self._transfers)
        movers = np.flatnonzero(flags)
        lap("moving")                                                            # 3
        self._relocate(movers, flags[movers], agg, rng.CHOICE, t)
        lap("choice")                                                            # 4
        self._market(t)
        lap("market")                                                            # 5
        changed = self._turnover(t)
        lap("turnover")                                                          # 6
        self._participation(t)
        lap("participation")                                                     # 7
        # choice kept ``agg`` up to date move by move; turnover that changed nobody keeps it so
        self._record(None if changed else agg)
        lap("record")

    def _lap(self, phase: str | None) -> None:
        """Add the time since the last lap to ``timings[phase]``."""
        now = time.perf_counter()
        if phase is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self._t
        self._t = now

    def _market(self, t: int) -> None:
        """Asking rents, ending bindings, housing policies, reference rents, rises (unless
        ``market.enabled`` is false); the year's KdU and WBS limits."""
        if self.params.market.enabled:
            self._prices(t)
        self._transfers = self.transfers(t)
        self.choice_rules = self.choice_rules._replace(social_limit=self.wbs_limit(t))

    def _prices(self, t: int) -> None:
        """Asking rents, ending bindings, housing policies, reference rents, rises."""
        p, c, h = self.params, self.city, self.households
        pk = p.market
        self.rent = market.update_rents(self.housing()._replace(rent=self.rent),
                                        records.MarketRules(pk.vacancy_target, pk.adjustment,
                                                            pk.max_change, pk.floor, pk.ceiling,
                                                            pk.social_fixed))
        ending = self.ending_bindings(t, policies.renewed(self.active_policies))
        if ending.any():
            policies.open_column(np.flatnonzero(ending), policies.PRIVATE, self.capacity,
                                 self.base_rent, self.rent)
            bindings.expire(self.seed, t, h.record(), self.capacity, self.occ, ending,
                            p.contracts.reference_years)
        if self.active_policies:
            g = len(SEGMENTS)
            a = h.active & (h.segment == g + policies.SINGLE_FAMILY) & (h.age == 3) & (h.size <= 2)
            policies.apply_housing(self.active_policies, c, self.capacity, self.base_rent,
                                   self.rent, self.policy_carry,
                                   np.bincount(h.node[a], minlength=c.n))
        self.asking = self.priced(self.rent, self.counts)  # the location premium
        held = (np.where(self._rules.frozen[:, None], self.reference, np.nan)  # by a freeze
                if self._rules.frozen.any() else self._unheld)
        self.reference = contracts.reference_rents(h.record(), self.asking, c.district,
                                                   len(c.districts), t,
                                                   p.contracts.reference_years, held)
        contracts.raise_rents(self.seed, t, h.record(), self.reference, records.ContractRules(
            self._rules.cap, p.contracts.raise_probability, self._rules.frozen))

    def letting(self) -> records.Letting:
        """At what rents vacant dwellings are let now (:class:`~urbsim._kernels.records.Letting`)."""
        return records.Letting(self.reference, self.previous_rent, self._rules.limit,
                               self._rules.keep_previous, self._rules.enforced)

    def housing(self) -> records.Housing:
        """The housing stock, market and composition as the kernels take them (a new record
        each call: the market replaces the rent array, participation the amenities)."""
        return records.Housing(self.capacity, self.occ, self.counts, self.asking,
                               self.base_rent, self.amenity)

    def _perceived(self) -> records.Perceived:
        return composition.perceived(self.counts, self.balls, self.preferences)

    def _satisfaction(self, agg: records.Perceived | None = None) -> np.ndarray:
        return sat.current(self.households.record(),
                           agg if agg is not None else self._perceived(),
                           self.balls.ring_w[0], self.housing(), self.preferences,
                           self._transfers)

    def _relocate(self, who: np.ndarray, forced: np.ndarray, agg: records.Perceived,
                  stream: int, t: int) -> np.ndarray:
        """Run search and choice for households ``who`` in a random order; book the flows."""
        if not len(who):  # nobody searches: no order to draw, no trees to build
            return np.zeros(0, np.int8)
        h = self.households
        perm = rng.order(self.seed, t, rng.ORDER + 100 * stream, who, 0)
        order, forced = who[perm], forced[perm]
        ties = (np.stack([fenwick.build(self.counts[:, k]) for k in range(len(self.milieus))])
                if self.choice_rules.tie_share > 0 else np.zeros((len(self.milieus), 1), np.int64))
        trees = records.Trees(fenwick.vacancies(self.capacity, self.occ), ties)
        vacant = fenwick.total(trees.vacancies) > 0  # else nobody draws a candidate
        start = time.perf_counter()
        res = choice.relocate(self.seed, t, stream, order, forced, h.record(), self.housing(),
                              trees, agg, self.balls, self.search, self.preferences,
                              self.choice_rules, self.letting(), self._transfers)
        self.search_work["seconds"] += time.perf_counter() - start
        self.search_work["candidates"] += (len(order) * self.choice_rules.n_candidates
                                           if vacant else 0)
        m = len(self.milieus)
        mil = h.milieu[order]
        f = self._flows
        f["tenancies"] += np.bincount(mil[(res == choice.MOVED)
                                          & (h.segment[order] < len(SEGMENTS))], minlength=m)
        if stream == rng.CHOICE:
            f["moves"] += np.bincount(mil[res == choice.MOVED], minlength=m)
            f["displaced"] += np.bincount(mil[forced == 2], minlength=m)
            f["out_migrants"] += np.bincount(mil[res == choice.LEFT], minlength=m)
        else:
            f["in_migrants"] += np.bincount(mil[res == choice.MOVED], minlength=m)
        return res

    def _turnover(self, t: int) -> bool:
        """Departures, newcomers and ageing; whether anybody left or arrived."""
        p, h, m = self.params.turnover, self.households, len(self.milieus)
        closed = not (p.out_rate > 0 or p.death_rate > 0)  # nobody leaves, nobody arrives
        if not closed:
            before = int(h.active.sum())
            vacancy = 1.0 - self.occ.sum() / max(self.capacity.sum(), 1)  # before departures
        leave = (np.zeros(0, np.int64) if closed else
                 np.flatnonzero(turnover.departures(self.seed, t, h.record(), self.turnover_rules)))
        if len(leave):
            np.subtract.at(self.counts, (h.node[leave], h.milieu[leave]), 1)
            np.subtract.at(self.occ, (h.node[leave], h.segment[leave]), 1)
            self._leave_rents(t, leave[(h.segment[leave] > 0) & (h.segment[leave] < len(SEGMENTS))])
            h.active[leave] = False
            h.node[leave] = -1
            self._flows["out_migrants"] += np.bincount(h.milieu[leave], minlength=m)
        growth = self.params.income.growth
        if growth != 0.0:  # incomes grow before this year's newcomers arrive on the same scale
            incomes.grow(h.record(), 1.0 + growth)
        n_in = (0 if closed else
                demand.attempts(self.params.demand, t, int(self._flows["out_migrants"].sum()),
                                before, demand.rent_index(self.asking, self.base_rent,
                                                          self.capacity), vacancy))
        self._ensure_slots(n_in)
        if n_in:  # (a closed city, e.g. Schelling's, has none: no search to prepare)
            slots = np.flatnonzero(~h.active)[:n_in]
            mix = self.milieus.share * libm.exp(np.array([p.trend.get(c, 0.0)
                                                          for c in self.milieus.codes]) * t)
            turnover.newcomers(self.seed, t, rng.IN, slots, h.record(), records.Inflow(
                np.cumsum(mix / mix.sum()), np.cumsum(turnover.NEWCOMER_AGE),
                self.log_median + t * math.log1p(growth) if growth != 0.0 else self.log_median,
                self.params.income.sigma, self.engagement0))
            h.size[slots] = 1 + (h.age[slots] == 1)  # prior: newcomers are small households
            h.contract[slots] = h.previous[slots] = 0.0
            self._relocate(slots, np.full(n_in, 2, np.int8), self._perceived(),
                           rng.NEWCOMER_CHOICE, t)
        turnover.age_households(self.seed, t, h.record(), self.turnover_rules)
        return len(leave) > 0 or n_in > 0

    def _leave_rents(self, t: int, let: np.ndarray) -> None:
        """Tenants ``let`` leave the city: the last of them in a random order (stream OUT,
        draw 1) leaves its rent as its cell's previous rent, as movers do in their order."""
        h = self.households
        if not len(let):
            return
        let = let[rng.order(self.seed, t, rng.OUT, let, 1)]
        cell = h.node[let] * self.capacity.shape[1] + h.segment[let]
        _, last = np.unique(cell[::-1], return_index=True)
        keep = let[len(let) - 1 - last]
        self.previous_rent[h.node[keep], h.segment[keep]] = h.contract[keep]

    def _participation(self, t: int) -> None:
        pp, h, c, ms = self.params.participation, self.households, self.city, self.milieus
        a = h.active
        rules = self.participation_rules
        participation.decay(h.record(), rules)
        events = self.take_events()
        if not events:
            return
        masks = [c.mask(e.districts, e.neighbourhoods) for e in events]
        formats = np.array([m for e, m in zip(events, masks, strict=True)
                            if e.format not in ELECTIONS]).reshape(-1, c.n)
        n_formats = formats.sum(0)
        f = self._flows
        # empty slots at node 0, so that a kernel may look up any slot's neighbourhood
        hr = h.record()._replace(node=np.where(a, h.node, 0))
        for k, (e, scope) in enumerate(zip(events, masks, strict=True)):
            vote = e.format in ELECTIONS
            competing = (np.zeros(c.n, np.int64) if vote
                         else np.maximum(n_formats - 1, 0)).astype(np.float64)
            neighbours = participation.neighbours(hr, self.engagement0, c.n)
            dialogue = records.Dialogue(
                self.base_logit * (1.0 if vote else pp.propensity_contrast),
                self.channel_lift(e.channels), pp.format_shift[e.format],
                pp.election_engagement if vote else 1.0, scope, competing,
                e.format == "panel", e.invite_share)
            out = participation.take_part(self.seed, t, k, hr, dialogue, neighbours,
                                          self.context(self.counts), rules)
            fi = FORMATS.index(e.format)
            took = np.zeros((c.n, len(ms)), np.int64)
            participants, reached = self._tallies(f)
            participation.tally(out, hr, took, reached[fi], rules)
            participants[fi] += took
            if e.format == "panel":
                f["invited"] += np.bincount(h.milieu[out >= 1], minlength=len(ms))
                f["accepted"] += took.sum(0)
            if e.amenity_budget > 0 and took.any():
                part = took.sum(1)
                self.amenity = np.minimum(1.0, self.amenity + e.amenity_budget * part / part.sum())

    def _ensure_slots(self, extra: int = 0) -> None:
        """Keep enough household slots for every dwelling plus ``extra`` newcomers."""
        h = self.households
        need = max(int(self.capacity.sum()), int(h.active.sum()) + extra)
        if need > len(h):
            h.grow(need - len(h))

    # ------------------------------------------------------------------ recording
    def _record(self, agg: records.Perceived | None) -> None:
        """Keep the perceived composition ``agg`` (``None``: recompute it) and the satisfaction
        it gives for the next step, and record the step if the recording level keeps it."""
        self._agg = agg if agg is not None else self._perceived()
        self._sat = self._satisfaction(self._agg)
        if self._extra:  # a step the level skips, recorded because the run was read there
            self.recorder.n -= 1
            self._extra = False
        if self.due():
            self.flush()

    def flush(self) -> None:
        """Record the current step unless it is recorded already (a step the recording level
        skips is dropped again when the run goes on: reading a run changes nothing)."""
        if self.recorder.last == self.steps:
            return
        self._extra = not self.due()
        h = self.households
        self.store({
            "households": self.counts, "amenity": self.amenity,
            "satisfaction": sat.mean_by_milieu(self._sat, h.record(), len(self.milieus)),
            **self.housing_state(self.occ, self.reference, h.active, h.node, h.segment,
                                 h.milieu, h.contract, h.income < self._transfers.income_limit),
            **self._flows,
        })

    def check_state(self) -> list[str]:
        """Violated invariants of the current state (empty when all hold): capacity never
        exceeded, counts equal the household arrays, population accounting, rents within
        bounds, contracts finite and non-negative and never changed in the future, no sitting
        tenant's rent above the reference rent after a rise, social dwellings never owned, no
        NaN, shares within 0..1."""
        h, c, p = self.households, self.city, self.params
        a = h.active
        bad = []
        if (self.occ > self.capacity).any() or (self.occ < 0).any():
            bad.append("occupancy outside 0..capacity")
        if stale := self.stale_stock():
            bad.append(f"recorded housing stock out of date: {', '.join(stale)}")
        m = len(self.milieus)
        if not np.array_equal(self.counts, composition.counts(h.record(), c.n, m)):
            bad.append("composition counts differ from the household arrays")
        occ = composition.occupancy(h.record(), c.n, self.capacity.shape[1])
        if not np.array_equal(self.occ, occ):
            bad.append("occupancy differs from the household arrays")
        if (h.node[a] < 0).any() or (h.node[~a] != -1).any():
            bad.append("active households without a home, or inactive ones with one")
        r = self.recorder
        if r.n >= 2 and r.last == self.steps and r.step[r.n - 2] == self.steps - 1:
            prev = r.series("households")[-2].sum()
            flow = r.series("in_migrants")[-1].sum() - r.series("out_migrants")[-1].sum()
            if prev + flow != a.sum():
                bad.append(f"population accounting: {prev} + {flow} != {a.sum()}")
        lo = p.market.floor * self.base_rent - 1e-9
        hi = p.market.ceiling * self.base_rent + 1e-9
        if (self.rent < lo).any() or (self.rent > hi).any():
            bad.append("rents outside [floor, ceiling] x base rent")
        for name in ("income", "attachment", "engagement"):
            v = getattr(h, name)[a]
            if not np.isfinite(v).all():
                bad.append(f"non-finite {name}")
        for name, v in (("attachment", h.attachment[a]), ("engagement", h.engagement[a]),
                        ("amenity", self.amenity)):
            if (v < 0).any() or (v > 1).any():
                bad.append(f"{name} outside 0..1")
        if not np.isfinite(self.rent).all():
            bad.append("non-finite rent")
        g = len(SEGMENTS)
        if self.capacity[:, g].any():
            bad.append("owned social housing")
        con = h.contract[a]
        if not np.isfinite(con).all() or (con < 0).any():
            bad.append("non-finite or negative contract")
        if (h.since[a] > self.steps).any():
            bad.append("a contract changed in the future")
        col, node = h.segment[a], h.node[a]
        raised = (h.since[a] == self.steps) & (col > 0) & (col < g) & (h.previous[a] < con)
        ref = self.reference[node[raised], col[raised]]
        if self.steps > 0 and (con[raised] > ref * (1 + 1e-12) + 1e-9).any():
            bad.append("a sitting tenant's rent rose above the reference rent")
        return bad
