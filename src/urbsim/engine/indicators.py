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

Values are NaN where undefined (a group absent from, or alone in, the area). The sums run in
the numba kernel :mod:`urbsim._kernels.segregation`, for many areas at once.
"""

from __future__ import annotations

import numpy as np

from urbsim._kernels import segregation as kernel


def _one(counts: np.ndarray) -> tuple:
    c = np.ascontiguousarray(counts, dtype=np.float64)
    return kernel.indices(c, np.zeros(c.shape[0], np.int64), 0)


def dissimilarity(counts: np.ndarray) -> np.ndarray:
    """Dissimilarity of each group against all others, shape ``(groups,)``."""
    return _one(counts)[0][0]


def multigroup_dissimilarity(counts: np.ndarray) -> float:
    """Multigroup dissimilarity index (Sakoda)."""
    return float(_one(counts)[1][0])


def theil_h(counts: np.ndarray) -> float:
    """Theil's multigroup information-theory index H."""
    return float(_one(counts)[2][0])


def isolation(counts: np.ndarray) -> np.ndarray:
    """Isolation of each group, shape ``(groups,)``."""
    return _one(counts)[3][0]


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
    dis, multi, h, iso = _one(counts)
    return {"dissimilarity": dis[0], "multigroup_dissimilarity": float(multi[0]),
            "theil_h": float(h[0]), "isolation": iso[0]}


def by_area(counts: np.ndarray, area: np.ndarray, n_areas: int
            ) -> tuple[dict[str, np.ndarray | float], dict[str, np.ndarray]]:
    """:func:`segregation` of all units together and of each area (``area[unit]`` in
    ``0..n_areas-1``), in one pass: ``(city, per_area)`` with a leading area axis in
    ``per_area``."""
    c = (counts if counts.dtype.kind == "i" and counts.flags.c_contiguous  # read as they are
         else np.ascontiguousarray(counts, dtype=np.float64))
    dis, multi, h, iso = kernel.indices(c, np.asarray(area, np.int64), n_areas)
    city = {"dissimilarity": dis[-1], "multigroup_dissimilarity": float(multi[-1]),
            "theil_h": float(h[-1]), "isolation": iso[-1]}
    return city, {"dissimilarity": dis[:-1], "multigroup_dissimilarity": multi[:-1],
                  "theil_h": h[:-1], "isolation": iso[:-1]}


def of_step(values: dict[str, np.ndarray], district: np.ndarray, n_districts: int,
            n_formats: int) -> dict[str, np.ndarray | float]:
    """The indicators a step records besides its state and flows ``values``: the turnout and
    representation gap of each format's dialogue events (NaN for a format not held, and for
    all in a step whose ``values`` hold no ``participants``), and the segregation indices of
    the city and of each district."""
    city, per = by_area(values["households"], district, n_districts)
    turnout, gap = np.full(n_formats, np.nan), np.full(n_formats, np.nan)
    if "participants" in values:
        part, reach = values["participants"].sum(1), values["reached"].sum(1)  # format x milieu
        for f in range(n_formats):
            if reach[f].sum():
                turnout[f] = part[f].sum() / reach[f].sum()
                gap[f] = representation_gap(part[f], reach[f])
    return {**city, **{f"district_{k}": v for k, v in per.items()},
            "turnout": turnout, "representation_gap": gap}
