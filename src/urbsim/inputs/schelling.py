"""Schelling's segregation model as a configuration of the urbsim engine.

Two equal groups start on random cells of a grid with one dwelling per cell; a household is
unhappy when its share (or count) of like neighbours within the Moore radius is below the
threshold, and an unhappy household moves to a vacant cell drawn uniformly from the whole grid.
Everything else in the engine (the housing market, migration, life course, participation) is
switched off.
"""

from __future__ import annotations

import numpy as np

from urbsim.inputs.city import City
from urbsim.inputs.city_synthetic import grid
from urbsim.inputs.milieus import MilieuSet, from_dict
from urbsim.inputs.params import (
    ChoiceParams,
    MarketParams,
    ModelParams,
    MovingParams,
    PlacementParams,
    SatisfactionParams,
    TurnoverParams,
)


def milieus(threshold: float) -> MilieuSet:
    """Two groups, A and B, of equal share, caring only about like neighbours."""
    row = dict(share=0.5, values=1.5, status=1.5, turnout=0.5, homophily=1.0,
               tolerance=threshold, diversity_pref=0.0, status_pref=0.0, amenity_pref=0.0,
               rent_sensitivity=0.0, mobility=0.0, segment_pref=[0.0] * 4, channels=[])
    ms = from_dict({"name": "schelling", "milieu": [
        {"code": "A", "name": "A", **row, "tolerance": min(threshold, 1.0)},
        {"code": "B", "name": "B", **row, "tolerance": min(threshold, 1.0)}]})
    return ms.with_params(tolerance=np.full(2, float(threshold)))


def setup(width: int = 50, height: int = 50, agents: int | None = None, threshold: float = 0.375,
          radius: int = 1, mode: str = "share", torus: bool = False
          ) -> tuple[City, MilieuSet, ModelParams]:
    """City, milieu set and parameters of a Schelling run.

    Args:
        width: grid width in cells (``x`` of cell ``"x,y"``).
        height: grid height in cells (``y``).
        agents: households (default 90 % of the cells).
        threshold: like-neighbour share (``mode="share"``) or count (``mode="count"``) a
            household needs to be happy.
        radius: Moore radius of the neighbourhood.
        mode: ``"share"`` or ``"count"``.
        torus: wrap the grid around.
    """
    city = grid(width, height, torus=torus)
    n = agents if agents is not None else int(0.9 * width * height)
    params = ModelParams(
        households=n,
        placement=PlacementParams(rule="random"),
        satisfaction=SatisfactionParams(ring_weights=(0.0,) + (1.0,) * radius, composition=mode,
                                        affinity="identity"),
        moving=MovingParams(dissatisfaction_gain=1e12, attachment_damping=0.0,
                            age_mobility=(0.0, 0.0, 0.0, 0.0)),
        choice=ChoiceParams(candidates=1, local_share=0.0, logit_scale=0.0,
                            consider_staying=False),
        turnover=TurnoverParams(out_rate=0.0, death_rate=0.0),
        market=MarketParams(enabled=False),  # nobody weighs rents: the phase costs nothing
    )
    return city, milieus(threshold), params


def like_share(counts: np.ndarray, city: City, radius: int = 1) -> float:
    """Mean share of like neighbours (Moore radius) over households with any neighbour."""
    ptr, idx, hop = city.hops(radius)
    shares = []
    for i in np.flatnonzero(counts.sum(1)):
        nb = idx[ptr[i]:ptr[i + 1]][hop[ptr[i]:ptr[i + 1]] > 0]
        tot = counts[nb].sum()
        if tot:
            shares.append(counts[nb, counts[i].argmax()].sum() / tot)
    return float(np.mean(shares))
