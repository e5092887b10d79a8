"""UrbanModel: invariants on every step, determinism, policies, events, provenance, Mesa."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import mesa
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import small_params
from urbsim.common.errors import InputError
from urbsim.engine.model import UrbanModel
from urbsim.inputs.city_synthetic import synthetic
from urbsim.inputs.params import (
    ChoiceParams,
    CityParams,
    Construction,
    DemandParams,
    DialogueEvent,
    LowerCap,
    MarketParams,
    MovingParams,
    RenewSocial,
    RentBrake,
    RentFreeze,
    TurnoverParams,
    UnlockUnderused,
)


def run_checked(model: UrbanModel, steps: int) -> xr.Dataset:
    assert model.check_state() == []
    for _ in range(steps):
        model.step()
        assert model.check_state() == [], f"step {model.steps}"
    return model.dataset()


def test_is_a_mesa_model_and_records_every_step(small_city):
    m = UrbanModel(small_params(), city=small_city, seed=1)
    assert isinstance(m, mesa.Model)
    ds = run_checked(m, 6)
    assert m.steps == 6 and list(ds.step.values) == list(range(7))
    assert set(ds.dims) == {"step", "neighbourhood", "milieu", "segment", "district", "format"}
    assert int(ds.households.isel(step=0).sum()) == 3000
    # flows happened and were booked
    assert ds.moves.sum() > 0 and ds.in_migrants.sum() > 0 and ds.out_migrants.sum() > 0
    assert (ds.vacant >= 0).all() and (ds.vacant <= ds.dwellings).all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**40),
    city_seed=st.integers(0, 1000),
    nodes=st.integers(4, 25),
    occupancy=st.floats(0.3, 1.0),
    candidates=st.integers(1, 12),
    local=st.floats(0, 1),
    max_burden=st.floats(0.2, 1.0),
    adjustment=st.floats(0, 2),
    trend=st.floats(-0.1, 0.1),
    ring=st.lists(st.floats(0, 2), min_size=1, max_size=3),
    owner_share=st.floats(0, 1),
)
def test_invariants_hold_for_generated_cities_and_parameters(
        seed, city_seed, nodes, occupancy, candidates, local, max_burden, adjustment, trend,
        ring, owner_share):
    cp = CityParams(neighbourhoods=nodes, districts=min(3, nodes), seed=city_seed,
                    owner_share=owner_share, social_expiry=0.2)
    city = synthetic(800, cp, seed=city_seed)
    n = max(1, int(occupancy * city.capacity.sum()))
    p = small_params(n).model_copy(update={
        "city": cp,
        "events": {},
        "choice": ChoiceParams(candidates=candidates, local_share=local),
        "moving": MovingParams(max_burden=max_burden),
        "market": MarketParams(adjustment=adjustment, max_change=0.2),
        "demand": DemandParams(household_trend=trend),
        "satisfaction": small_params().satisfaction.model_copy(
            update={"ring_weights": tuple(ring)}),
        "policies": {"build": Construction(start=2, end=3, dwellings=40, social_quota=0.5),
                     "brake": RentBrake(start=1), "cap": LowerCap(start=2, cap=0.05),
                     "freeze": RentFreeze(start=3, end=3), "renew": RenewSocial(start=1)},
    })
    run_checked(UrbanModel(p, city=city, seed=seed), 4)


def _strip(ds: xr.Dataset) -> xr.Dataset:
    return ds.assign_attrs(created=None)


def test_same_seed_gives_identical_dataset(small_city):
    a = UrbanModel(small_params(), city=small_city, seed=7).run(5)
    b = UrbanModel(small_params(), city=small_city, seed=7).run(5)
    xr.testing.assert_identical(_strip(a), _strip(b))
    c = UrbanModel(small_params(), city=small_city, seed=8).run(5)
    assert not c.households.equals(a.households)


def test_identical_with_one_and_two_numba_threads(tmp_path):
    script = textwrap.dedent("""
        import sys
        import numba
        from urbsim.engine.model import UrbanModel
        from urbsim.inputs.params import CityParams
        from urbsim.inputs.scenario import load
        assert numba.get_num_threads() == int(sys.argv[2])
        p = load("baseline").model_copy(update={"households": 20000,
                                          "city": CityParams(neighbourhoods=40)})
        UrbanModel(p, seed=11).run(6).assign_attrs(created="").to_netcdf(sys.argv[1])
    """)
    out = {}
    for threads in (1, 2):
        out[threads] = tmp_path / f"t{threads}.nc"
        env = os.environ | {"NUMBA_NUM_THREADS": str(threads)}
        subprocess.run([sys.executable, "-c", script, str(out[threads]), str(threads)],
                       check=True, env=env)
    with xr.open_dataset(out[1]) as one, xr.open_dataset(out[2]) as two:
        xr.testing.assert_identical(one.load(), two.load())


def test_events_reach_the_right_households(small_city):
    ds = UrbanModel(small_params(), city=small_city, seed=2).run(4)
    fr = ds.reached.sum(("neighbourhood", "milieu")).to_pandas()
    assert fr.loc[2, "election"] == ds.households.sel(step=2).sum()  # city-wide: all reached
    assert fr.loc[1, "election"] == 0 and fr.loc[3, "panel"] > 0
    mitte = ds.neighbourhood_district == "Mitte"
    # the anchored format reaches Mitte only: nobody outside Mitte was reached at step 4
    assert ds.reached.sel(step=4).where(~mitte, 0).sum() == 0
    invited = int(ds.invited.sel(step=3).sum())
    assert 0.25 < invited / int(ds.households.sel(step=2).sum()) < 0.35
    assert 0 <= int(ds.accepted.sel(step=3).sum()) <= invited
    assert 0.5 < float(ds.turnout.sel(step=2, format="election")) < 0.95
    assert float(ds.turnout.sel(step=1, format="open")) < 0.2
    assert ds.turnout.sel(step=0).isnull().all()
    assert np.isfinite(ds.representation_gap.sel(step=2, format="election"))
    assert np.isnan(ds.representation_gap.sel(step=2, format="open"))  # not held at step 2


def test_participation_feeds_back_on_engagement_and_amenity(small_city):
    base = small_params()
    quiet = UrbanModel(base.model_copy(update={"events": {}}), city=small_city, seed=4)
    busy = UrbanModel(base, city=small_city, seed=4)
    quiet.run(4)
    busy.run(4)
    a = busy.households.active
    assert busy.households.engagement[a].mean() > quiet.households.engagement[
        quiet.households.active].mean()
    assert busy.amenity.sum() > quiet.amenity.sum()
    np.testing.assert_array_equal(quiet.amenity, small_city.amenity)


def test_construction_and_unlocking_add_dwellings(small_city):
    p = small_params(events={}, city=small_params().city.model_copy(
        update={"social_expiry": 0.0}), policies={
        "build": Construction(start=2, end=3, districts=("Mitte",), dwellings=101,
                              social_quota=0.3),
        "unlock": UnlockUnderused(start=1, rate=0.1),
    })
    m = UrbanModel(p, city=small_city, seed=3)
    ds = run_checked(m, 4)
    built = ds.dwellings.sum("neighbourhood").to_pandas()
    mitte = (ds.neighbourhood_district == "Mitte").values
    social_mitte = ds.dwellings.sel(segment="social").isel(neighbourhood=mitte).sum(
        "neighbourhood")
    assert int(social_mitte[3] - social_mitte[1]) == 2 * round(101 * 0.3)
    grown = built.loc[4].sum() - built.loc[0].sum()
    assert grown > 2 * 101  # construction plus conversions
    old = small_city.period == 1
    assert (ds.dwellings.sel(segment="private").isel(neighbourhood=old).diff("step") >= 0).all()


def test_rent_burden_forces_moves_recorded_as_displacement(small_city):
    p = small_params(events={}, moving=MovingParams(max_burden=0.25, forced_rate=1.0))
    ds = UrbanModel(p, city=small_city, seed=6).run(2)
    assert int(ds.displaced.sel(step=1).sum()) > 100


def test_provenance_attributes(small_city):
    ds = UrbanModel(small_params(), city=small_city, seed=9).run(1)
    for key in ("urbsim_version", "git_commit", "seed", "params_hash", "numba_version",
                "numpy_version", "created", "params"):
        assert key in ds.attrs
    assert ds.attrs["seed"] == 9
    other = UrbanModel(small_params(households=2999), city=small_city, seed=9).run(1)
    assert other.attrs["params_hash"] != ds.attrs["params_hash"]


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"turnover": TurnoverParams(trend={"XYZ": 0.1})}, "turnover.trend.XYZ"),
    ({"events": {"x": DialogueEvent(format="open", step=1, districts=("Nowhere",))}},
     "events.x.districts"),
    ({"events": {"x": DialogueEvent(format="open", step=1, channels={"telepathy": 1.0})}},
     "events.x.channels.telepathy"),
    ({"households": 10**6}, "households"),
])
def test_bad_parameters_name_the_key(small_city, kwargs, key):
    with pytest.raises(InputError, match=key.replace("[", r"\[").replace("]", r"\]")):
        UrbanModel(small_params(**kwargs), city=small_city, seed=0)


def test_trend_shifts_the_newcomer_mix(small_city):
    p = small_params(events={}, turnover=TurnoverParams(trend={"PRE": 0.5}, out_rate=0.2))
    up = UrbanModel(p, city=small_city, seed=1).run(4)
    flat = UrbanModel(small_params(events={}, turnover=TurnoverParams(out_rate=0.2)),
                      city=small_city, seed=1).run(4)
    share = lambda ds: float(ds.in_migrants.sel(milieu="PRE").sum() / ds.in_migrants.sum())  # noqa: E731
    assert share(up) > 1.5 * share(flat)


@pytest.mark.parametrize("config", ["schelling", "closed city"])
def test_the_composition_carried_between_steps_is_the_recomputed_one(config):
    """A closed city (nobody leaves or arrives) keeps its perceived composition from move to
    move and step to step, never recomputing it: it stays what a recount gives, exactly when
    the sums are exact (Schelling's whole counts), to rounding otherwise."""
    from urbsim.inputs import schelling
    from urbsim.inputs.params import SatisfactionParams

    if config == "schelling":
        city, ms, p = schelling.setup(30, 30, agents=700, threshold=8, radius=2, mode="count")
        m = UrbanModel(p, city=city, milieus=ms, seed=2)
    else:
        p = small_params(2000, satisfaction=SatisfactionParams(ring_weights=(1.0, 0.3)),
                         turnover=TurnoverParams(out_rate=0.0, death_rate=0.0))
        m = UrbanModel(p, seed=2)
    moved = 0
    for _ in range(6):
        m.step()
        moved += int(m.recorder.series("moves")[m.steps].sum())
        for carried, recount in zip((*m._agg, m._sat), (*m._perceived(), m._satisfaction()),
                                    strict=True):
            if config == "schelling":
                np.testing.assert_array_equal(carried, recount)
            else:
                np.testing.assert_allclose(carried, recount, rtol=1e-12, atol=1e-12)
    assert moved > 100


def test_growing_the_households_appends_free_slots_and_copies_once_in_a_while(small_city):
    h = UrbanModel(small_params(300), city=small_city, seed=1).households
    before = {f: getattr(h, f).copy() for f in ("node", "milieu", "income", "active")}
    n = len(h)
    h.grow(40)
    base = h.node.base
    assert len(h) == n + 40 and base is not None and len(base) > len(h)  # room to spare
    h.node[-1] = 7  # written through the record the kernels take
    h.grow(3)  # within the room: the same buffers, nothing copied
    assert h.node.base is base and len(h) == n + 43
    assert h.record().node[n + 39] == 7 and (h.node[n + 40:] == -1).all()
    for f, a in before.items():
        np.testing.assert_array_equal(getattr(h, f)[:n], a)
    assert (h.milieu[n:] == 0).all() and not h.active[n:].any() and (h.node[n:n + 39] == -1).all()
    h.grow(len(base))  # beyond it: new buffers, the slots kept
    assert h.node.base is not base and h.node[n + 39] == 7 and len(h) == n + 43 + len(base)
