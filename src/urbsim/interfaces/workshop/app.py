"""The workshop app (Panel): levers, runs against the baseline, figures, downloads.

One :class:`Shared` per server holds what every browser session shares: the shipped
scenarios, the run settings' defaults, the :class:`~urbsim.interfaces.workshop.jobs.Runner` with its
result cache, and the cities for the levers and the map. One :class:`Workshop` per session holds
that session's levers, language and results, so sessions do not interfere. At start the server
computes the baseline (and the starting scenario) in the background.

A starting scenario of the server's own (``--scenario FILE``) is its own baseline: its city may
be one of its own, with its districts, neighbourhoods and polygons. Any other start is compared
with the shipped baseline. A city from files larger than the run settings' households runs as a
:class:`Sample` of it.

Values from the browser are checked on the server: levers by :mod:`.levers`, settings against
their bounds, uploads by :func:`urbsim.inputs.scenario.loads` (in memory, no file paths).
"""

from __future__ import annotations

import functools
import io
import socket
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import panel as pn

from urbsim.analysis import privacy
from urbsim.analysis.robust import draws
from urbsim.common.errors import InputError
from urbsim.common.files import decode_text
from urbsim.inputs import consistency
from urbsim.inputs import scenario as sc
from urbsim.inputs.city import City
from urbsim.inputs.params import update
from urbsim.inputs.scenario import Scenario
from urbsim.interfaces.workshop import levers, report, texts, views
from urbsim.interfaces.workshop.jobs import Job, Request, Result, Runner

BOUNDS = {"seeds": (1, 12), "households": (500, 120_000), "steps": (2, 40), "draws": (0, 10)}
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
    """Households in the synthetic city; a city from files runs a sample of this size."""
    steps: int
    """Years per run."""
    draws: int = 0
    """Draws of the calibration's posterior each scenario runs for (0: the calibrated point);
    the verdicts then say where a sign depends on the uncertain parameters."""

    def check(self) -> Settings:
        """The settings if every one is within :data:`BOUNDS`.

        Raises:
            ValueError: the first setting out of bounds or not a whole number.
        """
        for key in BOUNDS:
            _whole(key, getattr(self, key))
        return self


CITY_FILES = ("nodes", "edges", "polygons", "district_table")
"""Keys of ``[city]`` that name a city's files."""


def own_city(scn: Scenario) -> bool:
    """Whether ``scn``'s city comes from files (else it is the synthetic city)."""
    return scn.city.nodes is not None or scn.city.polygons is not None


@dataclass(frozen=True)
class Sample:
    """How many households a scenario runs with: a city from files with more households than
    the run settings' runs as a sample, each household standing for ``weight`` of the city's
    (:func:`Sample.of`)."""

    run: int
    """Households run."""
    total: int
    """Households of the city."""

    @classmethod
    def of(cls, scn: Scenario, households: int) -> Sample:
        """``scn`` run at ``households``: the synthetic city is built for that size, as is a
        city from files that gives only dwellings; a city from files that gives its households
        runs at most ``households`` of them (the engine's rule,
        :func:`urbsim.inputs.population.sample`)."""
        total = _given_households(scn.city.model_dump_json()) if own_city(scn) else None
        if total is None:
            return cls(households, households)
        return cls(min(households, scn.households, round(total)), round(total))

    @property
    def weight(self) -> float:
        """Households of the city per household run."""
        return self.total / self.run

    def sentence(self, name: str, lang: str) -> str:
        """The page's sentence stating the sample (empty if the whole city runs)."""
        if self.run == self.total:
            return ""
        return texts.t("sample", lang, name=name[:1].upper() + name[1:], k=f"{self.weight:.3g}",
                       run=f"{self.run:,}", total=f"{self.total:,}")


@functools.lru_cache(maxsize=8)
def _given_households(city_json: str) -> float | None:
    """The households a city's files give (``None``: none, or no files)."""
    from urbsim.inputs.city_files import load_files
    from urbsim.inputs.params import CityParams
    from urbsim.inputs.population import given_total

    city = load_files(CityParams.model_validate_json(city_json))
    return None if city is None else given_total(city)


class Shared:
    """What every session of one server shares."""

    def __init__(self, start: Scenario, settings: Settings, posterior: Path | None = None):
        self.scenarios = {name: sc.load(sc.shipped_dir() / f"{name}.toml")
                          for name in sc.shipped()}
        """The shipped scenarios by name."""
        self.baseline = self.scenarios["baseline"]
        self.start = start
        shipped = self.scenarios.get(start.name)
        self.own = shipped is None or shipped.model_dump() != start.model_dump()
        """Whether the start is the server's own (not a shipped scenario): its own baseline."""
        self.start_name = f"{start.name} (file)" if self.own and shipped else start.name
        self.starts = ({self.start_name: start} if self.own else {}) | self.scenarios
        """What a session may start from (besides its uploads)."""
        self.settings = settings.check()
        self.draws = None if posterior is None else draws(posterior, BOUNDS["draws"][1], 0)
        """Draws of the posterior (``None``: the server has none); a session's first ones."""
        self.runner = Runner()
        base = self.request(self.reference(self.start_name), settings)
        self.precompute = self.runner.submit([base, self.request(start, settings)])

    def reference(self, start_name: str) -> Scenario:
        """The baseline column of a session starting from ``start_name``: the server's own
        start is its own baseline; any other start is compared with the shipped baseline."""
        return self.start if self.own and start_name == self.start_name else self.baseline

    @staticmethod
    def request(scn: Scenario, s: Settings) -> Request:
        """What to run for ``scn`` with settings ``s`` (a city from files: its :class:`Sample`)."""
        params = scn.params().model_copy(update={"households": Sample.of(scn, s.households).run})
        return Request(params, tuple(range(s.seeds)), s.steps)

    def requests(self, scn: Scenario, s: Settings) -> list[Request]:
        """What to run for ``scn``: its request, or one per posterior draw (``s.draws``).

        Raises:
            ValueError: draws asked for, but the server has no posterior.
        """
        if not s.draws:
            return [self.request(scn, s)]
        if self.draws is None:
            raise ValueError("posterior draws: start the workshop with --posterior FILE "
                             "(urbsim calibrate --abc writes calibration/posterior.csv)")
        one = self.request(scn, s)
        return [Request(update(one.params, {k: float(v) for k, v in row.items()}), one.seeds,
                        one.steps) for _, row in self.draws.head(s.draws).iterrows()]

    def city(self, scn: Scenario, households: int) -> City:
        """The city ``scn`` runs in: its files' whole city, else the synthetic city for
        ``households`` (cached)."""
        return self._city(scn.city.model_dump_json(), 0 if own_city(scn) else households)

    @functools.lru_cache(maxsize=8)  # noqa: B019 - one Shared per server, kept for its lifetime
    def _city(self, city_json: str, households: int) -> City:
        from urbsim.inputs.city_files import load_city, load_files
        from urbsim.inputs.params import CityParams

        params = CityParams.model_validate_json(city_json)
        return load_files(params) or load_city(households, params)


class Workshop:
    """The app of one browser session."""

    def __init__(self, shared: Shared):
        self.shared = shared
        self.lang = "en"
        self.start, self.start_name = shared.start, shared.start_name
        self.uploads: dict[str, Scenario] = {}
        self.job: Job | None = None
        self.pending: tuple[list[Request], list[Request], Scenario, Settings] | None = None
        """The requests of the baseline and the tried scenario (one per draw), and what for."""
        self.current: tuple[Result, Result, Scenario, Settings] | None = None  # base, tried
        self.rows: list = []
        self.per_draw: tuple[list, list] | None = None
        """With posterior draws: the baseline's and the tried scenario's results per draw."""
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
                                           value="en", color="light",
                                           css_classes=["urbsim-language"])
        self.start_select = w.Select(options=list(self.shared.starts), value=self.start_name,
                                     css_classes=["urbsim-start"])
        self.switches: dict[str, pn.widgets.Checkbox] = {}
        self.numbers: dict[str, pn.widgets.Widget] = {}
        self.places: dict[str, pn.widgets.MultiChoice] = {}
        topics = {"participation": pn.Column(), "housing": pn.Column()}
        for g in levers.GROUPS:
            hook = f"lever-{g.section}-{g.name}"  # CSS classes: stable hooks for tests
            box = w.Checkbox(label=g.id, css_classes=[hook])
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
            for key in g.places:
                choice = w.MultiChoice(options=[], margin=(0, 10, 0, 30),
                                       css_classes=[f"{hook}-{key}"])
                self.places[f"{g.id}.{key}"] = choice
                items.append(choice)
            topics[g.topic].append(pn.Column(*items, margin=(4, 0)))
        self.topics = topics
        self.seeds = w.IntSlider(start=BOUNDS["seeds"][0], end=BOUNDS["seeds"][1])
        self.households = w.IntInput(start=BOUNDS["households"][0], end=BOUNDS["households"][1],
                                     step=1000)
        self.steps = w.IntSlider(start=BOUNDS["steps"][0], end=BOUNDS["steps"][1])
        self.draws = w.IntSlider(start=BOUNDS["draws"][0], end=BOUNDS["draws"][1], value=0,
                                 disabled=self.shared.draws is None,
                                 css_classes=["urbsim-draws"])
        self.run_button = w.Button(color="primary", css_classes=["urbsim-run"])
        self.cancel_button = w.Button(color="default", disabled=True,
                                      css_classes=["urbsim-cancel"])
        self.progress = pn.indicators.Progress(value=0, max=1, sizing_mode="stretch_width",
                                               visible=False)
        self.status = pn.pane.Markdown("", css_classes=["urbsim-status"])
        self.error = pn.pane.Alert("", alert_type="danger", visible=False,
                                   css_classes=["urbsim-error"])
        self.upload = w.FileInput(accept=".toml", multiple=False, css_classes=["urbsim-upload"])
        self.save_toml = w.FileDownload(callback=self._toml, filename="workshop_scenario.toml",
                                        color="light", embed=False)
        self.save_html = w.FileDownload(callback=self._html, filename="workshop_summary.html",
                                        color="light", embed=False)
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
        self.sample = pn.pane.Markdown("", css_classes=["urbsim-sample"])
        self.heads = {k: pn.pane.Markdown("") for k in ("participation", "housing", "settings")}
        self.tabs = pn.Tabs(
            ("table", pn.Column(self.changes, self.table)),
            ("map", pn.Column(pn.Row(self.map_what, self.map_milieu, self.map_change),
                              self.map_pane.layout)),  # with the year slider
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
            self.heads["settings"], self.seeds, self.households, self.steps, self.draws,
            pn.Row(self.run_button, self.cancel_button), self.progress, self.status,
            pn.Row(self.save_toml, self.save_html), width=400)
        return pn.Column(self.header, self.sample, pn.Row(sidebar, self.tabs),
                         sizing_mode="stretch_width")

    def _label(self) -> None:
        """Every label in the current language."""
        L = self.lang
        self.header.object = f"## {texts.t('title', L)}"
        self.start_select.label = texts.t("start", L)
        self.upload.label = texts.t("upload", L)
        for key in ("participation", "housing", "settings"):
            self.heads[key].object = f"### {texts.t(key, L)}"
        for g in levers.GROUPS:
            self.switches[g.id].label = g.label[L]
            for n in g.numbers:
                self.numbers[f"{g.id}.{n.key}"].label = f"{n.label[L]} ({n.unit[L]})"
            for key in g.places:
                self.places[f"{g.id}.{key}"].label = levers.PLACES[key][L]
                self.places[f"{g.id}.{key}"].placeholder = texts.t("everywhere", L)
        for key in ("seeds", "households", "steps", "draws"):
            getattr(self, key).label = texts.t(key, L)
        self.run_button.label = texts.t("run", L)
        self.cancel_button.label = texts.t("cancel", L)
        self.save_toml.label = texts.t("save_toml", L)
        self.save_html.label = texts.t("save_html", L)
        self.map_what.label = texts.t("indicator", L)
        self.map_what.options = {texts.pick(v, L): k for k, v in texts.MAP.items()}
        self.map_milieu.label = texts.t("milieu", L)
        self.map_change.label = texts.t("change", L)
        self.series_what.label = texts.t("indicator", L)
        self.part_format.label = texts.t("format", L)
        for i, key in enumerate(("tab_table", "tab_map", "tab_series", "tab_mix", "tab_part")):
            self.tabs[i] = (texts.t(key, L), self.tabs[i])

    # ------------------------------------------------------------------ state
    def _set_levers(self, scn: Scenario) -> None:
        city = self.shared.city(scn, self.shared.settings.households)  # the places: any size's
        values = levers.read(scn, city)
        for key, box in self.switches.items():
            box.value = values[key]
        for key, widget in self.numbers.items():
            widget.value = values[key]
        for key, names in levers.choices(city).items():
            self.places[key].options, self.places[key].value = names, values[key]

    def _set_settings(self, s: Settings) -> None:
        self.seeds.value, self.households.value, self.steps.value = s.seeds, s.households, s.steps
        self.draws.value = s.draws

    def _settings(self) -> Settings:
        return Settings(_whole("seeds", self.seeds.value),
                        _whole("households", self.households.value),
                        _whole("steps", self.steps.value), _whole("draws", self.draws.value))

    def _tried(self, s: Settings) -> Scenario:
        values: dict[str, object] = {k: b.value for k, b in self.switches.items()}
        values |= {k: w.value for k, w in (self.numbers | self.places).items()}
        city = self.shared.city(self.start, s.households)
        tried = levers.apply(self.start, values, city)
        changed = levers.changes(self.start, tried, city)
        name = self.start_name + ("+workshop" if changed else "")
        return tried.model_copy(update={"name": name, "description": "; ".join(changed)})

    # ------------------------------------------------------------------ events
    def _on_language(self, event) -> None:
        self.lang = event.new
        self._label()
        self._render()

    def _on_start(self, event) -> None:
        name = event.new
        scn = self.uploads.get(name) or self.shared.starts.get(name)
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
        self.start_select.options = [*self.shared.starts, *self.uploads]
        self.start_select.value = name
        self.steps.value = min(max(scn.steps, BOUNDS["steps"][0]), BOUNDS["steps"][1])
        self.status.object = texts.t("loaded", self.lang, name=source)

    def _request(self, show_progress: bool) -> None:
        try:
            settings = self._settings()
            tried = self._tried(settings)
        except (ValueError, InputError) as e:
            self.error.object, self.error.visible = str(e), True
            return
        self.error.visible = False
        if self.job is not None:
            self._cancel()
        try:
            base_reqs = self.shared.requests(self.shared.reference(self.start_name), settings)
            tried_reqs = self.shared.requests(tried, settings)
        except ValueError as e:
            self.error.object, self.error.visible = str(e), True
            return
        self.pending = (base_reqs, tried_reqs, tried, settings)
        self.job = self.shared.runner.submit([*base_reqs, *tried_reqs])
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
        base_reqs, tried_reqs, tried, settings = self.pending
        found = [self.shared.runner.cache.get(r.key) for r in (*base_reqs, *tried_reqs)]
        if any(r is None for r in found):  # dropped from the cache meanwhile: run again
            self._request(show_progress=True)
            return
        done = [r for r in found if r is not None]
        bases, results = done[:len(base_reqs)], done[len(base_reqs):]
        first = self.current is None
        weight = Sample.of(tried, settings.households).weight
        base, result = (views.weighted(views.pooled(r), weight) for r in (bases, results))
        self.current = (base, result, tried, settings)
        self.per_draw = ([views.weighted(r, weight) for r in bases],
                         [views.weighted(r, weight) for r in results]) if settings.draws else None
        milieus = [str(m) for m in result.runs.milieu.values]
        self.map_milieu.options = milieus
        if first or self.map_milieu.value not in milieus:
            self.map_milieu.value = "PRE" if "PRE" in milieus else milieus[0]
        self._render(first)
        self.status.object = texts.t("finished", self.lang, seeds=settings.seeds,  # last
                                     households=f"{tried_reqs[0].params.households:,}",
                                     steps=settings.steps)

    # ------------------------------------------------------------------ figures
    def _names(self) -> tuple[str, str]:
        base = texts.t("baseline", self.lang)
        assert self.current is not None  # called once results are shown
        tried = self.current[2].name
        return base, tried if tried != "baseline" else texts.t("tried", self.lang)

    def _render(self, first: bool = False) -> None:
        if self.current is None:
            return
        base, tried, scn, s = self.current
        L = self.lang
        self.sample.object = Sample.of(scn, s.households).sentence(scn.name, L)
        lines = levers.changes(self.start, scn, self.shared.city(scn, s.households), L)
        head = texts.t("changes", L, start=self.start_name)
        self.changes.object = (f"**{head}:** " + ("; ".join(lines) if lines
                                                  else texts.t("no_change", L)))
        self.rows = (views.headline_rows(base, tried, L, self._names()) if self.per_draw is None
                     else views.posterior_rows(*self.per_draw, L))
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
        base, tried, scn, s = self.current
        what, milieu, change = self.map_what.value, self.map_milieu.value, self.map_change.value

        weight = Sample.of(scn, s.households).weight
        households = tried.runs.households.sum("milieu").mean("seed").values * weight

        def values(step: int) -> np.ndarray:  # small areas left out (analysis.privacy)
            v = views.map_values(tried, what, milieu, step)
            v = v - views.map_values(base, what, milieu, step) if change else v
            return privacy.suppress(v, privacy.small(households[step], scn.city.suppress_below))

        year0 = scn.start_year or 0
        frames = {year0 + k: values(k) for k in range(tried.runs.sizes["step"])}
        label = texts.pick(texts.MAP[what], self.lang)
        if what == "share":
            label = f"{label}: {milieu}"
        if change:
            label = f"{label}, {texts.t('change', self.lang).lower()}"
        city = self.shared.city(scn, s.households)
        self.map_pane.object = views.city_map(city, frames, label, texts.t("year", self.lang),
                                              diverging=change)

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
        s = self._settings()
        scn = self._tried(s)
        base_name = self._base_name()
        base = self.shared.scenarios.get(base_name) if base_name else None
        files = {k: str(Path(v).resolve()) for k in CITY_FILES
                 if (v := getattr(scn.city, k)) is not None}  # runs from any folder
        text = report.scenario_toml(scn.model_copy(update={"city": scn.city.model_copy(
                                        update=files)}),
                                    base, base_name, scn.name.replace("+", "_"), scn.description
                                    or self.start.description, s.steps,
                                    Sample.of(scn, s.households).total)
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
        lines = levers.changes(self.start, scn, self.shared.city(scn, s.households), self.lang)
        sample = Sample.of(scn, s.households)
        data = report.summary_html(texts.t("title", self.lang), self.start_name, lines,
                                   self.rows, self._names(), base, tried,
                                   {"seeds": s.seeds, "households": sample.run,
                                    "steps": s.steps}, self.lang,
                                   sample.sentence(scn.name, self.lang))
        return io.BytesIO(data)


def serve(start: Scenario, settings: Settings, port: int = 5006, host: str = "127.0.0.1",
          show: bool = False, posterior: Path | None = None) -> None:
    """Serve the app until interrupted (binds ``host``, loopback by default); ``posterior``
    offers runs over its draws."""
    shared = Shared(start, settings, posterior)
    origins = {f"{h}:{port}" for h in (host, "localhost", "127.0.0.1")}
    if host not in ("127.0.0.1", "localhost", "::1"):
        origins |= {f"{socket.gethostname()}:{port}", f"{socket.getfqdn()}:{port}"}
    pn.extension(notifications=False)
    pn.serve({"/": lambda: Workshop(shared).view()}, port=port, address=host, show=show,
             title="urbsim workshop", websocket_origin=sorted(origins),
             start=True, threaded=False, verbose=False)
