"""Income growth: every household's nominal income grows by the same factor each year.

Newcomers draw their income around the milieu's median grown by the same factor since the
start (:mod:`urbsim._kernels.turnover`, through the median the engine passes), so incumbents
and newcomers stay on one scale.
"""

from __future__ import annotations

from numba import prange

from urbsim._kernels.jit import njit


@njit(parallel=True)
def grow(households, factor):
    """Multiply the income of every active household by ``factor`` (in place).

    Args:
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``active`` is read,
            ``income`` of active slots is written.
        factor: float, ``1 + income.growth``.
    """
    active, income = households.active, households.income
    for i in prange(active.shape[0]):
        if active[i]:
            income[i] *= factor
