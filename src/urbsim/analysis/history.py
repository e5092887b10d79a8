"""A run against what a city has observed (``urbsim history compare``).

:func:`model_values` computes, for each observation of a
:class:`~urbsim.inputs.history.History`, the model's value in every run (seed, and later
parameter draw) at the step of its year; :func:`coverage` says whether the observation falls
inside the model's central band (90 % by default: between the runs' 5 % and 95 % quantiles);
:func:`compare` tabulates both, and :func:`summarise` gives per indicator the number of
observations, the mean and mean absolute error of the runs' median, and the coverage. A
well-calibrated model covers about 90 % of the observations; much less says the model misses
what was observed, much more that its band is wide. Observations may carry a standard error
(a survey's sampling error, an estimate's uncertainty), which widens their band. :func:`draw`
plots each observation against the model's band, with area and year.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import ndtr

from urbsim.common.files import atomic
from urbsim.inputs.city import City
from urbsim.inputs.history import INDICATORS, History
from urbsim.inputs.params import FORMATS

PRIVATE = 1
"""Index of the private rental segment (:data:`urbsim.inputs.milieus.SEGMENTS`)."""


def model_values(ds: xr.Dataset, history: History, city: City, start_year: int,
                 scale: float = 1.0) -> np.ndarray:
    """``(R, K)`` the model's value of each of the ``K`` observations in each of the ``R``
    runs of ``ds`` (dimension ``seed``, or a single run), NaN where the year lies outside the
    run or the model has no value (no event of the format that year, no tenants).

    Args:
        ds: a run's dataset (:func:`urbsim.engine.runner.run_seeds`).
        history: the observations.
        city: the run's city (areas as in ``history``).
        start_year: the calendar year of step 0.
        scale: the city's households per household of the run (``households`` counts).
    """
    if "seed" not in ds.dims:
        ds = ds.expand_dims("seed")
    names = ("households", "sgb", "vacant", "dwellings", "rent", "contract_rent", "tenants",
             "participants", "reached", "moves")
    a = {k: ds[k].transpose("seed", "step", ...).values for k in names}
    codes = list(ds["milieu"].values)
    runs, steps = a["households"].shape[:2]
    out = np.full((runs, len(history)), np.nan)
    for k in range(len(history)):
        step = int(history.year[k]) - start_year
        if not 0 <= step < steps:
            continue
        kind, index = history.kind[k], history.index[k]
        mask = (np.arange(city.n) == index if kind == 0 else city.district == index if kind == 1
                else np.ones(city.n, bool))
        out[:, k] = _value(a, str(history.indicator[k]), step, mask, codes, scale)
    return out


def _value(a: dict[str, np.ndarray], indicator: str, step: int, mask: np.ndarray,
           codes: list[str], scale: float) -> np.ndarray:
    """``(R,)`` one indicator in the areas of ``mask`` at ``step`` (see INDICATORS)."""
    def total(name: str, *index) -> np.ndarray:
        x = a[name][:, step][(slice(None), mask, *index)]
        return np.nansum(x.reshape(len(x), -1), 1)

    def ratio(num: np.ndarray, den: np.ndarray, factor: float = 100.0) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den * factor, np.nan)

    if indicator == "households":
        return total("households") * scale
    if indicator.startswith("share_"):
        return ratio(total("households", codes.index(indicator[6:])), total("households"))
    if indicator == "sgb2_share":
        return ratio(total("sgb"), total("households"))
    if indicator == "moves":  # the whole city only (inputs.history.CITY_ONLY)
        return ratio(a["moves"][:, step].sum(1), total("households"))
    if indicator == "vacancy":
        return ratio(total("vacant"), total("dwellings"))
    if indicator == "rent_asking":
        w = a["dwellings"][:, step][:, mask, PRIVATE]
        return ratio((a["rent"][:, step][:, mask, PRIVATE] * w).sum(1), w.sum(1), 1.0)
    if indicator == "rent_contract":
        w = a["tenants"][:, step][:, mask, PRIVATE]
        rent = np.nan_to_num(a["contract_rent"][:, step][:, mask, PRIVATE])
        return ratio((rent * w).sum(1), w.sum(1), 1.0)
    f = FORMATS.index(indicator.removeprefix("turnout_"))
    return ratio(a["participants"][:, step, f][:, mask].sum((1, 2)),
                 a["reached"][:, step, f][:, mask].sum((1, 2)))


def coverage(samples: np.ndarray, observed: np.ndarray, level: float = 0.9,
             error: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The central ``level`` band of ``samples`` ``(R, K)`` per observation and whether each
    of ``observed`` ``(K,)`` lies in it (inclusive): ``(low, high, inside)``; NaN bands (no
    model value) are never inside. Quantiles interpolate linearly between runs, so with few
    runs the band is close to their range.

    ``error`` ``(K,)`` is each observation's standard error (0 or NaN: exact): its band is
    then that of a run's value plus a normal error of that size (the quantiles of the
    mixture of normals centred on the runs, found by bisection)."""
    tail = (1.0 - level) / 2.0
    valid = ~np.isnan(samples).all(0)
    low = np.full(samples.shape[1], np.nan)
    high = np.full(samples.shape[1], np.nan)
    if valid.any():
        low[valid], high[valid] = np.nanquantile(samples[:, valid], [tail, 1.0 - tail], axis=0)
    sd = np.zeros(samples.shape[1]) if error is None else np.nan_to_num(error)
    noisy = valid & (sd > 0)
    if noisy.any():
        low[noisy] = _mixture_quantile(samples[:, noisy], sd[noisy], tail)
        high[noisy] = _mixture_quantile(samples[:, noisy], sd[noisy], 1.0 - tail)
    with np.errstate(invalid="ignore"):
        inside = (observed >= low) & (observed <= high)
    return low, high, inside


def _mixture_quantile(samples: np.ndarray, sd: np.ndarray, q: float) -> np.ndarray:
    """``(K,)`` the ``q`` quantile of the mean of normals ``N(samples[r], sd)`` per column
    (NaN runs left out), to 1e-9 of the spread."""
    lo = np.nanmin(samples, 0) - 10 * sd
    hi = np.nanmax(samples, 0) + 10 * sd
    for _ in range(50):
        mid = (lo + hi) / 2
        below = np.nanmean(ndtr((mid - samples) / sd), 0) < q
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return (lo + hi) / 2


def compare(samples: np.ndarray, history: History, level: float = 0.9) -> pd.DataFrame:
    """One row per observation: area, year, indicator, observed, the runs' median, the band,
    the error (median - observed) and whether the observation is inside the band (NaN
    where the model has no value)."""
    low, high, inside = coverage(samples, history.value, level, history.error)
    with np.errstate(all="ignore"):
        median = np.where(np.isnan(samples).all(0), np.nan,
                          np.nanmedian(np.where(np.isnan(samples).all(0), 0.0, samples), 0))
    comparable = ~np.isnan(median)
    return pd.DataFrame({
        "area": history.area, "year": history.year, "indicator": history.indicator,
        "observed": history.value, "model": median, "low": low, "high": high,
        "error": median - history.value,
        "inside": pd.array([bool(x) if c else None for x, c in zip(inside, comparable,
                                                                   strict=True)],
                           dtype="boolean"),
        "source": history.origin})


def area_households(history: History, city: City, households: np.ndarray) -> np.ndarray:
    """``(K,)`` the households of each observation's area, from ``households`` ``(N,)`` per
    neighbourhood (summed over a district's, or the city's)."""
    by_district = np.bincount(city.district, households, len(city.districts))
    out = np.full(len(history), float(households.sum()))
    for kind, values in ((0, households), (1, by_district)):
        at = history.kind == kind
        out[at] = values[history.index[at]]
    return out


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: observations, those the model has a value for, mean error, mean
    absolute error and coverage (share of the comparable observations inside the band)."""
    g = table.groupby("indicator", sort=False)
    return pd.DataFrame({
        "observations": g.size(),
        "compared": g["inside"].count(),
        "mean error": g["error"].mean(),
        "mean absolute error": g["error"].apply(lambda e: e.abs().mean()),
        "coverage": g["inside"].mean().astype(float),
    })


def draw(table: pd.DataFrame, path: Path, title: str, level: float = 0.9) -> None:
    """An HTML page (bokeh, offline): per indicator, each observation against the model's
    median with its band (an error bar), the line of agreement, and area and year on hover;
    written atomically."""
    import holoviews as hv
    from bokeh.resources import INLINE

    hv.extension("bokeh", logo=False)
    plots = []
    for indicator, t in table.dropna(subset=["model"]).groupby("indicator", sort=False):
        lo, hi = (float(min(t["observed"].min(), t["low"].min())),
                  float(max(t["observed"].max(), t["high"].max())))
        pad = (hi - lo) * 0.05 or 1.0
        frame = pd.DataFrame({"observed": t["observed"], "model": t["model"],
                              "below": t["model"] - t["low"], "above": t["high"] - t["model"],
                              "area": t["area"].astype(str), "year": t["year"],
                              "inside": t["inside"].astype(str)})
        bars = hv.ErrorBars(frame, "observed", ["model", "below", "above"]).opts(
            color="steelblue", alpha=0.5)
        points = hv.Scatter(frame, "observed", ["model", "area", "year", "inside"]).opts(
            color="inside", cmap={"True": "steelblue", "False": "firebrick"}, size=5,
            tools=["hover"], show_legend=False)
        line = hv.Curve([(lo - pad, lo - pad), (hi + pad, hi + pad)], "observed", "model").opts(
            color="grey", line_dash="dashed")
        inside = t["inside"].mean()
        unit = INDICATORS["share_<CODE>" if indicator.startswith("share_") else indicator][0]
        plots.append((line * bars * points).opts(
            title=f"{indicator}: {inside:.0%} inside the {level:.0%} band", width=460,
            height=400, xlabel=f"observed ({unit})", ylabel=f"model: median and band ({unit})",
            show_grid=True))
    if not plots:
        raise ValueError("no observation falls within the run")
    with atomic(path, ".html") as tmp:
        hv.save(hv.Layout(plots).cols(2).opts(shared_axes=False), tmp, backend="bokeh",
                resources=INLINE, title=title)
