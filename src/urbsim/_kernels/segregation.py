"""Segregation indices of several areas at once, in two passes over the units.

``indices(counts, area, n_areas)`` takes ``counts[unit, group]`` and each unit's area (e.g. its
district) and returns, per area and for all units together (the last row), the indices of
:mod:`urbsim.engine.indicators` (definitions there; pysal ``segregation`` is the tests' oracle):
dissimilarity of each group against the rest, multigroup dissimilarity, Theil's H and
isolation. Sums run in unit order, so results do not depend on threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def indices(counts, area, n_areas):
    """``(dissimilarity[A+1, G], multigroup[A+1], theil[A+1], isolation[A+1, G])``; row ``A``
    is all units together. NaN where undefined."""
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
    dev = np.zeros((a1, g))         # sum_i t_i |p_ig - P_g|
    theil = np.zeros(a1)            # sum_i sum_g t_i p_ig ln(p_ig / P_g)
    iso = np.zeros((a1, g))         # sum_i (x_ig / X_g)(x_ig / t_i)
    for i in range(n):
        t = 0.0
        for k in range(g):
            t += counts[i, k]
        for r in range(2):
            a = area[i] if r == 0 else n_areas
            for k in range(g):
                c = counts[i, k]
                p = c / t if t > 0 else 0.0
                dev[a, k] += t * abs(p - big[a, k])
                if p > 0 and big[a, k] > 0:
                    theil[a] += t * p * np.log(p / big[a, k])
                if x[a, k] > 0:
                    iso[a, k] += c / x[a, k] * p
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
