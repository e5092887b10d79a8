"""Households by milieu per neighbourhood, as a city gives them, in whole households.

A city file may give, per neighbourhood, households by milieu (counts or shares), or only the
number of households, and its share on SGB II; a districts table may give each district's
milieu shares (see :mod:`urbsim.inputs.city`). :func:`table` fits the joint table of households
by neighbourhood, milieu and SGB II status to whatever is given, by iterative proportional
fitting (:mod:`urbsim.inputs.ipf`) from a stated seed:

* seed: the model's own placement rule where the data are silent (a milieu's weight on a
  neighbourhood by its status match and dwellings, :func:`status_match`, the rule a run
  without given households places by) and, within a milieu, the share on SGB II the model's
  rule gives it (incomes below ``kdu.income_limit`` under the milieu's log-normal income);
* neighbourhood totals: the milieu counts, else ``households``, else the dwellings less the
  structural vacancy ``city.vacancy``;
* milieus: the counts per neighbourhood, else the district's shares times the district's
  households, else the milieu set's shares city-wide;
* SGB II: ``households x sgb2_share`` where given (so the SGB-II shares also move the milieu
  mix towards the milieus most often on SGB II).

A run of another size scales the table: :func:`whole` first gives each neighbourhood its whole
number of households, then each of its cells, both by truncate-replicate-sample (Lovelace &
Ballas 2013, "Truncate, replicate, sample", Computers, Environment and Urban Systems 41): the
integer parts, then the households left drawn without replacement with weights from the
fractional parts; with SGB-II shares, the households on SGB II and not come before the
milieus within each. A neighbourhood's SGB-II households are then within one household of
the fitted table, each milieu within two (one without SGB-II shares). Households of the SGB-II
cells draw their income below the limit, the others above it (engine.households).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from urbsim._kernels import libm
from urbsim.common.errors import InputError
from urbsim.inputs import ipf
from urbsim.inputs.city import POPULATION, City
from urbsim.inputs.milieus import MilieuSet
from urbsim.inputs.params import ModelParams


def table(city: City, milieus: MilieuSet, params: ModelParams) -> np.ndarray | None:
    """``(N, M, S)`` households by neighbourhood, milieu and (``S = 2``: not on / on) SGB II,
    fitted to what the city gives (``S = 1`` where it gives no SGB-II shares); ``None``: the
    city gives no households at all.

    Raises:
        InputError: a milieu code the set does not have, a milieu of the set missing, or
            givens that no table meets.
    """
    given = {k: v for k, v in (("population", city.population),
                               ("district_shares", city.district_shares)) if v}
    sgb = city.sgb2_share if city.sgb2_share is not None else np.full(city.n, np.nan)
    if not given and city.households is None and np.isnan(sgb).all() and not (
            attributes(city)):
        return None
    for name, columns in given.items():
        unknown = sorted(set(columns) - set(milieus.codes))
        missing = [c for c in milieus.codes if c not in columns]
        if unknown or missing:
            what = (f"unknown milieu codes {unknown}" if unknown
                    else f"no column for the milieus {missing}")
            key = f"{POPULATION}<CODE>" if name == "population" else "districts.share_<CODE>"
            raise InputError(f"{what}; the milieu set {milieus.name} has "
                             f"{', '.join(milieus.codes)}", "city", key)
    n, m = city.n, len(milieus)
    if city.population:
        cells = np.column_stack([city.population[c] for c in milieus.codes])
        totals = cells.sum(1)
    elif city.households is not None:
        totals = city.households
    else:
        totals = city.capacity.sum(1) * (1.0 - params.city.vacancy)
    on_sgb = ~np.isnan(sgb)
    s = 2 if on_sgb.any() else 1
    rate = sgb_rate(milieus, params)
    prior = status_match(city.capacity, city.base_rent, milieus,
                         params.placement.status_match_width).sum(2).T
    seed = prior[:, :, None] * (1.0 if s == 1 else np.stack([1.0 - rate, rate], 1)[None])
    shape = seed.shape
    margins = [ipf.Margin(ipf.grouping(shape, {0: np.arange(n)}), totals, "households")]
    if city.population:
        margins.append(ipf.Margin(ipf.grouping(shape, {0: np.arange(n), 1: np.arange(m)}),
                                  cells.ravel(), f"{POPULATION}<CODE>"))
    elif city.district_shares:
        shares = np.column_stack([city.district_shares[c] for c in milieus.codes])
        by_district = np.bincount(city.district, totals, len(city.districts))
        margins.append(ipf.Margin(ipf.grouping(shape, {0: city.district, 1: np.arange(m)}),
                                  (shares * by_district[:, None]).ravel(),
                                  "districts.share_<CODE>"))
    else:
        margins.append(ipf.Margin(ipf.grouping(shape, {1: np.arange(m)}),
                                  milieus.share / milieus.share.sum() * totals.sum(),
                                  "the milieu set's shares"))
    if s == 2:
        label = np.where(on_sgb, np.cumsum(on_sgb) - 1, -1)
        groups = ipf.grouping(shape, {0: np.where(on_sgb, label, 0), 2: np.arange(2)})
        groups[~on_sgb] = -1
        target = np.stack([1.0 - sgb[on_sgb], sgb[on_sgb]], 1) * totals[on_sgb, None]
        margins.append(ipf.Margin(groups, target.ravel(), "sgb2_share"))
    return ipf.fit(seed, margins)


def status_match(capacity: np.ndarray, base_rent: np.ndarray, milieus: MilieuSet,
                 width: float) -> np.ndarray:
    """``(M, N, C)`` the placement's weights: a milieu prefers neighbourhoods whose rank by
    mean base rent is near its status (a Gaussian of ``width``), in proportion to their
    dwellings per column (``C`` segments, or let then owner-occupied) and its segment
    preferences."""
    n, c = capacity.shape
    rent_level = (base_rent * capacity).sum(1) / np.maximum(capacity.sum(1), 1)
    rank = np.argsort(np.argsort(rent_level, kind="stable"), kind="stable") / max(n - 1, 1)
    match = libm.exp(-((rank[None, :] - milieus.status01[:, None]) ** 2) / (2 * width**2))
    pref = np.tile(milieus.segment_pref, c // milieus.segment_pref.shape[1])
    return capacity[None, :, :] * match[:, :, None] * libm.exp(pref)[:, None, :]


def attributes(city: City) -> list[str]:
    """The attributes of households the city gives per area (ages, sizes, incomes): a run
    then starts from its households (:func:`table`) to give them to."""
    return [k for k in ("ages", "sizes", "income_median", "income_spread")
            if getattr(city, k) is not None and not np.isnan(getattr(city, k)).all()]


AGE_RULE = (2.6, 0.7, 0.9)
"""The model's age class of a household (prior): a normal around ``2.6 - 0.7 x`` its
milieu's value position with standard deviation 0.9, rounded and clipped to 0..3
(engine.households; traditional milieus older, modern ones younger)."""


def age_prior(milieus: MilieuSet) -> np.ndarray:
    """``(M, 4)`` the share of each milieu in each age class under :data:`AGE_RULE`."""
    from scipy.special import ndtr

    centre, slope, sd = AGE_RULE
    mean = centre - slope * milieus.position[:, 0]
    edges = np.array([-np.inf, 0.5, 1.5, 2.5, np.inf])
    return np.diff(ndtr((edges[None, :] - mean[:, None]) / sd), axis=1)


def ages(cells: np.ndarray, shares: np.ndarray, milieus: MilieuSet, u: np.ndarray
         ) -> np.ndarray:
    """``(N, M, 4)`` whole households per neighbourhood, milieu and age class where the city
    gives age ``shares`` (``(N, 4)``; NaN rows: not given, zeros out). Each neighbourhood's
    age classes are its shares times its households, integerised (uniforms ``u[:, 0]``);
    they are shared out over its milieu counts ``cells`` ``(N, M)`` by IPF from the milieus' age classes
    (:func:`age_prior`), then rounded so that both totals hold exactly
    (:func:`controlled_round`, uniforms ``u`` ``(N, M + 1, 4)``)."""
    n, m = cells.shape
    out = np.zeros((n, m, 4), np.int64)
    prior = age_prior(milieus)
    for i in np.flatnonzero(~np.isnan(shares).any(1)):
        classes = integerise(shares[i][None] * cells[i].sum(), u[i, :1])[0]
        fitted = ipf.fit(prior, [
            ipf.Margin(ipf.grouping(prior.shape, {0: np.arange(m)}), cells[i].astype(float),
                       "households"),
            ipf.Margin(ipf.grouping(prior.shape, {1: np.arange(4)}), classes.astype(float),
                       "age_*")])
        out[i] = controlled_round(fitted, cells[i], classes, u[i, 1:])
    return out


def controlled_round(table: np.ndarray, rows: np.ndarray, cols: np.ndarray, u: np.ndarray
                     ) -> np.ndarray:
    """Whole numbers near ``table`` ``(R, K)`` whose rows sum to ``rows`` and columns to
    ``cols`` (whole, with equal totals): row by row, truncate-replicate-sample within what
    the columns have left, any shortfall going to the columns with most room."""
    left = np.array(cols, np.int64)
    out = np.zeros(table.shape, np.int64)
    for r in range(len(rows)):
        want = table[r] if table[r].sum() > 0 else left * 1.0
        want = np.minimum(want * rows[r] / max(want.sum(), 1e-300), left)
        x = np.minimum(integerise(want[None], u[r][None])[0], left)
        for _ in range(int(rows[r] - x.sum())):
            x[np.argmax(left - x)] += 1
        out[r] = x
        left -= x
    return out


def sizes(rows: np.ndarray, shares: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``(N, 5)`` whole households per neighbourhood and size where the city gives size
    ``shares`` (NaN rows: zeros), integerised from the shares times ``rows`` (uniforms
    ``u``)."""
    return integerise(np.nan_to_num(shares) * rows[:, None], u)


def income_terms(cells: np.ndarray, city: City, milieus: MilieuSet, params: ModelParams
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(delta, sigma)`` ``(N,)``: each neighbourhood's shift of log income and its spread
    within a milieu, so that its households (``cells`` ``(N, M, S)`` whole households, ``S =
    2`` with those on SGB II drawn below the KdU limit) have the city's ``income_median`` and
    ``income_spread`` where given (0 and ``income.sigma`` elsewhere).

    The spread: ``income_spread`` is the standard deviation of log income in the area, of
    which the milieus' medians explain the part between them; ``sigma`` is the rest (at least
    0.05). The median: ``delta`` solves, by bisection, for the median of the mixture of the
    milieus' log-normals (each SGB-II cell truncated below the limit, the others above)."""
    from scipy.special import ndtr

    n = city.n
    mu = params.income.log_median(milieus.position[:, 1])
    counts = cells.sum(2).astype(float)
    w = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    sigma = np.full(n, params.income.sigma)
    if city.income_spread is not None:
        mean = w @ mu
        between = (w * (mu[None, :] - mean[:, None]) ** 2).sum(1)
        spread = np.sqrt(np.maximum(city.income_spread**2 - between, 0.05**2))
        sigma = np.where(np.isnan(city.income_spread), sigma, spread)
    delta = np.zeros(n)
    if city.income_median is None:
        return delta, sigma
    target = libm.log(np.where(np.isnan(city.income_median), 1.0, city.income_median))
    limit = math.log(params.kdu.income_limit)
    lo, hi = np.full(n, -5.0), np.full(n, 5.0)
    s = sigma[:, None]
    for _ in range(60):
        mid = (lo + hi) / 2
        a = ndtr((target[:, None] - mu[None, :] - mid[:, None]) / s)
        if cells.shape[2] == 1:
            below = (counts * a).sum(1)
        else:
            p = np.clip(ndtr((limit - mu[None, :] - mid[:, None]) / s), 1e-12, 1 - 1e-12)
            below = (cells[:, :, 1] * np.minimum(a / p, 1.0)
                     + cells[:, :, 0] * np.maximum(a - p, 0.0) / (1 - p)).sum(1)
        low_median = below / np.maximum(counts.sum(1), 1) > 0.5  # median below the target
        lo, hi = np.where(low_median, mid, lo), np.where(low_median, hi, mid)
    return np.where(np.isnan(city.income_median), 0.0, (lo + hi) / 2), sigma


def sample(city: City, households: int) -> City:
    """``city`` for a run of ``households``: where the city gives its households and the run
    has fewer, a sample of it with
    the dwellings of every neighbourhood and segment scaled alike (whole numbers by largest
    remainder: each neighbourhood's total, then its segments), the social bindings ending per
    year too (fractions carry over) and :attr:`City.sample` the ratio; the city itself
    otherwise (a city that gives only dwellings holds the run's households, whatever their
    number). Shares, rents and incomes stay as they are; the households themselves are scaled
    by :func:`whole`."""
    from dataclasses import replace

    total = given_total(city)
    if total is None or households >= total:
        return city
    w = households / total
    cap = city.capacity
    half = lambda shape: np.full(shape, 0.5)  # noqa: E731  (equal keys: largest remainder)
    rows = integerise(cap.sum(1)[None] * w, half((1, city.n)))[0]
    scaled = integerise(cap / np.maximum(cap.sum(1, keepdims=True), 1) * rows[:, None],
                        half(cap.shape))
    ending = {y: v * w for y, v in (city.social_end or {}).items()} or None
    return replace(city, capacity=scaled, social_end=ending, sample=w)


def given_total(city: City) -> float | None:
    """The households the city gives (by milieu, or in total), ``None`` where it gives none."""
    if city.population:
        return float(sum(v.sum() for v in city.population.values()))
    return None if city.households is None else float(city.households.sum())


def describe(city: City) -> str:
    """How a run places the households of ``city``, in a sentence."""
    if city.population:
        return "the start places the city's households by milieu as given"
    given = [what for what, there in (
        ("households per neighbourhood", city.households is not None),
        ("milieu shares per district", bool(city.district_shares)),
        ("SGB-II shares", city.sgb2_share is not None and not np.isnan(city.sgb2_share).all()))
        if there]
    more = [what for what, there in (
        ("age classes", city.ages is not None), ("household sizes", city.sizes is not None),
        ("median incomes", city.income_median is not None),
        ("income spreads", city.income_spread is not None),
        ("contract rents", city.contract is not None),
        ("end years of social bindings", bool(city.social_end))) if there]
    also = f"; it gives its households the city's {', '.join(more)}" if more else ""
    if not given:
        return ("the city gives no households: the start places milieus by the status-match "
                f"rule{also}")
    return (f"the start fits households by milieu to the city's {', '.join(given)} (IPF from "
            f"the status-match rule){also}")


def sgb_rate(milieus: MilieuSet, params: ModelParams) -> np.ndarray:
    """``(M,)`` share of each milieu on SGB II at the start under the model's rule: income
    below ``kdu.income_limit``, incomes log-normal around the milieu's median."""
    return below(math.log(params.kdu.income_limit), params.income.log_median(
        milieus.position[:, 1]), np.full(len(milieus), params.income.sigma))


def below(log_limit: float, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The share of a log-normal income ``(mu, sigma)`` below ``exp(log_limit)``."""
    from scipy.special import ndtr

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sigma > 0, ndtr((log_limit - mu) / np.where(sigma > 0, sigma, 1.0)),
                        (log_limit > mu).astype(float))


def integerise(values: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Whole numbers per cell of a ``(R, K)`` table, each row summing to its rounded total
    (truncate, replicate, sample); ``u`` holds uniforms of the table's shape (the weighted
    draw without replacement takes the largest ``log(u) / fraction``, Efraimidis & Spirakis
    2006)."""
    values = np.asarray(values, dtype=np.float64)
    whole = np.floor(values + 1e-9).astype(np.int64)
    left = np.rint(values.sum(1)).astype(np.int64) - whole.sum(1)
    frac = np.clip(values - whole, 0.0, None)
    with np.errstate(divide="ignore"):
        key = np.where(frac > 0, libm.log(u) / np.where(frac > 0, frac, 1.0), -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")
    for r in np.flatnonzero(left > 0):
        whole[r, order[r, : left[r]]] += 1
    return whole


def whole(given: np.ndarray, households: int, uniforms: Callable[[int, int], np.ndarray],
          dwellings: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """``(N, M, S)`` whole households summing to ``households``, in proportion to ``given``:
    neighbourhood totals first, then (``S = 2``) the households on SGB II and not, then the
    milieus within each; ``uniforms(k, size)`` gives the ``k``-th stream of uniforms.

    A neighbourhood rounded past its ``dwellings`` (a sample's rounding) gives the household to
    the one with most share left and room.

    Raises:
        InputError: no households given, or more than the city gives.
    """
    n, m, s = given.shape
    total = given.sum()
    if total <= 0:
        raise InputError("the city gives no households", "city", "households")
    if households > round(total):
        raise InputError(f"expected at most the {total:,.0f} households the city gives, got "
                         f"{households:,}", "city", "households")
    share = given.sum((1, 2)) * households / total
    rows = integerise(share[None, :], uniforms(8, n)[None, :])[0]
    for _ in range(int(np.maximum(rows - dwellings, 0).sum())):  # rounding past a full one
        rows[np.argmax(rows - dwellings)] -= 1
        rows[np.argmax(np.where(rows < dwellings, share - rows, -np.inf))] += 1
    if s == 1:
        share = given[:, :, 0] / np.maximum(given.sum((1, 2))[:, None], 1e-300)
        return integerise(share * rows[:, None], uniforms(9, n * m).reshape(n, m))[:, :, None]
    status = given.sum(1)
    status = integerise(status / np.maximum(status.sum(1, keepdims=True), 1e-300) * rows[:, None],
                        uniforms(9, n * s).reshape(n, s))
    cells = given.transpose(0, 2, 1).reshape(n * s, m)
    cells = cells / np.maximum(cells.sum(1, keepdims=True), 1e-300) * status.reshape(-1, 1)
    out = integerise(cells, uniforms(10, n * s * m).reshape(n * s, m))
    return out.reshape(n, s, m).transpose(0, 2, 1)
