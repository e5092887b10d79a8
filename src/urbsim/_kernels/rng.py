"""Counter-based random numbers: a pure hash of (seed, step, stream, index, draw).

Each value is the SplitMix64 finaliser applied to a combination of the key, chained once per
key element, so that any household's draws are independent of the order or the thread in which
they are computed. Streams (one per rule) keep rules from sharing numbers, and give common
random numbers across scenarios: the same household in the same step draws the same numbers.
"""

from __future__ import annotations

import numpy as np
from numba import uint64

from urbsim._kernels.jit import njit

# One stream per rule that draws random numbers.
PLACEMENT, MOVE, CHOICE, OUT, IN, AGEING, PARTICIPATION, ORDER, NEWCOMER_CHOICE = range(1, 10)
RAISE, BINDING = 10, 11

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(inline="always")
def _mix(z):
    """SplitMix64 finaliser.

    Args:
        z: uint64.

    Returns:
        uint64, the mixed bits.
    """
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(inline="always")
def key(seed, step, stream, index):
    """The hashed key of one household's draws in one step and stream (see :func:`keyed`).

    Args:
        seed: int, the run's seed (non-negative).
        step: int, the step.
        stream: int, the rule's stream (e.g. :data:`CHOICE`).
        index: int, the household slot (or another index).

    Returns:
        uint64, the key.
    """
    z = _mix(uint64(seed) + _GOLDEN)
    z = _mix(z ^ (uint64(step) + _GOLDEN))
    z = _mix(z ^ (uint64(stream) * _GOLDEN))
    return _mix(z ^ (uint64(index) + _GOLDEN))


@njit(inline="always")
def keyed(k, draw):
    """A float in [0, 1): ``uniform(seed, step, stream, index, draw)`` from ``k = key(seed,
    step, stream, index)`` (a kernel drawing many numbers for one household hashes once).

    Args:
        k: uint64, the key (:func:`key`).
        draw: int, the draw's number (non-negative).

    Returns:
        float, a multiple of 2**-53 in [0, 1).
    """
    return float(_mix(k ^ (uint64(draw) * _M2 + _GOLDEN)) >> uint64(11)) * _INV53


@njit(inline="always")
def uniform(seed, step, stream, index, draw):
    """A float in [0, 1) for the key.

    Args:
        seed: int, the run's seed.
        step: int, the step.
        stream: int, the stream.
        index: int, the household slot.
        draw: int, the draw's number (all arguments non-negative).

    Returns:
        float, as :func:`keyed` returns it.
    """
    return keyed(key(seed, step, stream, index), draw)


@njit(inline="always")
def normal(seed, step, stream, index, draw):
    """A standard normal for the key (Box–Muller on draws ``2*draw`` and ``2*draw+1``).

    Args:
        seed: int, the run's seed.
        step: int, the step.
        stream: int, the stream.
        index: int, the household slot.
        draw: int, the normal's number (uses uniform draws ``2 * draw``, ``2 * draw + 1``).

    Returns:
        float, the normal.
    """
    u1 = 1.0 - uniform(seed, step, stream, index, 2 * draw)
    u2 = uniform(seed, step, stream, index, 2 * draw + 1)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit()
def order(seed, step, stream, index, draw):
    """The order in which households ``index`` take turns: the positions of ``index`` sorted
    by their uniforms ``uniform(seed, step, stream, index[j], draw)``, equal ones by position,
    i.e. ``np.argsort(uniforms, kind="stable")`` in expected linear time (:func:`argsort_unit`).

    Args:
        seed: int, the run's seed.
        step: int, the step.
        stream: int, the stream.
        index: ``(n,)`` int64 (in), household slots.
        draw: int, the draw's number.

    Returns:
        ``(n,)`` int64, a permutation of ``0..n-1``.
    """
    keys = np.empty(index.shape[0])
    for j in range(index.shape[0]):
        keys[j] = uniform(seed, step, stream, index[j], draw)
    return argsort_unit(keys)


_BUCKET_LIMIT = 64
"""A bucket this full means keys far from uniform: :func:`argsort_unit` merge-sorts instead."""


@njit()
def argsort_unit(keys):
    """``np.argsort(keys, kind="stable")`` for keys in [0, 1), by a stable bucket sort: about
    ``n / 4`` buckets by ``floor(key * buckets)``, each then sorted by insertion (uniform keys
    put about four in each; four times as fast as numpy's stable sort of a million). A merge
    sort (stable) when a key lies outside [0, 1) or a bucket holds more than
    ``_BUCKET_LIMIT`` keys.

    Args:
        keys: ``(n,)`` float64 (in).

    Returns:
        ``(n,)`` int64, the stable argsort of ``keys``.
    """
    n = keys.shape[0]
    nb = n // 4 + 1
    start = np.zeros(nb + 1, np.int64)
    inside = True
    for j in range(n):
        x = keys[j]
        inside &= (x >= 0.0) & (x < 1.0)  # False for NaN too
        start[min(int(x * nb), nb - 1) + 1 if inside else 0] += 1
    if not inside:
        return np.argsort(keys, kind="mergesort")
    for b in range(nb):
        start[b + 1] += start[b]
    out = np.empty(n, np.int64)
    sorted_keys = np.empty(n)  # the keys in ``out``'s order: the insertions read them in line
    fill = start[:nb].copy()
    for j in range(n):  # in order of position: stable within a bucket
        b = min(int(keys[j] * nb), nb - 1)
        out[fill[b]] = j
        sorted_keys[fill[b]] = keys[j]
        fill[b] += 1
    for b in range(nb):
        lo, hi = start[b], start[b + 1]
        if hi - lo > _BUCKET_LIMIT:
            return np.argsort(keys, kind="mergesort")
        for a in range(lo + 1, hi):  # insertion sort; an equal key stays behind: stable
            j, x = out[a], sorted_keys[a]
            c = a
            while c > lo and sorted_keys[c - 1] > x:
                out[c], sorted_keys[c] = out[c - 1], sorted_keys[c - 1]
                c -= 1
            out[c], sorted_keys[c] = j, x
    return out


@njit()
def uniforms(seed, step, stream, n, draw):
    """``n`` uniforms for indices 0..n-1 (vectorised helper for tests and Python callers).

    Args:
        seed: int, the run's seed.
        step: int, the step.
        stream: int, the stream.
        n: int, the number of indices.
        draw: int, the draw's number.

    Returns:
        ``(n,)`` float64, ``uniform(seed, step, stream, i, draw)`` for each ``i``.
    """
    out = np.empty(n)
    for i in range(n):
        out[i] = uniform(seed, step, stream, i, draw)
    return out
