"""The workshop app (Panel): levers, runs against the baseline, figures, downloads.

One :class:`Shared` per server holds what every browser session shares: the shipped
scenarios, the run settings' defaults, the :class:`~urbsim.interfaces.workshop.jobs.Runner` with its
result cache, and the city graphs for the map. One :class:`Workshop` per session holds that
session's levers, language and results, so sessions do not interfere. At start the server
computes the baseline (and the starting scenario) in the background.

Values from the browser are checked on the server: levers by :mod:`.levers`, settings against
their bounds, uploads by :func:`urbsim.inputs.scenario.loads` (in memory, no file paths).
"""

from __future__ import annotations

import functools
import io
import socket
from dataclasses import dataclass

import panel as pn

from urbsim.common.errors import InputError
from urbsim.common.files import decode_text
from urbsim.inputs import consistency
from urbsim.inputs import scenario as sc
from urbsim.inputs.scenario import Scenario
from urbsim.interfaces.workshop import levers, report, texts, views
from urbsim.interfaces.workshop.jobs import Job, Request, Result, Runner

BOUNDS = {"seeds": (1, 12), "households": (500, 120_000), "steps": (2, 40)}
"""Allowed run settings (the app runs while people wait: the default city at most)."""


def _whole(key: str, value: object) -> int:
    """``value`` of the run setting ``key`` if it is a whole number within :data:`BOUNDS`.

    Raises:
        ValueError: naming the setting and its bounds.
    """
    low, high = BOUNDS[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key}: expected a whole number from {low:,} to {high:,}, "
                         f"got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """How the app runs a scenario (unchecked until :meth:`check`)."""

    seeds: int
    """Runs per scenario, with seeds ``0, 1, ...`` (bounds: :data:`BOUNDS`)."""
    households: int
    """Households in the city."""
    steps: int
    """Years per run."""

    def check(self) -> Settings:
        """The settings if every one is within :data:`BOUNDS`.

        Raises:
            ValueError: the first setting out of bounds or not a whole number.
        """
        for key in BOUNDS:
            _whole(key, getattr(self, key))
        return self


class Shared:
    """What every session of one server shares."""

    def __init__(self, start: Scenario, settings: Settings):
        self.scenarios = {name: sc.load(sc.shipped_dir() / f"{name}.toml")
                          for name in sc.shipped()}
        self.baseline = self.scenarios["baseline"]
        self.start = start
        self.settings = settings.check()
        self.runner = Runner()
        self.precompute = self.runner.submit([self.request(self.baseline, settings),
                                              self.request(start, settings)])

    @staticmethod
    def request(scn: Scenario, s: Settings) -> Request:
        """What to run for ``scn`` with settings ``s``."""
        params = scn.params().model_copy(update={"households": s.households})
        return Request(params, tuple(range(s.seeds)), s.steps)

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one Shared per server, kept for its lifetime
    def graph(self, city_json: str, households: int):
        """The network of the city ``city_json`` (CityParams as JSON) for the map (cached)."""
        from urbsim.inputs.city_files import load_city
        from urbsim.inputs.params import CityParams

        return load_city(households, CityParams.model_validate_json(city_json)).graph


class Workshop:
    """The app of one browser session."""

    def __init__(self, shared: Shared):
        self.shared = shared
        self.lang = "en"
        self.start, self.start_name = shared.start, shared.start.name
        self.uploads: dict[str, Scenario] = {}
        self.job: Job | None = None
        self.pending: tuple[Request, Request, Scenario, Settings] | None = None  # base, tried
        self.current: tuple[Result, Result, Scenario, Settings] | None = None  # base, tried
        self.rows: list = []
        self._build()
        self._set_levers(self.start)
        self._set_settings(shared.settings)
        self._request(show_progress=False)
        pn.state.add_periodic_callback(self._poll, period=250)
        if pn.state.curdoc is not None:
            pn.state.curdoc.on_session_destroyed(lambda _ctx: self._cancel())

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        w = pn.widgets
        self.language = w.RadioButtonGroup(options={"English": "en", "Deutsch": "de"},
                                           value="en", button_type="light",
                                           css_classes=["urbsim-language"])
        self.start_select = w.Select(options=list(self.shared.scenarios), value=self.start_name)
        self.switches: dict[str, pn.widgets.Checkbox] = {}
        self.numbers: dict[str, pn.widgets.Widget] = {}
        topics = {"participation": pn.Column(), "housing": pn.Column()}
        for g in levers.GROUPS:
            hook = f"lever-{g.section}-{g.name}"  # CSS classes: stable hooks for tests
            box = w.Checkbox(name=g.id, css_classes=[hook])
            self.switches[g.id] = box
            items: list[pn.widgets.Widget] = [box]
            for n in g.numbers:
                cls = w.IntSlider if n.integer else w.FloatSlider
                slider = cls(start=int(n.low) if n.integer else n.low,
                             end=int(n.high) if n.integer else n.high,
                             step=int(n.step) if n.integer else n.step, margin=(0, 10, 0, 30),
                             css_classes=[f"{hook}-{n.key.replace('.', '-')}"])
                self.numbers[f"{g.id}.{n.key}"] = slider
                items.append(slider)
            topics[g.topic].append(pn.Column(*items, margin=(4, 0)))
        self.topics = topics
        self.seeds = w.IntSlider(start=BOUNDS["seeds"][0], end=BOUNDS["seeds"][1])
        self.households = w.IntInput(start=BOUNDS["households"][0], end=BOUNDS["households"][1],
                                     step=1000)
        self.steps = w.IntSlider(start=BOUNDS["steps"][0], end=BOUNDS["steps"][1])
        self.run_button = w.Button(button_type="primary", css_classes=["urbsim-run"])
        self.cancel_button = w.Button(button_type="default", disabled=True,
                                      css_classes=["urbsim-cancel"])
        self.progress = pn.indicators.Progress(value=0, max=1, sizing_mode="stretch_width",
                                               visible=False)
        self.status = pn.pane.Markdown("", css_classes=["urbsim-status"])
        self.error = pn.pane.Alert("", alert_type="danger", visible=False,
                                   css_classes=["urbsim-error"])
        self.upload = w.FileInput(accept=".toml", multiple=False, css_classes=["urbsim-upload"])
        self.save_toml = w.FileDownload(callback=self._toml, filename="workshop_scenario.toml",
                                        button_type="light", embed=False)
        self.save_html = w.FileDownload(callback=self._html, filename="workshop_summary.html",
                                        button_type="light", embed=False)
        self.changes = pn.pane.Markdown("", css_classes=["urbsim-changes"])
        self.table = pn.pane.HTML("", css_classes=["urbsim-table"])
        self.map_what = w.Select(options=list(texts.MAP), value="share")
        self.map_milieu = w.Select(options=[], value=None)
        self.map_change = w.Checkbox(value=False)
        self.map_pane = pn.pane.HoloViews(None, linked_axes=False)
        self.series_what = w.Select(options=[])
        self.series_pane = pn.pane.HoloViews(None, linked_axes=False)
        self.mix_pane = pn.pane.HoloViews(None, linked_axes=False)
        self.part_format = w.Select(options=[])
        self.part_pane = pn.pane.HoloViews(None, linked_axes=False)
        self.header = pn.pane.Markdown("")
        self.heads = {k: pn.pane.Markdown("") for k in ("participation", "housing", "settings")}
        self.tabs = pn.Tabs(
            ("table", pn.Column(self.changes, self.table)),
            ("map", pn.Column(pn.Row(self.map_what, self.map_milieu, self.map_change),
                              self.map_pane)),
            ("series", pn.Column(self.series_what, self.series_pane)),
            ("mix", self.mix_pane),
            ("part", pn.Column(self.part_format, self.part_pane)),
            dynamic=False)
        self.language.param.watch(self._on_language, "value")
        self.start_select.param.watch(self._on_start, "value")
        self.upload.param.watch(self._on_upload, "value")
        self.run_button.on_click(lambda _e: self._request(show_progress=True))
        self.cancel_button.on_click(lambda _e: self._cancel())
        for widget in (self.map_what, self.map_milieu, self.map_change):
            widget.param.watch(lambda _e: self._draw_map(), "value")
        self.series_what.param.watch(lambda _e: self._draw_series(), "value")
        self.part_format.param.watch(lambda _e: self._draw_participation(), "value")
        self._label()

    def view(self) -> pn.viewable.Viewable:
        """The page: the sidebar of levers and settings beside the result tabs."""
        sidebar = pn.Column(
            self.language, self.start_select, self.upload, self.error,
            self.heads["participation"], self.topics["participation"],
            self.heads["housing"], self.topics["housing"],
            self.heads["settings"], self.seeds, self.households, self.steps,
            pn.Row(self.run_button, self.cancel_button), self.progress, self.status,
            pn.Row(self.save_toml, self.save_html), width=400)
        return pn.Column(self.header, pn.Row(sidebar, self.tabs), sizing_mode="stretch_width")

    def _label(self) -> None:
        """Every label in the current language."""
        L = self.lang
        self.header.object = f"## {texts.t('title', L)}"
        self.start_select.name = texts.t("start", L)
        self.upload.name = texts.t("upload", L)
        for key in ("participation", "housing", "settings"):
            self.heads[key].object = f"### {texts.t(key, L)}"
        for g in levers.GROUPS:
            self.switches[g.id].name = g.label[L]
            for n in g.numbers:
                self.numbers[f"{g.id}.{n.key}"].name = f"{n.label[L]} ({n.unit[L]})"
        for key in ("seeds", "households", "steps"):
            getattr(self, key).name = texts.t(key, L)
        self.run_button.name = texts.t("run", L)
        self.cancel_button.name = texts.t("cancel", L)
        self.save_toml.label = texts.t("save_toml", L)
        self.save_html.label = texts.t("save_html", L)
        self.map_what.name = texts.t("indicator", L)
        self.map_what.options = {texts.pick(v, L): k for k, v in texts.MAP.items()}
        self.map_milieu.name = texts.t("milieu", L)
        self.map_change.name = texts.t("change", L)
        self.series_what.name = texts.t("indicator", L)
        self.part_format.name = texts.t("format", L)
        for i, key in enumerate(("tab_table", "tab_map", "tab_series", "tab_mix", "tab_part")):
            self.tabs[i] = (texts.t(key, L), self.tabs[i])

    # ------------------------------------------------------------------ state
    def _set_levers(self, scn: Scenario) -> None:
        values = levers.read(scn)
        for key, box in self.switches.items():
            box.value = values[key]
        for key, widget in self.numbers.items():
            widget.value = values[key]

    def _set_settings(self, s: Settings) -> None:
        self.seeds.value, self.households.value, self.steps.value = s.seeds, s.households, s.steps

    def _settings(self) -> Settings:
        return Settings(_whole("seeds", self.seeds.value),
                        _whole("households", self.households.value),
                        _whole("steps", self.steps.value))

    def _tried(self) -> Scenario:
        values = {k: b.value for k, b in self.switches.items()}
        values |= {k: w.value for k, w in self.numbers.items()}
        tried = levers.apply(self.start, values)
        changed = levers.changes(self.start, tried)
        name = self.start_name + ("+workshop" if changed else "")
        return tried.model_copy(update={"name": name, "description": "; ".join(changed)})

    # ------------------------------------------------------------------ events
    def _on_language(self, event) -> None:
        self.lang = event.new
        self._label()
        self._render()

    def _on_start(self, event) -> None:
        name = event.new
        scn = self.uploads.get(name) or self.shared.scenarios.get(name)
        if scn is None:
            return
        self.start, self.start_name = scn, name
        self._set_levers(scn)

    def _on_upload(self, event) -> None:
        if not event.new:
            return
        source = self.upload.filename or "upload.toml"
        try:
            scn = sc.loads(decode_text(event.new, source, "scenario TOML file"), source)
            consistency.check(scn)  # its city, milieu and district names; the run uses the app's size
        except InputError as e:
            self.error.object, self.error.visible = str(e), True
            return
        self.error.visible = False
        name = f"{scn.name} (upload)"
        self.uploads[name] = scn
        self.start_select.options = [*self.shared.scenarios, *self.uploads]
        self.start_select.value = name
        self.steps.value = min(max(scn.steps, BOUNDS["steps"][0]), BOUNDS["steps"][1])
        self.status.object = texts.t("loaded", self.lang, name=source)

    def _request(self, show_progress: bool) -> None:
        try:
            tried, settings = self._tried(), self._settings()
        except (ValueError, InputError) as e:
            self.error.object, self.error.visible = str(e), True
            return
        self.error.visible = False
        if self.job is not None:
            self._cancel()
        base_req = self.shared.request(self.shared.baseline, settings)
        tried_req = self.shared.request(tried, settings)
        self.pending = (base_req, tried_req, tried, settings)
        self.job = self.shared.runner.submit([base_req, tried_req])
        if self.job is None:
            self._finish()
            return
        self.progress.max, self.progress.value = self.job.total_steps, 0
        self.progress.visible = show_progress
        self.cancel_button.disabled = False
        self.status.object = texts.t("baseline_wait" if not show_progress else "running",
                                     self.lang, done=0, total=self.job.total_steps)

    def _poll(self) -> None:
        if self.job is None:
            return
        state = self.job.poll()
        self.progress.value = min(self.job.done_steps, self.progress.max)
        if state == "running":
            if self.progress.visible:
                self.status.object = texts.t("running", self.lang, done=self.job.done_steps,
                                             total=self.job.total_steps)
            return
        job, self.job = self.job, None
        self.cancel_button.disabled = True
        self.progress.visible = False
        if state == "done":
            self._finish()
        elif state == "failed":
            self.status.object = texts.t("failed", self.lang, error=job.error)
        else:
            self.status.object = texts.t("cancelled", self.lang)

    def _cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.job = None
            self.cancel_button.disabled = True
            self.progress.visible = False
            self.status.object = texts.t("cancelled", self.lang)

    def _finish(self) -> None:
        assert self.pending is not None  # _request sets it before any job can finish
        base_req, tried_req, tried, settings = self.pending
        base, result = (self.shared.runner.cache.get(r.key) for r in (base_req, tried_req))
        if base is None or result is None:  # dropped from the cache meanwhile: run again
            self._request(show_progress=True)
            return
        first = self.current is None
        self.current = (base, result, tried, settings)
        milieus = [str(m) for m in result.runs.milieu.values]
        self.map_milieu.options = milieus
        if first or self.map_milieu.value not in milieus:
            self.map_milieu.value = "PRE" if "PRE" in milieus else milieus[0]
        self._render(first)
        self.status.object = texts.t("finished", self.lang, seeds=settings.seeds,  # last
                                     households=f"{settings.households:,}", steps=settings.steps)

    # ------------------------------------------------------------------ figures
    def _names(self) -> tuple[str, str]:
        base = texts.t("baseline", self.lang)
        assert self.current is not None  # called once results are shown
        tried = self.current[2].name
        return base, tried if tried != "baseline" else texts.t("tried", self.lang)

    def _render(self, first: bool = False) -> None:
        if self.current is None:
            return
        base, tried, scn, _ = self.current
        L = self.lang
        lines = levers.changes(self.start, scn, L)
        head = texts.t("changes", L, start=self.start_name)
        self.changes.object = (f"**{head}:** " + ("; ".join(lines) if lines
                                                  else texts.t("no_change", L)))
        self.rows = views.headline_rows(base, tried, L, self._names())
        self.table.object = views.headline_table(self.rows, L, self._names())
        options = views.plotted(base, tried)
        self.series_what.options = {texts.indicator(k, L): k for k in options}
        if first or self.series_what.value not in options:
            self.series_what.value = "representation_gap" if "representation_gap" in options \
                else options[0]
        held = views.formats_held(tried)
        self.part_format.options = {texts.pick(texts.FORMATS[f], L): f for f in held}
        if (first or self.part_format.value not in held) and held:
            self.part_format.value = "open" if "open" in held else held[0]
        self.mix_pane.object = views.milieu_mix(tried, L)
        self._draw_map()
        self._draw_series()
        self._draw_participation()

    def _draw_map(self) -> None:
        if self.current is None or self.map_milieu.value is None:
            return
        base, tried, scn, _ = self.current
        what, milieu, change = self.map_what.value, self.map_milieu.value, self.map_change.value
        values = views.map_values(tried, what, milieu)
        label = texts.pick(texts.MAP[what], self.lang)
        if what == "share":
            label = f"{label}: {milieu}"
        if change:
            values = values - views.map_values(base, what, milieu)
            label = f"{label}, {texts.t('change', self.lang).lower()}"
        graph = self.shared.graph(scn.city.model_dump_json(), scn.households)
        self.map_pane.object = views.network_map(graph, tried, values, label, diverging=change)

    def _draw_series(self) -> None:
        if self.current is None or self.series_what.value is None:
            return
        base, tried, _, _ = self.current
        self.series_pane.object = views.series_figure(base, tried, self.series_what.value,
                                                      self.lang, self._names())

    def _draw_participation(self) -> None:
        if self.current is None or not self.part_format.value:
            self.part_pane.object = None
            return
        self.part_pane.object = views.participation(self.current[1], self.part_format.value,
                                                    self.lang)

    # ------------------------------------------------------------------ downloads
    def _toml(self):

        scn = self._tried()
        base_name = self._base_name()
        base = self.shared.scenarios.get(base_name) if base_name else None
        s = self._settings()
        text = report.scenario_toml(scn, base, base_name, scn.name.replace("+", "_"),
                                    "; ".join(levers.changes(self.start, scn)) or
                                    self.start.description, s.steps, s.households)
        return io.BytesIO(text.encode())

    def _base_name(self) -> str | None:
        """The shipped scenario the start is (or extends)."""
        if self.start_name in self.shared.scenarios:
            return self.start_name
        parent = next((str(p) for k, p in self.start._origins.items() if k and p.endswith(".toml")
                       and str(sc.shipped_dir()) in p), None)
        return None if parent is None else parent.rsplit("/", 1)[-1].removesuffix(".toml")

    def _html(self):

        if self.current is None:  # the baseline is still being computed
            return io.BytesIO(f"<p>{texts.t('baseline_wait', self.lang)}</p>".encode())
        base, tried, scn, s = self.current
        lines = levers.changes(self.start, scn, self.lang)
        data = report.summary_html(texts.t("title", self.lang), self.start_name, lines,
                                   self.rows, self._names(), base, tried,
                                   {"seeds": s.seeds, "households": s.households,
                                    "steps": s.steps}, self.lang)
        return io.BytesIO(data)


def serve(start: Scenario, settings: Settings, port: int = 5006, host: str = "127.0.0.1",
          show: bool = False) -> None:
    """Serve the app until interrupted (binds ``host``, loopback by default)."""
    shared = Shared(start, settings)
    origins = {f"{h}:{port}" for h in (host, "localhost", "127.0.0.1")}
    if host not in ("127.0.0.1", "localhost", "::1"):
        origins |= {f"{socket.gethostname()}:{port}", f"{socket.getfqdn()}:{port}"}
    pn.extension(notifications=False)
    pn.serve({"/": lambda: Workshop(shared).view()}, port=port, address=host, show=show,
             title="urbsim workshop", websocket_origin=sorted(origins),
             start=True, threaded=False, verbose=False)
