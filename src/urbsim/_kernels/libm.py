"""Elementwise exponentials, logarithms, powers and angles through the C library: the same
bits on every x86-64 machine.

numpy computes ``exp``, ``log``, ``log1p``, ``power``, ``sin``, ``cos``, ``arctan2`` and
``hypot`` of float64 arrays with loops it picks by the CPU: on a machine with AVX-512 its own
SIMD algorithms (and Intel's SVML), elsewhere the C library's functions, and the two differ in
the last bit of some results. A model that drew its incomes, placement weights or search
weights with them gave other results on another machine (the shipped scenarios' digests
failed on an AVX2 machine; ``docs/guarantees.md``). These functions call the C library
(numba compiles each call to the libm function; it vectorises none of them), whatever the
CPU: use them, not numpy's, wherever a value feeds a run (``tests/test_portable.py`` checks
that no module of the model calls numpy's).

On a machine without AVX-512 they return numpy's results bit for bit. NaN and infinities
as numpy (``log(0)`` is ``-inf``, ``log(-1)`` NaN), without numpy's warnings.
"""

from __future__ import annotations

import math

import numpy as np

from urbsim._kernels.jit import njit

EXP, LOG, LOG1P, SIN, COS, POWER, ARCTAN2, HYPOT = range(8)


@njit()
def _apply(x, y, op):
    """``op`` of each element of ``x`` (``(n,)`` float64, in), or of each pair of elements of
    ``x`` and ``y`` (``(n,)`` float64, in; unread by the functions of one argument); a new
    ``(n,)`` float64. One kernel for all: a cold process loads each cached kernel it calls
    (some 10 ms each), and every run calls some of these."""
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        a, b = x[i], y[i]
        if op == EXP:
            out[i] = math.exp(a)
        elif op == LOG:
            out[i] = math.log(a)
        elif op == LOG1P:
            out[i] = math.log1p(a)
        elif op == SIN:
            out[i] = math.sin(a)
        elif op == COS:
            out[i] = math.cos(a)
        elif op == POWER:
            out[i] = math.pow(a, b)
        elif op == ARCTAN2:
            out[i] = math.atan2(a, b)
        else:
            out[i] = math.hypot(a, b)
    return out


def _of(x, y, op: int) -> np.ndarray | float:
    """``op`` of ``x`` (and ``y``, broadcast against it), as float64; a float for scalars."""
    a, b = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    out = _apply(np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(b).reshape(-1),
                 op).reshape(a.shape)
    return out if a.ndim else float(out)


def exp(x):
    """``np.exp(x)`` (a float for a scalar ``x``)."""
    return _of(x, x, EXP)


def log(x):
    """``np.log(x)``."""
    return _of(x, x, LOG)


def log1p(x):
    """``np.log1p(x)``."""
    return _of(x, x, LOG1P)


def sin(x):
    """``np.sin(x)``."""
    return _of(x, x, SIN)


def cos(x):
    """``np.cos(x)``."""
    return _of(x, x, COS)


def power(x, y):
    """``np.power(x, y)`` in float64, broadcast (``x ** y``)."""
    return _of(x, y, POWER)


def arctan2(y, x):
    """``np.arctan2(y, x)``."""
    return _of(y, x, ARCTAN2)


def hypot(x, y):
    """``np.hypot(x, y)``."""
    return _of(x, y, HYPOT)
