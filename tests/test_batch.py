"""The keyword wrapper runs under mesa.batch_run."""

from __future__ import annotations

import pytest
from mesa.batchrunner import batch_run

from urbsim.engine.batch import BatchModel, params_from_flat


def test_batch_run_over_a_parameter_and_seeds():
    rows = batch_run(BatchModel, {"households": 1500, "city__neighbourhoods": 10,
                                  "choice__candidates": [2, 8]},
                     rng=[1, 2], max_steps=3, number_processes=1, data_collection_period=1,
                     display_progress=False)
    assert len(rows) == 2 * 2 * 4  # 2 values x 2 seeds x (initial + 3 steps)
    assert {r["choice__candidates"] for r in rows} == {2, 8}
    last = [r for r in rows if r["Step"] == 3]
    assert all(r["households"] > 1000 and 0 <= r["multigroup_dissimilarity"] < 1 for r in last)
    same = [r["moves"] for r in last if r["choice__candidates"] == 8]
    assert len(set(same)) == 2  # seeds differ


def test_flat_parameters_are_validated():
    assert params_from_flat(choice__candidates=3).choice.candidates == 3
    with pytest.raises(TypeError, match="choice__nope"):
        params_from_flat(choice__nope=1)
    with pytest.raises(ValueError, match="candidates"):
        params_from_flat(choice__candidates=0)
