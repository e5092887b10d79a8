"""The results a session keeps: the last few tried scenarios, side by side.

Each finished run is kept as a numbered :class:`Kept` ("Try 3") with the levers it was run
with, its settings and its results (and those of its baseline), so that a cancelled or later
run never relabels it. A :class:`Shelf` holds the last :data:`SIZE`; any two run with the same
settings against the same baseline can be compared, and each can be downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass

from urbsim.inputs.city import City
from urbsim.inputs.scenario import Scenario
from urbsim.interfaces.workshop import levers, texts
from urbsim.interfaces.workshop.jobs import Result
from urbsim.interfaces.workshop.shared import Settings

SIZE = 5
"""Results a session keeps."""


@dataclass(frozen=True, eq=False)
class Kept:
    """One finished run of a session (equal only to itself)."""

    n: int
    """Its number in the session ("Try n")."""
    start: Scenario
    """The scenario its levers were set against."""
    start_name: str
    scenario: Scenario
    """What ran: the start with the levers."""
    settings: Settings
    households: int
    """Households run (a sample of a city from files)."""
    base: Result
    """Its baseline's result (pooled over draws, weighted to the city)."""
    tried: Result
    per_draw: tuple[list[Result], list[Result]] | None
    """With posterior draws: the baseline's and the tried scenario's results per draw."""
    base_keys: tuple[str, ...]
    """The requests of its baseline (equal: the same baseline, seeds and size)."""
    keys: tuple[str, ...]
    """The requests of the tried scenario."""

    def label(self, lang: str) -> str:
        """Its name on the page: ``Try 3`` / ``Versuch 3``."""
        return texts.t("try", lang, n=self.n)

    def changes(self, city: City, lang: str) -> list[str]:
        """The levers it was run with, one line per lever changed against its start."""
        return levers.changes(self.start, self.scenario, city, lang)


class Shelf:
    """The last :data:`SIZE` results of a session, the newest last."""

    def __init__(self, size: int = SIZE):
        self.size = size
        self.items: list[Kept] = []
        self._count = 0

    def next_number(self) -> int:
        """The number the next new result gets."""
        return self._count + 1

    def add(self, kept: Kept) -> Kept:
        """Keep ``kept`` (the oldest dropped beyond the size); a run already kept (the same
        requests) is not kept twice: the kept one is returned, now the newest."""
        same = self.find(kept.base_keys, kept.keys)
        if same is not None:
            self.items.remove(same)
            self.items.append(same)
            return same
        self._count = max(self._count, kept.n)
        self.items.append(kept)
        del self.items[:-self.size]
        return kept

    def find(self, base_keys: tuple[str, ...], keys: tuple[str, ...]) -> Kept | None:
        """The kept result of these requests, if any."""
        return next((k for k in self.items if (k.base_keys, k.keys) == (base_keys, keys)), None)

    def get(self, n: object) -> Kept | None:
        """The kept result number ``n`` (``None``: not kept)."""
        return next((k for k in self.items if k.n == n), None)


def comparable(a: Kept, b: Kept) -> bool:
    """Whether ``a`` and ``b`` can be set against each other seed by seed: the same baseline
    run, seeds, size and years (and posterior draws)."""
    return a.base_keys == b.base_keys and a.settings == b.settings
