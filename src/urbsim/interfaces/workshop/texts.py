"""Every text the workshop app shows, in English and German: the one text catalogue.

Tables map a key to ``(English, German)``: the interface (:data:`UI`), the map's measures,
the formats, the levers and their units, the effects in plain words, the glossary. English
indicator names are :data:`urbsim.analysis.summary.LABELS` (the command line's), German ones
:data:`INDICATORS_DE`. Numbers in texts are formatted by :mod:`.numformat`.
"""

from __future__ import annotations

from collections.abc import Iterator

LANGS = ("en", "de")

UI = {
    "title": ("urbsim workshop: what if …?", "urbsim-Werkstatt: Was wäre, wenn …?"),
    "start": ("Start from", "Ausgehen von"),
    "participation": ("Participation", "Beteiligung"),
    "housing": ("Housing", "Wohnen"),
    "settings": ("Run settings", "Rechenlauf"),
    "targets": ("Target bands of the city", "Zielkorridore der Stadt"),
    "targets_note": ("A value inside the band is marked ✓, outside ✗; an empty field is an "
                     "open end.",
                     "Ein Wert im Korridor ist mit ✓ markiert, außerhalb mit ✗; ein leeres Feld "
                     "ist ein offenes Ende."),
    "band_vacancy": ("vacancy (%)", "Leerstand (%)"),
    "band_rent": ("rent rise (% a year since the start)",
                  "Mietanstieg (% pro Jahr seit dem Start)"),
    "seeds": ("Repetitions (seeds)", "Wiederholungen (Seeds)"),
    "households": ("Households", "Haushalte"),
    "steps": ("Years", "Jahre"),
    "run": ("Run", "Rechnen"),
    "cancel": ("Cancel", "Abbrechen"),
    "upload": ("Load a scenario (TOML)", "Szenario laden (TOML)"),
    "save_toml": ("Save scenario (TOML)", "Szenario speichern (TOML)"),
    "save_html": ("Summary for the minutes (HTML)", "Zusammenfassung fürs Protokoll (HTML)"),
    "baseline_wait": ("Computing the baseline …", "Das Basisszenario wird berechnet …"),
    "running": ("Running {done} of {total} model years …",
                "Rechne {done} von {total} Modelljahren …"),
    "finished": ("Finished: {seeds} seeds × {households} households × {steps} years.",
                 "Fertig: {seeds} Seeds × {households} Haushalte × {steps} Jahre."),
    "queued": ("Waiting for a free run process: place {place} in the queue …",
               "Wartet auf einen freien Rechenprozess: Platz {place} in der Warteschlange …"),
    "cancelled": ("Cancelled.", "Abgebrochen."),
    "failed": ("The run failed: {error}", "Der Lauf ist fehlgeschlagen: {error}"),
    "loaded": ("Loaded {name}.", "{name} geladen."),
    "no_change": ("no lever changed", "kein Hebel verändert"),
    "set_now": ("Levers set now against {start}", "Jetzt eingestellt gegenüber {start}"),
    "not_run": ("not run yet: press Run", "noch nicht gerechnet: „Rechnen“ drücken"),
    "run_with": ("{name}, run with (against {start})", "{name}, gerechnet mit (gegenüber {start})"),
    "try": ("Try {n}", "Versuch {n}"),
    "show": ("Result shown", "Angezeigtes Ergebnis"),
    "against": ("Compared with", "Verglichen mit"),
    "kept": ("The last {n} results are kept; the downloads hold the one shown.",
             "Die letzten {n} Ergebnisse bleiben erhalten; die Downloads enthalten das "
             "angezeigte."),
    "not_comparable": ("{a} and {b} ran with different run settings: each is compared with "
                       "the baseline instead.",
                       "{a} und {b} wurden mit verschiedenen Einstellungen gerechnet: beide "
                       "werden stattdessen mit dem Basisszenario verglichen."),
    "tab_table": ("Headline figures", "Kennzahlen"),
    "tab_map": ("Map", "Karte"),
    "tab_series": ("Over time", "Verlauf"),
    "tab_mix": ("Milieus by district", "Milieus nach Bezirk"),
    "tab_part": ("Who takes part", "Wer sich beteiligt"),
    "tab_glossary": ("Glossary", "Glossar"),
    "indicator": ("Indicator", "Kennzahl"),
    "milieu": ("Milieu", "Milieu"),
    "format": ("Format", "Format"),
    "change": ("Change against {name}", "Veränderung gegenüber {name}"),
    "col_indicator": ("indicator", "Kennzahl"),
    "col_aim": ("better is", "besser ist"),
    "col_effect": ("effect", "Wirkung"),
    "col_diff": ("difference [95% CI]", "Differenz [95%-KI]"),
    "col_diff_draws": ("difference [95% over draws and seeds]",
                       "Differenz [95% über Ziehungen und Seeds]"),
    "col_signs": ("draws clearly + / −", "Ziehungen klar + / −"),
    "details": ("Details: differences with their 95 % intervals",
                "Details: Differenzen mit ihren 95-%-Intervallen"),
    "aim_lower": ("lower ↓", "niedriger ↓"),
    "aim_higher": ("higher ↑", "höher ↑"),
    "aim_band": ("in the band {band}", "im Korridor {band}"),
    "in_band": ("inside the target band", "im Zielkorridor"),
    "out_band": ("outside the target band", "außerhalb des Zielkorridors"),
    "band_legend": ("✓ inside the city's target band, ✗ outside it (set the bands under "
                    "“Target bands of the city”).",
                    "✓ im Zielkorridor der Stadt, ✗ außerhalb (die Korridore stehen unter "
                    "„Zielkorridore der Stadt“)."),
    "per_year": ("{x} %/year", "{x} %/Jahr"),
    "draws": ("Parameter uncertainty: posterior draws (0: the calibrated point)",
              "Parameterunsicherheit: Ziehungen aus der Posterior (0: kalibrierter Punkt)"),
    "no_posterior": ("posterior draws: start the workshop with --posterior FILE "
                     "(urbsim calibrate --abc writes calibration/posterior.csv)",
                     "Ziehungen aus der Posterior: die Werkstatt mit --posterior DATEI starten "
                     "(urbsim calibrate --abc schreibt calibration/posterior.csv)"),
    "bad_setting": ("{what}: expected a whole number from {low} to {high}",
                    "{what}: erwartet eine ganze Zahl von {low} bis {high}"),
    "baseline": ("baseline", "Basisszenario"),
    "file": ("{name} (file)", "{name} (Datei)"),
    "uploaded": ("{name} (upload)", "{name} (hochgeladen)"),
    "participants": ("participants", "Teilnehmende"),
    "residents": ("residents reached", "erreichte Bewohner"),
    "share": ("share (%)", "Anteil (%)"),
    "district": ("district", "Bezirk"),
    "neighbourhood": ("neighbourhood", "Quartier"),
    "scenario": ("scenario", "Szenario"),
    "year": ("Year", "Jahr"),
    "na": ("n/a", "k. A."),
    "everywhere": ("all (none chosen)", "alle (keine gewählt)"),
    "all": ("all", "alle"),
    "on": ("on", "an"),
    "off": ("off", "aus"),
    "sample": ("{name} runs as a 1-in-{k} sample: {run} of {total} households; counts are "
               "weighted ×{k}.",
               "{name} wird als 1-von-{k}-Stichprobe gerechnet: {run} von {total} Haushalten; "
               "Anzahlen sind ×{k} gewichtet."),
    "summary_note": ("{seeds} seeds, {households} households, {steps} years; flows averaged over "
                     "the last 10 years, states at the end; 95% intervals of paired differences.",
                     "{seeds} Seeds, {households} Haushalte, {steps} Jahre; Ströme gemittelt über "
                     "die letzten 10 Jahre, Zustände am Ende; 95%-Intervalle gepaarter Differenzen."),
    "milieu_group": ("{code}: {name} ({group})", "{code}: {name} ({group})"),
    "glossary_milieus": ("Milieu codes", "Milieu-Kürzel"),
    "toml_head": ("Tried in an urbsim workshop on {date}.",
                  "In einer urbsim-Werkstatt ausprobiert am {date}."),
    "toml_run": ("Run it: urbsim run THIS_FILE  ·  compare: urbsim compare {base} THIS_FILE",
                 "Rechnen: urbsim run DIESE_DATEI  ·  vergleichen: urbsim compare {base} "
                 "DIESE_DATEI"),
}
"""Interface texts: key → (English, German)."""

MAP = {
    "share": ("share of {milieu} (% of households)", "Anteil {milieu} (% der Haushalte)"),
    "rent": ("asking rent, private rentals (EUR/month)",
             "Angebotsmiete frei finanziert (EUR/Monat)"),
    "vacancy": ("vacancy (% of dwellings)", "Leerstand (% der Wohnungen)"),
    "turnout_election": ("federal election turnout (%)", "Wahlbeteiligung Bundestagswahl (%)"),
    "turnout_open": ("open-format turnout (%)", "Beteiligung offene Formate (%)"),
}
"""What the map can show, named with its unit (the colour bar's title): key → (English,
German)."""

MAP_CHOICE = {
    "share": ("share of a milieu", "Anteil eines Milieus"),
    "rent": ("asking rent", "Angebotsmiete"),
    "vacancy": ("vacancy", "Leerstand"),
    "turnout_election": ("federal election turnout", "Wahlbeteiligung Bundestagswahl"),
    "turnout_open": ("open-format turnout", "Beteiligung offene Formate"),
}
"""The map's measures as the menu offers them."""

FORMATS = {
    "election": ("federal election", "Bundestagswahl"),
    "municipal": ("municipal election", "Kommunalwahl"),
    "open": ("open format", "offenes Format"),
    "panel": ("random-selection panel", "Bürgerrat (Zufallsauswahl)"),
    "continuous": ("continuous local format", "verstetigtes Format vor Ort"),
}

MILIEU_GROUPS = {
    "leading": ("leading milieus", "Leitmilieus"),
    "creative": ("creative milieus", "kreative Milieus"),
    "mainstream": ("mainstream", "Mitte"),
    "traditional": ("traditional milieus", "traditionelle Milieus"),
    "precarious": ("precarious milieus", "prekäre Milieus"),
}
"""The groups of the Sinus milieus (the milieu set's ``group``)."""

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

_GAP = ("representation gap about {p} {w}", "Repräsentationslücke etwa {p} {w}",
        ("wider", "narrower"), ("größer", "kleiner"))
_TURNOUT = ("turnout about {p} {w}", "Beteiligung etwa {p} {w}",
            ("higher", "lower"), ("höher", "niedriger"))
_SEGREGATION = ("segregation about {p} {w}", "Segregation etwa {p} {w}",
                ("higher", "lower"), ("höher", "niedriger"))
EFFECTS = {
    "moves": ("about {p} {w} moves", "etwa {p} {w} Umzüge",
              ("more", "fewer"), ("mehr", "weniger")),
    "displaced": ("about {p} {w} displaced households", "etwa {p} {w} verdrängte Haushalte",
                  ("more", "fewer"), ("mehr", "weniger")),
    "in_migrants": ("about {p} {w} in-migrants", "etwa {p} {w} Zuzüge",
                    ("more", "fewer"), ("mehr", "weniger")),
    "out_migrants": ("about {p} {w} out-migrants", "etwa {p} {w} Fortzüge",
                     ("more", "fewer"), ("mehr", "weniger")),
    "vacancy": ("vacancy about {p} {w}", "Leerstand etwa {p} {w}",
                ("higher", "lower"), ("höher", "niedriger")),
    "rent_private": ("asking rents about {p} {w}", "Angebotsmieten etwa {p} {w}",
                     ("higher", "lower"), ("höher", "niedriger")),
    "contract_rent": ("rents paid about {p} {w}", "gezahlte Mieten etwa {p} {w}",
                      ("higher", "lower"), ("höher", "niedriger")),
    "owner_share": ("about {p} {w} owner-occupiers", "etwa {p} {w} selbstnutzende Eigentümer",
                    ("more", "fewer"), ("mehr", "weniger")),
    "tenant_changes": ("about {p} {w} new tenancies", "etwa {p} {w} neue Mietverhältnisse",
                       ("more", "fewer"), ("mehr", "weniger")),
    "multigroup_dissimilarity": _SEGREGATION,
    "theil_h": _SEGREGATION,
    "d_low": ("segregation of low-status milieus about {p} {w}",
              "Segregation statusniedriger Milieus etwa {p} {w}",
              ("higher", "lower"), ("höher", "niedriger")),
    "turnout_election": _TURNOUT, "turnout_municipal": _TURNOUT, "turnout_open": _TURNOUT,
    "turnout_continuous": _TURNOUT,
    "turnout_panel": ("panel acceptance about {p} {w}", "Annahme des Bürgerrats etwa {p} {w}",
                      ("higher", "lower"), ("höher", "niedriger")),
    **{k: _GAP for k in ("representation_gap", "representation_gap_election",
                         "representation_gap_municipal", "representation_gap_open",
                         "representation_gap_panel", "representation_gap_continuous")},
}
"""An effect in plain words per indicator: (English, German, English words for more and less,
German words); ``{p}`` is its size relative to the comparison's value."""

VERDICTS = {
    "higher": ("clearly higher", "deutlich höher"),
    "lower": ("clearly lower", "deutlich niedriger"),
    "unclear": ("no clear difference", "kein klarer Unterschied"),
    "identical": ("identical in every repetition", "in jeder Wiederholung gleich"),
    "one_seed": ("one repetition: run more to judge",
                 "eine Wiederholung: für ein Urteil mehr rechnen"),
    "only": ("only in {name}", "nur in {name}"),
    "neither": ("in neither", "in keinem"),
    "depends": ("depends on uncertain parameters", "hängt von unsicheren Parametern ab"),
    "posterior": ("{effect} across the parameter draws", "{effect} über die Parameterziehungen"),
    "better": ("{effect}: better", "{effect}: besser"),
    "worse": ("{effect}: worse", "{effect}: schlechter"),
    "less_than": ("under {p}", "unter {p}"),
}
"""The verdicts of :mod:`.effects` in plain words."""

TOOLS = {
    "PanTool": ("Pan", "Verschieben"),
    "BoxZoomTool": ("Zoom to a box", "Auf Rechteck zoomen"),
    "WheelZoomTool": ("Zoom with the wheel", "Mit dem Mausrad zoomen"),
    "SaveTool": ("Save as PNG", "Als PNG speichern"),
    "ResetTool": ("Reset the view", "Ansicht zurücksetzen"),
    "HoverTool": ("Values under the pointer", "Werte unter dem Mauszeiger"),
    "TapTool": ("Select", "Auswählen"),
}
"""The plots' toolbar buttons (by bokeh tool), their tooltips."""

LEVERS = {
    "events.open_format": ("Open participation format", "Offenes Beteiligungsformat"),
    "events.panel": ("Random-selection citizen panel", "Bürgerrat mit Zufallsauswahl"),
    "events.anchored": ("Continuous local formats (estate districts)",
                        "Verstetigte Formate vor Ort (Großsiedlungen)"),
    "policies.rent_brake": ("Rent brake on re-lets (Mietpreisbremse)", "Mietpreisbremse"),
    "policies.lower_cap": ("Lower cap on rent rises (hypothetical)",
                           "Niedrigere Kappungsgrenze (hypothetisch)"),
    "policies.social_quota": ("New construction", "Neubau"),
    "policies.unlock_underused": ("Unlock under-used homes (1950–79 houses of older owners)",
                                  "Untergenutzten Wohnraum mobilisieren (Häuser 1950–79 älterer "
                                  "Eigentümer)"),
    "every": ("held every", "findet statt alle"),
    "outreach": ("outreach at home", "aufsuchende Ansprache"),
    "social_media": ("social media", "soziale Medien"),
    "local_anchor_open": ("local anchor person or place", "lokale Ankerperson oder -ort"),
    "local_anchor": ("local anchor", "lokaler Anker"),
    "invite_share": ("households invited", "eingeladene Haushalte"),
    "markup": ("re-let rent at most", "Wiedervermietung höchstens"),
    "cap": ("sitting tenants' rent rise at most", "Mieterhöhung höchstens"),
    "dwellings": ("new dwellings", "neue Wohnungen"),
    "social_quota": ("social housing quota", "Sozialwohnungsquote"),
    "rate": ("under-used houses yielding a flat", "untergenutzte Häuser mit neuer Wohnung"),
    "districts": ("districts", "Bezirke"),
    "neighbourhoods": ("neighbourhoods", "Quartiere"),
}
"""Lever labels (:mod:`.levers`): a group's ``section.name``, a number's or a place list's key."""

UNITS = {
    "years": ("years", "Jahre"),
    "intensity": ("intensity 0–3", "Intensität 0–3"),
    "percent": ("%", "%"),
    "above_reference": ("% above the reference rent", "% über der Vergleichsmiete"),
    "in_three_years": ("% in three years", "% in drei Jahren"),
    "a_year": ("a year", "pro Jahr"),
    "percent_a_year": ("% a year", "% pro Jahr"),
}
"""Units of the levers' numbers."""

GLOSSARY = (
    (("Effect in words", "Wirkung in Worten"),
     ("The shown result against the one it is compared with, relative to the latter's value: "
      "“about 3 % fewer displaced households” means 3 % of its value, not 3 percentage points. "
      "“No clear difference” means the 95 % interval includes zero: the runs cannot tell the "
      "two apart.",
      "Das angezeigte Ergebnis gegenüber dem Vergleich, relativ zu dessen Wert: „etwa 3 % "
      "weniger verdrängte Haushalte“ heißt 3 % seines Werts, nicht 3 Prozentpunkte. „Kein "
      "klarer Unterschied“ heißt, das 95-%-Intervall schließt null ein: die Läufe können die "
      "beiden nicht unterscheiden.")),
    (("95 % interval", "95-%-Intervall"),
     ("The range in which the mean difference lies with 95 % confidence, from the repetitions "
      "run (paired: each repetition of both columns draws the same random numbers). Under "
      "“Details” below the table.",
      "Der Bereich, in dem die mittlere Differenz mit 95 % Sicherheit liegt, aus den "
      "gerechneten Wiederholungen (gepaart: jede Wiederholung beider Spalten zieht dieselben "
      "Zufallszahlen). Unter „Details“ unter der Tabelle.")),
    (("Repetitions (seeds)", "Wiederholungen (Seeds)"),
     ("Each scenario runs several times with different random numbers; shown are means over "
      "them. More repetitions give narrower intervals and take longer.",
      "Jedes Szenario wird mehrmals mit anderen Zufallszahlen gerechnet; gezeigt sind "
      "Mittelwerte. Mehr Wiederholungen geben engere Intervalle und dauern länger.")),
    (("Better is", "Besser ist"),
     ("Where the direction is unambiguous the table says which is better: less displacement, "
      "less segregation, a smaller representation gap, higher turnout. Vacancy and rents have "
      "no better direction in general: the city sets a target band for them.",
      "Wo die Richtung eindeutig ist, sagt die Tabelle, was besser ist: weniger Verdrängung, "
      "weniger Segregation, eine kleinere Repräsentationslücke, höhere Beteiligung. Leerstand "
      "und Mieten haben keine allgemein bessere Richtung: für sie setzt die Stadt einen "
      "Zielkorridor.")),
    (("Target band", "Zielkorridor"),
     ("The range the city aims for, e.g. vacancy from 2 to 5 % (enough empty flats for people "
      "to move, not so many that quarters decline) and rents rising at most 2 % a year since "
      "the start. A value inside is marked ✓, outside ✗.",
      "Der Bereich, den die Stadt anstrebt, z. B. Leerstand von 2 bis 5 % (genug freie "
      "Wohnungen für Umzüge, nicht so viele, dass Quartiere verfallen) und Mieten, die seit "
      "dem Start um höchstens 2 % pro Jahr steigen. Ein Wert darin ist mit ✓ markiert, "
      "außerhalb mit ✗.")),
    (("Displaced", "Verdrängte"),
     ("Tenant households forced to move by their rent: above the share of income they can "
      "bear, or on basic income support (SGB II) above the rent it pays. Owners are never "
      "displaced.",
      "Mieterhaushalte, die wegen ihrer Miete umziehen müssen: über dem tragbaren Anteil ihres "
      "Einkommens oder, mit Bürgergeld (SGB II), über der angemessenen Miete (KdU). "
      "Eigentümer werden nie verdrängt.")),
    (("Dissimilarity index D", "Segregationsindex D"),
     ("How unevenly groups live across the neighbourhoods, 0 to 1: the share of one group "
      "that would have to move for every neighbourhood to have the city's mix. Lower is "
      "better.",
      "Wie ungleich Gruppen über die Quartiere verteilt wohnen, 0 bis 1: der Anteil einer "
      "Gruppe, der umziehen müsste, damit jedes Quartier die Mischung der Stadt hat. "
      "Niedriger ist besser.")),
    (("D low-status (PRE+HKON)", "Segregation statusniedriger Milieus (D, PRE+HKON)"),
     ("The index D of the low-status milieus (Prekäre and Konsum-Hedonisten, a proxy for "
      "households on basic income support) against all others.",
      "Der Index D der statusniedrigen Milieus (Prekäre und Konsum-Hedonisten, stellvertretend "
      "für Haushalte mit Bürgergeld) gegenüber allen anderen.")),
    (("Multigroup dissimilarity", "Segregation aller Milieus (D)"),
     ("The index D over all milieus at once.", "Der Index D über alle Milieus zugleich.")),
    (("Theil H", "Theil H"),
     ("Another segregation index of all milieus, 0 to 1: 0 when every neighbourhood has the "
      "city's mix, 1 when each holds a single milieu. Lower is better.",
      "Ein weiterer Segregationsindex aller Milieus, 0 bis 1: 0, wenn jedes Quartier die "
      "Mischung der Stadt hat, 1, wenn jedes nur ein Milieu beherbergt. Niedriger ist "
      "besser.")),
    (("Representation gap", "Repräsentationslücke"),
     ("How far the milieu mix of those who took part is from the mix of those reached, 0 to "
      "1 (0: a mirror of the residents, 1: nobody alike). Smaller is better.",
      "Wie weit die Milieumischung der Teilnehmenden von der der Erreichten abweicht, 0 bis 1 "
      "(0: ein Spiegel der Bewohner, 1: niemand gleich). Kleiner ist besser.")),
    (("Turnout", "Beteiligung"),
     ("The share of the residents reached (in scope, or invited to a panel) who took part.",
      "Der Anteil der erreichten Bewohner (im Einzugsbereich oder zum Bürgerrat eingeladen), "
      "der teilgenommen hat.")),
    (("Flows and states", "Ströme und Zustände"),
     ("Flows (moves, migration, turnout, representation) are averaged over the last 10 years; "
      "states (vacancy, rents, segregation) are taken at the end. Flows have no value in the "
      "starting year.",
      "Ströme (Umzüge, Wanderungen, Beteiligung, Repräsentation) sind über die letzten 10 "
      "Jahre gemittelt, Zustände (Leerstand, Mieten, Segregation) am Ende abgelesen. Ströme "
      "haben im Startjahr keinen Wert.")),
    (("Milieu", "Milieu"),
     ("A Sinus lifestyle milieu: households alike in values and social status. The codes are "
      "listed below.",
      "Ein Sinus-Milieu: Haushalte mit ähnlichen Werten und ähnlichem sozialen Status. Die "
      "Kürzel stehen unten.")),
)
"""The glossary: ((term, Begriff), (explanation, Erklärung)), in the order shown."""


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


def catalogue() -> Iterator[tuple[str, str]]:
    """Every ``(English, German)`` pair of the catalogue (the tests look for stray English)."""
    from urbsim.analysis.summary import LABELS

    for table in (UI, MAP, MAP_CHOICE, FORMATS, MILIEU_GROUPS, VERDICTS, TOOLS, LEVERS, UNITS):
        yield from table.values()
    for en, de, words_en, words_de in EFFECTS.values():
        yield en, de
        yield from zip(words_en, words_de, strict=True)
    for term, text in GLOSSARY:
        yield term
        yield text
    yield from ((LABELS[k], INDICATORS_DE[k]) for k in INDICATORS_DE)
