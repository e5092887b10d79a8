"""Indicators from counts: segregation indices and the representation gap.

All functions take ``counts[unit, group]`` (households per neighbourhood x milieu) and follow
the definitions of pysal ``segregation`` (the tests use it as the oracle):

* dissimilarity of group g against the rest (Duncan & Duncan):
  ``D_g = sum_i t_i |p_ig - P_g| / (2 T P_g (1 - P_g))``;
* multigroup dissimilarity (Sakoda 1981): ``sum_i sum_g t_i |p_ig - P_g| / (2 T I)`` with
  ``I = sum_g P_g (1 - P_g)``;
* Theil's information-theory index H (Reardon & Firebaugh 2002, natural log):
  ``sum_i sum_g t_i p_ig ln(p_ig / P_g) / (T E)`` with ``E = -sum_g P_g ln P_g``;
* isolation of group g (Massey & Denton): ``sum_i (x_ig / X_g) (x_ig / t_i)``.

Values are NaN where undefined (a group absent from, or alone in, the area).
"""

from __future__ import annotations

import numpy as np


def _shares(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    c = np.asarray(counts, dtype=np.float64)
    t = c.sum(axis=1)
    total = t.sum()
    p = np.divide(c, t[:, None], out=np.zeros_like(c), where=t[:, None] > 0)
    big_p = c.sum(axis=0) / total if total > 0 else np.full(c.shape[1], np.nan)
    return t, p, big_p, total


def dissimilarity(counts: np.ndarray) -> np.ndarray:
    """Dissimilarity of each group against all others, shape ``(groups,)``."""
    t, p, big_p, total = _shares(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = (t[:, None] * np.abs(p - big_p)).sum(axis=0) / (2 * total * big_p * (1 - big_p))
    return np.where((big_p > 0) & (big_p < 1), d, np.nan)


def multigroup_dissimilarity(counts: np.ndarray) -> float:
    """Multigroup dissimilarity index (Sakoda)."""
    t, p, big_p, total = _shares(counts)
    i = (big_p * (1 - big_p)).sum()
    if not total > 0 or not i > 0:
        return np.nan
    return float((t[:, None] * np.abs(p - big_p)).sum() / (2 * total * i))


def theil_h(counts: np.ndarray) -> float:
    """Theil's multigroup information-theory index H."""
    t, p, big_p, total = _shares(counts)
    present = big_p > 0
    e = -(big_p[present] * np.log(big_p[present])).sum()
    if not total > 0 or not e > 0:
        return np.nan
    pp, bp = p[:, present], big_p[present]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pp > 0, pp * np.log(pp / bp), 0.0)
    return float((t[:, None] * terms).sum() / (total * e))


def isolation(counts: np.ndarray) -> np.ndarray:
    """Isolation of each group, shape ``(groups,)``."""
    c = np.asarray(counts, dtype=np.float64)
    t = c.sum(axis=1)
    x = c.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_in_unit = np.divide(c, t[:, None], out=np.zeros_like(c), where=t[:, None] > 0)
        return np.where(x > 0, (c / x * share_in_unit).sum(axis=0), np.nan)


def representation_gap(participants: np.ndarray, residents: np.ndarray) -> float:
    """``1/2 sum_g |share among participants - share among residents|`` (0: a perfect mirror,
    1: disjoint); NaN without participants."""
    a = np.asarray(participants, dtype=np.float64)
    b = np.asarray(residents, dtype=np.float64)
    if a.sum() <= 0 or b.sum() <= 0:
        return np.nan
    return float(0.5 * np.abs(a / a.sum() - b / b.sum()).sum())


def segregation(counts: np.ndarray) -> dict[str, np.ndarray | float]:
    """All segregation indices of one area: ``dissimilarity``, ``multigroup_dissimilarity``,
    ``theil_h``, ``isolation``."""
    return {"dissimilarity": dissimilarity(counts),
            "multigroup_dissimilarity": multigroup_dissimilarity(counts),
            "theil_h": theil_h(counts), "isolation": isolation(counts)}
