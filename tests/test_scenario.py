"""Scenario files: the shipped ones, `extends`, relative paths, the schema reference."""

from __future__ import annotations

import typing

import numpy as np
import pytest
from pydantic import BaseModel

from urbsim.analysis.compare import differences
from urbsim.analysis.summary import series
from urbsim.engine.model import UrbanModel
from urbsim.engine.runner import run_seeds
from urbsim.inputs import consistency
from urbsim.inputs import scenario as sc
from urbsim.inputs.city_files import save_csv
from urbsim.inputs.city_synthetic import synthetic
from urbsim.inputs.params import CityParams
from urbsim.interfaces.schemadoc import markdown

SHIPPED = sorted(p.stem for p in sc.shipped_dir().glob("*.toml"))
HOUSEHOLDS = 12_000


@pytest.fixture(scope="module")
def small_runs():
    """Every shipped scenario, 12,000 households, 4 years, seed 1."""
    out = {}
    for name in SHIPPED:
        scn = sc.load(name).model_copy(update={"households": HOUSEHOLDS})
        out[name] = UrbanModel(scn, seed=1).run(4)
    return out


def test_at_least_six_policy_scenarios_each_stating_its_question():
    assert "baseline" in SHIPPED and len(SHIPPED) >= 7
    for name in SHIPPED:
        path = sc.shipped_dir() / f"{name}.toml"
        head = path.read_text(encoding="utf-8").split("\n\n")[0].splitlines()
        assert all(line.startswith("#") for line in head), name
        opening = " ".join(head)
        assert "Question:" in opening and "?" in opening, name
        scn = consistency.validate(path)
        assert scn.name == name and scn.description
        if name != "baseline":
            assert 'extends = "baseline.toml"' in path.read_text(encoding="utf-8")


def test_extends_merges_tables_and_switches_events_off():
    base, outreach, local = sc.load("baseline"), sc.load("outreach"), sc.load("continuous_local")
    assert outreach.events["open_format"].channels == {
        "print": 1.0, "online": 1.0, "social_media": 1.0, "outreach": 2.0, "local_anchor": 1.0}
    assert outreach.events["election"] == base.events["election"]
    assert outreach.moving == base.moving and outreach.households == base.households
    assert not local.events["open_format"].enabled
    assert list(local.events) == ["election", "council", "open_format", "anchored"]  # inherited first
    assert outreach.origin("events.open_format.channels.outreach").endswith("outreach.toml")
    assert outreach.origin("events.election.every").endswith("baseline.toml")


def _paid(ds) -> float:
    """Mean rent private tenants pay at the end."""
    return float(series(ds)["contract_rent"].isel(step=-1))


@pytest.mark.parametrize(("name", "lever"), [
    ("baseline", lambda ds, base: int(ds.reached.sel(format="open").sum()) > 0),
    ("outreach", lambda ds, base: float(ds.participants.sel(format="open").sum())
     > float(base.participants.sel(format="open").sum())),
    ("random_panels", lambda ds, base: int(ds.invited.sum()) > 0 and int(ds.accepted.sum()) > 0),
    ("continuous_local", lambda ds, base: int(ds.reached.sel(format="open").sum()) == 0
     and int(ds.participants.sel(format="continuous").sum()) > 0),
    ("many_formats", lambda ds, base: np.allclose(  # four formats, each reaching everyone
        ds.reached.sum(("neighbourhood", "milieu")).sel(format="open")[1:], 4 * ds.households.sum(
            ("neighbourhood", "milieu"))[1:], rtol=0.02)),
    ("social_quota", lambda ds, base: int(ds.dwellings.sel(segment="social").isel(step=-1).sum())
     - int(base.dwellings.sel(segment="social").isel(step=-1).sum()) == 3 * 180),
    ("rent_brake", lambda ds, base: _paid(ds) < _paid(base)),
    ("lower_cap", lambda ds, base: _paid(ds) < _paid(base)),
    ("rent_freeze", lambda ds, base: _paid(ds.isel(step=slice(0, 6))) < _paid(
        base.isel(step=slice(0, 6)))),
    ("unlock_underused", lambda ds, base: int(ds.dwellings.sel(segment="private")
                                              .isel(step=-1).sum())
     > int(base.dwellings.sel(segment="private").isel(step=-1).sum())),
    ("inner_development", lambda ds, base: int(
        (ds.dwellings - base.dwellings).isel(step=-1).sel(
            neighbourhood=["N001", "N004", "N007", "N009"]).sum()) == 2 * 400),
])
def test_each_scenario_pulls_its_lever(small_runs, name, lever):
    assert lever(small_runs[name], small_runs["baseline"])


def test_paths_are_relative_to_the_file_that_states_them(tmp_path):
    city = synthetic(3000, CityParams(neighbourhoods=12, districts=3), seed=4)
    (tmp_path / "data").mkdir()
    save_csv(city, tmp_path / "data" / "nodes.csv", tmp_path / "data" / "edges.csv")
    (tmp_path / "data" / "base.toml").write_text(
        'households = 2500\nmilieus = "vhw13"\n[city]\nnodes = "nodes.csv"\nedges = "edges.csv"\n')
    (tmp_path / "run.toml").write_text('extends = "data/base.toml"\nsteps = 2\n')
    scn = consistency.validate(tmp_path / "run.toml")
    assert scn.city.nodes == str(tmp_path / "data" / "nodes.csv") and scn.steps == 2
    ds = UrbanModel(scn, seed=0).run(1)
    assert ds.sizes["neighbourhood"] == 12 and ds.sizes["milieu"] == 13
    np.testing.assert_array_equal(ds.dwellings.isel(step=0), city.capacity)


def test_common_random_numbers_make_paired_differences_sharp(tmp_path):
    (tmp_path / "same.toml").write_text(f'extends = "{sc.shipped_dir() / "baseline.toml"}"\n')
    (tmp_path / "cap.toml").write_text(
        f'extends = "{sc.shipped_dir() / "baseline.toml"}"\n'
        '[policies.cap]\nkind = "lower_cap"\nstart = 1\ncap = 0.0\n')
    load = lambda f: sc.load(f).model_copy(update={"households": 3000})  # noqa: E731
    base = run_seeds(load("baseline"), range(5), 4)
    same = run_seeds(load(tmp_path / "same.toml"), range(5), 4)
    assert all(d.verdict == "identical in every seed" for d in differences(base, same))
    cap = run_seeds(load(tmp_path / "cap.toml"), range(5), 4)
    d = {x.indicator: x for x in differences(base, cap)}
    assert d["contract_rent"].high < 0 and d["contract_rent"].verdict.startswith("clearly lower")
    unpaired = {x.indicator: x for x in differences(base, cap.assign_coords(seed=cap.seed + 100))}
    assert d["moves"].paired and not unpaired["moves"].paired
    # indicators the rent policy barely touches keep their sharpness (d_low does not: rents
    # change who moves where, and the paths part from the first step)
    for k in ("turnout_election", "turnout_open", "representation_gap"):
        assert d[k].high - d[k].low < 0.5 * (unpaired[k].high - unpaired[k].low), k


@pytest.mark.parametrize("kind", ["scenario", "experiment"])
def test_schema_reference_is_up_to_date(kind):
    path = sc.shipped_dir().parent / "docs" / f"{kind}-schema.md"
    assert path.read_text(encoding="utf-8") == markdown(kind), \
        f"run: urbsim schema {kind} > {path}"


def _models(model: type[BaseModel], seen: set) -> None:
    for name, f in model.model_fields.items():
        assert f.description or _is_section(f.annotation), f"{model.__name__}.{name}"
        for m in _nested(f.annotation):
            if m not in seen:
                seen.add(m)
                _models(m, seen)


def _is_section(ann) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel) and bool(ann.__doc__)


def _nested(ann) -> list:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    return [m for a in typing.get_args(ann) for m in _nested(a)]


def test_every_key_has_a_description():
    from urbsim.experiment.spec import Experiment

    seen: set = set()
    _models(sc.Scenario, seen)
    assert len(seen) >= 12  # sections, events and the three policy kinds were walked
    _models(Experiment, seen)


def test_the_old_geojson_keys_still_work_as_planar_polygons(tmp_path):
    """``city.geojson`` (renamed ``city.polygons``) keeps its old meaning with a warning:
    planar coordinates in km unless ``geojson_scale`` said otherwise."""
    from urbsim.common.schema import DeprecatedKey

    (tmp_path / "old.toml").write_text('[city]\ngeojson = "c.geojson"\n')
    (tmp_path / "scaled.toml").write_text('[city]\ngeojson = "c.geojson"\ngeojson_scale = 0.001\n')
    with pytest.warns(DeprecatedKey, match="city.geojson: renamed to city.polygons"):
        old = sc.load(tmp_path / "old.toml")
    assert old.city.polygons == str(tmp_path / "c.geojson") and old.city.polygon_scale == 1.0
    with pytest.warns(DeprecatedKey, match="renamed") as w:
        assert sc.load(tmp_path / "scaled.toml").city.polygon_scale == 0.001
    assert "city.geojson_scale: renamed to city.polygon_scale" in str(w[1].message)


def test_a_neutral_switch_stays_out_of_digests():
    """A switch added at the value that keeps the model as it was (params.NEUTRAL) leaves the
    digests of studies and stores made before it unchanged; any other value is in them."""
    from urbsim.inputs.params import NEUTRAL, ModelParams, digest_dump, update

    p = ModelParams()
    assert NEUTRAL == {"market.enabled": True}
    assert "enabled" not in digest_dump(p)["market"]
    assert digest_dump(update(p, {"market.enabled": False}))["market"]["enabled"] is False
    assert {k: v for k, v in p.model_dump(mode="json")["market"].items()
            if k != "enabled"} == digest_dump(p)["market"]
