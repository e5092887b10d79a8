"""What a city file holds and what the model starts from in it (``urbsim city check``).

:func:`summarise` loads nothing itself: it takes a loaded :class:`~urbsim.inputs.city.City`,
places the baseline's households in it as a run would (:mod:`urbsim.engine.households`: the
city's households by milieu where it gives them, else milieus by status match) and reports
areas, districts, dwellings, rents, building periods, the milieu mix and the segregation of
the start. :func:`draw` maps the share of the low-status milieus per neighbourhood (on the
city's polygons, or its network).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from urbsim.analysis import privacy
from urbsim.analysis.maps import area_map
from urbsim.analysis.summary import LOW_STATUS
from urbsim.common.files import atomic
from urbsim.engine import indicators
from urbsim.inputs import population
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
    """``(N,)`` share of the low-status milieus per neighbourhood at the start (%; NaN where
    the area is too small to show, :mod:`urbsim.analysis.privacy`)."""
    hidden: int
    """Areas left out of the map: fewer households than ``city.suppress_below``."""


def summarise(city: City, params: ModelParams, households: int | None = None,
              seed: int = 0) -> Summary:
    """The city's summary, with ``households`` placed (default: the households the city gives
    by milieu, else all dwellings but the structural vacancy ``params.city.vacancy``) by the
    baseline's rules ``params``."""
    from urbsim.engine.model import UrbanModel

    cap = city.capacity
    if households is not None:
        n = households
    elif (given := population.given_total(city)) is not None:
        n = round(given)
    else:
        n = int(cap.sum() * (1 - params.city.vacancy))
    with UrbanModel(params.model_copy(update={"households": n}), city=city, seed=seed) as model:
        counts, codes = model.counts, model.milieus.codes
    low = np.isin(codes, LOW_STATUS)
    residents = counts.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rents = (city.base_rent * cap).sum(0) / cap.sum(0)
        low_share = np.where(residents > 0, counts[:, low].sum(1) / residents * 100, np.nan)
    weight = (population.given_total(city) or n) / max(n, 1)
    hidden = privacy.small(residents * weight, params.city.suppress_below)
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
        low_share=privacy.suppress(low_share, hidden),
        hidden=int(hidden.sum()),
    )


def draw(city: City, summary: Summary, path: Path, title: str) -> None:
    """An HTML page (bokeh, works offline) mapping the low-status share of each
    neighbourhood at the start (:func:`urbsim.analysis.maps.area_map`: polygons where the city
    has them); written atomically."""
    import holoviews as hv
    from bokeh.resources import INLINE

    hv.extension("bokeh", logo=False)
    element = area_map(city, summary.low_share, "low-status share (%)", width=700, height=600,
                       title=f"{title}: share of PRE+HKON households at the start (%)")
    with atomic(path, ".html") as tmp:
        hv.save(element, tmp, backend="bokeh", resources=INLINE, title=title)
