"""The workshop's parts without a browser: levers, uploads, the TOML export, background jobs."""

from __future__ import annotations

import re
import time
import tomllib

import pytest

from urbsim.common.errors import InputError
from urbsim.inputs import scenario as sc
from urbsim.inputs.params import CityParams
from urbsim.interfaces.workshop import levers, report
from urbsim.interfaces.workshop.app import Settings
from urbsim.interfaces.workshop.jobs import Request, Runner


@pytest.fixture(scope="module")
def baseline():
    return sc.load("baseline")


def test_levers_read_what_the_shipped_scenarios_state(baseline):
    v = levers.read(baseline)
    assert v["events.open_format"] and not v["events.panel"] and not v["policies.rent_brake"]
    brake = levers.read(sc.load("rent_brake"))
    assert brake["policies.rent_brake"] and not brake["policies.lower_cap"]
    assert brake["policies.rent_brake.markup"] == pytest.approx(10.0)  # shown in %
    assert not levers.read(sc.load("continuous_local"))["events.open_format"]


def test_unchanged_levers_give_the_same_parameters(baseline):
    """Applying a scenario's own lever values changes nothing (same cache key, same runs)."""
    for name in ("baseline", "outreach", "rent_brake", "lower_cap", "continuous_local"):
        scn = sc.load(name)
        assert levers.apply(scn, levers.read(scn)).params() == scn.params(), name


def test_switching_a_lever_on_takes_the_shipped_policy(baseline):
    tried = levers.apply(baseline, {"events.panel": True, "policies.rent_brake": True,
                                    "policies.rent_brake.markup": 5.0})
    assert tried.events["panel"] == sc.load("random_panels").events["panel"]
    assert tried.policies["rent_brake"].markup == pytest.approx(0.05)
    assert levers.changes(baseline, tried) == [
        "Random-selection citizen panel: households invited 2 %, held every 2 years",
        "Rent brake on re-lets (Mietpreisbremse): re-let rent at most 5 % above the reference "
        "rent"]
    off = levers.apply(sc.load("rent_brake"), {"policies.rent_brake": False})
    assert not off.policies["rent_brake"].enabled


@pytest.mark.parametrize(("values", "message"), [
    ({"policies.rent_brake.markup": 50},
     "Rent brake on re-lets (Mietpreisbremse): re-let rent at most: expected 0 to 30"),
    ({"events.panel.every": 1.5}, "held every: expected a whole number"),
    ({"events.panel.every": True}, "held every: expected a number"),
    ({"events.panel.invite_share": float("nan")}, "expected a number"),
    ({"events.panel": "yes"}, "Random-selection citizen panel: expected on or off"),
    ({"city.households": 1}, "unknown lever 'city.households'"),
])
def test_bad_lever_values_are_refused(baseline, values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        levers.apply(baseline, values)


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


def test_exported_toml_runs_from_any_folder_and_states_only_changes(baseline, tmp_path):
    tried = levers.apply(baseline, {"events.panel": True})
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
