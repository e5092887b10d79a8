"""Iterative proportional fitting (IPF): a joint table that meets given marginal totals.

Deming, W. E. & Stephan, F. F. (1940), "On a least squares adjustment of a sampled frequency
table when the expected marginal totals are known", Annals of Mathematical Statistics 11(4).

A non-negative seed table (e.g. households by neighbourhood, milieu and SGB status from a
survey or a prior) is scaled cell by cell until it meets every margin. A margin is a partition
of (some of) the cells into groups with known totals, so margins may be the usual sums over
axes, sums over grouped labels (district instead of neighbourhood) or partial tables. IPF
cycles through the margins and multiplies the cells of each group by ``target / current sum``.
Where the margins are consistent it converges to the table closest to the seed in the
Kullback-Leibler sense: it keeps the seed's zeros and its cross-product (odds) ratios within
the structure the margins leave free. Inconsistent margins do not converge; that is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from urbsim.common.errors import InputError

SOURCE = "ipf"
TOTAL_RTOL = 1e-6
"""Largest relative difference between the totals of two margins that cover every cell."""


@dataclass(frozen=True)
class Margin:
    """One marginal table: each cell of the joint table belongs to margin cell ``groups[cell]``
    (-1: to none); the cells of margin cell ``k`` must sum to ``target[k]``.

    Attributes:
        groups: int64 margin-cell index per cell of the joint table, same shape as the seed.
        target: float64 total per margin cell (1-D, length = number of margin cells).
        name: the margin's name in error messages.
    """

    groups: np.ndarray
    target: np.ndarray
    name: str = "margin"


def grouping(shape: tuple[int, ...], keep: Mapping[int, np.ndarray]) -> np.ndarray:
    """The ``groups`` array of a margin that keeps the axes in ``keep`` and sums over the others.

    Each kept axis is mapped through its label array (``labels[index]`` -> label 0..L-1, with
    L = ``labels.max() + 1``); the margin cell is :func:`numpy.ravel_multi_index` of the labels
    over the kept axes in ascending axis order. E.g. for a (neighbourhood, milieu, sgb) table,
    ``{0: district_of_neighbourhood, 1: np.arange(M)}`` gives the district x milieu margin.

    Args:
        shape: shape of the joint table.
        keep: label array per kept axis.

    Returns:
        int64 array of ``shape``.

    Raises:
        InputError: an axis outside ``shape``, or labels of the wrong length or negative.
    """
    index = np.zeros((1,) * len(shape), dtype=np.int64)
    for axis in sorted(keep):
        labels = np.asarray(keep[axis], dtype=np.int64)
        if not 0 <= axis < len(shape):
            raise InputError(f"axis {axis} is outside a {len(shape)}-D table", SOURCE, "grouping")
        if labels.shape != (shape[axis],) or (labels < 0).any():
            raise InputError(f"axis {axis}: expected {shape[axis]} non-negative labels", SOURCE, "grouping")
        size = int(labels.max()) + 1 if labels.size else 1
        index = index * size + labels.reshape([-1 if a == axis else 1 for a in range(len(shape))])
    return np.broadcast_to(index, shape).copy()


def fit(seed: np.ndarray, margins: Sequence[Margin], *, tol: float = 1e-9,
        max_iter: int = 2000) -> np.ndarray:
    """Scale ``seed`` (non-negative) until it meets every margin, by generalised IPF.

    Margin cells with target 0 first set their cells to 0; then the margins are visited
    cyclically and the cells of each margin cell multiplied by ``target / current sum``. A margin
    already met (largest absolute deviation at most ``tol * (1 + its total)``) is left as it is;
    the fit stops once all margins are met on the same table.

    Args:
        seed: the prior joint table, non-negative and finite.
        margins: the margins to meet.
        tol: relative tolerance, see above.
        max_iter: most cycles through the margins.

    Returns:
        A new float64 array of the seed's shape; the seed's zeros stay zero.

    Raises:
        InputError: bad seed or margin, a margin cell with a positive target but no positive
            cell, margins covering every cell with different totals, or no convergence.
    """
    table = np.array(seed, dtype=np.float64, order="C")  # flat below is a view of it
    if not np.isfinite(table).all() or (table < 0).any():
        raise InputError("expected a finite, non-negative table", SOURCE, "seed")
    flat, parts = table.reshape(-1), []
    for m in margins:
        groups, target = np.asarray(m.groups), np.asarray(m.target, dtype=np.float64)
        if groups.shape != table.shape or not np.issubdtype(groups.dtype, np.integer):
            raise InputError(f"groups: expected integers of shape {table.shape}, got {groups.dtype} "
                             f"{groups.shape}", SOURCE, m.name)
        if target.ndim != 1 or not np.isfinite(target).all() or (target < 0).any():
            raise InputError("target: expected a 1-D array of finite, non-negative totals", SOURCE, m.name)
        g = groups.reshape(-1).astype(np.int64)
        if g.size and (g.min() < -1 or g.max() >= target.size):
            raise InputError(f"groups: labels must lie in -1..{target.size - 1}", SOURCE, m.name)
        cells = np.flatnonzero(g >= 0)
        parts.append((m.name, g[cells], cells, target, float(target.sum()), cells.size == g.size))
        flat[cells[target[g[cells]] == 0]] = 0.0
    full = [(name, total) for name, _, _, _, total, covers in parts if covers]
    for name, total in full[1:]:
        if abs(total - full[0][1]) > TOTAL_RTOL * max(total, full[0][1]):
            raise InputError(f"total {total:g} differs from {full[0][1]:g} of margin '{full[0][0]}'",
                             SOURCE, name)
    for name, g, cells, target, _, _ in parts:
        support = np.bincount(g, weights=flat[cells] > 0, minlength=target.size)
        bad = np.flatnonzero((target > 0) & (support == 0))
        if bad.size:
            raise InputError(f"cell {bad[0]} has target {target[bad[0]]:g} but no positive seed cell "
                             "(infeasible)", SOURCE, name)
    deviation = [np.inf] * len(parts)
    met, step = 0, 0
    while met < len(parts):
        if step >= max_iter * len(parts):
            worst = int(np.argmax([d / (1 + p[4]) for d, p in zip(deviation, parts, strict=True)]))
            raise InputError(f"no convergence in {max_iter} cycles: largest deviation "
                             f"{deviation[worst]:.3g}", SOURCE, parts[worst][0])
        i = step % len(parts)
        _, g, cells, target, total, _ = parts[i]
        current = np.bincount(g, weights=flat[cells], minlength=target.size)
        deviation[i] = float(np.abs(current - target).max(initial=0.0))
        if deviation[i] <= tol * (1 + total):
            met += 1
        else:
            met = 0
            factor = np.divide(target, current, out=np.zeros_like(target), where=current > 0)
            flat[cells] *= factor[g]
        step += 1
    return table
