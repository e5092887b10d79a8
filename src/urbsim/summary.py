"""Headline indicators of a run, as a dict of floats (for tables, comparisons and tests)."""

from __future__ import annotations

import numpy as np
import xarray as xr

LOW_STATUS = ("PRE", "HKON")
"""Milieus used as the proxy for low-status households (SGB-II recipients) in D_low."""


def headline(ds: xr.Dataset, last: int = 10) -> dict[str, float]:
    """Headline indicators; flows are averaged over the last ``last`` steps (or fewer)."""
    steps = ds.step.values
    window = ds.sel(step=steps[max(1, len(steps) - last):]) if len(steps) > 1 else ds
    end = ds.isel(step=-1)
    households = float(end.households.sum())
    pop = window.households.sum(("neighbourhood", "milieu"))
    low = [m for m in LOW_STATUS if m in ds.milieu.values]
    counts = end.households.values
    if low:
        from urbsim.indicators import dissimilarity
        idx = [list(ds.milieu.values).index(m) for m in low]
        two = np.column_stack([counts[:, idx].sum(1), np.delete(counts, idx, axis=1).sum(1)])
        d_low = float(dissimilarity(two)[0])
    else:
        d_low = float("nan")
    fmt = window.format_participants.sum("step") / window.format_reached.sum("step")
    return {
        "households": households,
        "moves per year (% of households)": float((window.moves.sum("milieu") / pop).mean() * 100),
        "displaced per year": float(window.displaced.sum("milieu").mean()),
        "in-migrants per year": float(window.in_migrants.sum("milieu").mean()),
        "out-migrants per year": float(window.out_migrants.sum("milieu").mean()),
        "vacancy (%)": float(end.vacant.sum() / end.dwellings.sum() * 100),
        "mean rent private (EUR/month)": float(
            (end.rent * end.dwellings).sel(segment="private").sum()
            / end.dwellings.sel(segment="private").sum()),
        "multigroup dissimilarity": float(end.multigroup_dissimilarity),
        "Theil H": float(end.theil_h),
        "D low-status (PRE+HKON)": d_low,
        **{f"turnout {f} (%)": float(fmt.sel(format=f) * 100)
           for f in fmt.format.values if window.format_reached.sel(format=f).sum() > 0},
        "representation gap (mean)": float(window.representation_gap.mean())
        if window.representation_gap.notnull().any() else float("nan"),
    }
