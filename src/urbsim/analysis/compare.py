"""Compare two sets of runs: paired differences by seed, confidence intervals, verdicts, plots.

Runs with the same seed draw the same random numbers wherever the two scenarios do not
differ (common random numbers), so the difference of seed ``i``'s indicators is mostly the
scenarios' effect and little noise. The 95 % confidence interval of the mean difference uses
Student's t over the seeds both sets share; without shared seeds the comparison falls back to
Welch's unpaired interval (and says so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from urbsim.analysis.summary import LABELS, fmt, headline, series
from urbsim.common.errors import InputError
from urbsim.common.files import atomic
from urbsim.common.stats import half_width, t_quantile

if TYPE_CHECKING:
    import pandas as pd

    from urbsim.inputs.scenario import Scenario


@dataclass(frozen=True)
class Difference:
    """One indicator of ``other`` against ``base``."""

    indicator: str
    label: str
    base: float
    other: float
    diff: float
    low: float
    high: float
    seeds: int
    paired: bool
    names: tuple[str, str] = ("baseline", "other")

    @property
    def interval(self) -> str:
        """The difference and its 95 % confidence interval, e.g. ``-1.47 [-1.58, -1.37]``."""
        return interval(self.diff, self.low, self.high, self.seeds > 1)

    @property
    def verdict(self) -> str:
        """The difference in plain words."""
        if not np.isfinite(self.base) and not np.isfinite(self.other):
            return "in neither"
        if not np.isfinite(self.base) or not np.isfinite(self.other):
            return f"only in {self.names[0] if np.isfinite(self.base) else self.names[1]}"
        if self.paired and self.low == self.high == self.diff == 0.0:
            return "identical in every seed"
        if self.seeds < 2:
            return "one seed: no interval, run more seeds"
        if self.low > 0 or self.high < 0:
            r = self.diff / abs(self.base) if abs(self.base) > 1e-12 else np.nan
            rel = "" if not np.isfinite(r) else f" ({r:+.1%})" if abs(r) < 0.095 else f" ({r:+.0%})"
            return f"clearly {'higher' if self.diff > 0 else 'lower'}{rel}"
        return "no clear difference"


def interval(diff: float, low: float, high: float, bounds: bool = True) -> str:
    """A difference with its interval, all on one scale, e.g. ``-1.47 [-1.58, -1.37]``
    (``n/a`` where undefined; without ``bounds`` the difference alone)."""
    if not np.isfinite(diff):
        return "n/a"
    scale = max(abs(low), abs(high), abs(diff))
    ci = f" [{fmt(low, scale=scale)}, {fmt(high, scale=scale)}]" if bounds else ""
    return fmt(diff, sign=True, scale=scale) + ci


def differences(base: xr.Dataset, other: xr.Dataset, last: int = 10,
                names: tuple[str, str] = ("baseline", "other")) -> list[Difference]:
    """Headline indicators of both (runs along ``seed``) and their differences."""
    return contrast(headline(base, last), headline(other, last), names)


def contrast(hb: xr.Dataset, ho: xr.Dataset,
             names: tuple[str, str] = ("baseline", "other")) -> list[Difference]:
    """:func:`differences` of headline indicators (one value per ``seed``), e.g. from
    :func:`urbsim.analysis.summary.reduce`."""
    common = sorted(set(hb.seed.values.tolist()) & set(ho.seed.values.tolist()))
    paired = len(common) > 0
    out = []
    for k in [k for k in LABELS if k in hb.data_vars or k in ho.data_vars]:
        if k not in hb.data_vars or k not in ho.data_vars:
            a = hb[k].values if k in hb else np.array([np.nan])
            b = ho[k].values if k in ho else np.array([np.nan])
            out.append(Difference(k, LABELS[k], float(np.nanmean(a)) if k in hb else np.nan,
                                  float(np.nanmean(b)) if k in ho else np.nan, np.nan, np.nan,
                                  np.nan, 0, paired, names))
            continue
        a, b = hb[k].values, ho[k].values
        if paired:
            a, b = hb[k].sel(seed=common).values, ho[k].sel(seed=common).values
            ok = ~(np.isnan(a) | np.isnan(b))
            d = b[ok] - a[ok]
            n = len(d)
            se = d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            dof: float = n - 1
        else:
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
            n = min(len(a), len(b))
            va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
            se = np.sqrt(va + vb) if n > 1 else np.nan
            dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se else 1
        diff = float(b.mean() - a.mean()) if n else np.nan
        half = float(t_quantile(dof) * se) if n > 1 and se > 0 else 0.0
        out.append(Difference(k, LABELS[k], float(a.mean()), float(b.mean()),
                              diff, diff - half, diff + half, n, paired, names))
    return out


def runs(baseline: str, other: str, *, seeds: int | None = None, seed: int = 0,
         steps: int | None = None, households: int | None = None, record: str | None = None,
         simulate: Callable[[Scenario, list[int], int], xr.Dataset]) -> dict[str, xr.Dataset]:
    """The two sets of runs ``urbsim compare`` sets against each other, by name.

    Each of ``baseline`` and ``other`` is a stored result (read) or a scenario (run with
    ``simulate(scenario, seeds, steps)``, recorded at level ``record`` if given). Without
    ``seeds``, ``steps`` or ``households``, a scenario compared with a stored result runs with
    the result's seeds, length and size; else with 10 seeds from ``seed``.

    Raises:
        InputError: unreadable inputs, or runs of different lengths.
    """
    from urbsim.analysis import results
    from urbsim.inputs.consistency import prepare

    stored = {a: results.read(Path(a)) for a in (baseline, other) if results.is_result(a)}
    ref = next(iter(stored.values()), None)
    if seeds is None and ref is not None:
        seed_list = ref.seed.values.tolist()
    else:
        seed_list = list(range(seed, seed + (seeds or 10)))
    if steps is None and ref is not None:
        steps = int(ref.step[-1])
    if households is None and ref is not None:
        households = int(ref.households.isel(step=0, seed=0).sum())
    out: dict[str, xr.Dataset] = {}
    for arg in (baseline, other):
        if arg in stored:
            ds, name = stored[arg], Path(arg).stem
        else:
            scn, n_steps = prepare(arg, households, steps, record)
            ds, name = simulate(scn, seed_list, n_steps), scn.name
        out[name if name not in out else f"{name} (2)"] = ds
    a, b = out.values()
    if not np.array_equal(a.step, b.step):
        raise InputError(f"the two record steps {_steps(a)} and {_steps(b)}; compare runs of "
                         "the same length, recorded alike", other, "steps")
    return out


def _steps(ds: xr.Dataset) -> str:
    s = ds.step.values
    return f"{s[0]}..{s[-1]}" + (f" ({len(s)} kept)" if len(s) != s[-1] - s[0] + 1 else "")


PLOTTED = ("moves", "displaced", "vacancy", "rent_private", "contract_rent", "owner_share",
           "multigroup_dissimilarity", "d_low",
           "turnout_open", "turnout_election", "turnout_municipal", "turnout_panel",
           "turnout_continuous", "representation_gap_open", "representation_gap_panel",
           "representation_gap_continuous", "representation_gap")
"""Indicators drawn by :func:`plot` (those defined in either set of runs)."""


def bands(s: xr.Dataset) -> xr.Dataset:
    """Per step: the mean over seeds of indicators per step (:func:`urbsim.analysis.summary.series`)
    and its 95 % confidence band (``*_low``, ``*_high``)."""
    half = half_width(s.std("seed", ddof=1), s.count("seed"))
    mean = s.mean("seed")
    return xr.merge([mean, (mean - half.fillna(0)).rename({k: f"{k}_low" for k in s}),
                     (mean + half.fillna(0)).rename({k: f"{k}_high" for k in s})])


def frame(runs: dict[str, xr.Dataset]) -> pd.DataFrame:
    """Indicators per step of each set of runs with their 95 % bands, in one long table with a
    ``scenario`` column (for :func:`figure`)."""
    import pandas as pd

    frames = []
    for name, s in runs.items():
        b = bands(s if "households" not in s else series(s)).to_dataframe().reset_index()
        b["scenario"] = name
        frames.append(b)
    return pd.concat(frames)


def figure(df: pd.DataFrame, k: str, label: str):
    """One indicator of :func:`frame` over time: a line per scenario with its 95 % band."""
    import hvplot.pandas  # noqa: F401 - registers .hvplot

    d = df[["step", "scenario", k, f"{k}_low", f"{k}_high"]].dropna()
    band = d.hvplot.area(x="step", y=f"{k}_low", y2=f"{k}_high", by="scenario",
                         alpha=0.25, line_width=0, stacked=False)
    line = d.hvplot.line(x="step", y=k, by="scenario", ylabel=label, title=label, xlabel="year")
    dots = d.hvplot.scatter(x="step", y=k, by="scenario", size=12)
    return (band * line * dots).opts(legend_position="top_left")


def plot(runs: dict[str, xr.Dataset], path: Path, title: str) -> None:
    """An HTML page of the plotted indicators over time, one line per set of runs with its
    95 % band, written atomically (bokeh resources inline: the page works offline)."""
    import holoviews as hv
    from bokeh.resources import INLINE

    df = frame(runs)
    panels = [figure(df, k, LABELS[k]).opts(width=460, height=300) for k in PLOTTED
              if k in df and not df[k].isna().all()]
    layout = hv.Layout(panels).cols(2).opts(title=title)
    with atomic(path, ".html") as tmp:
        hv.save(layout, tmp, backend="bokeh", resources=INLINE, title=title)
