"""Graph neighbourhoods: every node within ``radius`` hops of each node (breadth-first).

``balls(indptr, indices, radius)`` takes the adjacency in CSR form and returns the balls as CSR
``(ptr, idx, hop)`` (int64, int32, int8): row ``i`` lists the nodes within ``radius`` hops of
``i`` in increasing index order (``i`` itself at hop 0). Hop counts are symmetric, so ``j`` is
in the ball of ``i`` exactly when ``i`` is in the ball of ``j``, at the same hop. On a Moore
grid the balls are Chebyshev squares: :func:`lattice_balls` writes them down directly.
"""

from __future__ import annotations

import numpy as np

from urbsim._kernels.jit import njit


@njit()
def balls(indptr, indices, radius):
    """The balls of radius ``radius``: a breadth-first search from each node
    (:func:`_reach`), its nodes appended in index order (:func:`_append_sorted`).

    Args:
        indptr: ``(N + 1,)`` int64 (in), CSR row pointers of the adjacency.
        indices: ``(D,)`` int64 (in), CSR neighbours of each node.
        radius: int, hops, at most 127.

    Returns:
        ``(ptr, idx, hop)``: ``(N + 1,)`` int64, ``(E,)`` int32, ``(E,)`` int8 (the fields of
        a :class:`~urbsim._kernels.records.Balls` but its ring weights).
    """
    n = indptr.shape[0] - 1
    seen = np.full(n, -1, np.int64)       # source that last reached the node
    ptr = np.zeros(n + 1, np.int64)
    cap = max(16, 4 * n)
    idx = np.empty(cap, np.int32)
    hop = np.empty(cap, np.int8)
    queue = np.empty(n, np.int64)
    qhop = np.empty(n, np.int64)
    for s in range(n):
        tail = _reach(indptr, indices, radius, s, seen, queue, qhop)
        start = ptr[s]
        if start + tail > cap:
            cap = max(2 * cap, start + tail)
            idx2 = np.empty(cap, np.int32)
            hop2 = np.empty(cap, np.int8)
            idx2[:start] = idx[:start]
            hop2[:start] = hop[:start]
            idx, hop = idx2, hop2
        _append_sorted(queue, qhop, tail, idx, hop, start)
        ptr[s + 1] = start + tail
    return ptr, idx[: ptr[n]].copy(), hop[: ptr[n]].copy()


@njit(inline="always")
def _reach(indptr, indices, radius, s, seen, queue, qhop):
    """Breadth-first search from ``s`` up to ``radius`` hops.

    Args:
        indptr: ``(N + 1,)`` int64 (in), CSR row pointers of the adjacency.
        indices: ``(D,)`` int64 (in), CSR neighbours.
        radius: int, hops.
        s: int, the source.
        seen: ``(N,)`` int64 (in/out), the source that last reached each node (``s`` is
            written where this search reaches).
        queue: ``(N,)`` int64 (out), the nodes reached, in search order.
        qhop: ``(N,)`` int64 (out), their hops from ``s``.

    Returns:
        int, the number of nodes reached (``s`` included).
    """
    seen[s] = s
    queue[0] = s
    qhop[0] = 0
    head, tail = 0, 1
    while head < tail:
        u = queue[head]
        h = qhop[head]
        head += 1
        if h == radius:
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if seen[v] != s:
                seen[v] = s
                queue[tail] = v
                qhop[tail] = h + 1
                tail += 1
    return tail


@njit(inline="always")
def _append_sorted(queue, qhop, tail, idx, hop, start):
    """Write the ``tail`` nodes reached into ``idx``/``hop`` from ``start`` on, by node index
    (insertion sort: balls are small).

    Args:
        queue: ``(N,)`` int64 (in), the nodes reached (:func:`_reach`).
        qhop: ``(N,)`` int64 (in), their hops.
        tail: int, how many.
        idx: ``(>= start + tail,)`` int32 (out), nodes of the balls.
        hop: ``(>= start + tail,)`` int8 (out), their hops.
        start: int, where this ball begins.
    """
    for q in range(tail):
        v, h = queue[q], qhop[q]
        p = start + q
        while p > start and idx[p - 1] > v:
            idx[p] = idx[p - 1]
            hop[p] = hop[p - 1]
            p -= 1
        idx[p] = v
        hop[p] = h


@njit()
def lattice_balls(width, height, radius):
    """:func:`balls` of a ``width x height`` Moore grid (not wrapped; node ``x * height + y``):
    the Chebyshev squares, in increasing index order, without searching.

    Args:
        width: int, cells along x.
        height: int, cells along y.
        radius: int, hops (Chebyshev distance), at most 127.

    Returns:
        ``(ptr, idx, hop)`` as :func:`balls` returns them.
    """
    n = width * height
    ptr = np.zeros(n + 1, np.int64)
    for x in range(width):
        nx = min(x + radius, width - 1) - max(x - radius, 0) + 1
        for y in range(height):
            ny = min(y + radius, height - 1) - max(y - radius, 0) + 1
            ptr[x * height + y + 1] = nx * ny
    ptr = np.cumsum(ptr)
    idx = np.empty(ptr[n], np.int32)
    hop = np.empty(ptr[n], np.int8)
    for x in range(width):
        for y in range(height):
            e = ptr[x * height + y]
            for u in range(max(x - radius, 0), min(x + radius, width - 1) + 1):
                for v in range(max(y - radius, 0), min(y + radius, height - 1) + 1):
                    idx[e] = u * height + v
                    hop[e] = max(abs(u - x), abs(v - y))
                    e += 1
    return ptr, idx, hop
