"""The workshop's page: its widgets, their layout and their labels in the page's language.

:class:`Page` builds the widgets and lays them out for a projector (1280×720): a top bar
(title, language), the levers in a sidebar that scrolls by itself, and beside it the run bar
(Run, Cancel, progress, status), what the levers are set to now, the kept results with the
downloads, and the result views under a tab bar. What the widgets do is
:class:`~urbsim.interfaces.workshop.app.Workshop`'s.
"""

from __future__ import annotations

import io

import panel as pn

from urbsim.inputs.scenario import Scenario
from urbsim.interfaces.workshop import levers, plotlocale, texts
from urbsim.interfaces.workshop.kept import SIZE
from urbsim.interfaces.workshop.shared import BOUNDS, Shared

TABS = ("table", "map", "series", "mix", "part", "glossary")
"""The result views, in the order of the tab bar (texts ``tab_<key>``)."""

BAND_SLIDERS = {"vacancy": (0.0, 15.0, False), "rent": (-10.0, 10.0, True)}
"""Each target band's slider: its ends (an end at the slider's end is open) and whether it
bounds a rise per year."""


class Page:
    """The widgets of one session's page (the session's state is the subclass's)."""

    shared: Shared
    lang: str
    start_name: str
    uploads: dict[str, Scenario]

    def _build(self) -> None:
        """Every widget and pane of the page (labelled by :meth:`_label`)."""
        w = pn.widgets
        self.language = w.RadioButtonGroup(options={"English": "en", "Deutsch": "de"},
                                           value="en", color="light",
                                           css_classes=["urbsim-language"])
        self.start_select = w.Select(options={}, css_classes=["urbsim-start"], width=300)
        self.switches: dict[str, pn.widgets.Checkbox] = {}
        self.numbers: dict[str, pn.widgets.Widget] = {}
        self.places: dict[str, pn.widgets.MultiChoice] = {}
        self.topics = {"participation": pn.Column(), "housing": pn.Column()}
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
                             width=280, css_classes=[f"{hook}-{n.key.replace('.', '-')}"])
                self.numbers[f"{g.id}.{n.key}"] = slider
                items.append(slider)
            for key in g.places:
                choice = w.MultiChoice(options=[], margin=(0, 10, 0, 30), width=280,
                                       css_classes=[f"{hook}-{key}"])
                self.places[f"{g.id}.{key}"] = choice
                items.append(choice)
            self.topics[g.topic].append(pn.Column(*items, margin=(2, 0)))
        self.bands = {k: w.RangeSlider(start=lo, end=hi, step=0.5, value=(lo, hi), width=280,
                                       css_classes=[f"urbsim-band-{k}"])
                      for k, (lo, hi, _) in BAND_SLIDERS.items()}
        self.bands_note = pn.pane.Markdown("", styles={"font-size": "12px"}, width=300)
        self.seeds = w.IntSlider(start=BOUNDS["seeds"][0], end=BOUNDS["seeds"][1], width=280)
        self.households = w.IntInput(start=BOUNDS["households"][0], end=BOUNDS["households"][1],
                                     step=1000, width=280)
        self.steps = w.IntSlider(start=BOUNDS["steps"][0], end=BOUNDS["steps"][1], width=280)
        self.draws = w.IntSlider(start=BOUNDS["draws"][0], end=BOUNDS["draws"][1], value=0,
                                 disabled=self.shared.draws is None, width=280,
                                 css_classes=["urbsim-draws"])
        self.run_button = w.Button(color="primary", disabled=True, width=110,
                                   css_classes=["urbsim-run"])
        self.cancel_button = w.Button(color="default", disabled=True, width=110,
                                      css_classes=["urbsim-cancel"])
        self.progress = pn.indicators.Progress(value=0, max=1, width=180, height=20,
                                               visible=False, margin=(15, 10),
                                               css_classes=["urbsim-progress"])
        self.status = pn.pane.Markdown("", css_classes=["urbsim-status"], margin=(4, 10))
        self.error = pn.pane.Alert("", alert_type="danger", visible=False,
                                   css_classes=["urbsim-error"], sizing_mode="stretch_width")
        self.upload = w.FileInput(accept=".toml", multiple=False, css_classes=["urbsim-upload"])
        self.levers_now = pn.pane.Markdown("", css_classes=["urbsim-levers-now"],
                                           sizing_mode="stretch_width", margin=(0, 10),
                                           styles={"font-size": "13px"})
        self.show_select = w.Select(options={}, width=200, css_classes=["urbsim-show"])
        self.against_select = w.Select(options={}, width=200, css_classes=["urbsim-against"])
        self.save_toml = w.FileDownload(callback=self._toml, filename="workshop_scenario.toml",
                                        color="light", embed=False, margin=(24, 5, 5, 5),
                                        css_classes=["urbsim-save-toml"])
        self.save_html = w.FileDownload(callback=self._html, filename="workshop_summary.html",
                                        color="light", embed=False, margin=(24, 5, 5, 5),
                                        css_classes=["urbsim-save-html"])
        self.result_label = pn.pane.Markdown("", css_classes=["urbsim-changes"], margin=(0, 10),
                                             sizing_mode="stretch_width",
                                             styles={"font-size": "13px"})
        self.table = pn.pane.HTML("", css_classes=["urbsim-table"])
        self.map_what = w.Select(options=list(texts.MAP), value="share", width=230)
        self.map_milieu = w.Select(options={}, value=None, width=230)
        self.map_change = w.Checkbox(value=False, width=230)
        self.map_year = w.IntSlider(start=0, end=1, value=1, width=220,
                                    css_classes=["urbsim-map-year"])
        self.map_pane = pn.pane.HoloViews(None, linked_axes=False)
        self.series_what = w.Select(options=[], width=400)
        self.series_pane = pn.pane.HoloViews(None, linked_axes=False)
        self.mix_pane = pn.pane.HoloViews(None, linked_axes=False)
        self.part_format = w.Select(options=[], width=300)
        self.part_pane = pn.pane.HoloViews(None, linked_axes=False)
        self.glossary = pn.pane.HTML("", css_classes=["urbsim-glossary"])
        self.header = pn.pane.Markdown("", margin=(0, 10))
        self.sample = pn.pane.Markdown("", css_classes=["urbsim-sample"], margin=(0, 10))
        self.heads = {k: pn.pane.Markdown("", margin=(0, 10))
                      for k in ("participation", "housing", "targets", "settings")}
        self.tab_bar = w.RadioButtonGroup(options={k: k for k in TABS}, value="table",
                                          color="light", css_classes=["urbsim-tabs"])
        self.views = {
            "table": pn.Column(self.table),
            "map": pn.Row(pn.Column(self.map_what, self.map_milieu, self.map_change,
                                    self.map_year, width=250), self.map_pane),
            "series": pn.Column(self.series_what, self.series_pane),
            "mix": pn.Column(self.mix_pane),
            "part": pn.Column(self.part_format, self.part_pane),
            "glossary": pn.Column(self.glossary),
        }

    def view(self) -> pn.viewable.Viewable:
        """The page: a top bar (title, language); the levers in a sidebar that scrolls by
        itself; beside it the run bar, what the levers are set to, the kept results and the
        tab bar stay in view, and the result views below them scroll by themselves."""
        top = pn.Row(self.header, pn.layout.HSpacer(), self.language,
                     sizing_mode="stretch_width", height=44)
        sidebar = pn.Column(
            self.start_select, self.upload,
            self.heads["participation"], self.topics["participation"],
            self.heads["housing"], self.topics["housing"],
            self.heads["targets"], self.bands_note, *self.bands.values(),
            self.heads["settings"], self.seeds, self.households, self.steps, self.draws,
            width=330, sizing_mode="stretch_height", scroll=True,
            styles={"border-right": "1px solid #ddd"})
        runbar = pn.Row(self.run_button, self.cancel_button, self.progress, self.status,
                        sizing_mode="stretch_width", height=50)
        kept = pn.Row(self.show_select, self.against_select, self.save_toml, self.save_html,
                      sizing_mode="stretch_width")
        results = pn.Column(*self.views.values(), sizing_mode="stretch_both", scroll=True)
        main = pn.Column(runbar, self.error, self.levers_now, kept, self.result_label,
                         self.sample, self.tab_bar, results, sizing_mode="stretch_both")
        return pn.Column(top, pn.Row(sidebar, main, sizing_mode="stretch_both"),
                         sizing_mode="stretch_both")

    def _show_tab(self) -> None:
        for key, view in self.views.items():
            view.visible = key == self.tab_bar.value

    @staticmethod
    def _title(title: str) -> None:
        """The browser tab's title. In a served session it changes on the next tick, under
        the document's lock: set from a widget's callback (a change of language) Bokeh
        raised "_pending_writes should be non-None" and the page stayed half translated."""
        doc = pn.state.curdoc
        if doc is None:
            return
        if doc.session_context is None:
            doc.title = title
            return

        def retitle() -> None:
            doc.title = title

        doc.add_next_tick_callback(retitle)

    def _label(self) -> None:
        """Every label in the current language."""
        L = self.lang
        self.header.object = f"### {texts.t('title', L)}"
        self._title(texts.t("title", L))
        self.start_select.name = texts.t("start", L)
        self._start_options()
        self.upload.name = texts.t("upload", L)
        for key in self.heads:
            self.heads[key].object = f"#### {texts.t(key, L)}"
        for g in levers.GROUPS:
            self.switches[g.id].name = g.label[L]
            for n in g.numbers:
                slider = self.numbers[f"{g.id}.{n.key}"]
                slider.name = f"{n.label[L]} ({n.unit[L]})"
                if isinstance(slider, pn.widgets.FloatSlider):
                    slider.format = plotlocale.slider_format(L)
            for key in g.places:
                self.places[f"{g.id}.{key}"].name = levers.PLACES[key][L]
                self.places[f"{g.id}.{key}"].placeholder = texts.t("everywhere", L)
        self.bands_note.object = texts.t("targets_note", L)
        for key, slider in self.bands.items():
            slider.name = texts.t(f"band_{key}", L)
            slider.format = plotlocale.slider_format(L)
        for key in ("seeds", "households", "steps", "draws"):
            getattr(self, key).name = texts.t(key, L)
        self.run_button.name = texts.t("run", L)
        self.cancel_button.name = texts.t("cancel", L)
        self.save_toml.label = texts.t("save_toml", L)
        self.save_html.label = texts.t("save_html", L)
        self.show_select.name = texts.t("show", L)
        self.show_select.description = texts.t("kept", L, n=SIZE)
        self.against_select.name = texts.t("against", L)
        self.map_what.name = texts.t("indicator", L)
        self.map_what.options = {texts.pick(v, L): k for k, v in texts.MAP_CHOICE.items()}
        self.map_milieu.name = texts.t("milieu", L)
        self.map_year.name = texts.t("year", L)
        self.series_what.name = texts.t("indicator", L)
        self.part_format.name = texts.t("format", L)
        self.tab_bar.options = {texts.t(f"tab_{k}", L): k for k in TABS}

    def _start_options(self) -> None:
        """The starts offered, named in the current language."""
        def label(key: str) -> str:
            if key in self.uploads:
                return texts.t("uploaded", self.lang, name=self.uploads[key].name)
            if key == self.shared.start_name and key != self.shared.start.name:
                return texts.t("file", self.lang, name=self.shared.start.name)
            return texts.t("baseline", self.lang) if key == "baseline" else key

        keys = [*self.shared.starts, *self.uploads]
        self.start_select.options = {label(k): k for k in keys}
        self.start_select.value = self.start_name

    def _start_label(self, name: str | None = None) -> str:
        key = self.start_name if name is None else name
        return next((label for label, k in self.start_select.options.items() if k == key), key)

    def _toml(self) -> io.BytesIO:
        """The *Save scenario (TOML)* download."""
        raise NotImplementedError

    def _html(self) -> io.BytesIO:
        """The *Summary for the minutes (HTML)* download."""
        raise NotImplementedError
