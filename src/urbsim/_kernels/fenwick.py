"""A Fenwick (binary indexed) tree of vacancy counts: sample a vacant dwelling uniformly in
O(log n) and update counts in O(log n) as households move."""

from __future__ import annotations

import numpy as np

from urbsim._kernels.jit import njit


@njit()
def build(counts):
    """Tree over non-negative integer ``counts``.

    Args:
        counts: ``(n,)`` int64 (in), the counts (e.g. vacancies per cell).

    Returns:
        ``(n + 1,)`` int64, the tree (1-based internally).
    """
    n = counts.shape[0]
    tree = np.empty(n + 1, np.int64)
    tree[0] = s = 0
    for i in range(n):
        s += counts[i]
        tree[i + 1] = s
    return _from_prefix_sums(tree)


@njit()
def vacancies(capacity, occupied):
    """Tree over the vacant dwellings of each neighbourhood, all its columns together: the
    tree of ``(capacity - occupied).sum(1)`` in one pass, without the temporary arrays. A
    column is then picked by the remainder :func:`find_rest` leaves (the same draw as a tree
    over every cell ``node * C + column`` would give, in an eighth of the memory).

    Args:
        capacity: ``(N, C)`` int64 (in), dwellings per neighbourhood x column.
        occupied: ``(N, C)`` int64 (in), the occupied ones.

    Returns:
        ``(N + 1,)`` int64, the tree (element ``n``: neighbourhood ``n``).
    """
    rows, cols = capacity.shape
    tree = np.empty(rows + 1, np.int64)
    tree[0] = s = 0
    for r in range(rows):
        for c in range(cols):
            s += capacity[r, c] - occupied[r, c]
        tree[r + 1] = s
    return _from_prefix_sums(tree)


@njit(inline="always")
def _from_prefix_sums(tree):
    """The tree, in place, from ``tree[k] = counts[0] + ... + counts[k - 1]``: node ``k``
    holds the sum of the ``k & -k`` counts ending at ``k``, ``S[k] - S[k - (k & -k)]``
    (from the top down, so that the prefix sum it subtracts is not converted yet; about
    twice as fast as adding each count into its parent, whose loads wait on the stores)."""
    for k in range(tree.shape[0] - 1, 0, -1):
        tree[k] -= tree[k - (k & -k)]
    return tree


@njit(inline="always")
def add(tree, i, delta):
    """Add ``delta`` to element ``i``.

    Args:
        tree: ``(n + 1,)`` int64 (in/out), the tree.
        i: int, 0-based element.
        delta: int, added to its count.
    """
    j = i + 1
    n = tree.shape[0] - 1
    while j <= n:
        tree[j] += delta
        j += j & -j


@njit(inline="always")
def total(tree):
    """Sum of all elements.

    Args:
        tree: ``(n + 1,)`` int64 (in), the tree.

    Returns:
        int, ``counts[0] + ... + counts[n - 1]``.
    """
    s = 0
    j = tree.shape[0] - 1
    while j > 0:
        s += tree[j]
        j -= j & -j
    return s


@njit(inline="always")
def find(tree, target):
    """Smallest 0-based ``i`` with ``counts[0] + ... + counts[i] > target``.

    Args:
        tree: ``(n + 1,)`` int64 (in), the tree.
        target: int, ``0 <= target < total(tree)``.

    Returns:
        int, the element (a uniform ``target`` samples elements in proportion to counts).
    """
    return find_rest(tree, target)[0]


@njit(inline="always")
def find_rest(tree, target):
    """:func:`find`, and how far into its element's count ``target`` falls.

    Args:
        tree: ``(n + 1,)`` int64 (in), the tree.
        target: int, ``0 <= target < total(tree)``.

    Returns:
        ``(i, rest)``: the element, and ``target - (counts[0] + ... + counts[i - 1])``,
        ``0 <= rest < counts[i]``.
    """
    n = tree.shape[0] - 1
    pos = 0
    step = 1
    while step * 2 <= n:
        step *= 2
    while step > 0:  # without branches: a random descent mispredicts half of them
        nxt = pos + step
        count = tree[min(nxt, n)]
        take = (nxt <= n) & (count <= target)
        pos = nxt if take else pos
        target -= count if take else 0
        step //= 2
    return pos, target
