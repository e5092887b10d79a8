"""The 95 % confidence interval of a mean: Student's t quantile (scipy) and half-width."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import stats

LEVEL = 0.95
"""Confidence level of every interval urbsim reports."""


def t_quantile(dof):
    """The two-sided :data:`LEVEL` quantile of Student's t with ``dof`` degrees of freedom (a
    number, an array, or an xarray object, kept as such)."""
    if isinstance(dof, xr.DataArray | xr.Dataset):
        return xr.apply_ufunc(t_quantile, dof)
    return stats.t.ppf(0.5 + LEVEL / 2, dof)


def half_width(std, n):
    """Half the width of the t-interval of the mean of ``n`` values whose standard deviation
    is ``std`` (``n - 1`` degrees of freedom, at least 1); numbers, arrays or xarray objects."""
    return t_quantile(np.maximum(n - 1, 1)) * std / np.sqrt(n)
