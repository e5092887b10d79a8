"""The workshop's parts without a browser: levers, uploads, the TOML export, background jobs,
and a session started from a city of its own (the example Musterstadt, run as a sample)."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import xarray as xr

from urbsim.analysis.summary import headline, reduce
from urbsim.common.errors import InputError
from urbsim.engine.runner import run_seeds
from urbsim.inputs import scenario as sc
from urbsim.inputs.city_files import load_city
from urbsim.inputs.params import CityParams
from urbsim.interfaces.workshop import levers, report, views
from urbsim.interfaces.workshop.app import Sample, Settings, Shared, Workshop
from urbsim.interfaces.workshop.jobs import Cache, Request, Runner

MUSTERSTADT = Path(__file__).parents[1] / "examples" / "musterstadt" / "musterstadt.toml"
SMALL = Settings(seeds=1, households=5000, steps=2)
"""A quick run of Musterstadt's 100,000 households: a 1-in-20 sample."""


@pytest.fixture(scope="module")
def baseline():
    return sc.load("baseline")


@pytest.fixture(scope="module")
def city(baseline):
    """The synthetic city of the baseline."""
    return load_city(baseline.households, baseline.city)


@pytest.fixture(scope="module")
def muster():
    """A session of a workshop started from Musterstadt, its first results computed."""
    session = Workshop(Shared(sc.load(MUSTERSTADT), SMALL))
    deadline = time.monotonic() + 300
    while session.current is None and time.monotonic() < deadline:
        session._poll()
        time.sleep(0.1)
    assert session.current is not None, session.status.object
    return session


def test_levers_read_what_the_shipped_scenarios_state(baseline, city):
    v = levers.read(baseline, city)
    assert v["events.open_format"] and not v["events.panel"] and not v["policies.rent_brake"]
    brake = levers.read(sc.load("rent_brake"), city)
    assert brake["policies.rent_brake"] and not brake["policies.lower_cap"]
    assert brake["policies.rent_brake.markup"] == pytest.approx(10.0)  # shown in %
    assert not levers.read(sc.load("continuous_local"), city)["events.open_format"]


def test_unchanged_levers_give_the_same_parameters(city):
    """Applying a scenario's own lever values changes nothing (same cache key, same runs)."""
    for name in ("baseline", "outreach", "rent_brake", "lower_cap", "continuous_local",
                 "social_quota"):
        scn = sc.load(name)
        assert levers.apply(scn, levers.read(scn, city), city).params() == scn.params(), name


def test_switching_a_lever_on_takes_the_shipped_policy(baseline, city):
    tried = levers.apply(baseline, {"events.panel": True, "policies.rent_brake": True,
                                    "policies.rent_brake.markup": 5.0}, city)
    assert tried.events["panel"] == sc.load("random_panels").events["panel"]
    assert tried.policies["rent_brake"].markup == pytest.approx(0.05)
    assert levers.changes(baseline, tried, city) == [
        "Random-selection citizen panel: households invited 2 %, held every 2 years",
        "Rent brake on re-lets (Mietpreisbremse): re-let rent at most 5 % above the reference "
        "rent"]
    off = levers.apply(sc.load("rent_brake"), {"policies.rent_brake": False}, city)
    assert not off.policies["rent_brake"].enabled
    anchored = levers.apply(baseline, {"events.anchored": True}, city)
    assert anchored.events["anchored"] == sc.load("continuous_local").events["anchored"]


def test_lever_places_are_the_citys_own(baseline, city):
    """The places a lever offers are the city's; switched on in Musterstadt, the continuous
    formats go to its districts with the most social housing, not to "Bezirk 3"."""
    muster = sc.load(MUSTERSTADT)
    own = load_city(muster.households, muster.city)
    offered = levers.choices(own)
    assert offered["events.anchored.districts"] == list(own.districts)
    assert "Hügelland" in offered["policies.social_quota.districts"]
    assert offered["policies.social_quota.neighbourhoods"] == list(own.ids)
    assert levers.choices(city)["events.anchored.districts"] == list(city.districts)
    tried = levers.apply(muster, {"events.anchored": True}, own)
    assert tried.events["anchored"].districts == tuple(levers.estates(own, 3))
    assert set(tried.events["anchored"].districts) <= set(own.districts)
    built = levers.apply(muster, {"policies.social_quota": True,
                                  "policies.social_quota.districts": ["Hügelland"]}, own)
    assert built.policies["social_quota"].districts == ("Hügelland",)
    assert levers.changes(muster, built, own)[0].endswith("districts Hügelland")


@pytest.mark.parametrize(("values", "message"), [
    ({"policies.rent_brake.markup": 50},
     "Rent brake on re-lets (Mietpreisbremse): re-let rent at most: expected 0 to 30"),
    ({"events.panel.every": 1.5}, "held every: expected a whole number"),
    ({"events.panel.every": True}, "held every: expected a number"),
    ({"events.panel.invite_share": float("nan")}, "expected a number"),
    ({"events.panel": "yes"}, "Random-selection citizen panel: expected on or off"),
    ({"city.households": 1}, "unknown lever 'city.households'"),
    ({"events.anchored": True, "events.anchored.districts": ["Hügelland"]},
     "Continuous local formats (estate districts): unknown district 'Hügelland'; known: Mitte, "),
    ({"policies.social_quota.neighbourhoods": ["Lindenheide"]},
     "New construction: unknown neighbourhood 'Lindenheide'"),
    ({"events.anchored.districts": "Mitte"}, "districts: expected a list of names"),
])
def test_bad_lever_values_are_refused(baseline, city, values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        levers.apply(baseline, values, city)


def test_settings_are_bounded():
    assert Settings(4, 30_000, 20).check()
    for bad in (Settings(0, 30_000, 20), Settings(4, 10**7, 20), Settings(4, 3000, 2.5)):
        with pytest.raises(ValueError):
            bad.check()


@pytest.mark.parametrize(("text", "message"), [
    ('extends = "../scenarios/baseline.toml"', "up.toml: extends: expected the name of a shipped"),
    ('extends = "/etc/passwd"', "up.toml: extends: expected the name of a shipped"),
    ('[city]\nnodes = "n.csv"\nedges = "e.csv"', "up.toml: city.nodes: city files cannot"),
    ('milieus = "/tmp/m.toml"', "up.toml: milieus: expected a shipped milieu set"),
    ("steps = [", "up.toml: TOML syntax error"),
    ('extends = "baseline"\nhouseholds = -1', "up.toml: households: expected a value >= 1"),
])
def test_uploads_take_no_paths_and_name_file_and_key(text, message):
    with pytest.raises(InputError, match=message):
        sc.loads(text, "up.toml")


def test_an_upload_extends_a_shipped_scenario():
    scn = sc.loads('extends = "rent_brake.toml"\n[policies.rent_brake]\nmarkup = 0.05\n',
                   "capped.toml")
    assert scn.name == "capped" and scn.policies["rent_brake"].markup == pytest.approx(0.05)
    assert scn.policies["rent_brake"].start == 1
    assert scn.moving == sc.load("baseline").moving  # the calibrated values come along


def test_exported_toml_runs_from_any_folder_and_states_only_changes(baseline, city, tmp_path):
    tried = levers.apply(baseline, {"events.panel": True}, city)
    text = report.scenario_toml(tried, baseline, "baseline", "tried", "a panel", 5, 3000)
    data = tomllib.loads(text)
    assert set(data) == {"extends", "name", "description", "steps", "households", "events"}
    assert set(data["events"]) == {"panel"}
    path = tmp_path / "elsewhere" / "tried.toml"
    path.parent.mkdir()
    path.write_text(text)
    back = sc.load(path)  # extends = "baseline" names the shipped scenario
    assert back.params() == tried.params().model_copy(update={"households": 3000})
    assert sc.loads(text, "tried.toml").params() == back.params()


def _tiny(seed_count=1) -> Request:
    params = sc.load("baseline").params().model_copy(
        update={"households": 600, "city": CityParams(neighbourhoods=12, districts=3)})
    return Request(params, tuple(range(seed_count)), 2)


def _wait(job, seconds=120):
    deadline = time.monotonic() + seconds
    while job.poll() == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    return job.state


def test_jobs_run_in_the_background_share_and_cache():
    runner = Runner()
    req = _tiny(2)
    job = runner.submit([req, req])
    assert runner.submit([req]) is job and job.waiting == 2  # the same run is shared
    assert job.total_steps == 4
    assert _wait(job) == "done" and job.done_steps == 4
    result = runner.cache.get(req.key)
    assert list(result.runs.seed.values) == [0, 1] and "moves" in result.series
    assert runner.submit([req]) is None  # cached: nothing to run


def test_a_job_stops_when_every_waiting_session_cancelled():
    runner = Runner()
    req = Request(_tiny().params.model_copy(update={"households": 30_000,
                                                    "city": CityParams()}), (0, 1, 2), 30)
    job = runner.submit([req])
    runner.submit([req])
    job.cancel()
    assert job.poll() == "running"  # another session still waits
    job.cancel()
    assert job.state == "cancelled" and not job._process.is_alive()
    assert runner.cache.get(req.key) is None


def test_a_city_of_its_own_is_a_weighted_sample():
    muster = sc.load(MUSTERSTADT)
    sample = Sample.of(muster, 20_000)
    assert (sample.run, sample.total, sample.weight) == (20_000, 100_000, 5)
    assert sample.sentence(muster.name, "en") == (
        "Musterstadt runs as a 1-in-5 sample: 20,000 of 100,000 households; counts are "
        "weighted ×5.")
    assert Sample.of(muster, 120_000) == Sample(100_000, 100_000)  # the whole city, no weight
    assert Sample.of(muster, 120_000).sentence(muster.name, "en") == ""
    assert Sample.of(sc.load("baseline"), 20_000).weight == 1  # the synthetic city's size


def test_a_workshop_starts_from_its_scenario_as_its_baseline(muster):
    """Started from Musterstadt, the page names it and its baseline column is its run, as
    `urbsim run` gives it at the same households and seeds; counts are weighted ×20."""
    scn = sc.load(MUSTERSTADT)
    assert muster.start_select.value == "musterstadt" and "baseline" in muster.start_select.options
    assert muster.places["events.anchored.districts"].options == list(
        load_city(scn.households, scn.city).districts)
    base, tried, _, _ = muster.current
    runs = run_seeds(scn.params().model_copy(update={"households": SMALL.households}),
                     range(SMALL.seeds), SMALL.steps)
    xr.testing.assert_equal(base.runs, runs)
    xr.testing.assert_equal(tried.runs, runs)  # no lever changed: the start itself
    unweighted = Cache().put("run", runs)
    assert muster.rows == views.headline_rows(*[views.weighted(unweighted, 20)] * 2, "en",
                                              muster._names())
    migrants = headline(runs).in_migrants.mean()
    assert float(reduce(base.series).in_migrants.mean()) == pytest.approx(20 * float(migrants))
    assert "Musterstadt runs as a 1-in-20 sample: 5,000 of 100,000 households" in (
        muster.sample.object)
    assert "Finished: 1 seeds × 5,000 households" in muster.status.object
    saved = tomllib.loads(muster._toml().getvalue().decode())
    assert saved["extends"] == "baseline" and saved["households"] == 100_000  # the whole city
    assert Path(saved["city"]["polygons"]).is_absolute()
    assert Path(saved["city"]["polygons"]).resolve() == Path(scn.city.polygons).resolve()


def test_an_unknown_district_is_one_line_and_starts_no_run(muster):
    muster.switches["events.anchored"].value = True
    muster.places["events.anchored.districts"].value = ["Bezirk 3"]
    try:
        muster._request(show_progress=True)
        assert muster.error.visible and muster.job is None
        assert muster.error.object.startswith(
            "Continuous local formats (estate districts): unknown district 'Bezirk 3'; known: "
            "Altstadt, Nordstadt") and "\n" not in muster.error.object
        assert muster.pending[2].name == "musterstadt"  # still the first (unchanged) request
    finally:
        muster.switches["events.anchored"].value = False
        muster._set_levers(muster.start)
    upload = b'extends = "baseline"\n[events.anchored]\nformat = "continuous"\nstep = 1\n' \
             b'districts = ["H\xc3\xbcgelland"]\n'
    muster.upload.filename = "here.toml"
    muster._on_upload(SimpleNamespace(new=upload))
    assert muster.error.visible and muster.job is None
    assert muster.error.object.startswith("here.toml: events.anchored.districts: unknown district "
                                          "'Hügelland'")



def test_a_session_over_posterior_draws(tmp_path, baseline):
    """The workshop equivalent of compare --posterior: each scenario runs for every draw;
    the headline table has the range over draws and seeds, the sign shares and the verdicts;
    without a posterior, asking for draws is a one-line error and nothing runs."""
    path = tmp_path / "posterior.csv"
    path.write_text("moving.mobility_scale,choice.logit_scale,weight\n1.5,4.0,0.5\n"
                    "2.5,6.0,0.5\n")
    s = Settings(seeds=2, households=1500, steps=2, draws=2)
    shared = Shared(baseline, Settings(seeds=2, households=1500, steps=2), path)
    reqs = shared.requests(baseline, s)
    assert len(reqs) == 2 and {r.params.moving.mobility_scale for r in reqs} <= {1.5, 2.5}
    assert all(r.seeds == (0, 1) for r in reqs)
    session = Workshop(shared)
    session._set_settings(s)
    session.switches["policies.rent_brake"].value = True
    session._request(show_progress=False)
    deadline = time.monotonic() + 300
    while (session.job is not None or session.per_draw is None) and time.monotonic() < deadline:
        session._poll()
        time.sleep(0.1)
    assert session.per_draw is not None and len(session.per_draw[0]) == 2
    assert all(len(row) == 6 for row in session.rows)
    assert "draws clearly + / −" in session.table.object
    assert session.current[0].runs.sizes["seed"] == 4  # pooled: 2 draws x 2 seeds
    plain = Workshop(Shared(baseline, Settings(seeds=1, households=1500, steps=2)))
    plain._set_settings(s)
    plain._request(show_progress=False)
    assert plain.error.visible and "--posterior FILE" in plain.error.object and plain.job is None
