"""Small areas left out of maps and per-area exports.

Published small-area maps can stigmatise quarters (the seeds' warning; a Berlin commentary on
the Sozialstrukturatlas: employers could infer Hartz IV from the street), and statistics
offices leave out or merge areas that are too small: Hamburg's Sozialmonitoring excludes areas
below 300 inhabitants, Köln suppresses values of 1 to under 5 cases, the Bundesagentur's small-
area service requires a minimum population per area. urbsim's maps and per-area tables show no
value for an area with fewer households than ``city.suppress_below`` (default 150: about 300
inhabitants at the German mean of about two persons per household), counted at the city's
size (a run of fewer households is a sample, so its counts are weighted up first).
"""

from __future__ import annotations

import numpy as np


def small(households: np.ndarray, minimum: int) -> np.ndarray:
    """``(N,)`` whether each area's ``households`` (at the city's size) are below ``minimum``;
    ``minimum`` 0 suppresses nothing."""
    return np.asarray(households) < minimum


def suppress(values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """A float copy of ``values`` (areas first) with NaN where ``hidden``."""
    out = np.array(values, dtype=float)
    out[np.asarray(hidden)] = np.nan
    return out
