"""Comparisons that survive what we do not know: effects over posterior draws and seeds.

``urbsim compare A B --posterior N`` runs both scenarios for each of ``N`` draws of the
calibration's posterior (``calibration/posterior.csv``, :mod:`urbsim.calibration.abc`) over
the same seeds (common random numbers within a draw). Per indicator, :func:`robust` reports

* the mean effect and its 95 % range over draws and seeds (the 2.5 and 97.5 % quantiles of
  the paired differences of every draw and seed): what the effect may be, given both the
  parameters' uncertainty and the model's noise;
* the share of draws whose effect is clearly positive and clearly negative (its paired 95 %
  interval over the seeds excludes 0);
* a verdict: **depends on uncertain parameters** where at least :data:`FLIP` of the draws are
  clearly positive and as many clearly negative; **clearly higher / lower** where the range
  excludes 0; else **no clear difference**.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from urbsim.analysis.compare import interval
from urbsim.analysis.summary import LABELS
from urbsim.common.stats import half_width

FLIP = 0.1
"""Share of draws clearly on each side of zero from which an effect's sign is said to depend on
the uncertain parameters."""


@dataclass(frozen=True)
class Robust:
    """One indicator's effect of ``other`` against ``base`` over draws and seeds."""

    indicator: str
    label: str
    base: float
    other: float
    diff: float
    low: float
    high: float
    positive: float
    """Share of draws whose effect is clearly positive."""
    negative: float
    """Share of draws whose effect is clearly negative."""
    draws: int
    seeds: int

    @property
    def interval(self) -> str:
        """The mean effect and its 95 % range over draws and seeds."""
        return interval(self.diff, self.low, self.high)

    @property
    def signs(self) -> str:
        """The shares of draws clearly above and below zero, e.g. ``+ 85% / − 0%``."""
        return f"+ {self.positive:.0%} / − {self.negative:.0%}"

    @property
    def verdict(self) -> str:
        """The effect in plain words (see the module)."""
        if not np.isfinite(self.diff):
            return "n/a"
        if self.positive >= FLIP and self.negative >= FLIP:
            return "depends on uncertain parameters"
        if self.low > 0 or self.high < 0:
            return f"clearly {'higher' if self.diff > 0 else 'lower'} across the posterior"
        return "no clear difference"


def robust(base: list[xr.Dataset], other: list[xr.Dataset]) -> list[Robust]:
    """Per indicator, the effect of ``other`` against ``base``: one headline dataset per
    draw each (:func:`urbsim.analysis.summary.headline`, one value per ``seed``; the same
    seeds in both); indicators undefined in some draw are left out."""
    out = []
    present = set.intersection(*(set(h.data_vars) for h in (*base, *other)))
    for k in [k for k in LABELS if k in present]:
        a = np.stack([h[k].values for h in base])
        b = np.stack([h[k].values for h in other])
        d = b - a
        draw = np.nanmean(d, 1)
        n = np.sum(~np.isnan(d), 1)
        with np.errstate(invalid="ignore"):
            half = np.array([half_width(np.nanstd(row, ddof=1), int(m)) if m > 1 else np.nan
                             for row, m in zip(d, n, strict=True)])
        finite = d[np.isfinite(d)]
        low, high = (np.quantile(finite, [0.025, 0.975]) if finite.size else (np.nan, np.nan))
        out.append(Robust(k, LABELS[k], float(np.nanmean(a)), float(np.nanmean(b)),
                          float(np.nanmean(d)) if finite.size else np.nan, float(low),
                          float(high), float(np.mean(draw - half > 0)),
                          float(np.mean(draw + half < 0)), len(d), int(d.shape[1])))
    return out


def draws(path, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` draws (by weight, with replacement, seeded) of a posterior table written by
    :func:`urbsim.calibration.abc.write` (a column per parameter and ``weight``).

    Raises:
        InputError: no such file, or not a posterior table.
    """
    from urbsim.common.errors import InputError
    from urbsim.common.files import regular

    regular(path, "posterior table (CSV)", missing=": run `urbsim calibrate --abc` first, or "
            "name one with --posterior-file")
    try:
        table = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as e:  # pandas' ParserError is a ValueError
        raise InputError(f"unreadable CSV: {' '.join(str(e).split())}", path) from None
    if "weight" not in table or len(table.columns) < 2 or table["weight"].sum() <= 0:
        raise InputError("expected a posterior table: a column per parameter and 'weight'",
                         path)
    w = table.pop("weight").to_numpy(float)
    index = np.random.default_rng(seed).choice(len(table), size=n, p=w / w.sum())
    return table.iloc[index].reset_index(drop=True)
