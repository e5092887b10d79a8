"""Target bands: where "better" depends on the city, the range it aims for.

Less displacement is better anywhere; vacancy and rents are not: too little vacancy stops
people from moving, too much lets quarters decline. A city sets a band for them in the page
(*Target bands of the city*); the headline table marks each value inside (✓) or outside (✗).

Defaults (:data:`DEFAULTS`): vacancy from 2 to 5 % of the dwellings (a fluctuation reserve of
2–3 % lets a market work; above about 5 % vacancy is structural), and rents, asked and paid,
rising at most 2 % a year over the run (about the ECB's inflation target), measured from the
run's first year so that the band fits any city's rent level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from urbsim.interfaces.workshop import numformat, texts


@dataclass(frozen=True)
class Band:
    """A range a city aims for (``None``: an open end)."""

    low: float | None
    high: float | None
    rise: bool = False
    """Whether the band bounds the rise per year since the run's first year (%), not the
    value itself."""

    def check(self) -> Band:
        """The band if its ends are numbers in order.

        Raises:
            ValueError: an end that is not a finite number, or ends in the wrong order.
        """
        for end in (self.low, self.high):
            if end is not None and (isinstance(end, bool) or not isinstance(end, int | float)
                                    or not math.isfinite(end)):
                raise ValueError(f"target band: expected a number or nothing, got {end!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"target band: from {self.low:g} is above to {self.high:g}")
        return self

    def measure(self, value: float, first: float, years: int) -> float:
        """What the band bounds: ``value`` itself, or its rise per year (%) from ``first``
        over ``years``."""
        if not self.rise:
            return value
        if not (first > 0 and years > 0 and value > 0):
            return math.nan
        return ((value / first) ** (1 / years) - 1) * 100

    def inside(self, value: float, first: float = math.nan, years: int = 0) -> bool | None:
        """Whether ``value`` is inside the band (``None``: undefined)."""
        x = self.measure(value, first, years)
        if not math.isfinite(x):
            return None
        return (self.low is None or x >= self.low) and (self.high is None or x <= self.high)

    def describe(self, lang: str) -> str:
        """The band in words, e.g. ``2–5 %`` or ``≤ +2 %/year``."""
        def num(x: float) -> str:
            return numformat.number(x, lang, 0 if float(x).is_integer() else 1, sign=self.rise)

        if self.low is not None and self.high is not None:
            text = f"{num(self.low)}–{num(self.high)}"
        elif self.low is not None:
            text = f"≥ {num(self.low)}"
        elif self.high is not None:
            text = f"≤ {num(self.high)}"
        else:
            return ""
        return texts.t("per_year", lang, x=text) if self.rise else f"{text}\u00a0%"


DEFAULTS = {"vacancy": Band(2.0, 5.0), "rent": Band(None, 2.0, rise=True)}
"""The bands a workshop starts with (see the module)."""

BANDED = {"vacancy": "vacancy", "rent_private": "rent", "contract_rent": "rent"}
"""The indicators with a band, and the band each uses."""
