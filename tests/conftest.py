"""Shared fixtures: small cities and parameters that run in well under a second."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from urbsim.inputs.city_synthetic import synthetic
from urbsim.inputs.params import CityParams, DialogueEvent, ModelParams

# no deadline per example: a kernel compiles at its first call (on a fresh clone, or after any
# kernel module changed, while the other worker compiles too), and speed is measured in
# benchmarks/, not in tests
settings.register_profile("urbsim", deadline=None)
settings.load_profile("urbsim")

SMALL_EVENTS = {
    "election": DialogueEvent(format="election", step=2, every=3),
    "open": DialogueEvent(format="open", step=1, every=2, channels={"print": 1.0, "outreach": 1.0},
                          amenity_budget=0.2),
    "panel": DialogueEvent(format="panel", step=3, invite_share=0.3),
    "anchor": DialogueEvent(format="continuous", step=2, every=1, districts=("Mitte",),
                            channels={"local_anchor": 2.0}),
}


def small_params(households: int = 3000, **update) -> ModelParams:
    return ModelParams(households=households, events=SMALL_EVENTS,
                       city=CityParams(neighbourhoods=16, districts=4)).model_copy(update=update)


@pytest.fixture(scope="session")
def small_city():
    p = small_params()
    return synthetic(p.households, p.city, seed=0)


@pytest.fixture(scope="session")
def levers(tmp_path_factory):
    """The shipped participation_levers experiment, small: its 24-point grid, 2 seeds, 2
    years, 1,500 households; its plan and its store."""
    from urbsim.experiment import plan, sweep

    tmp = tmp_path_factory.mktemp("levers")
    root = Path(__file__).resolve().parents[1]
    text = (root / "experiments" / "participation_levers.toml").read_text(encoding="utf-8")
    text = (text.replace("seeds = 10", "seeds = 2").replace("steps = 20", "steps = 2")
            .replace("households = 30000", "households = 1500"))
    (tmp / "levers.toml").write_text(text, encoding="utf-8")
    p = plan.load(tmp / "levers.toml")
    sweep.run(p, tmp / "levers.zarr", workers=2)
    return p, tmp / "levers.zarr"
