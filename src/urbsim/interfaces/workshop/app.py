"""The workshop app (Panel): levers, runs against the baseline, kept results, figures, downloads.

One :class:`~urbsim.interfaces.workshop.shared.Shared` per server holds what every browser
session shares; one :class:`Workshop` per session holds that session's levers, language,
target bands and kept results (:mod:`.kept`), so sessions do not interfere. Its widgets and
their layout are its :class:`~urbsim.interfaces.workshop.page.Page`'s.

Run is disabled while a run is under way; the line under the run bar says what the levers are
set to now, and each result is labelled with the levers it was run with.

Values from the browser are checked on the server: levers by :mod:`.levers`, settings against
their bounds, uploads by :func:`urbsim.inputs.scenario.loads` (in memory, no file paths).
"""

from __future__ import annotations

import io
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import panel as pn

from urbsim.analysis import privacy
from urbsim.common.errors import InputError
from urbsim.common.files import decode_text
from urbsim.inputs import consistency
from urbsim.inputs import milieus as milieu_sets
from urbsim.inputs import scenario as sc
from urbsim.inputs.scenario import Scenario
from urbsim.interfaces.workshop import glossary, levers, numformat, report, table, texts, views
from urbsim.interfaces.workshop.jobs import Job, Request, Result
from urbsim.interfaces.workshop.kept import Kept, Shelf, comparable
from urbsim.interfaces.workshop.page import BAND_SLIDERS, Page
from urbsim.interfaces.workshop.shared import BOUNDS, CITY_FILES, Sample, Settings, Shared, whole
from urbsim.interfaces.workshop.targets import Band

__all__ = ["BOUNDS", "Sample", "Settings", "Shared", "Workshop", "serve"]

@dataclass(frozen=True)
class Pending:
    """A run asked for: the requests of the baseline and the tried scenario (one per posterior
    draw), and what they are for."""

    base: list[Request]
    tried: list[Request]
    scenario: Scenario
    settings: Settings
    start: Scenario
    start_name: str


class Workshop(Page):
    """The app of one browser session."""

    def __init__(self, shared: Shared):
        self.shared = shared
        self.lang = "en"
        self.start, self.start_name = shared.start, shared.start_name
        self.uploads: dict[str, Scenario] = {}
        self.job: Job | None = None
        self.pending: Pending | None = None
        self.shelf = Shelf()
        self.rows: list[table.Row] = []
        self._frames: tuple[tuple, dict[int, np.ndarray]] | None = None
        self._moving_slider = False
        self._setting = False
        self._choosing = False
        """Set while the app sets menus itself (it draws once afterwards)."""
        self._stale: set[str] = set()
        """The figures (by tab) to draw when their tab is next shown (:meth:`_in_view`)."""
        self._status: tuple[str, dict[str, object]] | None = None
        self._build()
        self._watch()
        self._label()
        self._set_levers(self.start)
        self._set_settings(shared.settings)
        self._set_bands(shared.targets)
        self._request(show_progress=False)
        pn.state.add_periodic_callback(self._poll, period=250)
        if pn.state.curdoc is not None:
            pn.state.curdoc.on_session_destroyed(lambda _ctx: self._cancel())

    # ------------------------------------------------------------------ events
    def _watch(self) -> None:
        """What each widget does (a menu set by the app itself draws nothing: see
        :attr:`_choosing`)."""
        def unless_choosing(draw):
            return lambda _e: None if self._choosing else draw()

        self.language.param.watch(self._on_language, "value")
        self.start_select.param.watch(self._on_start, "value")
        self.upload.param.watch(self._on_upload, "value")
        self.run_button.on_click(lambda _e: self._request(show_progress=True))
        self.cancel_button.on_click(lambda _e: self._cancel())
        for widget in (*self.switches.values(), *self.numbers.values(), *self.places.values(),
                       self.seeds, self.households, self.steps, self.draws):
            widget.param.watch(lambda _e: self._show_levers(), "value")
        for widget in self.bands.values():
            widget.param.watch(lambda _e: self._render_table(), "value")
        for widget in (self.show_select, self.against_select):
            widget.param.watch(unless_choosing(self._render), "value")
        for widget in (self.map_what, self.map_milieu, self.map_change):
            widget.param.watch(unless_choosing(lambda: self._draw_map(new_frames=True)), "value")
        self.map_year.param.watch(unless_choosing(self._draw_map), "value")
        self.series_what.param.watch(unless_choosing(self._draw_series), "value")
        self.part_format.param.watch(unless_choosing(self._draw_participation), "value")
        self.tab_bar.param.watch(lambda _e: self._on_tab(), "value")
        self._show_tab()

    def _on_tab(self) -> None:
        """Show the tab chosen, its figure drawn first if it was left to be drawn."""
        tab = self.tab_bar.value
        if tab in self._stale:
            {"map": lambda: self._draw_map(new_frames=True), "series": self._draw_series,
             "mix": self._draw_mix, "part": self._draw_participation}[tab]()
        self._show_tab()

    def _in_view(self, tab: str, pane: pn.pane.HoloViews) -> bool:
        """Whether the figure of ``tab`` is to be drawn now: only the shown tab's is. A hidden
        one is emptied and drawn when its tab is shown (:meth:`_on_tab`): HoloViews and Bokeh
        take a second or more of the server's time to build the four figures, which a session
        opened on the table, or a Run, waited for while nobody looked at them."""
        if self.tab_bar.value == tab:
            self._stale.discard(tab)
            return True
        self._stale.add(tab)
        pane.object = None
        return False

    # ------------------------------------------------------------------ state
    def _set_levers(self, scn: Scenario) -> None:
        city = self.shared.city(scn, self.shared.settings.households)  # the places: any size's
        values = levers.read(scn, city)
        self._setting = True  # one line on the levers at the end, not one per widget
        try:
            for key, box in self.switches.items():
                box.value = values[key]
            for key, widget in self.numbers.items():
                widget.value = values[key]
            for key, names in levers.choices(city).items():
                self.places[key].options, self.places[key].value = names, values[key]
        finally:
            self._setting = False
        self._show_levers()

    def _set_settings(self, s: Settings) -> None:
        self.seeds.value, self.households.value, self.steps.value = s.seeds, s.households, s.steps
        self.draws.value = s.draws

    def _settings(self) -> Settings:
        """The run settings as set in the page.

        Raises:
            ValueError: a setting out of :data:`BOUNDS`, said in the page's language.
        """
        values = {}
        for key in BOUNDS:
            try:
                values[key] = whole(key, getattr(self, key).value)
            except ValueError:
                low, high = (numformat.number(b, self.lang) for b in BOUNDS[key])
                raise ValueError(texts.t("bad_setting", self.lang, what=texts.t(key, self.lang),
                                         low=low, high=high)) from None
        return Settings(**values)

    def _set_bands(self, bands: dict[str, Band]) -> None:
        for key, (lo, hi, _) in BAND_SLIDERS.items():
            band = bands.get(key, Band(None, None))
            self.bands[key].value = (lo if band.low is None else band.low,
                                     hi if band.high is None else band.high)

    def target_bands(self) -> dict[str, Band]:
        """The target bands as set in the page (an end at its slider's end is open)."""
        out = {}
        for key, (lo, hi, rise) in BAND_SLIDERS.items():
            low, high = self.bands[key].value
            out[key] = Band(None if low <= lo else float(low), None if high >= hi else float(high),
                            rise)
        return out

    def _tried(self, s: Settings) -> Scenario:
        values: dict[str, object] = {k: b.value for k, b in self.switches.items()}
        values |= {k: w.value for k, w in (self.numbers | self.places).items()}
        city = self.shared.city(self.start, s.households)
        tried = levers.apply(self.start, values, city)
        changed = levers.changes(self.start, tried, city)
        name = self.start.name + ("+workshop" if changed else "")
        return tried.model_copy(update={"name": name, "description": "; ".join(changed)})

    def _show_levers(self) -> None:
        """The line saying what the levers are set to now, and whether that has been run."""
        if self._setting:
            return
        L = self.lang
        try:
            s = self._settings()
            tried = self._tried(s)
            reqs = (self.shared.requests(self.shared.reference(self.start_name), s),
                    self.shared.requests(tried, s))
        except (ValueError, InputError):
            return  # shown when Run is pressed
        city = self.shared.city(self.start, s.households)
        lines = levers.changes(self.start, tried, city, L)
        kept = self.shelf.find(*(tuple(r.key for r in rs) for rs in reqs))
        after = kept.label(L) if kept is not None else texts.t("not_run", L)
        head = texts.t("set_now", L, start=self._start_label())
        self.levers_now.object = (f"**{head}:** {'; '.join(lines) or texts.t('no_change', L)}"
                                  f" — *{after}*")

    def _on_language(self, event) -> None:
        self.lang = event.new
        self._label()
        if self._status is not None:
            self._say(self._status[0], **self._status[1])
        self._show_levers()
        self._update_choices()
        self._render()

    def _on_start(self, event) -> None:
        name = event.new
        scn = self.uploads.get(name) or self.shared.starts.get(name)
        if scn is None or name == self.start_name:
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
        self.start, self.start_name = scn, name
        self._start_options()
        self._set_levers(scn)
        self.steps.value = min(max(scn.steps, BOUNDS["steps"][0]), BOUNDS["steps"][1])
        self._say("loaded", name=source)

    def _request(self, show_progress: bool) -> None:
        """Run the levers as set (``show_progress``: a run asked for, not the first one)."""
        if self.job is not None:  # Run is disabled while running: a second click does nothing
            return
        try:
            settings = self._settings()
            tried = self._tried(settings)
            if settings.draws and self.shared.draws is None:
                raise ValueError(texts.t("no_posterior", self.lang))
            base_reqs = self.shared.requests(self.shared.reference(self.start_name), settings)
            tried_reqs = self.shared.requests(tried, settings)
        except (ValueError, InputError) as e:
            self.error.object, self.error.visible = str(e), True
            return
        self.error.visible = False
        self.pending = Pending(base_reqs, tried_reqs, tried, settings, self.start,
                               self.start_name)
        self.job = self.shared.runner.submit([*base_reqs, *tried_reqs])
        if self.job is None:  # all cached
            self._idle()
            self._finish()
            return
        self.progress.max, self.progress.value = self.job.total_steps, 0
        self.progress.visible = show_progress
        self.run_button.disabled, self.cancel_button.disabled = True, False
        self._say("baseline_wait" if not show_progress else "running", done=0,
                  total=self.job.total_steps)

    def _poll(self) -> None:
        if self.job is None:
            return
        state = self.job.poll()
        self.progress.value = min(self.job.done_steps, self.progress.max)
        if state == "running":
            place = self.shared.runner.place(self.job)
            if place:  # every run process is busy with other sessions' runs
                self._say("queued", place=place)
            elif self.progress.visible:
                self._say("running", done=self.job.done_steps, total=self.job.total_steps)
            elif self._status is not None and self._status[0] == "queued":  # left the queue
                self._say("baseline_wait")
            return
        job, self.job = self.job, None
        self._idle()
        if state == "done":
            self._finish()
        elif state == "failed":
            self._say("failed", error=job.error)
        else:
            self._say("cancelled")

    def _say(self, key: str, **kw: object) -> None:
        """Show the status ``key`` of :data:`texts.UI` (numbers in ``kw`` in the page's
        language; said again when the language changes)."""
        self._status = (key, kw)
        self.status.object = texts.t(key, self.lang, **{
            k: numformat.number(v, self.lang) if isinstance(v, int) else v
            for k, v in kw.items()})

    def _idle(self) -> None:
        self.run_button.disabled, self.cancel_button.disabled = False, True
        self.progress.visible = False

    def _cancel(self) -> None:
        """Stop the run; the levers stay as set, the results shown stay as they were."""
        if self.job is not None:
            self.job.cancel()
            self.job = None
            self._idle()
            self._say("cancelled")
            self._show_levers()

    def _finish(self) -> None:
        assert self.pending is not None  # _request sets it before any job can finish
        p = self.pending
        found = [self.shared.runner.cache.get(r.key) for r in (*p.base, *p.tried)]
        if any(r is None for r in found):  # dropped from the cache meanwhile: run again
            self._request(show_progress=True)
            return
        done = [r for r in found if r is not None]
        bases, results = done[:len(p.base)], done[len(p.base):]
        w = Sample.of(p.scenario, p.settings.households).weight
        kept = self.shelf.add(Kept(
            n=self.shelf.next_number(), start=p.start, start_name=p.start_name,
            scenario=p.scenario, settings=p.settings, households=p.tried[0].params.households,
            base=views.weighted(views.pooled(bases), w),
            tried=views.weighted(views.pooled(results), w),
            per_draw=([views.weighted(r, w) for r in bases],
                      [views.weighted(r, w) for r in results]) if p.settings.draws else None,
            base_keys=tuple(r.key for r in p.base), keys=tuple(r.key for r in p.tried)))
        first = self.shown is None
        self._update_choices(shown=kept.n, against=0)
        self._render(first)
        self._show_levers()
        self._say("finished", seeds=p.settings.seeds, households=kept.households,  # last: the
                  steps=p.settings.steps)  # tests wait for it

    # ------------------------------------------------------------------ kept results
    @property
    def shown(self) -> Kept | None:
        """The kept result shown (``None``: none yet)."""
        return self.shelf.get(self.show_select.value)

    @property
    def against(self) -> Kept | None:
        """The kept result the shown one is compared with (``None``: its baseline)."""
        other, shown = self.shelf.get(self.against_select.value), self.shown
        if other is None or shown is None or other is shown or not comparable(shown, other):
            return None
        return other

    def _update_choices(self, shown: int | None = None, against: int | None = None) -> None:
        """The menus of kept results, in the current language (``shown``, ``against``: the
        numbers to select; 0 the baseline)."""
        L = self.lang
        shown = self.show_select.value if shown is None else shown
        against = self.against_select.value if against is None else against
        items = self.shelf.items[::-1]
        self._choosing = True  # the caller renders once
        try:
            self.show_select.options = {k.label(L): k.n for k in items}
            self.against_select.options = {texts.t("baseline", L): 0,
                                           **{k.label(L): k.n for k in items}}
            self.show_select.value = shown if self.shelf.get(shown) else (
                items[0].n if items else None)
            self.against_select.value = against if self.shelf.get(against) else 0
        finally:
            self._choosing = False

    @property
    def current(self) -> tuple[Result, Result, Scenario, Settings] | None:
        """The results compared: ``(compared, shown, shown scenario, its settings)``."""
        k = self.shown
        if k is None:
            return None
        b = self.against
        return (k.base if b is None else b.tried), k.tried, k.scenario, k.settings

    def _names(self) -> tuple[str, str]:
        """The names of the compared and the shown result."""
        k, b = self.shown, self.against
        assert k is not None  # called once results are shown
        return (texts.t("baseline", self.lang) if b is None else b.label(self.lang),
                k.label(self.lang))

    # ------------------------------------------------------------------ figures
    def _run_with(self, kept: Kept, name: str, city) -> str:
        """The line naming ``kept`` and the levers it was run with."""
        L = self.lang
        head = texts.t("run_with", L, name=name, start=self._start_label(kept.start_name))
        return f"**{head}:** {'; '.join(kept.changes(city, L)) or texts.t('no_change', L)}"

    def _render(self, first: bool = False) -> None:
        """Show the kept result chosen against the one it is compared with: its label, the
        table, the menus of the figures (their widgets' watchers held) and the figures."""
        k = self.shown
        if k is None:
            return
        L = self.lang
        city = self.shared.city(k.scenario, k.settings.households)
        names = self._names()
        label = [self._run_with(k, names[1], city)]
        b = self.against
        if b is not None:
            label.append(self._run_with(b, names[0], city))
        elif (other := self.shelf.get(self.against_select.value)) not in (None, k):
            label.append(texts.t("not_comparable", L, a=k.label(L), b=other.label(L)))
        self.result_label.object = "  \n".join(label)
        self.sample.object = Sample.of(k.scenario, k.settings.households).sentence(
            k.scenario.name, L)
        self._render_table()
        base, tried = self.current[:2]  # type: ignore[index]
        options = views.plotted(base, tried)
        held = views.formats_held(tried)
        milieus = milieu_sets.load(k.scenario.milieus)
        codes = [str(m) for m in tried.runs.milieu.values]
        self._choosing = True  # the figures are drawn once, below
        try:
            self.series_what.options = {texts.indicator(key, L): key for key in options}
            if first or self.series_what.value not in options:
                self.series_what.value = "representation_gap" if "representation_gap" in \
                    options else options[0]
            self.part_format.options = {texts.pick(texts.FORMATS[f], L): f for f in held}
            if (first or self.part_format.value not in held) and held:
                self.part_format.value = "open" if "open" in held else held[0]
            self.map_milieu.options = glossary.milieu_options(milieus, codes)
            if first or self.map_milieu.value not in codes:
                self.map_milieu.value = "PRE" if "PRE" in codes else codes[0]
            self.map_change.name = texts.t("change", L, name=names[0])
        finally:
            self._choosing = False
        self.glossary.object = glossary.glossary_html(L, milieus)
        self._draw_mix()
        self._draw_map(new_frames=True)
        self._draw_series()
        self._draw_participation()

    def _render_table(self) -> None:
        k, b = self.shown, self.against
        if k is None:
            return
        L, names, bands = self.lang, self._names(), self.target_bands()
        if k.per_draw is None:
            self.rows = table.rows(k.base if b is None else b.tried, k.tried, L, names, bands)
        else:
            bases = k.per_draw[0] if b is None or b.per_draw is None else b.per_draw[1]
            self.rows = table.posterior_rows(bases, k.per_draw[1], L, bands)
        self.table.object = table.html_table(self.rows, L, names)

    def _map_frames(self) -> dict[int, np.ndarray]:
        """The map's values per year (cached until what it shows changes)."""
        base, tried, scn, s = self.current  # type: ignore[misc]
        what, milieu, change = self.map_what.value, self.map_milieu.value, self.map_change.value
        key = (id(base), id(tried), what, milieu, change)
        if self._frames is not None and self._frames[0] == key:
            return self._frames[1]
        weight = Sample.of(scn, s.households).weight
        households = tried.runs.households.sum("milieu").mean("seed").values * weight

        def values(step: int) -> np.ndarray:  # small areas left out (analysis.privacy)
            v = views.map_values(tried, what, milieu, step)
            v = v - views.map_values(base, what, milieu, step) if change else v
            return privacy.suppress(v, privacy.small(households[step], scn.city.suppress_below))

        year0 = scn.start_year or 0
        first = 1 if what.startswith("turnout") else 0  # a flow has no value in year 0
        frames = {year0 + k: values(k) for k in range(first, tried.runs.sizes["step"])}
        self._frames = (key, frames)
        return frames

    def _draw_map(self, new_frames: bool = False) -> None:
        """Draw the map in the slider's year (``new_frames``: what it shows changed, so the
        slider's years are set anew, staying at the last year if it was there)."""
        if (self.current is None or self.map_milieu.value is None or self._moving_slider
                or not self._in_view("map", self.map_pane)):
            return
        frames = self._map_frames()
        years = list(frames)
        year = self.map_year.value
        if new_frames or year not in frames:
            if year == self.map_year.end or year not in frames:
                year = years[-1]
            self._moving_slider = True
            try:
                self.map_year.param.update(start=years[0], end=max(years[-1], years[0] + 1),
                                           value=year)
            finally:
                self._moving_slider = False
        L = self.lang
        what, change = self.map_what.value, self.map_change.value
        label = texts.pick(texts.MAP[what], L).format(milieu=self.map_milieu.value)
        if change:
            label = f"{label} – {texts.t('change', L, name=self._names()[0])}"
        title = f"{label}, {texts.t('year', L)} {year}"
        scn, s = self.current[2:]
        city = self.shared.city(scn, s.households)
        self.map_pane.object = views.city_map(city, frames[year], label, title, L,
                                              views.colour_limits(list(frames.values()), change),
                                              diverging=change)

    def _draw_mix(self) -> None:
        if self.current is None or not self._in_view("mix", self.mix_pane):
            return
        self.mix_pane.object = views.milieu_mix(self.current[1], self.lang)

    def _draw_series(self) -> None:
        if (self.current is None or self.series_what.value is None
                or not self._in_view("series", self.series_pane)):
            return
        base, tried, scn, _ = self.current
        self.series_pane.object = views.series_figure(base, tried, self.series_what.value,
                                                      self.lang, self._names(),
                                                      scn.start_year or 0)

    def _draw_participation(self) -> None:
        if self.current is None or not self.part_format.value:
            self.part_pane.object = None
            return
        if not self._in_view("part", self.part_pane):
            return
        self.part_pane.object = views.participation(self.current[1], self.part_format.value,
                                                    self.lang)

    # ------------------------------------------------------------------ downloads
    def _toml(self):
        """The shown result's scenario as a file (before any result: the levers as set)."""
        k = self.shown
        if k is not None:
            scn, start, start_name, s = k.scenario, k.start, k.start_name, k.settings
        else:
            s = self._settings()
            scn, start, start_name = self._tried(s), self.start, self.start_name
        base_name = self._base_name(start, start_name)
        base = self.shared.scenarios.get(base_name) if base_name else None
        files = {key: str(Path(v).resolve()) for key in CITY_FILES
                 if (v := getattr(scn.city, key)) is not None}  # runs from any folder
        text = report.scenario_toml(scn.model_copy(update={"city": scn.city.model_copy(
                                        update=files)}),
                                    base, base_name, scn.name.replace("+", "_"), scn.description
                                    or start.description, s.steps,
                                    Sample.of(scn, s.households).total, self.lang)
        return io.BytesIO(text.encode())

    def _base_name(self, start: Scenario, start_name: str) -> str | None:
        """The shipped scenario the start is (or extends)."""
        if start_name in self.shared.scenarios:
            return start_name
        parent = next((str(p) for k, p in start._origins.items() if k and p.endswith(".toml")
                       and str(sc.shipped_dir()) in p), None)
        return None if parent is None else parent.rsplit("/", 1)[-1].removesuffix(".toml")

    def _html(self):
        """The minutes of the shown comparison."""
        k = self.shown
        if k is None:  # the baseline is still being computed
            return io.BytesIO(f"<p>{texts.t('baseline_wait', self.lang)}</p>".encode())
        base, tried, scn, s = self.current
        city = self.shared.city(scn, s.households)
        sample = Sample.of(scn, s.households)
        names = self._names()
        data = report.summary_html(texts.t("title", self.lang),
                                   texts.t("run_with", self.lang, name=names[1],
                                           start=self._start_label(k.start_name)),
                                   k.changes(city, self.lang), self.rows, names, base, tried,
                                   {"seeds": s.seeds, "households": sample.run,
                                    "steps": s.steps}, self.lang,
                                   sample.sentence(scn.name, self.lang), scn.start_year or 0)
        return io.BytesIO(data)


def serve(start: Scenario, settings: Settings, port: int = 5006, host: str = "127.0.0.1",
          show: bool = False, posterior: Path | None = None,
          targets: Mapping[str, Band] | None = None, workers: int | None = None) -> None:
    """Serve the app until interrupted (binds ``host``, loopback by default); ``posterior``
    offers runs over its draws; ``targets`` are the city's bands (default:
    :data:`~urbsim.interfaces.workshop.targets.DEFAULTS`); at most ``workers`` runs compute
    at once, each in its run process (default: one per core), further ones wait their turn."""
    shared = Shared(start, settings, posterior, targets, workers)
    origins = {f"{h}:{port}" for h in (host, "localhost", "127.0.0.1")}
    if host not in ("127.0.0.1", "localhost", "::1"):
        origins |= {f"{socket.gethostname()}:{port}", f"{socket.getfqdn()}:{port}"}
    pn.extension(notifications=False)
    pn.serve({"/": lambda: Workshop(shared).view()}, port=port, address=host, show=show,
             title="urbsim workshop", websocket_origin=sorted(origins),
             start=True, threaded=False, verbose=False)
