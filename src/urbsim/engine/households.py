"""Households as a struct of arrays, and their initial placement in the city.

Slots beyond the active households are free for newcomers; the arrays grow when construction
adds dwellings. Attribute rules (priors unless a source is named):

* milieu: the set's shares, by largest remainder, in random slot order;
* income (EUR/month): log-normal, median ``median * exp(status_slope * (status - 1.5))``;
* age class (18–29, 30–44, 45–64, 65+): discretised normal around ``2.6 - 0.7 * values``
  (traditional milieus older, the modern ones younger);
* size: German household sizes 1..5+ (Destatis, Mikrozensus 2021: 41/34/12/9/4 %);
* years at address: exponential with mean ``1 / mobility`` (at most 30);
* attachment: ``1 - (1 - growth) ** years``; engagement: half the milieu's turnout;
* contract: what it pays, the base rent (or user cost) of its dwelling discounted by
  ``contracts.history_growth`` for each year at the address (at most 30), social rents at
  base; its last change ``min(years, k)`` years ago with ``k`` uniform in 0..2 (tenants'
  rents rise at most every second year), the rent before it discounted by one more year each.

Placement is status-matched: a milieu prefers neighbourhoods whose rent rank is near its
status, weighted by the dwellings there and by its segment preferences
(:mod:`urbsim._kernels.placement`). With ``placement.rule = "random"`` households take
dwellings uniformly at random instead, whatever their rent (Schelling's random start). A city
that gives households by milieu per neighbourhood fixes both: its counts, scaled to the run's
households (:mod:`urbsim.inputs.population`), say where each milieu starts, and the
preferences only pick the dwelling within the neighbourhood.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from urbsim._kernels import libm, placement, records, rng
from urbsim.common.errors import InputError
from urbsim.inputs import population
from urbsim.inputs.city import City
from urbsim.inputs.milieus import MilieuSet
from urbsim.inputs.params import ModelParams

HOUSEHOLD_SIZE = np.array([0.41, 0.34, 0.12, 0.09, 0.04])
AGE_CLASSES = ("18-29", "30-44", "45-64", "65+")


@dataclass(eq=False)
class Households:
    """Household arrays, one entry per slot; ``active`` marks the slots in use."""

    active: np.ndarray  # bool
    milieu: np.ndarray  # int64, index into the milieu set
    node: np.ndarray  # int64, neighbourhood index (-1 when inactive)
    segment: np.ndarray  # int64, housing segment index
    income: np.ndarray  # float64, EUR/month
    age: np.ndarray  # int64, age class index into AGE_CLASSES
    size: np.ndarray  # int64, persons
    years: np.ndarray  # int64, years at the current address
    attachment: np.ndarray  # float64, 0..1
    engagement: np.ndarray  # float64, 0..1
    contract: np.ndarray  # float64, EUR/month paid for the home (rent or user cost)
    previous: np.ndarray  # float64, the contract before its last change
    since: np.ndarray  # int64, step of the contract's last change

    def __len__(self) -> int:
        return self.active.shape[0]

    def record(self) -> records.Households:
        """The arrays the kernels take, as a :class:`urbsim._kernels.records.Households` (a
        new record each call, since :meth:`grow` replaces the arrays)."""
        return records.Households(self.active, self.milieu, self.node, self.segment,
                                  self.income, self.age, self.years, self.attachment,
                                  self.engagement, self.size, self.contract, self.previous,
                                  self.since)

    def grow(self, extra: int) -> None:
        """Append ``extra`` free slots (node -1, all else 0).

        The arrays become views of buffers with a quarter more room, whose spare slots hold
        the free values: a run whose newcomers outgrow the slots step after step (a city in
        demand) copies its households once in a while, not at every step."""
        n = len(self) + extra
        room = self.__dict__.setdefault("_room", {})
        for f in fields(self):
            a = getattr(self, f.name)
            buf = room.get(f.name)
            if buf is None or a.base is not buf or buf.shape[0] < n:
                buf = room[f.name] = np.full(n + n // 4, -1 if f.name == "node" else 0, a.dtype)
                buf[: len(a)] = a
            setattr(self, f.name, buf[:n])


def log_median_income(milieus: MilieuSet, params: ModelParams) -> np.ndarray:
    """Log of the median income per milieu."""
    return params.income.log_median(milieus.position[:, 1])


def engagement_baseline(milieus: MilieuSet) -> np.ndarray:
    """Baseline engagement per milieu: half its election turnout."""
    return 0.5 * milieus.turnout


def create(city: City, capacity: np.ndarray, base_rent: np.ndarray, milieus: MilieuSet,
           params: ModelParams, seed: int, transfers: records.Transfers) -> Households:
    """Create ``params.households`` households and place them in ``city``, whose dwellings
    and their base rents per column (let, then owner-occupied) are ``capacity`` and
    ``base_rent``.

    Raises:
        InputError: more households than dwellings.
    """
    n = params.households
    attachment_growth = params.turnover.attachment_growth
    slots = int(capacity.sum())
    if n > slots:
        raise InputError(f"expected at most {slots:,} (the dwellings of the city), got {n:,}",
                         None, "households")
    def draw(k: int, size: int) -> np.ndarray:
        return rng.uniforms(seed, 0, rng.PLACEMENT + 100, size, k)

    def u(k: int) -> np.ndarray:
        return draw(k, slots)

    m_count = len(milieus)
    milieu = np.zeros(slots, np.int64)
    node = np.full(slots, -1, np.int64)
    given = population.table(city, milieus, params)
    sgb = None
    shuffle = rng.argsort_unit(u(0)[:n])  # the households in a random slot order
    if given is None:  # the set's shares by largest remainder; placement picks the places
        quota = milieus.share * n
        counts = np.floor(quota).astype(np.int64)
        counts[np.argsort(-(quota - counts), kind="stable")[: n - counts.sum()]] += 1
        milieu[:n] = np.repeat(np.arange(m_count), counts)[shuffle]
    else:  # the city's households (by milieu and SGB II), scaled to n: the neighbourhood too
        cells = given.shape[1] * given.shape[2]
        counts = population.whole(given, n, draw, capacity.sum(1), city.ids).ravel()
        cell = np.repeat(np.tile(np.arange(cells), city.n), counts)[shuffle]
        milieu[:n], on_sgb = np.divmod(cell, given.shape[2])
        node[:n] = np.repeat(np.repeat(np.arange(city.n), cells), counts)[shuffle]
        if given.shape[2] == 2:
            sgb = on_sgb.astype(bool)

    mu = log_median_income(milieus, params)[milieu]
    sigma = np.full(slots, params.income.sigma)
    if given is not None and (city.income_median is not None or city.income_spread is not None):
        delta, spread = population.income_terms(counts.reshape(given.shape), city, milieus,
                                                params)
        mu[:n] += delta[node[:n]]
        sigma[:n] = spread[node[:n]]
    if sgb is None:
        z = np.sqrt(-2 * libm.log(1 - u(1))) * libm.cos(2 * np.pi * u(2))
    else:  # SGB-II cells below the income limit, the others above (inverse normal CDF)
        from scipy.special import ndtri

        p = population.below(math.log(params.kdu.income_limit), mu, sigma)
        below = np.zeros(slots, bool)
        below[:n] = sgb
        w = u(1)
        v = np.where(below, w * p, p + w * (1.0 - p))
        z = ndtri(np.clip(v, 1e-12, 1.0 - 1e-12))
        # far in a tail (a median far from the SGB-II share): z beyond the limit's b by an
        # exponential of mean 1/|b| (the normal's tail, Mills ratio), not clipped
        with np.errstate(divide="ignore", invalid="ignore"):
            b = (math.log(params.kdu.income_limit) - mu) / sigma
            z = np.where(below & (p < 1e-9), b + libm.log(w) / np.abs(b), z)
            z = np.where(~below & (p > 1 - 1e-9), b - libm.log(w) / np.abs(b), z)
    income = libm.exp(mu + sigma * z)
    centre, slope, sd = population.AGE_RULE
    age = np.clip(np.round(centre - slope * milieus.position[milieu, 0] + sd * z[::-1]), 0,
                  3).astype(np.int64)
    size = np.searchsorted(np.cumsum(HOUSEHOLD_SIZE), u(3) * 0.999999, side="right") + 1
    if given is not None:  # the city's age classes and sizes where it gives them
        cells = counts.reshape(given.shape).sum(2)
        for values, k, got in (
                (age, 0, None if city.ages is None else population.ages(
                    cells, city.ages, milieus, draw(11, city.n * (m_count + 1) * 4).reshape(
                        city.n, m_count + 1, 4))),
                (size, 1, None if city.sizes is None else population.sizes(
                    cells.sum(1), city.sizes, draw(12, city.n * 5).reshape(-1, 5)))):
            if got is not None:
                _assign(values, got, node[:n], milieu[:n], m_count if k == 0 else 1, k)
    mobility = milieus.mobility[milieu] * params.moving.mobility_scale
    mean_years = np.minimum(1 / np.maximum(mobility, 1 / 30), 30)
    years = np.minimum(np.floor(-libm.log(1 - u(4)) * mean_years), 60).astype(np.int64)
    attachment = 1 - libm.power(1 - attachment_growth, years)
    active = np.zeros(slots, bool)
    active[:n] = True

    segment = np.zeros(slots, np.int64)
    engagement = np.where(active, engagement_baseline(milieus)[milieu], 0.0)
    h = Households(active=active, milieu=milieu, node=node, segment=segment, income=income,
                   age=age, size=np.where(active, size, 0), years=years, attachment=attachment,
                   engagement=engagement, contract=np.zeros(slots), previous=np.zeros(slots),
                   since=np.zeros(slots, np.int64))
    n_col = capacity.shape[1]
    if params.placement.rule == "random" and given is None:  # a random dwelling each
        dwelling = np.repeat(np.arange(capacity.size), capacity.ravel())
        node[:n], segment[:n] = np.divmod(dwelling[rng.argsort_unit(u(6))[:n]], n_col)
    else:
        weight = population.status_match(capacity, base_rent, milieus,
                                         params.placement.status_match_width)
        pref_cum = np.cumsum(weight.reshape(m_count, -1), axis=1)
        order = rng.argsort_unit(u(5)[:n])
        placement.place(seed, order, h.record(), pref_cum, capacity, base_rent,
                        params.moving.max_burden, params.choice.social_income_limit, 30,
                        transfers)
    growth = 1.0 + params.contracts.history_growth
    age_of_rent = np.minimum(years[:n], 30)
    social = segment[:n] == 0
    h.contract[:n] = base_rent[node[:n], segment[:n]] / np.where(social, 1.0,
                                                                 libm.power(growth, age_of_rent))
    changed = np.minimum(years[:n], np.floor(u(7)[:n] * 3).astype(np.int64))
    h.since[:n] = -changed
    raised = ~social & (changed < years[:n])  # changed since moving in: by one year's growth
    h.previous[:n] = h.contract[:n] / np.where(raised, growth, 1.0)
    if city.contract is not None:
        _contracts(h, n, city.contract, base_rent)
    return h


def _assign(values: np.ndarray, got: np.ndarray, node: np.ndarray, milieu: np.ndarray,
            m: int, offset: int) -> None:
    """Give the households of each cell (neighbourhood, and milieu when ``m`` > 1) the
    classes counted in ``got`` (``(N, M, K)`` or ``(N, K)``), in their (random) slot order;
    classes are ``k + offset`` (sizes count from 1). Cells ``got`` leaves empty keep theirs."""
    got = got.reshape(-1, got.shape[-1])
    key = node * m + (milieu if m > 1 else 0)
    chosen = np.flatnonzero(got.sum(1)[key] > 0)
    order = chosen[np.argsort(key[chosen], kind="stable")]
    values[order] = np.repeat(np.tile(np.arange(got.shape[1]), len(got)), got.ravel()) + offset


def _contracts(h: Households, n: int, given: np.ndarray, base_rent: np.ndarray) -> None:
    """Scale the start's contract rents (and the rents before them) of the tenants of each
    neighbourhood and non-social segment by one factor per cell so that their mean is the
    city's contract rent there, each at most its dwelling's base rent (the factor found by
    fixed-point iteration; where even the base rents fall short, all pay the base rent)."""
    node, column = h.node[:n], h.segment[:n]
    g = given.shape[1]
    let = (column > 0) & (column < g)
    cell = np.where(let, node * g + column, 0)
    count = np.bincount(cell[let], minlength=given.size)
    target = given.ravel()
    use = (count > 0) & ~np.isnan(target)
    cap = base_rent[node, column]
    factor = np.ones(given.size)
    for _ in range(50):
        paid = np.minimum(h.contract[:n] * factor[cell], cap)
        mean = np.bincount(cell[let], paid[let], given.size) / np.maximum(count, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(use & (mean > 0), factor * np.nan_to_num(target) / mean, factor)
    f = np.where(let, factor[cell], 1.0)
    h.previous[:n] = np.where(let, np.minimum(h.previous[:n] * f, cap), h.previous[:n])
    h.contract[:n] = np.where(let, np.minimum(h.contract[:n] * f, cap), h.contract[:n])
