"""Recording levels: which steps of a run are kept (:mod:`urbsim.engine.recorder` keeps them;
scenarios, experiments and the command line name them)."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

Level = int | Literal["final"]
"""Which steps a run records: every k-th (``1``: every step) or ``"final"``, the last only."""

Checked = Annotated[int, Field(ge=1, le=1000)] | Literal["final"]
""":data:`Level` as a field of a scenario or experiment file."""


def level(text: str) -> Level:
    """A recording level from its text (``"final"`` or a positive whole number of steps).

    Raises:
        ValueError: anything else.
    """
    if text.strip() == "final":
        return "final"
    try:
        k = int(text)
    except ValueError:
        k = 0
    if k < 1:
        raise ValueError(f"expected a positive number of steps or \"final\", got {text!r}")
    return k


def recorded_steps(every: Level, steps: int) -> np.ndarray:
    """The steps a run of ``steps`` steps records at level ``every``: ``0, k, 2k, ...`` and
    the last one, or the last one only (``"final"``)."""
    if every == "final":
        return np.array([steps], np.int64)
    return np.union1d(np.arange(0, steps + 1, every, dtype=np.int64), [steps])
