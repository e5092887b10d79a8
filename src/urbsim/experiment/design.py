"""Parameter designs: points in the unit hypercube (scipy.stats.qmc, SALib), mapped through each
parameter's distribution; or a full grid of values.

The unit points are kept with the values: SALib's Sobol and Morris analyses work on them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import stats

from urbsim.experiment.spec import Design, Parameter


def problem(names: list[str] | tuple[str, ...]) -> dict:
    """SALib's problem over the unit hypercube (distributions are applied by :func:`scale`)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def unit(design: Design, names: list[str], seed: int) -> np.ndarray | None:
    """Points in ``[0, 1]^D`` (one row per design point), or None for a grid or no design."""
    import warnings

    d, n = len(names), design.samples
    match design.method:
        case "lhs":
            from scipy.stats import qmc

            return qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n)
        case "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem(names), n, calc_second_order=design.second_order,
                                seed=seed)
        case "morris":
            from SALib.sample import morris

            with warnings.catch_warnings():  # SALib warns about its own level spacing choices
                warnings.simplefilter("ignore")
                return morris.sample(problem(names), n, num_levels=design.levels, seed=seed)
    return None


def scale(parameters: dict[str, Parameter], u: np.ndarray) -> np.ndarray:
    """Unit points mapped to parameter values by each parameter's distribution."""
    out = np.empty_like(u)
    for j, p in enumerate(parameters.values()):
        out[:, j] = _ppf(p, u[:, j])
        if p.integer:
            out[:, j] = np.round(out[:, j])
    return out


def _ppf(p: Parameter, q: np.ndarray) -> np.ndarray:
    # Parameter's validator ensures what each distribution needs (bounds, mean and sd, mode)
    assert p.low is not None and p.high is not None
    lo, hi = p.low, p.high
    match p.dist:
        case "uniform":
            return lo + q * (hi - lo)
        case "loguniform":
            from urbsim._kernels import libm  # the C library's exp: the same design anywhere

            return libm.exp(math.log(lo) + q * (math.log(hi) - math.log(lo)))
        case "normal":
            assert p.mean is not None and p.sd is not None
            a, b = (lo - p.mean) / p.sd, (hi - p.mean) / p.sd
            return np.clip(stats.truncnorm.ppf(q, a, b, loc=p.mean, scale=p.sd), lo, hi)
        case "triangular":
            assert p.mode is not None
            return stats.triang.ppf(q, (p.mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    raise AssertionError(p.dist)


def grid(parameters: dict[str, Parameter]) -> np.ndarray:
    """Every combination of the parameters' values (the last parameter varies fastest)."""
    axes = []
    for p in parameters.values():
        if p.values is not None:
            v = np.asarray(p.values)
        else:  # without values, the validators ensure low, high and levels
            assert p.low is not None and p.high is not None and p.levels is not None
            v = np.linspace(p.low, p.high, p.levels)
        axes.append(np.round(v) if p.integer else v)
    return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(axes))
