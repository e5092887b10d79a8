"""What one workshop server shares between its browser sessions, and how it runs a scenario.

One :class:`Shared` per server holds the shipped scenarios, the run settings' defaults
(:class:`Settings`), the :class:`~urbsim.interfaces.workshop.jobs.Runner` with its result
cache, the posterior's draws and the cities for the levers and the map. At start it computes
the baseline (and the starting scenario) in the background.

A starting scenario of the server's own (``--scenario FILE``) is its own baseline: its city may
be one of its own, with its districts, neighbourhoods and polygons. Any other start is compared
with the shipped baseline. A city from files larger than the run settings' households runs as a
:class:`Sample` of it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from urbsim.analysis.robust import draws
from urbsim.inputs import scenario as sc
from urbsim.inputs.city import City
from urbsim.inputs.params import update
from urbsim.inputs.scenario import Scenario
from urbsim.interfaces.workshop import numformat, texts
from urbsim.interfaces.workshop.jobs import Request, Runner
from urbsim.interfaces.workshop.targets import DEFAULTS, Band

BOUNDS = {"seeds": (1, 12), "households": (500, 120_000), "steps": (2, 40), "draws": (0, 10)}
"""Allowed run settings (the app runs while people wait: the default city at most)."""


def whole(key: str, value: object) -> int:
    """``value`` of the run setting ``key`` if it is a whole number within :data:`BOUNDS`.

    Raises:
        ValueError: naming the setting and its bounds.
    """
    low, high = BOUNDS[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key}: expected a whole number from {low:,} to {high:,}, "
                         f"got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """How the app runs a scenario (unchecked until :meth:`check`)."""

    seeds: int
    """Runs per scenario, with seeds ``0, 1, ...`` (bounds: :data:`BOUNDS`)."""
    households: int
    """Households in the synthetic city; a city from files runs a sample of this size."""
    steps: int
    """Years per run."""
    draws: int = 0
    """Draws of the calibration's posterior each scenario runs for (0: the calibrated point);
    the verdicts then say where a sign depends on the uncertain parameters."""

    def check(self) -> Settings:
        """The settings if every one is within :data:`BOUNDS`.

        Raises:
            ValueError: the first setting out of bounds or not a whole number.
        """
        for key in BOUNDS:
            whole(key, getattr(self, key))
        return self


CITY_FILES = ("nodes", "edges", "polygons", "district_table")
"""Keys of ``[city]`` that name a city's files."""


def own_city(scn: Scenario) -> bool:
    """Whether ``scn``'s city comes from files (else it is the synthetic city)."""
    return scn.city.nodes is not None or scn.city.polygons is not None


@dataclass(frozen=True)
class Sample:
    """How many households a scenario runs with: a city from files with more households than
    the run settings' runs as a sample, each household standing for ``weight`` of the city's
    (:func:`Sample.of`)."""

    run: int
    """Households run."""
    total: int
    """Households of the city."""

    @classmethod
    def of(cls, scn: Scenario, households: int) -> Sample:
        """``scn`` run at ``households``: the synthetic city is built for that size, as is a
        city from files that gives only dwellings; a city from files that gives its households
        runs at most ``households`` of them (the engine's rule,
        :func:`urbsim.inputs.population.sample`)."""
        total = _given_households(scn.city.model_dump_json()) if own_city(scn) else None
        if total is None:
            return cls(households, households)
        return cls(min(households, scn.households, round(total)), round(total))

    @property
    def weight(self) -> float:
        """Households of the city per household run."""
        return self.total / self.run

    def sentence(self, name: str, lang: str) -> str:
        """The page's sentence stating the sample (empty if the whole city runs)."""
        if self.run == self.total:
            return ""
        return texts.t("sample", lang, name=name[:1].upper() + name[1:],
                       k=numformat.short(self.weight, lang),
                       run=numformat.number(self.run, lang), total=numformat.number(self.total, lang))


@functools.lru_cache(maxsize=8)
def _given_households(city_json: str) -> float | None:
    """The households a city's files give (``None``: none, or no files)."""
    from urbsim.inputs.city_files import load_files
    from urbsim.inputs.params import CityParams
    from urbsim.inputs.population import given_total

    city = load_files(CityParams.model_validate_json(city_json))
    return None if city is None else given_total(city)


class Shared:
    """What every session of one server shares."""

    def __init__(self, start: Scenario, settings: Settings, posterior: Path | None = None,
                 targets: Mapping[str, Band] | None = None, workers: int | None = None):
        self.scenarios = {name: sc.load(sc.shipped_dir() / f"{name}.toml")
                          for name in sc.shipped()}
        """The shipped scenarios by name."""
        self.baseline = self.scenarios["baseline"]
        self.start = start
        shipped = self.scenarios.get(start.name)
        self.own = shipped is None or shipped.model_dump() != start.model_dump()
        """Whether the start is the server's own (not a shipped scenario): its own baseline."""
        self.start_name = f"{start.name} (file)" if self.own and shipped else start.name
        self.starts = ({self.start_name: start} if self.own else {}) | self.scenarios
        """What a session may start from (besides its uploads)."""
        self.settings = settings.check()
        self.draws = None if posterior is None else draws(posterior, BOUNDS["draws"][1], 0)
        """Draws of the posterior (``None``: the server has none); a session's first ones."""
        self.targets = {k: b.check() for k, b in (targets or DEFAULTS).items()}
        """The target bands each session starts with (:mod:`.targets`)."""
        self.runner = Runner(processes=workers)
        """Runs the sessions' jobs, at most ``workers`` at once (default: one per core)."""
        base = self.request(self.reference(self.start_name), settings)
        self.precompute = self.runner.submit([base, self.request(start, settings)])

    def reference(self, start_name: str) -> Scenario:
        """The baseline column of a session starting from ``start_name``: the server's own
        start is its own baseline; any other start is compared with the shipped baseline."""
        return self.start if self.own and start_name == self.start_name else self.baseline

    @staticmethod
    def request(scn: Scenario, s: Settings) -> Request:
        """What to run for ``scn`` with settings ``s`` (a city from files: its :class:`Sample`)."""
        params = scn.params().model_copy(update={"households": Sample.of(scn, s.households).run})
        return Request(params, tuple(range(s.seeds)), s.steps)

    def requests(self, scn: Scenario, s: Settings) -> list[Request]:
        """What to run for ``scn``: its request, or one per posterior draw (``s.draws``).

        Raises:
            ValueError: draws asked for, but the server has no posterior.
        """
        if not s.draws:
            return [self.request(scn, s)]
        if self.draws is None:
            raise ValueError("posterior draws: start the workshop with --posterior FILE "
                             "(urbsim calibrate --abc writes calibration/posterior.csv)")
        one = self.request(scn, s)
        return [Request(update(one.params, {k: float(v) for k, v in row.items()}), one.seeds,
                        one.steps) for _, row in self.draws.head(s.draws).iterrows()]

    def city(self, scn: Scenario, households: int) -> City:
        """The city ``scn`` runs in: its files' whole city, else the synthetic city for
        ``households`` (cached)."""
        return self._city(scn.city.model_dump_json(), 0 if own_city(scn) else households)

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one Shared per server, kept for its lifetime
    def _city(self, city_json: str, households: int) -> City:
        from urbsim.inputs.city_files import load_city, load_files
        from urbsim.inputs.params import CityParams

        params = CityParams.model_validate_json(city_json)
        return load_files(params) or load_city(households, params)
