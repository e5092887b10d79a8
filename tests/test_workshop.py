"""The workshop's parts without a browser: levers, uploads, the TOML export, background jobs,
a session started from a city of its own (the example Musterstadt, run as a sample), and what
a facilitator reads (issue 22): German text and numbers, Run disabled while running, the levers
and result labels after Cancel, effects in plain words, direction cues and target bands, the
glossary, maps and time series, and the kept results."""

from __future__ import annotations

import re
import subprocess
import sys
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
from urbsim.interfaces.workshop import levers, report, table, views
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


def _ready(session: Workshop, seconds: float = 300) -> Workshop:
    """``session`` once its run (if any) has ended."""
    deadline = time.monotonic() + seconds
    while (session.job is not None or session.shown is None) and time.monotonic() < deadline:
        session._poll()
        time.sleep(0.1)
    assert session.job is None and session.shown is not None, session.status.object
    return session


@pytest.fixture(scope="module")
def muster():
    """A session of a workshop started from Musterstadt, its first results computed."""
    return _ready(Workshop(Shared(sc.load(MUSTERSTADT), SMALL)))


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


def test_a_setting_out_of_bounds_is_said_in_the_pages_language(session):
    session.language.value = "de"
    session.households.value = 100
    session._request(show_progress=True)
    assert session.error.visible and session.job is None
    assert session.error.object == "Haushalte: erwartet eine ganze Zahl von 500 bis 120.000"


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
    runner.close()


def test_a_job_ending_while_another_session_submits_does_not_deadlock():
    """A job ends in one thread (its ``_on_end`` takes the runner's lock) while another holds
    the runner's lock and polls the job (as ``submit`` does): the job's lock is released
    before ``_on_end``, so both finish (called under it, the two waited for each other)."""
    import queue
    import threading

    from urbsim.interfaces.workshop.jobs import Job

    runner = Runner()
    inside, done = threading.Event(), []

    def on_end(_job):
        inside.set()  # the submitting thread may now poll the job ...
        with runner._lock:  # ... while this one waits for the runner's lock
            done.append("on_end")

    news = queue.Queue()
    news.put(("end",))
    process = SimpleNamespace(is_alive=lambda: True, exitcode=None)
    job = Job([], runner.cache, _on_end=on_end,
              _worker=SimpleNamespace(process=process, outbox=news))

    def submitting():
        with runner._lock:
            inside.wait(5)
            done.append(job.poll())

    threads = [threading.Thread(target=t, daemon=True) for t in (submitting, job.poll)]
    threads[0].start()
    time.sleep(0.05)  # the submitting thread holds the runner's lock first
    threads[1].start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert sorted(done) == ["done", "on_end"]


def test_a_run_process_runs_job_after_job():
    """A Run does not wait for a process to start: the process of the last job runs the next
    one, its kernels loaded; none is started while one waits."""
    runner = Runner()
    first = runner.submit([_tiny(1)])
    assert _wait(first) == "done"
    assert runner._idle == [first._worker] and first._worker.process.is_alive()
    second = runner.submit([Request(_tiny(1).params, (5,), 2)])
    assert second._worker is first._worker and runner._idle == []
    assert _wait(second) == "done" and second.done_steps == 2
    worker = second._worker
    runner.close()  # a run process told to end while it waits ends
    assert worker.process.exitcode == 0 and runner._idle == []


def test_runs_beyond_the_pool_wait_their_turn_and_need_no_poll_of_the_others():
    """With one run process, later jobs queue in order; polling a waiting job advances the
    queue though nobody polls the job before it (its session may have gone); a waiting job
    cancelled never starts; a failed run leaves its process free for the next."""
    runner = Runner(processes=1)
    reqs = [Request(_tiny(1).params, (seed,), 2) for seed in range(3)]
    first, second, third = (runner.submit([r]) for r in reqs)
    assert not first.queued and second.queued and third.queued
    assert [runner.place(j) for j in (first, second, third)] == [0, 1, 2]
    third.cancel()
    assert third.state == "cancelled" and runner.place(third) == 0
    assert _wait(second) == "done" and first.state == "done"  # only second was polled
    assert second._worker is first._worker and third._worker is None
    bad = Request(_tiny(1).params.model_copy(update={"households": -5}), (0,), 2)
    failed = runner.submit([bad])
    assert _wait(failed) == "failed" and failed.error
    again = runner.submit([reqs[2]])
    assert again is not third and _wait(again) == "done"
    assert again._worker is first._worker  # the same process throughout
    assert runner.cache.get(reqs[2].key) is not None
    runner.close()


def test_a_burst_of_runs_uses_at_most_the_pool(monkeypatch):
    """Five jobs at once on a pool of two: two processes compute, three jobs wait; a waiting
    job shared by two sessions stops only when both cancel."""
    from urbsim.interfaces.workshop import jobs

    started = []
    real = jobs.Worker.start

    def counted(ahead=False):
        started.append(ahead)
        return real(ahead)

    monkeypatch.setattr(jobs.Worker, "start", counted)
    runner = Runner(processes=2)
    reqs = [Request(_tiny(1).params, (seed,), 2) for seed in range(5)]
    burst = [runner.submit([r]) for r in reqs]
    assert [j.queued for j in burst] == [False, False, True, True, True]
    assert runner.submit([reqs[4]]) is burst[4] and burst[4].waiting == 2
    burst[4].cancel()
    assert burst[4].state == "running" and runner.place(burst[4]) == 3
    burst[4].cancel()
    assert burst[4].state == "cancelled"
    assert [_wait(j) for j in burst[:4]] == ["done"] * 4
    assert started == [False, False]  # no spare while jobs wait or run
    assert {j._worker.process.pid for j in burst[:4]} == {
        burst[0]._worker.process.pid, burst[1]._worker.process.pid}
    runner.close()


def test_a_job_stops_when_every_waiting_session_cancelled():
    runner = Runner()
    req = Request(_tiny().params.model_copy(update={"households": 30_000,
                                                    "city": CityParams()}), (0, 1, 2), 30)
    job = runner.submit([req])
    runner.submit([req])
    job.cancel()
    assert job.poll() == "running"  # another session still waits
    job.cancel()
    assert job.state == "cancelled" and not job._worker.process.is_alive()
    assert runner.cache.get(req.key) is None
    runner.close()


def test_a_session_never_joins_a_job_cancelled_after_its_poll():
    """The last waiting session gives up between another session's poll of the job and its
    joining it: that session gets a job of its own, not the cancelled one (whose results would
    never come)."""
    runner = Runner()
    req = Request(_tiny().params.model_copy(update={"households": 30_000,
                                                    "city": CityParams()}), (0,), 30)
    job = runner.submit([req])
    poll = job.poll

    def poll_then_cancelled() -> str:
        state = poll()
        job.cancel()  # the other session's page closed just now
        return state

    job.poll = poll_then_cancelled
    other = runner.submit([req])
    assert job.state == "cancelled" and job.waiting == 0
    assert other is not job and other.poll() == "running"
    other.cancel()
    runner.close()


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists and has not ended (a zombie has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_waiting_run_process_ends_when_its_server_is_killed():
    """SIGKILL runs no clean-up in the server: its run process, waiting for a job, notices on
    its own."""
    code = ("import time\n"
            "from urbsim.interfaces.workshop.jobs import Worker\n"
            "spare = Worker.start(ahead=False)\n"
            "print(spare.process.pid, flush=True)\n"
            "time.sleep(600)\n")
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                          text=True) as server:
        assert server.stdout is not None
        spare = int(server.stdout.readline())
        maps = Path(f"/proc/{spare}/maps")
        deadline = time.monotonic() + 90
        while "numba" not in maps.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)  # numba loaded: the spare has its queues and waits on them
        server.kill()
    deadline = time.monotonic() + 30
    while _running(spare) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _running(spare)


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
    assert muster.rows == table.rows(*[views.weighted(unweighted, 20)] * 2, "en",
                                     muster._names(), muster.target_bands())
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
        assert muster.pending.scenario.name == "musterstadt"  # still the first (unchanged) one
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
    session = _ready(Workshop(shared))
    session._set_settings(s)
    session.switches["policies.rent_brake"].value = True
    session._request(show_progress=False)
    _ready(session)
    assert session.shown.per_draw is not None and len(session.shown.per_draw[0]) == 2
    assert all(row.signs for row in session.rows)
    assert "draws clearly + / −" in session.table.object
    assert session.current[0].runs.sizes["seed"] == 4  # pooled: 2 draws x 2 seeds
    plain = _ready(Workshop(Shared(baseline, Settings(seeds=1, households=1500, steps=2))))
    plain._set_settings(s)
    plain._request(show_progress=False)
    assert plain.error.visible and "--posterior FILE" in plain.error.object and plain.job is None


# ---------------------------------------------------------------- issue 22: a facilitator's view
TINY = Settings(seeds=2, households=600, steps=3)
"""Runs of a few seconds: 600 households of the synthetic city, 2 seeds, 3 years."""


@pytest.fixture(scope="module")
def shared(baseline):
    """A server started from the baseline at :data:`TINY` (its results cached for every session
    of these tests)."""
    return Shared(baseline, TINY)


@pytest.fixture
def session(shared):
    """A new session with its first result (the start: no lever changed) shown."""
    return _ready(Workshop(shared))


def _run(session: Workshop, **levers_on) -> Workshop:
    for key, value in levers_on.items():
        (session.switches | session.numbers)[key.replace("__", ".")].value = value
    session._request(show_progress=True)
    return _ready(session)


def _texts(session: Workshop) -> list[str]:
    """Every text the session's page shows: labels, options, panes, and the figures' titles,
    axis labels, legends, colour bars and hovers (rendered by bokeh)."""
    import holoviews as hv
    import panel as pn
    from bokeh.models import Axis, HoverTool, LegendItem, Title, Tool
    from bokeh.models.annotations import ColorBar

    out = []
    page = session.view()
    for w in page.select(pn.widgets.Widget):
        out += [str(getattr(w, k)) for k in ("name", "placeholder", "description", "label")
                if isinstance(getattr(w, k, None), str)]
        options = getattr(w, "options", None)
        out += list(options) if isinstance(options, dict | list) else []
    for p in page.select(pn.pane.Markdown) + page.select(pn.pane.HTML):
        out.append(str(p.object))
    for p in page.select(pn.pane.HoloViews):
        if p.object is None:
            continue
        fig = hv.render(p.object, backend="bokeh")
        for m in fig.references():
            if isinstance(m, Title):
                out.append(m.text)
            elif isinstance(m, Axis | ColorBar):
                out.append(str(m.axis_label if isinstance(m, Axis) else m.title))
            elif isinstance(m, LegendItem):
                out.append(str(m.label.value if hasattr(m.label, "value") else m.label))
            if isinstance(m, HoverTool) and isinstance(m.tooltips, list):
                out += [label for label, _ in m.tooltips]
            if isinstance(m, Tool) and isinstance(m.description, str):
                out.append(m.description)
    return out


def _english(found: list[str]) -> list[str]:
    """The catalogue's English texts (those that differ from their German) in ``found``."""
    from urbsim.interfaces.workshop import texts

    text = "\n".join(found)
    hits = []
    for en, de in texts.catalogue():
        if en == de:
            continue
        for part in re.split(r"\{[^}]*\}", en):
            part = part.strip(" :,.;()")
            if sum(c.isalpha() for c in part) >= 2 and part not in de and re.search(
                    rf"(?<!\w){re.escape(part)}(?!\w)", text):
                hits.append(part)
    return sorted(set(hits))


def test_numbers_are_written_as_the_reader_of_the_language_writes_them():
    from urbsim.interfaces.workshop import numformat, plotlocale

    assert numformat.fmt(1798.4, "en") == "1,798" and numformat.fmt(1798.4, "de") == "1.798"
    assert numformat.fmt(0.058, "de") == "0,0580" and numformat.fmt(float("nan"), "de",
                                                                    missing="k. A.") == "k. A."
    assert numformat.interval(-1.47, -1.58, -1.37, "de") == "-1,47 [-1,58; -1,37]"
    assert numformat.interval(-1.47, -1.58, -1.37, "en") == "-1.47 [-1.58, -1.37]"
    assert numformat.percent(-0.031, "de") == "3\u00a0%" and numformat.short(10 / 3, "de") == "3,33"
    code = plotlocale.tick_formatter("de").code
    assert 'DEC = ","' in code and 'GRP = "."' in code
    assert 'DEC = "."' in plotlocale.hover_formatter("en").code


def test_german_shows_no_english_text_of_the_catalogue_and_german_numbers(session):
    """Switched to Deutsch, every label, tab, status, table, figure title, axis, legend,
    colour bar and hover is German, and the numbers have German separators."""
    _run(session, events__panel=True)
    for tab in ("map", "series", "part", "mix"):
        session.tab_bar.value = tab
    english = _texts(session)
    assert "Headline figures" in english and "Finished: 2 seeds" in session.status.object
    assert {"Headline figures", "Year", "baseline", "Try"} <= set(_english(english))
    assert "baseline+workshop" not in "\n".join(english)
    session.language.value = "de"
    german = _texts(session)
    assert _english(german) == []
    assert "Kennzahlen" in german and "Karte" in german and "Verlauf" in german
    assert session.status.object.startswith("Fertig: 2 Seeds × 600 Haushalte")
    cells = re.findall(r"<td>([^<]*?)(?: <span|</td>)", session.table.object)
    numbers = [c for c in cells if re.fullmatch(r"[-+\d.,]+", c) and re.search(r"\d", c)]
    assert numbers and all(re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})*(,\d+)?", c) for c in numbers)
    assert any("," in c for c in numbers)
    assert "Jahr" in german and "year" not in german and "value" not in german
    assert "Verschieben" in german and "Pan" in english  # the plots' toolbar
    minutes = session._html().getvalue().decode()
    assert "Versuch 2, gerechnet mit" in minutes and "Details: Differenzen" in minutes
    assert not any(en in minutes for en in ("Try 2", "run with", "difference [95% CI]",
                                            "Headline", "only in"))
    assert session._toml().getvalue().decode().startswith(
        "# In einer urbsim-Werkstatt ausprobiert am")


def test_run_is_disabled_while_running_and_a_second_click_does_not_restart(session):
    session.switches["policies.lower_cap"].value = True
    session.households.value = 700  # not cached: a real run
    session._request(show_progress=True)
    try:
        job = session.job
        assert job is not None and session.run_button.disabled
        assert not session.cancel_button.disabled and session.progress.visible
        session._request(show_progress=True)  # a second click, e.g. before the page updated
        assert session.job is job and job.state == "running"
    finally:
        _ready(session)
    assert not session.run_button.disabled and session.cancel_button.disabled


def test_after_cancel_the_levers_show_what_is_set_and_the_result_its_own_levers(session):
    assert session.result_label.object.startswith(
        "**Try 1, run with (against baseline):** no lever changed")
    session.switches["policies.rent_brake"].value = True
    assert "Rent brake on re-lets (Mietpreisbremse): re-let rent at most 10 % above the " \
           "reference rent — *not run yet: press Run*" in session.levers_now.object
    session.households.value = 900  # not cached: a real run
    session._request(show_progress=True)
    session._cancel()
    assert session.status.object == "Cancelled." and not session.run_button.disabled
    assert "Rent brake on re-lets (Mietpreisbremse)" in session.levers_now.object
    assert "not run yet" in session.levers_now.object
    assert session.result_label.object.startswith(
        "**Try 1, run with (against baseline):** no lever changed")
    assert session._names() == ("baseline", "Try 1") and "<th>Try 1</th>" in session.table.object


def test_the_result_column_has_one_name_before_and_after_a_run(session):
    """The tried column is "Try n" from the first result on (not "tried", then
    "baseline+workshop"), and the verdicts and menus use the same name."""
    assert session._names() == ("baseline", "Try 1")
    _run(session, events__panel=True)
    assert session._names() == ("baseline", "Try 2")
    row = next(r for r in session.rows if r.key == "turnout_panel")
    assert row.effect == "only in Try 2"
    assert list(session.show_select.options) == ["Try 2", "Try 1"]


def test_the_glossary_explains_the_indices_and_names_the_milieu_codes():
    from urbsim.inputs import milieus
    from urbsim.interfaces.workshop.glossary import glossary_html

    vhw11 = milieus.load("vhw11")
    en, de = glossary_html("en", vhw11), glossary_html("de", vhw11)
    for term in ("Theil H", "D low-status (PRE+HKON)", "Representation gap", "Target band",
                 "95 % interval", "PRE: Prekäre (precarious milieus)",
                 "HKON: Konsum-Hedonisten (precarious milieus)", "KET: Konservativ-Etablierte"):
        assert term in en, term
    for term in ("Theil H", "Segregation statusniedriger Milieus (D, PRE+HKON)",
                 "Repräsentationslücke", "Zielkorridor", "PRE: Prekäre (prekäre Milieus)"):
        assert term in de, term


def test_direction_cues_and_target_bands(shared, session):
    from urbsim.interfaces.workshop import effects
    from urbsim.interfaces.workshop.targets import DEFAULTS, Band

    assert effects.aim("displaced", "en") == "lower ↓"
    assert effects.aim("representation_gap_open", "de") == "niedriger ↓"
    assert effects.aim("turnout_open", "en") == "higher ↑"
    assert effects.aim("vacancy", "en") == effects.aim("rent_private", "en") == ""  # bands
    vacancy = DEFAULTS["vacancy"]
    assert (vacancy.low, vacancy.high) == (2.0, 5.0) and vacancy.inside(3.0)
    assert not vacancy.inside(6.5) and not vacancy.inside(1.0)
    rent = DEFAULTS["rent"]
    assert rent.inside(110, 100, 10) and not rent.inside(130, 100, 10)  # +0.96, +2.66 %/year
    assert rent.describe("de") == "≤ +2 %/Jahr" and vacancy.describe("en") == "2–5\u00a0%"
    rows = {r.key: r for r in session.rows}
    assert rows["displaced"].aim == "lower ↓" and rows["moves"].aim == ""
    assert rows["vacancy"].aim == "in the band 2–5\u00a0%"
    assert rows["vacancy"].marks == (vacancy.inside(float(rows["vacancy"].base)),) * 2
    assert 'class="urbsim-in"' in session.table.object or 'urbsim-out' in session.table.object
    session.bands["vacancy"].value = (0.0, 15.0)  # both ends open: no band
    assert next(r for r in session.rows if r.key == "vacancy").marks == (None, None)
    own = Workshop(Shared(sc.load("baseline"), TINY, targets={"vacancy": Band(1.0, 2.0)}))
    try:
        assert own.target_bands()["vacancy"] == Band(1.0, 2.0)
    finally:
        own._cancel()


def test_effects_are_said_in_plain_words_with_the_intervals_one_click_away(session):
    from urbsim.analysis.compare import Difference
    from urbsim.interfaces.workshop import effects

    names = ("baseline", "Try 2")

    def d(key, base, diff, low, high, seeds=4):
        return Difference(key, key, base, base + diff, diff, low, high, seeds, True, names)

    assert effects.effect(d("displaced", 1.0, -0.03, -0.05, -0.01), "en", names) == \
        "about 3\u00a0% fewer displaced households: better"
    assert effects.effect(d("displaced", 1.0, -0.03, -0.05, -0.01), "de", names) == \
        "etwa 3\u00a0% weniger verdrängte Haushalte: besser"
    assert effects.effect(d("d_low", 0.3, -5e-5, -0.0049, 0.0048), "en", names) == \
        "no clear difference"
    assert effects.effect(d("vacancy", 2.0, 0.2, 0.1, 0.3), "en", names) == \
        "vacancy about 10\u00a0% higher"  # a band, not a direction
    assert effects.effect(d("turnout_open", 2.0, -0.4, -0.6, -0.2), "de", names) == \
        "Beteiligung etwa 20\u00a0% niedriger: schlechter"
    assert effects.effect(d("moves", 5.0, 0.0, 0.0, 0.0), "en", names) == \
        "identical in every repetition"
    html = session.table.object
    head, details = html.split("<details", 1)
    assert "[95% CI]" not in head and "<th>effect</th>" in head
    assert "difference [95% CI]" in details and "0 [0, 0]" in details


def test_flows_start_in_year_1_and_the_legend_is_outside(session):
    import holoviews as hv

    base, tried = session.current[:2]
    assert views.series_frame(tried, "moves").year.min() == 1  # a flow: no false ramp from 0
    assert views.series_frame(tried, "vacancy").year.min() == 0  # a state: from the start
    assert views.series_frame(tried, "moves", 2024).year.min() == 2025
    fig = hv.render(views.series_figure(base, tried, "moves", "en", ("baseline", "Try 1")),
                    backend="bokeh")
    assert fig.legend and fig.legend[0] in fig.right  # beside the plot, not over year 1
    assert fig.xaxis[0].axis_label == "Year" and fig.title.text == \
        "moves per year (% of households)"


def test_only_the_figure_in_view_is_drawn(session):
    """A session opens on the table and draws no figure; a tab's figure is drawn when the tab
    is shown, and a new result or language empties the hidden ones until they are shown."""
    panes = {"map": session.map_pane, "series": session.series_pane, "mix": session.mix_pane,
             "part": session.part_pane}
    assert session.tab_bar.value == "table"
    assert all(p.object is None for p in panes.values())
    session.tab_bar.value = "series"
    assert session.series_pane.object is not None
    assert all(p.object is None for k, p in panes.items() if k != "series")
    title = session.series_pane.object.opts.get().kwargs["title"]
    session.tab_bar.value = "map"
    assert session.map_pane.object is not None and session.series_pane.object is not None
    session.language.value = "de"  # drawn anew in view, emptied out of view
    assert session.map_pane.object is not None and session.series_pane.object is None
    session.tab_bar.value = "series"
    assert session.series_pane.object.opts.get().kwargs["title"] != title  # in German now
    _run(session, events__panel=True)
    assert session.series_pane.object is not None and session.map_pane.object is None
    session.tab_bar.value = "part"
    assert "panel" in session.part_format.options.values() and session.part_pane.object is not None


def test_the_map_has_title_year_slider_unit_and_names(session):
    import holoviews as hv
    from bokeh.models import HoverTool
    from bokeh.models.annotations import ColorBar

    session.tab_bar.value = "map"
    assert (session.map_year.start, session.map_year.end, session.map_year.value) == (0, 3, 3)
    session.map_year.value = 1
    session.language.value = "de"
    fig = hv.render(session.map_pane.object, backend="bokeh")
    assert fig.title.text == "Anteil PRE (% der Haushalte), Jahr 1"
    bar = next(iter(fig.select(ColorBar)))
    assert bar.title == "Anteil PRE (% der Haushalte)"
    assert 'DEC = ","' in bar.formatter.code
    tips = [label for tool in fig.select(HoverTool) for label, _ in tool.tooltips]
    assert {"Quartier", "Bezirk", "Anteil PRE (% der Haushalte)"} <= set(tips)
    assert session.map_year.name == "Jahr"
    session.map_what.value = "turnout_open"  # a flow: no map of year 0
    assert session.map_year.start == 1


def test_several_tried_scenarios_are_kept_compared_and_downloaded(session):
    _run(session, events__panel=True)
    _run(session, events__panel=False, policies__rent_brake=True)
    assert [k.label("en") for k in session.shelf.items] == ["Try 1", "Try 2", "Try 3"]
    session.against_select.value = 2
    assert session._names() == ("Try 2", "Try 3")
    assert "**Try 2, run with (against baseline):** Random-selection citizen panel" in \
        session.result_label.object
    rows = {r.key: r for r in session.rows}
    assert rows["turnout_panel"].effect == "only in Try 2"
    base, tried = session.current[:2]
    assert base is session.shelf.get(2).tried and tried is session.shelf.get(3).tried
    saved = tomllib.loads(session._toml().getvalue().decode())
    assert saved["policies"]["rent_brake"]["enabled"] and "events" not in saved
    session.show_select.value = 2
    saved = tomllib.loads(session._toml().getvalue().decode())
    assert saved["events"]["panel"]["enabled"] and "policies" not in saved
    assert b"Try 2" in session._html().getvalue()
    session.households.value = 650  # other settings: not compared seed by seed with Try 2
    _run(session)
    session.against_select.value = 2
    assert session._names() == ("baseline", "Try 4")
    assert "Try 4 and Try 2 ran with different run settings" in session.result_label.object


def test_a_shelf_keeps_the_last_five_and_no_run_twice():
    from urbsim.interfaces.workshop.kept import Kept, Shelf

    def kept(n, key):
        return Kept(n, None, "baseline", None, TINY, 600, None, None, None, ("b",), (key,))

    shelf = Shelf()
    for n in range(1, 8):
        shelf.add(kept(n, f"k{n}"))
    assert [k.n for k in shelf.items] == [3, 4, 5, 6, 7]
    again = shelf.add(kept(shelf.next_number(), "k4"))  # the same run as Try 4
    assert again.n == 4 and [k.n for k in shelf.items] == [3, 5, 6, 7, 4]
    assert shelf.next_number() == 8


def test_a_session_whose_results_are_cached_can_run(shared):
    """A second session finds the start's results cached: Run is enabled at once."""
    first, second = _ready(Workshop(shared)), Workshop(shared)
    assert second.shown is not None and second.job is None
    assert not second.run_button.disabled and not first.run_button.disabled


def test_a_run_waiting_for_a_process_says_so_then_runs(baseline):
    """All run processes busy with other sessions' runs: a session's Run waits its turn, says
    so in its status, and computes once a process is free."""
    shared = Shared(baseline, TINY, workers=1)
    session = _ready(Workshop(shared))
    blocker = shared.runner.submit([Request(
        _tiny().params.model_copy(update={"households": 30_000, "city": CityParams()}),
        (0, 1, 2), 30)])
    session.switches["events.panel"].value = True
    session._request(show_progress=True)
    session._poll()
    assert session.job is not None and session.job.queued
    assert session.status.object == ("Waiting for a free run process: place 1 in the queue …")
    assert session.run_button.disabled and not session.cancel_button.disabled
    blocker.cancel()
    _ready(session)
    assert session.status.object.startswith("Finished:") and session.job is None
    blocker = shared.runner.submit([blocker.requests[0]])  # busy again: a hidden-progress run
    session.switches["events.panel"].value = False
    session.switches["policies.rent_brake"].value = True
    session._request(show_progress=False)
    session._poll()
    assert session.status.object.startswith("Waiting for a free run process")
    blocker.cancel()
    session._poll()
    assert session.status.object == "Computing the baseline …"
    _ready(session)
    shared.runner.close()
