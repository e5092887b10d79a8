"""What a city file holds and what the model starts from in it (``urbsim city check``).

:func:`summarise` loads nothing itself: it takes a loaded :class:`~urbsim.inputs.city.City`,
places the baseline's households in it as a run would (:mod:`urbsim.engine.households`: the
city's households by milieu where it gives them, else milieus by status match) and reports
areas, districts, dwellings, rents, building periods, the milieu mix and the segregation of
the start. :func:`draw` maps the share of the low-status milieus per neighbourhood on the
network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from urbsim.analysis.summary import LOW_STATUS
from urbsim.common.files import atomic
from urbsim.engine import indicators
from urbsim.inputs.city import PERIODS, City
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import ModelParams


@dataclass(frozen=True)
class Summary:
    """A city and the model's start in it."""

    areas: int
    districts: dict[str, int]
    """Neighbourhoods per district."""
    edges: int
    dwellings: dict[str, int]
    """Dwellings per segment."""
    rents: dict[str, float]
    """Mean base rent per segment (EUR/month, weighted by dwellings; NaN: none)."""
    periods: dict[str, int]
    """Neighbourhoods per building period."""
    households: int
    milieu_share: dict[str, float]
    """Share of each milieu at the start (%)."""
    d_low: float
    multigroup_d: float
    low_share: np.ndarray
    """``(N,)`` share of the low-status milieus per neighbourhood at the start (%)."""


def summarise(city: City, params: ModelParams, households: int | None = None,
              seed: int = 0) -> Summary:
    """The city's summary, with ``households`` placed (default: the households the city gives
    by milieu, else all dwellings but the structural vacancy ``params.city.vacancy``) by the
    baseline's rules ``params``."""
    from urbsim.engine.model import UrbanModel

    cap = city.capacity
    if households is not None:
        n = households
    elif city.population:
        n = round(sum(float(v.sum()) for v in city.population.values()))
    else:
        n = int(cap.sum() * (1 - params.city.vacancy))
    model = UrbanModel(params.model_copy(update={"households": n}), city=city, seed=seed)
    counts = model.counts
    codes = model.milieus.codes
    low = np.isin(codes, LOW_STATUS)
    residents = counts.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rents = (city.base_rent * cap).sum(0) / cap.sum(0)
        low_share = np.where(residents > 0, counts[:, low].sum(1) / residents * 100, np.nan)
    return Summary(
        areas=city.n,
        districts={d: int((city.district == i).sum()) for i, d in enumerate(city.districts)},
        edges=int(len(city.indices) // 2),
        dwellings={s: int(cap[:, i].sum()) for i, s in enumerate(SEGMENTS)},
        rents={s: float(rents[i]) for i, s in enumerate(SEGMENTS)},
        periods={p: int((city.period == i).sum()) for i, p in enumerate(PERIODS)},
        households=int(counts.sum()),
        milieu_share={c: float(counts[:, i].sum() / counts.sum() * 100)
                      for i, c in enumerate(codes)},
        d_low=float(indicators.dissimilarity(np.column_stack([counts[:, low].sum(1),
                                                              counts[:, ~low].sum(1)]))[0]),
        multigroup_d=indicators.multigroup_dissimilarity(counts),
        low_share=low_share,
    )


def draw(city: City, summary: Summary, path: Path, title: str) -> None:
    """An HTML page (bokeh, works offline) of the neighbourhoods at their positions, joined by
    their adjacency, coloured by the low-status share; written atomically."""
    import holoviews as hv
    from bokeh.resources import INLINE

    hv.extension("bokeh", logo=False)
    x, y = city.pos[:, 0], city.pos[:, 1]
    src = np.repeat(np.arange(city.n), np.diff(city.indptr))
    keep = src < city.indices
    edges = hv.Segments((x[src[keep]], y[src[keep]], x[city.indices[keep]],
                         y[city.indices[keep]]), kdims=["x0", "y0", "x1", "y1"]).opts(
        color="lightgrey", line_width=1)
    points = hv.Points({"x": x, "y": y, "low-status share (%)": summary.low_share,
                        "neighbourhood": list(city.ids),
                        "district": [city.districts[d] for d in city.district]},
                       kdims=["x", "y"], vdims=["low-status share (%)", "neighbourhood",
                                                "district"]).opts(
        color="low-status share (%)", cmap="viridis", size=9, colorbar=True,
        tools=["hover"], xlabel="x (km)", ylabel="y (km)", width=700, height=600,
        title=f"{title}: share of PRE+HKON households at the start (%)")
    with atomic(path, ".html") as tmp:
        hv.save(edges * points, tmp, backend="bokeh", resources=INLINE, title=title)
