"""Scenario discovery: which parameter boxes lead to an outcome of interest (PRIM).

The outcome is a condition on one indicator of each run, ``representation_gap_open < 0.19``,
parsed here (an indicator, one of ``<``, ``<=``, ``>``, ``>=``, a number; never evaluated as
code). The Patient Rule Induction Method (Friedman & Fisher 1999) of the EMA Workbench
(Kwakkel 2017, ``ema_workbench.analysis.prim``) peels the space of the design's parameters
(and the scenario, where a store has several) down to boxes where the condition holds often:

* **coverage**: the share of all runs meeting the condition that lie in the box;
* **density**: the share of the runs in the box that meet it;
* **mass**: the share of all runs in the box.

Of each box's peeling trajectory the point kept is the one with the largest coverage among
those with density at least ``density`` (the densest where none reaches it); further boxes
are sought among the runs the earlier boxes leave.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from urbsim.common.errors import InputError

OPERATORS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
_CONDITION = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*(?P<op><=|>=|<|>)\s*"
                        r"(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Condition:
    """``indicator op threshold``, e.g. ``representation_gap_open < 0.19``."""

    indicator: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.indicator} {self.op} {self.threshold:g}"

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Whether each value meets the condition (NaN never does)."""
        with np.errstate(invalid="ignore"):
            return OPERATORS[self.op](values, self.threshold) & ~np.isnan(values)


@dataclass(frozen=True)
class Box:
    """A box of the parameter space: the limits of the parameters it restricts."""

    coverage: float
    density: float
    mass: float
    limits: dict[str, tuple[float, float] | tuple[str, ...]]
    """Parameter -> (low, high), or the categories kept (the scenario)."""

    def describe(self, labels: dict[str, str] | None = None) -> str:
        """The restrictions in words (``all parameters`` when none)."""
        labels = labels or {}
        parts = []
        for name, lim in self.limits.items():
            label = labels.get(name, name)
            if lim and isinstance(lim[0], str):
                parts.append(f"{label} in {{{', '.join(map(str, lim))}}}")
            else:
                parts.append(f"{label} from {lim[0]:g} to {lim[1]:g}")
        return "; ".join(parts) or "all parameters"


def parse(text: str, indicators: list[str], source: object = None) -> Condition:
    """The condition ``text`` names, on one of ``indicators``.

    Raises:
        InputError: not of the form ``INDICATOR OP NUMBER``, or an indicator not kept.
    """
    m = _CONDITION.match(text)
    if m is None:
        raise InputError(f"expected INDICATOR OP NUMBER with OP one of {', '.join(OPERATORS)} "
                         f"(e.g. 'representation_gap_open < 0.19'), got {text!r}", source,
                         "--discover")
    if m["name"] not in indicators:
        raise InputError(f"{m['name']!r} is not kept in this store (kept: "
                         f"{', '.join(indicators)})", source, "--discover")
    return Condition(m["name"], m["op"], float(m["value"]))


def boxes(x: pd.DataFrame, y: np.ndarray, density: float = 0.8, most: int = 3) -> list[Box]:
    """PRIM boxes of the cases ``y`` (bool per row of ``x``, the runs' parameters).

    Raises:
        InputError: no run meets the condition, or every run does.
    """
    y = np.asarray(y, bool)
    if not y.any() or y.all():
        raise InputError(f"{int(y.sum())} of {len(y)} runs meet the condition: nothing to "
                         "discover", None, "--discover")
    with warnings.catch_warnings():  # the workbench warns about optional parts on import
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        # the workbench drops a column named "scenario" (its own runs' names): rename ours
        renamed = {c: f"{c} " for c in x.columns if c == "scenario"}
        data = x.rename(columns=renamed).reset_index(drop=True)
        alg = prim.Prim(data, y)
        out: list[Box] = []
        for _ in range(most):
            box = alg.find_box()
            if box is None:
                break
            trajectory = box.peeling_trajectory
            dense = trajectory[trajectory["density"] >= density]
            chosen = int(dense["coverage"].idxmax() if len(dense)
                         else trajectory["density"].idxmax())
            box.select(chosen)
            row = trajectory.loc[chosen]
            limits = _limits(box.box_lims[chosen], data)
            if not limits or row["coverage"] == 0:  # nothing left to find
                break
            out.append(Box(float(row["coverage"]), float(row["density"]), float(row["mass"]),
                           {k.rstrip(): v for k, v in limits.items()}))
    return out


def _limits(lims: pd.DataFrame, x: pd.DataFrame) -> dict:
    """The parameters a box restricts, from its limits (rows 0 and 1: low and high)."""
    out: dict = {}
    for name in x.columns:
        low, high = lims[name].iloc[0], lims[name].iloc[1]
        if isinstance(low, set):  # a categorical parameter: the categories kept
            if low != set(x[name].unique()):
                out[name] = tuple(sorted(low))
        elif low > x[name].min() or high < x[name].max():
            out[name] = (float(low), float(high))
    return out
