"""Every text of the workshop app in English and German (lever labels live in levers.py)."""

from __future__ import annotations

import re

LANGS = ("en", "de")

UI = {
    "title": ("urbsim workshop: what if …?", "urbsim-Werkstatt: Was wäre, wenn …?"),
    "start": ("Start from", "Ausgangsszenario"),
    "participation": ("Participation", "Beteiligung"),
    "housing": ("Housing", "Wohnen"),
    "settings": ("Run settings", "Rechenlauf"),
    "seeds": ("Repetitions (seeds)", "Wiederholungen (Seeds)"),
    "households": ("Households", "Haushalte"),
    "steps": ("Years", "Jahre"),
    "run": ("Run", "Rechnen"),
    "cancel": ("Cancel", "Abbrechen"),
    "upload": ("Load a scenario (TOML)", "Szenario laden (TOML)"),
    "save_toml": ("Save scenario (TOML)", "Szenario speichern (TOML)"),
    "save_html": ("Summary for the minutes (HTML)", "Zusammenfassung fürs Protokoll (HTML)"),
    "baseline_wait": ("Computing the baseline …", "Das Ausgangsszenario wird berechnet …"),
    "running": ("Running {done} of {total} model years …", "Rechne {done} von {total} Modelljahren …"),
    "finished": ("Finished: {seeds} seeds × {households} households × {steps} years.",
                 "Fertig: {seeds} Seeds × {households} Haushalte × {steps} Jahre."),
    "cancelled": ("Cancelled.", "Abgebrochen."),
    "failed": ("The run failed: {error}", "Der Lauf ist fehlgeschlagen: {error}"),
    "loaded": ("Loaded {name}.", "{name} geladen."),
    "no_change": ("No lever changed: the tried scenario is the starting one.",
                  "Kein Hebel verändert: das Szenario ist das Ausgangsszenario."),
    "changes": ("Changes against {start}", "Änderungen gegenüber {start}"),
    "tab_table": ("Headline figures", "Kennzahlen"),
    "tab_map": ("Map", "Karte"),
    "tab_series": ("Over time", "Verlauf"),
    "tab_mix": ("Milieus by district", "Milieus nach Bezirk"),
    "tab_part": ("Who takes part", "Wer sich beteiligt"),
    "indicator": ("Indicator", "Kennzahl"),
    "milieu": ("Milieu", "Milieu"),
    "format": ("Format", "Format"),
    "change": ("Change against the baseline", "Veränderung gegenüber dem Ausgangsszenario"),
    "col_indicator": ("indicator", "Kennzahl"),
    "col_diff": ("difference [95% CI]", "Differenz [95%-KI]"),
    "col_verdict": ("verdict", "Einordnung"),
    "col_diff_draws": ("difference [95% over draws and seeds]",
                       "Differenz [95% über Ziehungen und Seeds]"),
    "col_signs": ("draws clearly + / −", "Ziehungen klar + / −"),
    "draws": ("Parameter uncertainty: posterior draws (0: the calibrated point)",
              "Parameterunsicherheit: Ziehungen aus der Posterior (0: kalibrierter Punkt)"),
    "baseline": ("baseline", "Ausgangsszenario"),
    "tried": ("tried", "Versuch"),
    "participants": ("participants", "Teilnehmende"),
    "residents": ("residents reached", "erreichte Bewohner"),
    "share": ("share (%)", "Anteil (%)"),
    "district": ("district", "Bezirk"),
    "year": ("Year", "Jahr"),
    "everywhere": ("all (none chosen)", "alle (keine gewählt)"),
    "sample": ("{name} runs as a 1-in-{k} sample: {run} of {total} households; counts are "
               "weighted ×{k}.",
               "{name} wird als 1-von-{k}-Stichprobe gerechnet: {run} von {total} Haushalten; "
               "Anzahlen sind ×{k} gewichtet."),
    "summary_note": ("{seeds} seeds, {households} households, {steps} years; flows averaged over "
                     "the last 10 years, states at the end; 95% intervals of paired differences.",
                     "{seeds} Seeds, {households} Haushalte, {steps} Jahre; Ströme gemittelt über "
                     "die letzten 10 Jahre, Zustände am Ende; 95%-Intervalle gepaarter Differenzen."),
}
"""Interface texts: key → (English, German)."""

MAP = {
    "share": ("share of a milieu (%)", "Anteil eines Milieus (%)"),
    "rent": ("private rent (EUR/month)", "Miete frei finanziert (EUR/Monat)"),
    "vacancy": ("vacancy (%)", "Leerstand (%)"),
    "turnout_election": ("election turnout (%)", "Wahlbeteiligung (%)"),
    "turnout_open": ("open-format turnout (%)", "Beteiligung offene Formate (%)"),
}
"""What the map can show: key → (English, German)."""

FORMATS = {
    "election": ("federal election", "Bundestagswahl"),
    "municipal": ("municipal election", "Kommunalwahl"),
    "open": ("open format", "offenes Format"),
    "panel": ("random-selection panel", "Bürgerrat (Zufallsauswahl)"),
    "continuous": ("continuous local format", "verstetigtes Format vor Ort"),
}

INDICATORS_DE = {
    "moves": "Umzüge pro Jahr (% der Haushalte)",
    "displaced": "Verdrängte pro Jahr (% der Haushalte)",
    "in_migrants": "Zuzüge pro Jahr",
    "out_migrants": "Fortzüge pro Jahr",
    "vacancy": "Leerstand (%)",
    "rent_private": "Angebotsmiete frei finanziert (EUR/Monat)",
    "contract_rent": "gezahlte Miete frei finanziert (EUR/Monat)",
    "owner_share": "Selbstnutzende Eigentümer (% der Haushalte)",
    "tenant_changes": "neue Mietverhältnisse pro Jahr (% der Mieterhaushalte)",
    "multigroup_dissimilarity": "Segregation aller Milieus (D)",
    "theil_h": "Theil H",
    "d_low": "Segregation statusniedriger Milieus (D, PRE+HKON)",
    "turnout_election": "Wahlbeteiligung Bundestagswahl (%)",
    "turnout_municipal": "Wahlbeteiligung Kommunalwahl (%)",
    "turnout_open": "Beteiligung offene Formate (%)",
    "turnout_panel": "Annahme Bürgerrat (%)",
    "turnout_continuous": "Beteiligung verstetigte Formate (%)",
    "representation_gap_election": "Repräsentationslücke Bundestagswahl (0..1)",
    "representation_gap_municipal": "Repräsentationslücke Kommunalwahl (0..1)",
    "representation_gap_open": "Repräsentationslücke offene Formate (0..1)",
    "representation_gap_panel": "Repräsentationslücke Bürgerrat (0..1)",
    "representation_gap_continuous": "Repräsentationslücke verstetigte Formate (0..1)",
    "representation_gap": "Repräsentationslücke, alle Formate und Wahlen zusammen (0..1)",
}

_VERDICTS_DE = (
    (r"^depends on uncertain parameters$", "hängt von unsicheren Parametern ab"),
    (r"^clearly higher across the posterior$", "über die Posterior deutlich höher"),
    (r"^clearly lower across the posterior$", "über die Posterior deutlich niedriger"),
    (r"^clearly higher", "deutlich höher"), (r"^clearly lower", "deutlich niedriger"),
    (r"^no clear difference$", "kein klarer Unterschied"),
    (r"^identical in every seed$", "in jedem Seed identisch"),
    (r"^one seed: no interval, run more seeds$", "ein Seed: kein Intervall, mehr Seeds rechnen"),
    (r"^only in ", "nur in "), (r"^in neither$", "in keinem"),
)


def t(key: str, lang: str, **kw) -> str:
    """The interface text ``key`` in ``lang``, formatted with ``kw``."""
    text = UI[key][LANGS.index(lang)]
    return text.format(**kw) if kw else text


def pick(pair: tuple[str, str], lang: str) -> str:
    """The text of ``pair`` (English, German) in ``lang``."""
    return pair[LANGS.index(lang)]


def indicator(key: str, lang: str) -> str:
    """The plain-language name of a headline indicator."""
    from urbsim.analysis.summary import LABELS

    return INDICATORS_DE[key] if lang == "de" else LABELS[key]


def verdict(text: str, lang: str) -> str:
    """A verdict of :class:`urbsim.analysis.compare.Difference` in ``lang``."""
    if lang == "en":
        return text
    for pattern, german in _VERDICTS_DE:
        text = re.sub(pattern, german, text)
    return text
