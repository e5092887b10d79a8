"""The check of the shipped baseline (``urbsim calibrate --check``): it runs the scenarios as
shipped over seeds the fit did not use and compares every target (one :class:`Row` each)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from urbsim.calibration.config import Calibration
from urbsim.calibration.fitting import evaluate


@dataclass(frozen=True)
class Row:
    """One target in the check."""

    name: str
    statistic: str
    mean: float
    low: float
    high: float
    target: float
    tolerance: float
    unit: str
    source: str
    uncertain: str
    required: bool
    input: bool = False

    @property
    def passed(self) -> bool:
        """Within tolerance."""
        return bool(np.isfinite(self.mean) and abs(self.mean - self.target) <= self.tolerance)

    @property
    def verdict(self) -> str:
        """``pass``, ``FAIL`` (a required target missed) or ``gap`` (a known gap missed)."""
        return "pass" if self.passed else "FAIL" if self.required else "gap"


def assess(cal: Calibration, workers: int = 2) -> list[Row]:
    """Run the shipped scenarios (no values changed) over the check seeds; one row per target.
    The spread is the range over seeds."""
    from urbsim.engine.runner import worker_pool

    with worker_pool(workers) as pool:
        stats = evaluate(cal, {}, cal.config.check.seed_list, pool)
    rows = []
    for k, t in cal.targets.targets.items():
        v = stats[k]
        rows.append(Row(k, t.statistic, float(np.mean(v)), float(np.min(v)), float(np.max(v)),
                        t.target(cal.config.city), t.tolerance, t.unit, t.source, t.uncertain,
                        t.required, t.input))
    return rows
