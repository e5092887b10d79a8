"""What every implementation of the rules starts from: validated parameters, the milieu set,
the city, the derived preference arrays, the housing stock, and the calendar of policies and
events. :class:`urbsim.engine.model.UrbanModel` and :class:`urbsim.reference.ReferenceModel` build on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Self

import numpy as np

from urbsim._kernels import composition, participation, records
from urbsim.common.errors import InputError
from urbsim.common.recording import Level, recorded_steps
from urbsim.engine import households as hh_mod
from urbsim.engine import indicators
from urbsim.engine.calendar import Calendar
from urbsim.engine.recorder import Recorder, canonical_json, provenance
from urbsim.inputs import consistency
from urbsim.inputs.city import City
from urbsim.inputs.city_files import load_city
from urbsim.inputs.milieus import SEGMENTS, MilieuSet
from urbsim.inputs.milieus import load as load_milieus
from urbsim.inputs.params import FORMATS, ModelParams

if TYPE_CHECKING:
    import xarray as xr


class ClosedError(AttributeError):
    """A closed model was used (:meth:`World.close`)."""


STOCK = ("dwellings", "owned", "rent", "owner_cost", "reference_rent")
"""The recorded variables of the housing stock and its prices (:meth:`World.housing_state`)."""


class World(Calendar):
    """Shared set-up of a run (a ``mesa.Model`` seeded with ``seed``).

    Args:
        params: model parameters (defaults: :class:`~urbsim.inputs.params.ModelParams`).
        city: the city; default the one ``params.city`` describes (the synthetic city for
            ``params.households``, or city files).
        milieus: a :class:`~urbsim.inputs.milieus.MilieuSet`, or the name/path of one; default
            ``params.milieus``.
        seed: non-negative integer seed; ``None`` draws one (recorded in the dataset).
        record: which steps are recorded: every k-th (``1``: all) or ``"final"`` (the last
            only; see :mod:`urbsim.engine.recorder`).

    Raises:
        InputError: a bad seed or recording level, or parameters that do not fit the city or
            milieu set (unknown milieu codes, districts, neighbourhoods, channels; a policy
            ending before it starts).
    """

    implementation = "engine"
    """Recorded in the dataset's attributes."""

    def __init__(self, params: ModelParams | None = None, *, city: City | None = None,
                 milieus: MilieuSet | str | None = None, seed: int | None = 0,
                 record: Level = 1) -> None:
        if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
            raise InputError(f"expected a non-negative integer, got {seed!r}", None, "seed")
        if record != "final" and (not isinstance(record, int | np.integer)
                                  or isinstance(record, bool) or record < 1):
            raise InputError(f"expected a positive number of steps or \"final\", got "
                             f"{record!r}", None, "record")
        self.record: Level = record if record == "final" else int(record)
        """Which steps are recorded (:data:`urbsim.engine.recorder.Level`)."""
        super().__init__(rng=seed)
        self.seed = int(seed) if seed is not None else int(self.rng.integers(2**62))
        self.params = p = params or ModelParams()
        self.milieus = ms = (milieus if isinstance(milieus, MilieuSet)
                             else load_milieus(milieus or p.milieus))
        self.city = c = city or load_city(p.households, p.city)
        consistency.check_fit(p, ms, c)

        self.affinity = (np.eye(len(ms)) if p.satisfaction.affinity == "identity"
                         else ms.affinity(p.satisfaction.affinity_scale))
        self.status = ms.status01
        self.pref = np.column_stack([ms.homophily, ms.tolerance, ms.diversity_pref,
                                     ms.status_pref, ms.amenity_pref, ms.rent_sensitivity])
        self.log_median = hh_mod.log_median_income(ms, p)
        self.engagement0 = hh_mod.engagement_baseline(ms)
        owned = c.owned(p.city.owner_share)
        self.capacity = np.concatenate([c.capacity - owned, owned], 1)
        """``(N, C)`` dwellings per column: let (``0..G-1``), then owner-occupied."""
        self.base_rent = np.tile(c.base_rent, 2)
        self.rent = self.base_rent.copy()
        """``(N, C)`` the market's rents and user costs (vacancy-driven)."""
        self.asking = self.rent
        """``(N, C)`` what vacant dwellings are offered at: :attr:`rent` with the location
        premium (:meth:`priced`)."""
        self.segment_pref = np.tile(ms.segment_pref, 2)
        self.amenity = c.amenity.copy()
        self.policy_carry: dict = {}
        """Per housing policy, the fraction of a dwelling carried over to its next step."""
        self.ending = c.expiry(p.city.social_expiry) * c.capacity[:, 0]
        """Social dwellings whose binding ends each year, per neighbourhood (where the city
        gives no end years)."""
        if c.social_end and p.start_year is None:
            raise InputError("the city gives social_end_<YEAR> columns: the scenario needs "
                             "start_year, the calendar year of its start", None, "start_year")
        self.bound = c.capacity[:, 0].copy()
        """Social dwellings of the start still bound (new social housing stays bound)."""
        self.binding_carry = np.zeros(c.n)
        self.reference0 = 0.0
        """The mean reference rent at the start, once the households are placed (the KdU
        ceilings grow with the mean reference rent, :meth:`transfers`)."""
        self.previous_rent = np.zeros_like(self.rent)
        """The last leaving tenant's rent per cell (the "Vormiete")."""
        self._stock_of: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]] | None = None
        self._stored: tuple[object, object] = (None, None)  # stock and amenity last recorded
        self.schedule_calendar(p)

    # ------------------------------------------------------------------ releasing a run
    def close(self) -> None:
        """Release everything the run holds (its arrays, its recorder, Mesa's schedule) now;
        the model cannot be used afterwards. ``with UrbanModel(...) as model:`` closes it on
        leaving the block, and urbsim's runners (:mod:`urbsim.engine.runner`, a sweep's
        workers) close every model when they have its dataset.

        A Mesa model refers to itself (its scenario, its step schedule, its event callbacks),
        so dropping the last reference to it does not free it: Python's cyclic garbage
        collector does, at a moment of its own. Until then its arrays stay allocated, and the
        next run of a process that runs many (a sweep's worker, a calibration, a workshop)
        allocates fresh memory, whose first write costs a page fault per page: on the
        benchmark VMs that made a small run up to twice as slow. Arrays handed out before (the
        views :meth:`recorded` returns, a :meth:`dataset`) stay valid."""
        self.__dict__.clear()
        self.__dict__["_closed"] = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    if not TYPE_CHECKING:  # (for a type checker, attributes stay what they are declared)
        def __getattr__(self, name: str) -> object:
            # only reached for attributes the instance and its class lack
            if self.__dict__.get("_closed"):
                raise ClosedError(f"{type(self).__name__} was closed (its run is released): "
                                  f"no {name!r}; build a new model")
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def transfers(self, t: int) -> records.Transfers:
        """The KdU rule in step ``t``: the income limit grows with incomes, the ceilings with
        the mean reference rent (:meth:`reference_level` against :attr:`reference0`; as at the
        start while no reference rent is set)."""
        k, g = self.params.kdu, self.params.income.growth
        index = self.reference_level() / self.reference0 if self.reference0 > 0 else 1.0
        return records.Transfers(k.income_limit * (1.0 + g) ** t, k.ceiling * index,
                                 k.ceiling_per_person * index, k.forced_rate)

    def wbs_limit(self, t: int) -> float:
        """The social-housing income limit in step ``t``: it grows with incomes."""
        return self.params.choice.social_income_limit * (1.0 + self.params.income.growth) ** t

    def reference_level(self) -> float:
        """Mean reference rent of the non-social let dwellings (weighted by dwellings)."""
        g = len(SEGMENTS)
        w = self.capacity[:, 1:g]
        return float((self.reference[:, 1:g] * w).sum() / max(w.sum(), 1))

    def location_score(self, counts: np.ndarray) -> np.ndarray:
        """``(N,)`` each neighbourhood's location score: the mean of its residents' status and
        its amenity, each in standard deviations from the city's (households weighting both),
        clipped to -2..2."""
        residents = counts.sum(1).astype(float)
        w = residents / max(residents.sum(), 1.0)
        status = counts @ self.status / np.maximum(residents, 1.0)
        score = np.zeros(len(residents))
        for x in (status, self.amenity):
            mean = (w * x).sum()
            sd = np.sqrt((w * (x - mean) ** 2).sum())
            score += np.where(residents > 0, (x - mean) / sd, 0.0) if sd > 0 else 0.0
        return np.clip(score / 2.0, -2.0, 2.0)

    def priced(self, rent: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Asking rents and user costs: the market's ``rent`` times ``1 + premium x (L - L0)``
        in the non-social columns, ``L`` the location score now and ``L0`` at the start (the
        base rents price the start's locations); ``rent`` itself without a premium."""
        premium = self.params.market.location_premium
        if premium == 0.0:
            return rent
        factor = np.maximum(1.0 + premium * (self.location_score(counts) - self.location0),
                            0.1)
        out = rent * factor[:, None]
        out[:, 0] = rent[:, 0]
        return out

    def ending_bindings(self, t: int, renewed: float) -> np.ndarray:
        """Social dwellings per neighbourhood whose binding ends in step ``t`` and is not
        renewed (fractions carried over to the next year), at most those of the start that
        are still bound: social housing built during the run stays bound."""
        c, year = self.city, self.params.start_year
        ending = (self.ending if not c.social_end or year is None
                  else c.social_end.get(year + t, np.zeros(c.n, np.int64)))
        want = self.binding_carry + ending * (1.0 - renewed)
        out = np.minimum(np.floor(want + 1e-9).astype(np.int64), self.bound)
        self.binding_carry = want - np.floor(want + 1e-9)
        self.bound -= out
        return out

    def _zero_flows(self) -> dict[str, np.ndarray]:
        """Empty per-step flow counters (the flow variables of the recorder), without the
        per-event tallies: see :meth:`_tallies`."""
        return {k: np.zeros(len(self.milieus), np.int64) for k in
                ("moves", "displaced", "in_migrants", "out_migrants", "invited", "accepted",
                 "tenancies")}

    def _tallies(self, flows: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The step's ``participants`` and ``reached`` (format x neighbourhood x milieu),
        added to ``flows`` by the step's first dialogue event: a step without events records
        zeros without making them."""
        if "participants" not in flows:
            shape = (len(FORMATS), self.city.n, len(self.milieus))
            flows["participants"] = np.zeros(shape, np.int64)
            flows["reached"] = np.zeros(shape, np.int64)
        return flows["participants"], flows["reached"]

    def new_recorder(self, expected_steps: int) -> Recorder:
        """An empty recorder for this run's sizes, with rows for the steps :attr:`record`
        keeps of a run of ``expected_steps``."""
        c = self.city
        return Recorder({"neighbourhood": c.n, "milieu": len(self.milieus),
                         "segment": len(SEGMENTS), "district": len(c.districts),
                         "format": len(FORMATS)}, len(recorded_steps(self.record,
                                                                     expected_steps)))

    def due(self) -> bool:
        """Whether :attr:`record` keeps the current step as it completes."""
        return self.record != "final" and self.steps % self.record == 0

    def store(self, values: dict[str, np.ndarray]) -> None:
        """Record the current step: its state and flows ``values`` and the indicators of
        them. The housing stock and prices (:data:`STOCK`, from :meth:`housing_state`) and the
        amenities, where they are the very arrays the last record was given, are passed as
        unchanged: the recorder then does not compare them bitwise (a closed grid's step
        records them without reading them)."""
        c = self.city
        same = [*(STOCK if values.get(STOCK[0]) is self._stored[0] else ()),
                *(("amenity",) if values.get("amenity") is self._stored[1] else ())]
        self.recorder.record(values | indicators.of_step(
            values, c.district, len(c.districts), len(FORMATS)), self.steps, same)
        self._stored = (values.get(STOCK[0]), values.get("amenity"))

    def flush(self) -> None:
        """Record the current step if :attr:`record` skipped it: a run's last step is always
        recorded (:meth:`dataset` and :meth:`recorded` call this)."""

    def recorded(self) -> dict[str, np.ndarray]:
        """The recorded steps of every variable (step first), the current step included."""
        self.flush()
        return self.recorder.arrays()

    def housing_state(self, occupied: np.ndarray, reference: np.ndarray, active: np.ndarray,
                      node: np.ndarray, column: np.ndarray, milieu: np.ndarray,
                      contract: np.ndarray, sgb: np.ndarray) -> dict[str, np.ndarray]:
        """The recorded housing variables from the per-column arrays and the ``active``
        households' ``node``, ``column``, ``milieu``, ``contract`` and ``sgb`` flags."""
        tenants, rent, owners, on_sgb, vacant = composition.tallies(
            active, node, column, milieu, contract, sgb, self.capacity, occupied,
            len(self.milieus))
        return {**self._stock(reference), "vacant": vacant, "contract_rent": rent,
                "tenants": tenants, "owners": owners, "sgb": on_sgb}

    def _stock(self, reference: np.ndarray) -> dict[str, np.ndarray]:
        """The recorded :data:`STOCK` variables, the same arrays again until the asking rents
        or the ``reference`` rents are new arrays. The market phase replaces both whenever it
        runs, and it is the only phase that changes dwellings (in place): a run whose market
        is off computes them once (:meth:`stale_stock` checks that)."""
        held = self._stock_of
        if held is None or held[0] is not self.asking or held[1] is not reference:
            held = self._stock_of = (self.asking, reference, self._stock_values(reference))
        return held[2]

    def _stock_values(self, reference: np.ndarray) -> dict[str, np.ndarray]:
        g, cap = len(SEGMENTS), self.capacity
        ref = reference[:, :g].copy()
        ref[:, 0] = np.nan  # social housing has no reference rent
        return {"dwellings": cap[:, :g] + cap[:, g:], "owned": cap[:, g:].copy(),
                "rent": self.asking[:, :g], "owner_cost": self.asking[:, g:],
                "reference_rent": ref}

    def stale_stock(self) -> list[str]:
        """The :data:`STOCK` variables :meth:`_stock` would give now that differ from the
        housing stock and prices now (empty unless something changed dwellings or prices in
        place outside the market phase)."""
        held = self._stock_of
        if held is None or held[0] is not self.asking or held[1] is not self.reference:
            return []  # computed afresh at the next record
        fresh = self._stock_values(self.reference)
        return [k for k in STOCK if not np.array_equal(held[2][k], fresh[k], equal_nan=True)]

    def context(self, counts: np.ndarray) -> np.ndarray:
        """Participation logit per neighbourhood and milieu (``participation.
        neighbourhood_context`` times the neighbourhood's mean resident status less the mean
        over the neighbourhoods the milieu's households live in): living among the better-off
        raises the odds, living among the worse-off lowers them, and each milieu's mean context
        is 0. The milieu turnouts of the inputs are observed means, which hold their members'
        neighbourhoods already: the context spreads a milieu's turnout between
        neighbourhoods, it does not move its mean a second time."""
        residents = counts.sum(1)
        status = np.where(residents > 0, counts @ self.status / np.maximum(residents, 1), 0.0)
        members = counts.sum(0)
        usual = status @ counts / np.maximum(members, 1)
        return self.params.participation.neighbourhood_context * np.where(
            residents[:, None] > 0, status[:, None] - usual[None, :], 0.0)

    def channel_lift(self, channels: Mapping[str, float]) -> np.ndarray:
        """Logit lift per milieu of an event's ``channels`` (intensity by name; see
        :func:`urbsim._kernels.participation.lift`)."""
        s = np.array([float(channels.get(ch, 0.0)) for ch in self.milieus.channels])
        return participation.lift(self.milieus.channel_fit, s,
                                  self.params.participation.outreach_factor)

    def dataset(self) -> xr.Dataset:
        """The run so far (its recorded steps, the current one included) as an
        ``xarray.Dataset`` with provenance attributes."""
        self.flush()
        params = canonical_json({"params": self.params.model_dump(mode="json"),
                                 "milieus": self.milieus.name, "city": _city_digest(self.city)})
        return self.recorder.to_dataset(coords(self.city, self.milieus), provenance(self.seed, params,
                                                           {"milieu_set": self.milieus.name,
                                                            "implementation": self.implementation,
                                                            "record": str(self.record)}))

    def run(self, steps: int) -> xr.Dataset:
        """Advance ``steps`` steps and return :meth:`dataset`."""
        for _ in range(steps):
            self.step()
        return self.dataset()


def coords(c: City, ms: MilieuSet) -> dict:
    """The coordinates of a run's dataset besides ``step``."""
    return {
        "neighbourhood": list(c.ids), "milieu": list(ms.codes),
        "segment": list(SEGMENTS), "district": list(c.districts), "format": list(FORMATS),
        "neighbourhood_district": ("neighbourhood", [c.districts[i] for i in c.district]),
        "x": ("neighbourhood", c.pos[:, 0]), "y": ("neighbourhood", c.pos[:, 1]),
    }


def _city_digest(c: City) -> str:
    h = hashlib.sha256()
    for a in (c.capacity, c.base_rent, c.amenity, c.period, c.district, c.indptr, c.indices,
              c.distance):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update("\x00".join(c.ids).encode())
    return h.hexdigest()[:16]
