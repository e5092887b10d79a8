"""UrbanModel: one ``mesa.Model`` step is one year, in seven phases run by numba kernels.

1. composition — integer counts per neighbourhood x milieu and the perceived composition
   within the radius (:mod:`urbsim._kernels.composition`), both updated on every move and
   carried from the last record (recomputed there when households left or arrived);
2. satisfaction — every household's utility of its home (:mod:`urbsim._kernels.satisfaction`),
   carried from the last record too;
3. move decision — life course, dissatisfaction, rent (:mod:`urbsim._kernels.moving`);
4. search and choice — movers in random order (:mod:`urbsim._kernels.choice`);
5. housing market — rents, then construction and conversion policies
   (:mod:`urbsim._kernels.market`, :mod:`urbsim.engine.policies`);
6. turnover — departures, newcomers (who search like movers), ageing
   (:mod:`urbsim._kernels.turnover`);
7. participation — the dialogue events of this step (:mod:`urbsim._kernels.participation`),
   with feedback on engagement, attachment and amenities.

Policy switches and dialogue events are Mesa events, scheduled half a step before the step
they act in (:mod:`urbsim.engine.calendar`). Every step is recorded (:mod:`urbsim.engine.recorder`);
:meth:`UrbanModel.dataset` returns the run as an ``xarray.Dataset``. The set-up shared with the
Mesa-agent reference is in :mod:`urbsim.engine.world`.
"""

from __future__ import annotations

import time

import numpy as np

from urbsim._kernels import (
    choice,
    composition,
    fenwick,
    market,
    moving,
    participation,
    rng,
    turnover,
)
from urbsim._kernels import satisfaction as sat
from urbsim.engine import households as hh_mod
from urbsim.engine import policies
from urbsim.engine.world import World
from urbsim.inputs.city import City
from urbsim.inputs.milieus import SEGMENTS, MilieuSet
from urbsim.inputs.params import FORMATS, Construction, ModelParams, UnlockUnderused


class UrbanModel(World):
    """The urbsim engine as a Mesa model.

    Args:
        params, city, milieus, seed: as for :class:`~urbsim.engine.world.World`.
        expected_steps: preallocation hint for the recorder.

    Raises:
        InputError: parameters that do not fit the city or milieu set (unknown milieu codes,
            districts, neighbourhoods, channels; more households than dwellings).
    """

    def __init__(self, params: ModelParams | None = None, *, city: City | None = None,
                 milieus: MilieuSet | str | None = None, seed: int | None = 0,
                 expected_steps: int = 50) -> None:
        super().__init__(params, city=city, milieus=milieus, seed=seed)
        p, c, ms = self.params, self.city, self.milieus
        m = len(ms)
        self.base_logit = np.log(ms.turnout / (1 - ms.turnout))
        self.ring_w = np.asarray(p.satisfaction.ring_weights, np.float64)
        self.ball_ptr, self.ball_idx, self.ball_hop = c.hops(len(self.ring_w) - 1)
        if p.choice.local_share > 0:
            self.search = c.search_kernel(p.choice.search_distance, p.choice.distance_decay)
        else:
            self.search = (np.zeros(c.n + 1, np.int64), np.zeros(1, np.int64), np.ones(1))

        self.households = h = hh_mod.create(c, ms, p, self.seed, p.turnover.attachment_growth)
        self.counts = composition.counts(h.node, h.milieu, h.active, c.n, m)
        self.occ = composition.occupancy(h.node, h.segment, h.active, c.n, len(SEGMENTS))

        self.recorder = self.new_recorder(expected_steps)
        self.timings: dict[str, float] = {}
        """Seconds spent per phase over all steps so far (benchmarks/ profiles with it)."""
        self._t = 0.0
        self._flows = self._zero_flows()
        self._record(None)

    # ------------------------------------------------------------------ set-up
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
        flags = moving.decide(self.seed, t, h.active, h.milieu, h.node, h.segment, h.income,
                              h.age, h.attachment, s, self.rent,
                              self.milieus.mobility * p.moving.mobility_scale,
                              np.asarray(p.moving.age_mobility), p.moving.attachment_damping,
                              p.moving.dissatisfaction_gain, p.moving.max_burden,
                              p.moving.forced_rate)
        movers = np.flatnonzero(flags)
        lap("moving")                                                            # 3
        self._relocate(movers, flags[movers], agg, rng.CHOICE, t)
        lap("choice")                                                            # 4
        upper, cap = policies.rent_bounds(self.active_policies, p.market.ceiling)
        self.rent = market.update_rents(self.rent, self.base_rent, self.capacity, self.occ,
                                        p.market.vacancy_target, p.market.adjustment,
                                        p.market.max_change, p.market.floor, upper, cap,
                                        p.market.social_fixed)
        for pol in self.active_policies:
            if isinstance(pol, Construction):
                policies.build(pol, c, self.capacity, self.base_rent, self.rent)
            elif isinstance(pol, UnlockUnderused):
                policies.unlock(pol, c, self.capacity, self.base_rent, self.rent,
                                self.unlock_carry)
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

    def _perceived(self) -> tuple:
        return composition.perceived(self.counts, self.ball_ptr, self.ball_idx, self.ball_hop,
                                     self.ring_w, self.status, self.affinity)

    def _satisfaction(self, agg: tuple | None = None) -> np.ndarray:
        h, ps = self.households, self.params.satisfaction
        cw, tot, sum_st, sum_sq, aff = agg if agg is not None else self._perceived()
        return sat.current(h.active, h.milieu, h.node, h.segment, h.income, self.ring_w[0], cw, tot,
                           sum_st, sum_sq, aff, self.amenity, self.rent, self.pref, self.status,
                           self.milieus.segment_pref, ps.composition == "count",
                           ps.acceptable_burden)

    def _relocate(self, who: np.ndarray, forced: np.ndarray, agg: tuple, stream: int,
                  t: int) -> np.ndarray:
        """Run search and choice for households ``who`` in a random order; book the flows."""
        p, h = self.params, self.households
        keys = rng.uniforms(self.seed, t, rng.ORDER + 100 * stream, len(h), 0)[who]
        perm = np.argsort(keys, kind="stable")
        order, forced = who[perm], forced[perm]
        tree = fenwick.build((self.capacity - self.occ).ravel())
        ms = self.milieus
        res = choice.relocate(
            self.seed, t, stream, order, forced, h.milieu, h.node, h.segment, h.income, h.years,
            h.attachment, h.active, self.counts, self.occ, self.capacity, tree, *agg,
            self.ball_ptr, self.ball_idx, self.ball_hop, self.ring_w, *self.search, self.amenity,
            self.rent, self.pref, self.status, self.affinity, ms.segment_pref,
            p.satisfaction.composition == "count", p.satisfaction.acceptable_burden,
            p.choice.candidates, p.choice.local_share, p.choice.logit_scale, p.choice.move_cost,
            p.choice.consider_staying, p.choice.social_income_limit, p.moving.max_burden)
        m = len(ms)
        mil = h.milieu[order]
        f = self._flows
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
        leave = (np.flatnonzero(turnover.departures(self.seed, t, h.active, h.age, p.out_rate,
                                                    p.death_rate))
                 if p.out_rate > 0 or p.death_rate > 0 else np.zeros(0, np.int64))  # closed
        np.subtract.at(self.counts, (h.node[leave], h.milieu[leave]), 1)
        np.subtract.at(self.occ, (h.node[leave], h.segment[leave]), 1)
        h.active[leave] = False
        h.node[leave] = -1
        self._flows["out_migrants"] += np.bincount(h.milieu[leave], minlength=m)
        n_in = round(self._flows["out_migrants"].sum() * p.in_ratio)
        self._ensure_slots(n_in)
        slots = np.flatnonzero(~h.active)[:n_in]
        mix = self.milieus.share * np.exp(np.array([p.trend.get(c, 0.0)
                                                    for c in self.milieus.codes]) * t)
        turnover.newcomers(self.seed, t, rng.IN, slots, np.cumsum(mix / mix.sum()),
                           np.cumsum(turnover.NEWCOMER_AGE), self.log_median,
                           self.params.income.sigma, h.milieu, h.income, h.age, h.years,
                           h.attachment, h.engagement, self.engagement0)
        h.size[slots] = 1 + (h.age[slots] == 1)  # prior: newcomers are small households
        if len(slots):  # (a closed city, e.g. Schelling's, has none: no search to prepare)
            self._relocate(slots, np.full(len(slots), 2, np.int8), self._perceived(),
                           rng.NEWCOMER_CHOICE, t)
        turnover.age_households(self.seed, t, h.active, h.age, h.years, h.attachment,
                                p.ageing, p.attachment_growth)
        return len(leave) > 0 or len(slots) > 0

    def _participation(self, t: int) -> None:
        pp, h, c, ms = self.params.participation, self.households, self.city, self.milieus
        a = h.active
        participation.decay(a, h.milieu, h.engagement, self.engagement0, pp.engagement_decay)
        events = self.take_events()
        masks = [c.mask(e.districts, e.neighbourhoods) for e in events]
        formats = np.array([m for e, m in zip(events, masks, strict=True)
                            if e.format != "election"]).reshape(-1, c.n)
        n_formats = formats.sum(0)
        f = self._flows
        node = np.where(a, h.node, 0)
        for k, (e, scope) in enumerate(zip(events, masks, strict=True)):
            competing = (np.maximum(n_formats - 1, 0) if e.format != "election"
                         else np.zeros(c.n, np.int64)).astype(np.float64)
            neighbours = participation.neighbours(a, node, h.milieu, h.engagement,
                                                  self.engagement0, c.n)
            gain = ms.channel_gain @ np.array([e.channels.get(ch, 0.0) for ch in ms.channels])
            out = participation.take_part(
                self.seed, t, k, a, h.milieu, node, h.engagement, self.engagement0,
                self.base_logit * (1.0 if e.format == "election" else pp.propensity_contrast),
                gain, pp.format_shift[e.format], scope, competing, neighbours,
                pp.social_influence, self.context(self.counts), pp.engagement_weight, pp.fatigue,
                e.format == "panel",
                e.invite_share)
            fi = FORMATS.index(e.format)
            took = np.zeros((c.n, len(ms)), np.int64)
            participants, reached = self._tallies(f)
            participation.tally(out, node, h.milieu, took, reached[fi], h.engagement,
                                h.attachment, pp.engagement_gain, pp.attachment_gain)
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
    def _record(self, agg: tuple | None) -> None:
        """Record the step from the perceived composition ``agg`` (``None``: recompute it), and
        keep it and the satisfaction it gives for the next step."""
        self._agg = agg if agg is not None else self._perceived()
        self._sat = satisfaction = self._satisfaction(self._agg)
        h = self.households
        self.store({
            "households": self.counts, "dwellings": self.capacity,
            "vacant": self.capacity - self.occ, "rent": self.rent, "amenity": self.amenity,
            "satisfaction": sat.mean_by_milieu(satisfaction, h.milieu, h.active,
                                               len(self.milieus)),
            **self._flows,
        })

    def check_state(self) -> list[str]:
        """Violated invariants of the current state (empty when all hold): capacity never
        exceeded, counts equal the household arrays, population accounting, rents within
        bounds, no NaN, shares within 0..1."""
        h, c, p = self.households, self.city, self.params
        a = h.active
        bad = []
        if (self.occ > self.capacity).any() or (self.occ < 0).any():
            bad.append("occupancy outside 0..capacity")
        m = len(self.milieus)
        if not np.array_equal(self.counts, composition.counts(h.node, h.milieu, a, c.n, m)):
            bad.append("composition counts differ from the household arrays")
        occ = composition.occupancy(h.node, h.segment, a, c.n, len(SEGMENTS))
        if not np.array_equal(self.occ, occ):
            bad.append("occupancy differs from the household arrays")
        if (h.node[a] < 0).any() or (h.node[~a] != -1).any():
            bad.append("active households without a home, or inactive ones with one")
        rec = self.recorder.data
        if self.recorder.n >= 2:
            t = self.recorder.n - 1
            prev = rec["households"][t - 1].sum()
            flow = rec["in_migrants"][t].sum() - rec["out_migrants"][t].sum()
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
        return bad

    @property
    def milieu_codes(self) -> tuple[str, ...]:
        """Milieu codes in index order."""
        return self.milieus.codes
