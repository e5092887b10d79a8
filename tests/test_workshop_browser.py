"""The workshop app in a real browser: Debian's chromium driven by pytest-playwright against
``urbsim workshop`` served on loopback (tiny runs: 1,500 households, 2 seeds, 4 years), and
against ``urbsim workshop --scenario`` the example Musterstadt (2,000 households, 1 seed, 2 years).

Screenshots go to ``$URBSIM_SCREENSHOTS``, else to pytest's temporary directory. The README's
come from these tests at workshop sizes::

    URBSIM_SCREENSHOTS=docs/screenshots URBSIM_WORKSHOP_SIZE="30000 4 20" \
        .venv/bin/python -m pytest tests/test_workshop_browser.py
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:  # CI installs it (scripts/setup.sh); elsewhere say why the tests skip
    if os.environ.get("CI"):
        raise RuntimeError("chromium not found: scripts/setup.sh installs Debian's chromium")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)",
                allow_module_level=True)

WAIT = 180_000  # ms: the first run of a fresh server loads the kernels in a new process
SIZE = os.environ.get("URBSIM_WORKSHOP_SIZE", "1500 2 4").split()
"""Households, seeds and years of the served app's runs."""
MUSTERSTADT = Path(__file__).parents[1] / "examples" / "musterstadt" / "musterstadt.toml"
MUSTER_SIZE = (2000, 1, 2)
"""Households, seeds and years of the Musterstadt app's runs: a 1-in-50 sample."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, headless; no sandbox when running as root (CI)."""
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox"] if root else []}


def _serve(tmp_path_factory, households, seeds, steps, *options: str):
    """``urbsim workshop`` with these run settings and ``options`` in its own process: yields
    ``(url, pid, log)``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("workshop") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "urbsim", "workshop", "--port", str(port),
                                 "--households", str(households), "--seeds", str(seeds),
                                 "--steps", str(steps), *options],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                assert r.status == 200
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the workshop did not start:\n{log.read_text()}")
            time.sleep(0.3)
    yield url, proc.pid, log
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``urbsim workshop`` in its own process: ``(url, pid, log)``."""
    yield from _serve(tmp_path_factory, *SIZE)


@pytest.fixture(scope="module")
def muster_server(tmp_path_factory):
    """``urbsim workshop --scenario`` Musterstadt in its own process: ``(url, pid, log)``."""
    yield from _serve(tmp_path_factory, *MUSTER_SIZE, "--scenario", str(MUSTERSTADT))


@pytest.fixture
def shots(tmp_path) -> Path:
    out = Path(os.environ.get("URBSIM_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _open(page, server, width=1500, height=1150):
    url = server[0]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url, timeout=WAIT)  # a loaded 2-core machine once kept it past the default 30 s
    page.get_by_text("Finished:").wait_for(timeout=WAIT)
    page.locator(".urbsim-effects tr", has_text="moves per year").first.wait_for(timeout=WAIT)
    return page


def _run(page, until):
    """Press Run and wait for ``until`` (a locator of what the new results show)."""
    page.locator(".urbsim-run button").click()
    until.first.wait_for(timeout=WAIT)
    page.get_by_text("Finished:").wait_for(timeout=WAIT)


def _panel_row(page):
    return page.locator(".urbsim-effects tr", has_text="panel acceptance")


def _row(page, label: str) -> list[str]:
    """The cells of the headline table's row for ``label`` (waiting for it to be shown)."""
    row = page.locator(".urbsim-effects tr", has_text=label).first
    row.locator("td").last.wait_for(timeout=WAIT)
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def test_page_loads_with_the_baseline(server, page, shots):
    _open(page, server)
    assert page.get_by_text("urbsim workshop: what if").is_visible()
    for label in ("Random-selection citizen panel", "Rent brake on re-lets (Mietpreisbremse)",
                  "New construction", "Participation", "Housing"):
        assert page.get_by_text(label, exact=True).first.is_visible()
    cells = _row(page, "moves per year")
    assert cells[4] == "identical in every repetition"  # the starting scenario is the baseline
    assert 2 < float(cells[2]) < 20 and cells[2] == cells[3]
    assert page.locator(".urbsim-effects th").all_inner_texts()[2:4] == ["baseline", "Try 1"]
    page.screenshot(path=shots / "workshop-start.png", full_page=True)


def test_a_lever_and_run_update_the_results(server, page, shots):
    _open(page, server)
    assert page.locator(".urbsim-effects tr", has_text="panel acceptance").count() == 0
    page.locator(".lever-events-panel input[type=checkbox]").check()
    _run(page, _panel_row(page))
    cells = _row(page, "panel acceptance")
    assert cells[3] != "n/a" and 0 < float(cells[3]) < 100, cells
    assert cells[1] == "higher ↑" and cells[4] == "only in Try 2"
    assert page.locator(".urbsim-changes", has_text="Try 2, run with (against baseline): "
                        "Random-selection citizen panel: households invited 2 %").is_visible()
    page.screenshot(path=shots / "workshop-panel.png", full_page=True)
    page.locator(".lever-events-panel input[type=checkbox]").uncheck()
    for tab, name in (("Map", "map"), ("Over time", "series"), ("Who takes part", "part")):
        page.get_by_text(tab, exact=True).click()
        page.locator(".bk-Canvas:visible").first.wait_for(timeout=30_000)
        page.wait_for_timeout(800)
        page.screenshot(path=shots / f"workshop-{name}.png", full_page=True)
    page.get_by_text("Headline figures", exact=True).click()
    page.locator(".urbsim-language button", has_text="Deutsch").click()
    page.locator(".urbsim-effects td", has_text="Annahme Bürgerrat (%)").wait_for(timeout=30_000)
    assert page.get_by_text("Mietpreisbremse", exact=True).is_visible()
    assert _row(page, "Annahme Bürgerrat")[4] == "nur in Versuch 2"
    page.screenshot(path=shots / "workshop-deutsch.png", full_page=True)


def test_cancel_stops_a_run(server, page):
    """After Cancel the levers show what is set, and the last result stays labelled with the
    levers it was run with (not "No lever changed" under a ticked lever)."""
    _open(page, server, 1280, 720)
    page.locator(".lever-policies-unlock_underused input[type=checkbox]").check()
    now = page.locator(".urbsim-levers-now")
    expect(now).to_contain_text("Unlock under-used homes", timeout=30_000)
    page.locator(".urbsim-run button").click()
    page.locator(".urbsim-cancel button:not([disabled])").click(timeout=WAIT)
    page.get_by_text("Cancelled.").wait_for(timeout=30_000)
    assert page.locator(".urbsim-effects tr", has_text="moves per year").count() == 1
    expect(now).to_contain_text("Unlock under-used homes (1950–79 houses of older owners): "
                                "under-used houses yielding a flat 5 % a year — not run yet")
    assert page.locator(".lever-policies-unlock_underused input[type=checkbox]").is_checked()
    expect(page.locator(".urbsim-changes")).to_contain_text(
        "Try 1, run with (against baseline): no lever changed")
    assert page.locator(".urbsim-effects th").all_inner_texts()[3] == "Try 1"
    assert page.locator(".urbsim-run button").is_enabled()


def test_a_bad_upload_shows_its_error_and_a_good_one_loads(server, page):
    _open(page, server)
    upload = page.locator(".urbsim-upload input[type=file]")
    upload.set_input_files(files=[{"name": "bad.toml", "mimeType": "application/toml",
                                   "buffer": b'extends = "baseline"\n[events.open_format]\n'
                                             b"every = 0\n"}])
    error = page.get_by_text("bad.toml: events.open_format.every: expected a value >= 1, got 0")
    error.wait_for(timeout=30_000)
    upload.set_input_files(files=[{"name": "paths.toml", "mimeType": "application/toml",
                                   "buffer": b'extends = "../../etc/passwd"\n'}])
    page.get_by_text("paths.toml: extends: expected the name of a shipped scenario").wait_for(
        timeout=30_000)
    upload.set_input_files(files=[{"name": "capped.toml", "mimeType": "application/toml",
                                   "buffer": b'extends = "rent_brake"\nname = "capped"\n'
                                             b"[policies.rent_brake]\nmarkup = 0.05\n"}])
    page.get_by_text("Loaded capped.toml.").wait_for(timeout=30_000)
    assert page.locator(".lever-policies-rent_brake input[type=checkbox]").is_checked()
    handle = page.locator(".lever-policies-rent_brake-markup .noUi-handle").first
    assert float(handle.get_attribute("aria-valuenow")) == 5.0  # the file's 5 %, not 10 %


def test_downloads_give_the_tried_scenario_and_a_summary(server, page, tmp_path):
    from urbsim.inputs import scenario as sc

    _open(page, server)
    page.locator(".lever-events-panel input[type=checkbox]").check()
    _run(page, _panel_row(page))
    with page.expect_download() as info:
        page.get_by_text("Save scenario (TOML)").click()
    path = tmp_path / "tried.toml"
    info.value.save_as(path)
    data = tomllib.loads(path.read_text())
    assert data["extends"] == "baseline" and data["events"]["panel"]["enabled"] is True
    assert "open_format" not in data.get("events", {})  # only what differs is stated
    scn = sc.load(path)  # runs from any folder: extends names the shipped baseline
    assert scn.events["panel"].invite_share == pytest.approx(0.02)
    with page.expect_download() as info:
        page.get_by_text("Summary for the minutes (HTML)").click()
    html = info.value.path().read_text()
    assert "panel acceptance (%)" in html and "only in Try 2" in html
    assert re.search(r"Random-selection citizen panel: households invited 2", html)


def test_two_sessions_do_not_interfere(server, browser):
    a = _open(browser.new_context().new_page(), server)
    b = _open(browser.new_context().new_page(), server)
    a.locator(".lever-events-panel input[type=checkbox]").check()
    b.locator(".lever-policies-rent_brake input[type=checkbox]").check()
    a.locator(".urbsim-run button").click()
    b.locator(".urbsim-run button").click()
    _panel_row(a).first.wait_for(timeout=WAIT)
    b.get_by_text("Rent brake on re-lets (Mietpreisbremse): re-let rent").first.wait_for(
        timeout=WAIT)
    for page in (a, b):
        page.get_by_text("Finished:").wait_for(timeout=WAIT)
    assert _row(a, "panel acceptance")[4] == "only in Try 2"
    assert a.get_by_text("Rent brake on re-lets (Mietpreisbremse): re-let rent").count() == 0
    assert b.locator(".urbsim-effects tr", has_text="panel acceptance").count() == 0
    assert b.locator(".urbsim-changes", has_text="Rent brake on re-lets (Mietpreisbremse): "
                     "re-let rent at most 10 % above the reference rent").is_visible()
    assert _row(b, "moves per year")[2] == _row(a, "moves per year")[2]  # the same baseline


def test_ten_sessions_running_at_once_all_complete(server, browser):
    """A bounded load test on loopback: ten sessions, each with its own lever value, run at
    the same time; every one finishes with its own result (ten jobs, which take their turns
    in the server's pool of run processes, one per core)."""
    pages = [_open(browser.new_context().new_page(), server) for _ in range(10)]
    for k, page in enumerate(pages):  # ten different scenarios: 0.5 % .. 5 % invited
        page.locator(".lever-events-panel input[type=checkbox]").check()
        slider = page.locator(".lever-events-panel-invite_share .noUi-handle").first
        slider.focus()
        for _ in range(k):
            slider.press("ArrowRight")
    shown = [page.locator(".lever-events-panel-invite_share .noUi-handle").first
             .get_attribute("aria-valuenow") for page in pages]
    assert len(set(shown)) == 10, shown
    for page in pages:
        page.locator(".urbsim-run button").click()
    for page, value in zip(pages, shown, strict=True):
        page.get_by_text(f"households invited {float(value):g} %").first.wait_for(timeout=WAIT)
        _panel_row(page).first.wait_for(timeout=WAIT)
        assert _row(page, "panel acceptance")[4] == "only in Try 2"
        page.context.close()


def test_the_app_listens_on_loopback_only(server):
    import psutil

    listening = {c.laddr.ip for c in psutil.Process(server[1]).net_connections("inet")
                 if c.status == psutil.CONN_LISTEN}
    assert listening and listening <= {"127.0.0.1"}, listening


_MAP_JS = """() => {
  const glyphs = [], names = [];
  for (const doc of Bokeh.documents) for (const m of doc.all_models) {
    if (m.type === "MultiPolygons" || m.type === "Patches") glyphs.push(m.type);
    const data = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;
    if (data && data.xs && data.neighbourhood) names.push(...Array.from(data.neighbourhood));
  }
  return {glyphs, names};
}"""
"""The polygon glyphs of the page's bokeh documents, and the neighbourhoods they draw."""


def test_a_city_of_its_own_is_its_own_baseline_as_a_sample(muster_server, page, shots):
    """Started from Musterstadt: the page names it, shows its own run (the figures `urbsim run`
    gives at the same size, counts weighted ×50), offers its districts and draws its polygons."""
    from urbsim.engine.runner import run_seeds
    from urbsim.inputs import scenario as sc
    from urbsim.interfaces.workshop import table, views
    from urbsim.interfaces.workshop.jobs import Cache
    from urbsim.interfaces.workshop.targets import DEFAULTS

    households, seeds, steps = MUSTER_SIZE
    params = sc.load(MUSTERSTADT).params().model_copy(update={"households": households})
    run = views.weighted(Cache().put("run", run_seeds(params, range(seeds), steps)), 50)
    expected = {r.label: r for r in table.rows(run, run, "en", ("baseline", "Try 1"), DEFAULTS)}
    _open(page, muster_server)
    assert page.locator(".urbsim-start select").input_value() == "musterstadt"
    assert page.get_by_text("Musterstadt runs as a 1-in-50 sample: 2,000 of 100,000 households; "
                            "counts are weighted ×50.").is_visible()
    for label in ("moves per year (% of households)", "in-migrants per year"):
        cells = _row(page, label)
        assert [cells[0], cells[2], cells[3]] == [label, expected[label].base,
                                                  expected[label].tried]
    assert _row(page, "moves per year")[4] == "identical in every repetition"
    districts = page.locator(".lever-events-anchored-districts")
    districts.click()
    districts.get_by_text("Hügelland").wait_for(timeout=10_000)  # one of the choices offered
    assert districts.get_by_text("Bezirk 3").count() == 0
    page.keyboard.press("Escape")
    page.get_by_text("Map", exact=True).click()
    page.locator(".bk-Canvas:visible").first.wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    drawn = page.evaluate(_MAP_JS)
    assert drawn["glyphs"] and "Lindenheide" in drawn["names"], drawn
    page.screenshot(path=shots / "workshop-own-city.png", full_page=True)



_TEXT_JS = """() => {
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (["STYLE", "SCRIPT"].includes(node.tagName)) return;
      for (const a of ["title", "placeholder", "aria-label"])
        if (node.getAttribute(a)) out.push(node.getAttribute(a));
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    for (const c of node.childNodes) walk(c);
  };
  walk(document.body);
  return out.join("\\n");
}"""
"""Every text of the page, in and out of shadow roots, shown or in a hidden tab."""

_PLOTS_JS = """() => {
  const walk = function* (v) { yield v; for (const c of (v.child_views ?? [])) yield* walk(c); };
  const roots = Bokeh.index instanceof Map ? [...Bokeh.index.values()] : Object.values(Bokeh.index);
  const texts = [], axes = [], hovers = [];
  for (const r of roots) for (const v of walk(r)) {
    if (!["Figure", "Plot"].includes(v.model.type) || !v.el.getBoundingClientRect().width) continue;
    const p = v.model;
    texts.push(p.title?.text ?? "");
    for (const a of [...p.left, ...p.below, ...p.right, ...p.above]) {
      if (a.type === "ColorBar") {
        texts.push(a.title ?? "");
        axes.push(["colorbar", a.formatter.doFormat([0.5, 1.0, 1.5], {loc: 0})]);
      } else if (a.type === "Legend") {
        for (const item of a.items) texts.push(item.label?.value ?? "");
      } else if (a.type.endsWith("Axis")) {
        texts.push(a.axis_label ?? "");
        if (a.type !== "CategoricalAxis" && a.visible)
          axes.push([a.axis_label, a.formatter.doFormat([0.5, 1.0, 1.5], {loc: 0}),
                     a.formatter.doFormat([1000, 2000, 3000], {loc: 0})]);
      }
    }
    for (const tool of p.toolbar.tools) if (tool.type === "HoverTool") {
      for (const [label, spec] of tool.tooltips) {
        texts.push(label);
        const field = spec.replace("{custom}", "");
        const f = tool.formatters instanceof Map ? tool.formatters.get(field) : tool.formatters[field];
        if (f && f.format) hovers.push([label, f.format(1234.5678, "", {}), f.format(0.1234, "", {})]);
      }
    }
  }
  return {texts, axes, hovers};
}"""
"""The titles, axis labels, legends, colour bars and hovers of the plots in view, and what
their formatters make of 0.5, 1.0, 1.5 (and 1,000 .. 3,000) and, on hover, 1234.5678 and
0.1234."""


def test_deutsch_has_no_english_and_german_numbers_on_page_and_axes(server, page, shots):
    """Switched to Deutsch, the page (every tab, the table, its details, the status) holds none
    of the English texts of the text catalogue; its numbers, the plots' axes, colour bars and
    hovers have German separators."""
    from test_workshop import _english

    _open(page, server)
    page.locator(".lever-events-panel input[type=checkbox]").check()
    _run(page, _panel_row(page))
    page.locator(".urbsim-language button", has_text="Deutsch").click()
    page.get_by_text("Fertig:").wait_for(timeout=30_000)
    page.locator(".urbsim-effects td", has_text="Annahme Bürgerrat (%)").wait_for(timeout=30_000)
    deadline = time.monotonic() + 20  # the figures of the hidden tabs follow the table
    while _english([page.evaluate(_TEXT_JS)]) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    texts = [page.evaluate(_TEXT_JS)]
    plotted = []
    for tab in ("Karte", "Verlauf", "Milieus nach Bezirk", "Wer sich beteiligt"):
        page.locator(".urbsim-tabs button", has_text=tab).click()
        page.locator(".bk-Canvas:visible").first.wait_for(timeout=30_000)
        page.wait_for_timeout(800)
        seen = page.evaluate(_PLOTS_JS)
        assert seen["texts"], tab
        texts += seen["texts"]
        plotted.append((tab, seen))
    page.locator(".urbsim-tabs button", has_text="Glossar").click()
    page.locator(".urbsim-glossary dt", has_text="Theil H").wait_for(timeout=30_000)
    texts.append(page.evaluate(_TEXT_JS))
    assert _english(texts) == []
    assert "Kennzahlen" in texts[0] and "Versuch 2" in texts[0] and "Basisszenario" in texts[0]
    cells = [c.strip() for c in page.locator(".urbsim-effects td").all_inner_texts()]
    numbers = [re.sub(r" [✓✗]$", "", c) for c in cells if re.fullmatch(r"[-+]?[\d.,]+( [✓✗])?", c)]
    assert numbers and all(re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})*(,\d+)?", c) for c in numbers)
    assert any("," in c for c in numbers)
    for tab, seen in plotted:
        assert seen["axes"], tab
        for axis in seen["axes"]:
            assert axis[1] == ["0,5", "1,0", "1,5"], (tab, axis)
            if len(axis) > 2 and axis[0] != "Jahr":
                assert axis[2] == ["1.000", "2.000", "3.000"], (tab, axis)
        for label, big, small in seen["hovers"]:
            if label != "Jahr":
                assert (big, small) == ("1.235", "0,123"), (tab, label)
    page.screenshot(path=shots / "workshop-deutsch-glossary.png")


def test_run_and_progress_fit_a_projector_and_run_is_disabled_while_running(server, page):
    """At 1280×720 Run, Cancel, the progress bar and the results are in view without scrolling;
    Run is disabled while a run is under way."""
    _open(page, server, 1280, 720)
    page.locator(".lever-policies-lower_cap input[type=checkbox]").check()
    run = page.locator(".urbsim-run button")
    run.click()
    page.locator(".urbsim-run button[disabled]").wait_for(timeout=10_000)
    page.locator("progress.urbsim-progress").wait_for(state="visible", timeout=10_000)
    for hook in (".urbsim-run button", ".urbsim-cancel button", "progress.urbsim-progress",
                 ".urbsim-status", ".urbsim-save-toml", ".urbsim-save-html"):
        box = page.locator(hook).first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 720, (hook, box)
        assert box["x"] + box["width"] <= 1280, (hook, box)
    page.get_by_text("Finished:").wait_for(timeout=WAIT)
    assert run.is_enabled()
    rows = page.locator(".urbsim-effects tbody tr")
    for k in range(3):  # the first rows of the results are in view
        box = rows.nth(k).bounding_box()
        assert box and box["y"] + box["height"] <= 720, (k, box)
    assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_the_server_log_has_no_replace_warnings(server, page):
    """Switching language, tabs, the map's measure and year and running again leave no
    HoloViews "could not be replaced" warning and no failed callback in the server's log."""
    _open(page, server)
    page.locator(".urbsim-tabs button", has_text="Map").click()
    page.locator(".bk-Canvas:visible").first.wait_for(timeout=30_000)
    page.locator(".urbsim-map-year .noUi-handle").first.press("ArrowLeft")
    page.locator(".urbsim-language button", has_text="Deutsch").click()
    page.locator(".urbsim-tabs button", has_text="Verlauf").click()
    page.locator(".urbsim-language button", has_text="English").click()
    page.locator(".lever-policies-rent_brake input[type=checkbox]").check()
    _run(page, page.locator(".urbsim-changes", has_text="Rent brake on re-lets"))
    page.locator(".urbsim-tabs button", has_text="Map").click()
    page.wait_for_timeout(1000)
    log = server[2].read_text()
    assert "could not be replaced" not in log, log[-3000:]
    assert "Callback failed" not in log, log[-3000:]  # e.g. the tab title set without the lock


def test_the_workshop_benchmark_times_a_cold_start_and_a_run(browser):
    """``benchmarks.workshop`` at a tiny size: a fresh server to the baseline shown, then Run
    with the panel switched on to its result shown; two positive times, no server left."""
    from benchmarks.workshop import measure

    households, seeds, steps = MUSTER_SIZE  # 2,000 households, 1 seed, 2 years
    t = measure(browser, households, seeds, steps, timeout=WAIT / 1000)
    assert 0 < t.up <= t.page <= t.start < float("inf") and 0 < t.run < float("inf"), t
    assert t.baseline[0].startswith("moves per year") and 0 < float(t.baseline[2]) < 100, t
    assert t.tried[4] == "only in Try 2" and 0 < float(t.tried[3]) < 100, t
    with pytest.raises(ProcessLookupError):  # the server and its run processes have ended
        os.killpg(t.server, 0)
