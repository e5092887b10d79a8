"""A Fenwick (binary indexed) tree of vacancy counts: sample a vacant dwelling uniformly in
O(log n) and update counts in O(log n) as households move."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def build(counts):
    """Tree over non-negative integer ``counts`` (1-based internally, length n + 1)."""
    n = counts.shape[0]
    tree = np.zeros(n + 1, np.int64)
    for i in range(n):
        tree[i + 1] += counts[i]
        j = i + 1 + ((i + 1) & -(i + 1))
        if j <= n:
            tree[j] += tree[i + 1]
    return tree


@njit(cache=True, inline="always")
def add(tree, i, delta):
    """Add ``delta`` to element ``i`` (0-based)."""
    j = i + 1
    n = tree.shape[0] - 1
    while j <= n:
        tree[j] += delta
        j += j & -j


@njit(cache=True, inline="always")
def total(tree):
    """Sum of all elements."""
    s = 0
    j = tree.shape[0] - 1
    while j > 0:
        s += tree[j]
        j -= j & -j
    return s


@njit(cache=True, inline="always")
def find(tree, target):
    """Smallest 0-based ``i`` with ``counts[0] + ... + counts[i] > target`` (0 <= target < total)."""
    n = tree.shape[0] - 1
    pos = 0
    step = 1
    while step * 2 <= n:
        step *= 2
    while step > 0:
        nxt = pos + step
        if nxt <= n and tree[nxt] <= target:
            pos = nxt
            target -= tree[nxt]
        step //= 2
    return pos
