"""The engine in its Schelling configuration reproduces the textbook result."""

from __future__ import annotations

import numpy as np
import pytest

from urbsim.engine.model import UrbanModel
from urbsim.inputs import schelling


@pytest.mark.parametrize("threshold", [0.3, 0.375])
def test_like_share_rises_from_random_to_about_0_7(threshold):
    city, ms, params = schelling.setup(40, 40, threshold=threshold)
    m = UrbanModel(params, city=city, milieus=ms, seed=5)
    start = schelling.like_share(m.counts, city)
    ds = m.run(30)
    end = schelling.like_share(m.counts, city)
    assert start == pytest.approx(0.5, abs=0.03)
    assert end >= 0.7
    moves = ds.moves.sum("milieu").values
    assert moves[1] > 0 and moves[-1] < moves[1] / 10  # settles
    assert m.check_state() == []


def test_unhappy_share_only_falls_and_count_mode_works():
    city, ms, params = schelling.setup(30, 30, agents=700, threshold=3, mode="count")
    m = UrbanModel(params, city=city, milieus=ms, seed=1)
    m.run(20)
    s = m._satisfaction()
    assert np.nanmean(s[m.households.active] < 0) < 0.05


def test_households_start_on_random_cells():
    """Schelling's start: every cell equally likely, one household per cell, whatever the
    (zero) rents; the city's status-matched placement would crowd the middle columns."""
    from scipy.stats import chisquare

    city, ms, params = schelling.setup(100, 100, agents=8000, threshold=8, radius=2,
                                       mode="count")
    m = UrbanModel(params, city=city, milieus=ms, seed=3)
    occupied = m.counts.sum(1)
    assert occupied.max() == 1 and occupied.sum() == 8000
    assert (m.counts.sum(0) == 4000).all()
    columns = occupied.reshape(100, 100).sum(1)
    assert chisquare(columns).pvalue > 1e-3
    crowded = UrbanModel(params.model_copy(update={"placement": type(params.placement)()}),
                         city=city, milieus=ms, seed=3).counts.sum(1).reshape(100, 100).sum(1)
    assert chisquare(crowded).pvalue < 1e-6

