"""Segregation indices of several areas at once, in two passes over the units.

``indices(counts, area, n_areas)`` takes ``counts[unit, group]`` and each unit's area (e.g. its
district) and returns, per area and for all units together (the last row), the indices of
:mod:`urbsim.engine.indicators` (definitions there; pysal ``segregation`` is the tests' oracle):
dissimilarity of each group against the rest, multigroup dissimilarity, Theil's H and
isolation. Sums run in unit order, so results do not depend on threads.
"""

from __future__ import annotations

import numpy as np

from urbsim._kernels.jit import njit


@njit()
def indices(counts, area, n_areas):
    """Segregation indices of each area and of all units together, in two passes over the
    units (:func:`_composition`, :func:`_unit_sums`) and one over the areas
    (:func:`_finish`).

    Args:
        counts: ``(U, G)`` float64 or integer (in), members of each group per unit (here
            ``U`` units, e.g. neighbourhoods, and ``G`` groups, e.g. milieus; a count is
            read as the float64 of the same value).
        area: ``(U,)`` int64 (in), area of each unit, ``0..A-1``.
        n_areas: int, ``A``.

    Returns:
        ``(dissimilarity, multigroup, theil, isolation)``: ``(A + 1, G)``, ``(A + 1,)``,
        ``(A + 1,)``, ``(A + 1, G)`` float64; row ``A`` is all units together. NaN where
        undefined.
    """
    x, tot, big = _composition(counts, area, n_areas)
    whole = _whole(tot, n_areas)
    dev, theil, iso = _unit_sums(counts, area, n_areas, x, big, whole)
    if whole >= 0:  # that area's sums are the city's, bit for bit
        dev[n_areas, :] = dev[whole, :]
        theil[n_areas] = theil[whole]
        iso[n_areas, :] = iso[whole, :]
    return _finish(x, tot, big, dev, theil, iso)


@njit(inline="always")
def _whole(tot, n_areas):
    """The one area with members, if every other area is empty, else -1. Its unit sums are
    the city's bit for bit: what an empty unit adds to the city's sums is +0.0, so they see
    the same values in the same order. (A city of one district is the common case.)

    Args:
        tot: ``(A + 1,)`` float64 (in), members per area (:func:`_composition`).
        n_areas: int, ``A``.

    Returns:
        int, the area, or -1.
    """
    found = -1
    others = 0
    for a in range(n_areas):
        if tot[a] != 0:
            others += found >= 0
            found = a
    return found if others == 0 else -1


@njit(inline="always")
def _composition(counts, area, n_areas):
    """First pass: each area's members per group, its total and its group shares.

    Args:
        counts: ``(U, G)`` float64 or integer (in).
        area: ``(U,)`` int64 (in).
        n_areas: int, ``A``.

    Returns:
        ``(x, tot, big)``: ``(A + 1, G)`` members ``X_g``, ``(A + 1,)`` total ``T``,
        ``(A + 1, G)`` shares ``P_g`` (NaN for an empty area); row ``A`` is all units.
    """
    n, g = counts.shape
    a1 = n_areas + 1
    x = np.zeros((a1, g))           # households of each group per area
    for i in range(n):
        for k in range(g):
            c = counts[i, k]
            x[area[i], k] += c
            x[n_areas, k] += c
    tot = np.zeros(a1)
    for a in range(a1):
        for k in range(g):
            tot[a] += x[a, k]
    big = np.zeros((a1, g))
    for a in range(a1):
        for k in range(g):
            big[a, k] = x[a, k] / tot[a] if tot[a] > 0 else np.nan
    return x, tot, big


@njit(inline="always")
def _unit_sums(counts, area, n_areas, x, big, whole):
    """Second pass: the sums over units of each index, for the unit's area and for all units
    (for the unit's area only when one area holds every member: its sums are the city's).

    Args:
        counts: ``(U, G)`` float64 or integer (in).
        area: ``(U,)`` int64 (in).
        n_areas: int, ``A``.
        x: ``(A + 1, G)`` float64 (in), members per group (:func:`_composition`).
        big: ``(A + 1, G)`` float64 (in), group shares.
        whole: int, the one area with members (:func:`_whole`), or -1.

    Returns:
        ``(dev, theil, iso)``: ``(A + 1, G)`` ``sum_i t_i |p_ig - P_g|``, ``(A + 1,)``
        ``sum_i sum_g t_i p_ig ln(p_ig / P_g)``, ``(A + 1, G)`` ``sum_i (x_ig / X_g)(x_ig /
        t_i)``.
    """
    n, g = counts.shape
    a1 = n_areas + 1
    dev = np.zeros((a1, g))         # sum_i t_i |p_ig - P_g|
    theil = np.zeros(a1)            # sum_i sum_g t_i p_ig ln(p_ig / P_g)
    iso = np.zeros((a1, g))         # sum_i (x_ig / X_g)(x_ig / t_i)
    # the last logarithm taken per area and group, and of what: units of the same
    # composition (on a grid of one household a cell, every occupied one) take it once
    last_q = np.full((a1, g), -1.0)
    last_log = np.zeros((a1, g))
    for i in range(n):
        t = 0.0
        for k in range(g):
            t += counts[i, k]
        if not t > 0:  # an empty unit adds +0.0 to every sum its area's indices read
            continue
        for r in range(1 if whole >= 0 else 2):
            a = area[i] if r == 0 else n_areas
            for k in range(g):
                c = counts[i, k]
                if c == 0:  # absent from the unit: +0.0 to every sum but dev (t |0 - P|)
                    dev[a, k] += t * big[a, k]
                    continue
                p = c / t
                dev[a, k] += t * abs(p - big[a, k])
                if p > 0 and big[a, k] > 0:
                    q = p / big[a, k]
                    if q != last_q[a, k]:
                        last_q[a, k] = q
                        last_log[a, k] = np.log(q)
                    theil[a] += t * p * last_log[a, k]
                if x[a, k] > 0:
                    iso[a, k] += c / x[a, k] * p
    return dev, theil, iso


@njit(inline="always")
def _finish(x, tot, big, dev, theil, iso):
    """The indices of each area from the sums (NaN where undefined).

    Args:
        x: ``(A + 1, G)`` float64 (in), members per group.
        tot: ``(A + 1,)`` float64 (in), total per area.
        big: ``(A + 1, G)`` float64 (in), group shares.
        dev: ``(A + 1, G)`` float64 (in), from :func:`_unit_sums`.
        theil: ``(A + 1,)`` float64 (in), from :func:`_unit_sums`.
        iso: ``(A + 1, G)`` float64 (in/out): the isolation sums, returned as the index
            (NaN set where undefined).

    Returns:
        ``(dissimilarity, multigroup, theil_h, isolation)`` as :func:`indices` returns them.
    """
    a1, g = x.shape
    dis = np.full((a1, g), np.nan)
    multi = np.full(a1, np.nan)
    h = np.full(a1, np.nan)
    for a in range(a1):
        if not tot[a] > 0:
            iso[a, :] = np.nan
            continue
        inter = 0.0
        entropy = 0.0
        dev_sum = 0.0
        for k in range(g):
            pk = big[a, k]
            inter += pk * (1 - pk)
            if pk > 0:
                entropy -= pk * np.log(pk)
            if 0 < pk < 1:
                dis[a, k] = dev[a, k] / (2 * tot[a] * pk * (1 - pk))
            if x[a, k] == 0:
                iso[a, k] = np.nan
            dev_sum += dev[a, k]
        if inter > 0:
            multi[a] = dev_sum / (2 * tot[a] * inter)
        if entropy > 0:
            h[a] = theil[a] / (tot[a] * entropy)
    return dis, multi, h, iso
