"""Bad input through the command line: one line naming the file and the dotted key, exit 2,
no traceback, nothing written. One case per kind of mistake."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

from urbsim.common.errors import InputError
from urbsim.interfaces.cli import app

SCENARIO = "scenario.toml"
EVENT = '[events.x]\nformat = "open"\nstep = 1\n'
MILIEUS = (
    'name = "two"\nchannels = []\n'
    + "".join(f'[[milieu]]\ncode = "{c}"\nname = "{c}"\nshare = {s}\nvalues = 1.0\nstatus = 1.0\n'
              "turnout = 0.7\nhomophily = 1.0\ntolerance = 0.3\ndiversity_pref = 0.0\n"
              "status_pref = 0.0\namenity_pref = 0.0\nrent_sensitivity = 1.0\n"
              "segment_pref = [0, 0, 0, 0]\nmobility = 0.1\nchannels = []\n"
              for c, s in (("A", 0.5), ("B", 0.3)))
)
NODES = ("id,district,x,y,social,private,owner_flat,single_family,"
         "rent_social,rent_private,rent_owner_flat,rent_single_family\n"
         "a,D,0,0,10,10,0,0,400,600,0,0\nb,D,1,0,10,{b},0,0,400,600,0,0\n")
EDGES = "source,target\na,b\n"

GEO = 'households = 10\n[city]\npolygons = "c.geojson"\npolygon_scale = 1\n'


def _feature(fid: str, square: tuple[float, float] | None = (0, 0), private="10",
             geometry: str | None = None) -> str:
    x, y = square or (0, 0)
    ring = f"[[{x},{y}],[{x + 1},{y}],[{x + 1},{y + 1}],[{x},{y + 1}],[{x},{y}]]"
    geom = geometry or f'{{"type":"Polygon","coordinates":[{ring}]}}'
    props = (f'"id":"{fid}","district":"D","social":0,"private":{private},"owner_flat":0,'
             '"single_family":0,"rent_social":0,"rent_private":600,"rent_owner_flat":0,'
             '"rent_single_family":0')
    return f'{{"type":"Feature","properties":{{{props}}},"geometry":{geom}}}'


def _collection(*features: str) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def _milieus(**change: str) -> str:
    """The two-milieu file of MILIEUS with top-level lines replaced or added."""
    text = MILIEUS
    for key, line in change.items():
        text = text.replace(f'{key} = "two"\n' if key == "name" else f"{key} = []\n", "", 1)
        text = line + "\n" + text
    return text


# id: (files to write, the file `urbsim run` is given, fragments the error line must contain)
CASES = {
    "toml-syntax": ({SCENARIO: "steps = \n"}, SCENARIO, ["TOML syntax error", "line 1"]),
    "unknown-key": ({SCENARIO: "stepz = 3\n"}, SCENARIO, ["stepz", "did you mean 'steps'"]),
    "unknown-nested-key": ({SCENARIO: "[moving]\nforced_rat = 1\n"}, SCENARIO,
                           ["moving.forced_rat", "did you mean 'forced_rate'"]),
    "unknown-key-no-match": ({SCENARIO: "[market]\nzzz = 1\n"}, SCENARIO,
                             ["market.zzz", "known keys: enabled, vacancy_target"]),
    "string-for-integer": ({SCENARIO: 'steps = "ten"\n'}, SCENARIO,
                           ["steps", "expected an integer", "'ten'"]),
    "boolean-for-number": ({SCENARIO: "[moving]\nforced_rate = true\n"}, SCENARIO,
                           ["moving.forced_rate", "expected a number"]),
    "number-for-table": ({SCENARIO: "moving = 3\n"}, SCENARIO, ["moving", "expected a table"]),
    "above-range": ({SCENARIO: "[moving]\nforced_rate = 1.5\n"}, SCENARIO,
                    ["moving.forced_rate", "<= 1", "1.5"]),
    "below-range": ({SCENARIO: "households = -5\n"}, SCENARIO, ["households", ">= 1"]),
    "not-finite": ({SCENARIO: "[choice]\nsearch_distance = inf\n"}, SCENARIO,
                   ["choice.search_distance", "finite"]),
    "list-item-type": ({SCENARIO: '[satisfaction]\nring_weights = [1, "a"]\n'}, SCENARIO,
                       ["satisfaction.ring_weights[1]", "expected a number"]),
    "unknown-format": ({SCENARIO: '[events.x]\nformat = "townhall"\nstep = 1\n'}, SCENARIO,
                       ["events.x.format", "'panel'", "'townhall'"]),
    "missing-required": ({SCENARIO: '[events.x]\nformat = "open"\n'}, SCENARIO,
                         ["events.x.step", "missing"]),
    "unknown-format-shift": ({SCENARIO: "[participation.format_shift]\ntownhall = -2\n"},
                             SCENARIO, ["participation", "unknown format ['townhall']"]),
    "channel-out-of-range": ({SCENARIO: EVENT + "channels = { print = 5 }\n"}, SCENARIO,
                             ["events.x.channels.print", "<= 3"]),
    "unknown-policy-kind": ({SCENARIO: '[policies.x]\nkind = "rentbrake"\nstart = 1\n'},
                            SCENARIO, ["policies.x.kind", "'rent_brake'", "'rentbrake'"]),
    "removed-policy-kind": ({SCENARIO: '[policies.x]\nkind = "rent_cap"\nstart = 1\n'},
                            SCENARIO, ["policies.x.kind: 'rent_cap' was removed", "rent_brake",
                                       "lower_cap", "rent_freeze"]),
    "removed-in-ratio": ({SCENARIO: "[turnover]\nin_ratio = 1.1\n"}, SCENARIO,
                         ["turnover: `in_ratio` was removed", "[demand] table"]),
    "end-before-start": ({SCENARIO: '[policies.x]\nkind = "rent_brake"\nstart = 5\nend = 2\n'},
                         SCENARIO, ["policies.x", "before"]),
    "unknown-district": ({SCENARIO: EVENT + 'districts = ["Nowhere"]\n'}, SCENARIO,
                         ["events.x.districts", "unknown district 'Nowhere'", "Mitte"]),
    "unknown-neighbourhood": (
        {SCENARIO: '[policies.x]\nkind = "construction"\nstart = 1\nneighbourhoods = ["N999"]\n'},
        SCENARIO, ["policies.x.neighbourhoods", "'N999'"]),
    "unknown-channel": ({SCENARIO: EVENT + "channels = { telepathy = 1 }\n"}, SCENARIO,
                        ["events.x.channels.telepathy", "known: print"]),
    "unknown-milieu": ({SCENARIO: "[turnover]\ntrend = { XYZ = 0.1 }\n"}, SCENARIO,
                       ["turnover.trend.XYZ", "unknown milieu", "PRE"]),
    "shares-do-not-sum": ({SCENARIO: 'milieus = "two.toml"\n', "two.toml": MILIEUS}, SCENARIO,
                          ["two.toml", "milieu.share", "sum to 0.800"]),
    "missing-milieu-file": ({SCENARIO: 'milieus = "nowhere.toml"\n'}, SCENARIO,
                            ["milieus", "no such file", "vhw11"]),
    "missing-city-files": ({SCENARIO: '[city]\nnodes = "n.csv"\nedges = "e.csv"\n'}, SCENARIO,
                           ["city.nodes", "no such file"]),
    "nodes-without-edges": ({SCENARIO: '[city]\nnodes = "n.csv"\n'}, SCENARIO,
                            ["city", "both `nodes` and `edges`"]),
    "bad-city-value": ({SCENARIO: '[city]\nnodes = "n.csv"\nedges = "e.csv"\n',
                        "n.csv": NODES.format(b="x"), "e.csv": EDGES}, SCENARIO,
                       ["n.csv", "private", "'x'"]),
    "too-many-households": ({SCENARIO: 'households = 100\n[city]\nnodes = "n.csv"\n'
                                       'edges = "e.csv"\n',
                             "n.csv": NODES.format(b=10), "e.csv": EDGES}, SCENARIO,
                            ["households", "at most 40"]),
    "geojson-bad-json": ({SCENARIO: GEO, "c.geojson": '{"type": "FeatureCollection", ['},
                         SCENARIO, ["c.geojson", "invalid JSON", "line 1"]),
    "geojson-not-a-collection": ({SCENARIO: GEO, "c.geojson": '{"type": "Feature"}'}, SCENARIO,
                                 ["c.geojson: type", "FeatureCollection"]),
    "geojson-no-properties": ({SCENARIO: GEO, "c.geojson": _collection(
        '{"type":"Feature","geometry":null}')}, SCENARIO, ["c.geojson: features[0]", "properties"]),
    "geojson-point": ({SCENARIO: GEO, "c.geojson": _collection(_feature(
        "a", geometry='{"type":"Point","coordinates":[0,0]}'))}, SCENARIO,
        ["features[0].geometry", "Polygon or MultiPolygon", "'Point'"]),
    "geojson-bad-coordinates": ({SCENARIO: GEO, "c.geojson": _collection(_feature(
        "a", geometry='{"type":"Polygon","coordinates":[[[0,0],[1]]]}'))}, SCENARIO,
        ["features[0].geometry", "malformed Polygon coordinates"]),
    "geojson-duplicate-id": ({SCENARIO: GEO, "c.geojson": _collection(
        _feature("a"), _feature("a", (1, 0)))}, SCENARIO,
        ["features[1].properties.id", "duplicate neighbourhood id 'a'"]),
    "geojson-fractional-dwellings": ({SCENARIO: GEO, "c.geojson": _collection(
        _feature("a", private="2.5"), _feature("b", (1, 0)))}, SCENARIO,
        ["features[0].properties.private", "whole number"]),
    "milieus-no-table": ({SCENARIO: 'milieus = "m.toml"\n', "m.toml": 'name = "x"\n'},
                         SCENARIO, ["m.toml: milieu", "[[milieu]] tables"]),
    "milieus-unknown-key": ({SCENARIO: 'milieus = "two.toml"\n',
                             "two.toml": MILIEUS.replace("mobility = 0.1\n", "mobility = 0.1\n"
                                                         "colour = 3\n", 1)}, SCENARIO,
                            ["two.toml", "milieu[0]", "colour"]),
    "milieus-channels-not-a-list": ({SCENARIO: 'milieus = "two.toml"\n',
                                     "two.toml": MILIEUS.replace("channels = []\n",
                                                                 'channels = "print"\n', 1)},
                                    SCENARIO, ["two.toml: channels", "list of channel names"]),
    "milieus-negative-share": ({SCENARIO: 'milieus = "two.toml"\n',
                                "two.toml": MILIEUS.replace("share = 0.3", "share = -0.3")},
                               SCENARIO, ["two.toml", "milieu[1].share"]),
    "missing-file": ({}, "absent.toml", ["absent.toml", "no such file"]),
    "directory": ({"folder/x.toml": "steps = 2\n"}, "folder", ["folder", "is a directory"]),
    "binary-file": ({SCENARIO: b"\x89PNG\r\n\x1a\n\x00\x00"}, SCENARIO, ["binary"]),
    "not-utf8": ({SCENARIO: "name = 'M\xfcnster'\n".encode("latin-1")}, SCENARIO, ["not UTF-8"]),
    "extends-missing": ({SCENARIO: 'extends = "base.toml"\n'}, SCENARIO,
                        ["extends", "no such file", "base.toml"]),
    "extends-not-a-string": ({SCENARIO: "extends = 3\n"}, SCENARIO, ["extends", "file name"]),
    "extends-itself": ({SCENARIO: f'extends = "{SCENARIO}"\n'}, SCENARIO, ["extends", "loop"]),
    "extends-loop": ({SCENARIO: 'extends = "b.toml"\n', "b.toml": f'extends = "{SCENARIO}"\n'},
                     SCENARIO, ["b.toml", "extends", f"loop: {SCENARIO} -> b.toml -> {SCENARIO}"]),
    "error-in-parent": ({SCENARIO: 'extends = "base.toml"\nsteps = 3\n',
                         "base.toml": "[moving]\nforced_rate = 2\n"}, SCENARIO,
                        ["base.toml", "moving.forced_rate"]),
}


EXPERIMENT = "experiment.toml"
EXP = 'scenarios = ["baseline"]\nseeds = 2\nsteps = 2\nhouseholds = 2000\n'
SOBOL = EXP + '[design]\nmethod = "sobol"\nsamples = 4\n'
VARY = '[parameters."moving.mobility_scale"]\nlow = 1.0\nhigh = 2.0\n'

# id: (files, the experiment file given, fragments of the error line)
EXPERIMENT_CASES = {
    "exp-unknown-key": ({EXPERIMENT: EXP + "replications = 3\n"}, EXPERIMENT,
                        ["replications", "unknown key"]),
    "exp-missing-seeds": ({EXPERIMENT: 'scenarios = ["baseline"]\n'}, EXPERIMENT,
                          ["seeds", "missing"]),
    "exp-unknown-method": ({EXPERIMENT: EXP + '[design]\nmethod = "fast"\n'}, EXPERIMENT,
                           ["design.method", "'sobol'", "'fast'"]),
    "exp-sobol-not-power-of-2": ({EXPERIMENT: EXP + '[design]\nmethod = "sobol"\nsamples = 6\n'
                                  + VARY}, EXPERIMENT, ["design.samples", "power of 2"]),
    "exp-design-without-parameters": ({EXPERIMENT: SOBOL}, EXPERIMENT,
                                      ["parameters", "needs parameters"]),
    "exp-parameters-without-design": ({EXPERIMENT: EXP + VARY}, EXPERIMENT,
                                      ["design.method", "need a design"]),
    "exp-bounds-reversed": ({EXPERIMENT: SOBOL + '[parameters."moving.mobility_scale"]\n'
                             'low = 2.0\nhigh = 1.0\n'}, EXPERIMENT,
                            ["parameters.moving.mobility_scale", "low < high"]),
    "exp-normal-without-sd": ({EXPERIMENT: SOBOL + '[parameters."moving.mobility_scale"]\n'
                               'dist = "normal"\nlow = 1.0\nhigh = 2.0\nmean = 1.5\n'},
                              EXPERIMENT, ["parameters.moving.mobility_scale", "mean and sd"]),
    "exp-values-in-sobol": ({EXPERIMENT: SOBOL + '[parameters."moving.mobility_scale"]\n'
                             'values = [1, 2]\n'}, EXPERIMENT,
                            ["parameters.moving.mobility_scale", "for a grid"]),
    "exp-unknown-parameter": ({EXPERIMENT: SOBOL + '[parameters."moving.speed"]\nlow = 1\n'
                               'high = 2\n'}, EXPERIMENT,
                              ["parameters.moving.speed", "no such parameter", "'baseline'"]),
    "exp-not-a-number": ({EXPERIMENT: SOBOL + '[parameters."milieus"]\nlow = 1\nhigh = 2\n'},
                         EXPERIMENT, ["parameters.milieus", "not a number"]),
    "exp-value-out-of-range": ({EXPERIMENT: SOBOL + '[parameters."moving.forced_rate"]\n'
                                'low = 0.5\nhigh = 1.5\n'}, EXPERIMENT,
                               ["parameters.moving.forced_rate", "not valid", "<= 1"]),
    "exp-unknown-scenario": ({EXPERIMENT: 'scenarios = ["baseline", "utopia"]\nseeds = 1\n'},
                             EXPERIMENT, ["scenarios[1]", "'utopia'"]),
    "exp-bad-scenario-file": ({EXPERIMENT: 'scenarios = ["s.toml"]\nseeds = 1\n',
                               "s.toml": "[moving]\nforced_rate = 2\n"}, EXPERIMENT,
                              ["s.toml", "moving.forced_rate"]),
    "exp-duplicate-scenario": ({EXPERIMENT: 'scenarios = ["baseline", "baseline"]\nseeds = 1\n'},
                               EXPERIMENT, ["scenarios[1]", "a second scenario"]),
    "exp-baseline-not-listed": ({EXPERIMENT: EXP + 'baseline = "rent_cap"\n'}, EXPERIMENT,
                                ["baseline", "not one of the scenarios"]),
    "exp-unknown-indicator": ({EXPERIMENT: EXP + '[output]\nindicators = ["happiness"]\n'},
                              EXPERIMENT, ["output.indicators[0]", "'happiness'"]),
    "exp-unknown-variable": ({EXPERIMENT: EXP + '[output]\nvariables = ["wealth"]\n'}, EXPERIMENT,
                          ["output.variables[0]", "'wealth'"]),
    "exp-analysis-not-kept": ({EXPERIMENT: EXP + '[output]\nindicators = ["moves"]\n'
                                            '[analysis]\nindicators = ["d_low"]\n'},
                              EXPERIMENT, ["analysis.indicators[0]", "not kept"]),
    "exp-syntax": ({EXPERIMENT: "seeds = [\n"}, EXPERIMENT, ["TOML syntax error"]),
    "exp-missing-file": ({}, "absent.toml", ["absent.toml", "no such file",
                                             "experiment TOML file"]),
}


CALIBRATION = "cal.toml"


def _cal(**replace: str) -> str:
    """A calibration config (targets and fitted values of the repository) with lines
    replaced."""
    from urbsim.inputs.scenario import shipped_dir

    root = shipped_dir().parent
    text = (f'targets = "{root / "calibration" / "targets.toml"}"\ncity = "berlin"\n'
            f'fitted = "{root / "calibration" / "fitted.toml"}"\nrecord = "fit.json"\n'
            'storage = "optuna.db"\n[runs.baseline]\nscenario = "baseline"\nsteps = 2\n'
            '[runs.random_panels]\nscenario = "random_panels"\nsteps = 2\n'
            '[runs.continuous_local]\nscenario = "continuous_local"\nsteps = 2\n[fit]\ntrials = 2\n'
            'seeds = 1\n[check]\nseeds = 2\nseed = 1\n[parameters]\n'
            '"moving.mobility_scale" = { low = 0.5, high = 5.0 }\n')
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


# id: (the config's text, fragments of the error line)
CALIBRATION_CASES = {
    "cal-syntax": ("targets = \n", ["cal.toml", "TOML syntax error"]),
    "cal-unknown-key": ('trialz = 3\n' + _cal(), ["cal.toml: trialz", "unknown key"]),
    "cal-too-few-check-seeds": (_cal(**{"seeds = 2\n": "seeds = 1\n"}),
                                ["cal.toml: check.seeds", "expected a value >= 2, got 1"]),
    "cal-seed-list-with-gaps": (_cal(**{"seeds = 2\nseed = 1": "seeds = [1, 5]"}),
                                ["cal.toml: check.seeds", "expected a number of seeds"]),
    "cal-unknown-city": (_cal(berlin="gotham"), ["cal.toml: city", "not a reference city",
                                                  "muenchen"]),
    "cal-missing-targets": (_cal(**{'targets = "': 'targets = "nope-'}),
                            ["no such file", "targets TOML file"]),
    "cal-missing-run": (_cal(**{"runs.random_panels": "runs.panels"}),
                        ["cal.toml: runs", "'random_panels'", "panel_acceptance"]),
    "cal-unknown-scenario": (_cal(**{'scenario = "baseline"': 'scenario = "utopia"'}),
                             ["cal.toml: runs.baseline.scenario", "'utopia'", "rent_brake"]),
    "cal-unknown-parameter": (_cal() + '"moving.speed" = { low = 1, high = 2 }\n',
                              ["cal.toml: parameters.moving.speed", "no such parameter"]),
    "cal-bounds-reversed": (_cal() + '"choice.logit_scale" = { low = 3, high = 1 }\n',
                            ["cal.toml: parameters.choice.logit_scale", "low < high"]),
}


FIFO, DEVICE = object(), object()
"""File contents that stand for a named pipe (no writer: reading it waits forever) and a
device that never ends (a link to /dev/zero)."""

DEEP = 3000
"""Nesting far beyond the parsers' recursion limit."""

# The classes of input nobody had tried (issue 22). Each: (files, command, error fragments).
CLASS_CASES = {
    # files that are not regular files
    "pipe-scenario": ({"pipe.toml": FIFO}, ["run", "pipe.toml"], ["pipe.toml", "named pipe"]),
    "device-scenario": ({"zero.toml": DEVICE}, ["run", "zero.toml"], ["zero.toml", "a device"]),
    "pipe-milieus": ({SCENARIO: 'milieus = "m.toml"\n', "m.toml": FIFO}, ["run", SCENARIO],
                     ["m.toml", "named pipe"]),
    "pipe-city-nodes": ({SCENARIO: '[city]\nnodes = "n.csv"\nedges = "e.csv"\n', "n.csv": FIFO,
                         "e.csv": EDGES}, ["run", SCENARIO], ["n.csv", "named pipe"]),
    "device-polygons": ({SCENARIO: GEO, "c.geojson": DEVICE}, ["run", SCENARIO],
                        ["c.geojson", "a device"]),
    "pipe-geopackage": ({SCENARIO: GEO.replace("c.geojson", "c.gpkg"), "c.gpkg": FIFO},
                        ["run", SCENARIO], ["c.gpkg", "named pipe"]),
    "pipe-experiment": ({"exp.toml": FIFO}, ["experiment", "exp.toml"], ["exp.toml", "named pipe"]),
    "pipe-calibration": ({"cal.toml": FIFO}, ["calibrate", "--check", "cal.toml"],
                         ["cal.toml", "named pipe"]),
    "pipe-validate": ({"v.toml": FIFO}, ["validate", "v.toml"], ["v.toml", "named pipe"]),
    # nesting deeper than any file of urbsim needs
    "deep-arrays": ({SCENARIO: "steps = " + "[" * DEEP + "]" * DEEP + "\n"}, ["run", SCENARIO],
                    ["scenario.toml", "nested too deeply"]),
    "deep-inline-tables": ({SCENARIO: "x = " + "{a = " * DEEP + "1" + "}" * DEEP + "\n"},
                           ["run", SCENARIO], ["scenario.toml", "nested too deeply"]),
    "deep-table-headers": ({SCENARIO: "[" + ".".join(["moving"] * 40) + "]\nx = 1\n"},
                           ["run", SCENARIO], ["scenario.toml: moving.moving", "nested too deeply"]),
    "deep-milieus": ({SCENARIO: 'milieus = "m.toml"\n', "m.toml": "x = " + "[" * DEEP + "]" * DEEP},
                     ["run", SCENARIO], ["m.toml", "nested too deeply"]),
    "deep-experiment": ({"exp.toml": "seeds = " + "[" * DEEP + "]" * DEEP},
                        ["experiment", "exp.toml"], ["exp.toml", "nested too deeply"]),
    "deep-geojson": ({SCENARIO: GEO, "c.geojson": "[" * 100_000 + "]" * 100_000},
                     ["run", SCENARIO], ["c.geojson", "nested too deeply"]),
    "deep-calibration": ({"cal.toml": "a = " + "{b = " * DEEP + "1" + "}" * DEEP},
                         ["calibrate", "--check", "cal.toml"], ["cal.toml", "nested too deeply"]),
    # text that becomes a file name
    "name-nul": ({SCENARIO: 'name = "a\\u0000b"\n'}, ["run", SCENARIO],
                 ["scenario.toml: name", "control characters", "'a\\x00b'"]),
    "name-newline": ({SCENARIO: 'name = "two\\nlines"\n'}, ["run", SCENARIO],
                     ["scenario.toml: name", "control characters"]),
    "name-escape-sequence": ({SCENARIO: 'name = "\\u001b[2Jclear"\n'}, ["run", SCENARIO],
                             ["scenario.toml: name", "control characters"]),
    "name-bidi-override": ({SCENARIO: 'name = "\\u202eevil"\n'}, ["run", SCENARIO],
                           ["scenario.toml: name", "control characters"]),
    "name-path": ({SCENARIO: 'name = "../../elsewhere"\n'}, ["run", SCENARIO],
                  ["scenario.toml: name", "not a path"]),
    "name-too-long": ({SCENARIO: 'name = "' + "ü" * 150 + '"\n'}, ["run", SCENARIO],
                      ["scenario.toml: name", "at most 200 bytes"]),
    "file-name-control": ({"a\x01b.toml": "steps = 1\n"}, ["run", "a\x01b.toml"],
                          ["a\\x01b.toml: name", "control characters"]),
    "experiment-name": ({"exp.toml": 'name = "x\\ty"\n' + EXP}, ["experiment", "exp.toml"],
                        ["exp.toml: name", "control characters"]),
    # fields valid alone but not together
    "more-districts-than-neighbourhoods": (
        {SCENARIO: "[city]\nneighbourhoods = 20\ndistricts = 30\n"}, ["run", SCENARIO],
        ["scenario.toml: city.districts", "at most `neighbourhoods` (20), got 30"]),
    "more-estates-than-neighbourhoods": (
        {SCENARIO: "[city]\nneighbourhoods = 20\nsocial_estates = 25\n"}, ["run", SCENARIO],
        ["city.social_estates", "at most `neighbourhoods` (20)"]),
    "event-until-before-step": ({SCENARIO: EVENT.replace("1", "5") + "every = 1\nuntil = 3\n"},
                                ["run", SCENARIO], ["events.x.until", "at least `step` (5), got 3"]),
    "event-until-without-every": ({SCENARIO: EVENT + "until = 4\n"}, ["run", SCENARIO],
                                  ["events.x.until", "give `every`"]),
    "invitations-without-panel": ({SCENARIO: EVENT + "invite_share = 0.1\n"}, ["run", SCENARIO],
                                  ["events.x.invite_share", "for a panel", "'open'"]),
    "policy-end-before-start": ({SCENARIO: '[policies.b]\nkind = "rent_brake"\nstart = 5\n'
                                 'end = 2\n'}, ["run", SCENARIO],
                                ["policies.b", "`end` (2) is before `start` (5)"]),
}
CLASSES = {"pipe-": "not regular", "device-": "not regular", "deep-": "nesting",
           "name-": "file names", "file-name-": "file names", "experiment-name": "file names"}


def _check(tmp_path, monkeypatch, files, args, fragments):
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is FIFO:
            os.mkfifo(path)
        elif content is DEVICE:
            path.symlink_to("/dev/zero")
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
    monkeypatch.chdir(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with _deadline(20):  # a reader stuck on a pipe or a device fails the test, not the suite
        r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in r.output
    for fragment in fragments:
        assert fragment in lines[0]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Raise in the test (not hang) when the body takes longer than ``seconds``."""
    def expire(*_):
        raise TimeoutError(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("case", CLASS_CASES, ids=list(CLASS_CASES))
def test_untried_inputs(tmp_path, monkeypatch, case):
    """Non-regular files, deep nesting, control characters in names and fields inconsistent
    together: one line, exit 2, within the deadline, nothing written."""
    files, args, fragments = CLASS_CASES[case]
    _check(tmp_path, monkeypatch, files, args, fragments)


def test_every_untried_class_has_five_cases():
    kinds = [next((v for k, v in CLASSES.items() if case.startswith(k)), "together")
             for case in CLASS_CASES]
    assert {k: kinds.count(k) >= 5 for k in set(kinds)} == dict.fromkeys(
        ("not regular", "nesting", "file names", "together"), True)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input(tmp_path, monkeypatch, case):
    files, target, fragments = CASES[case]
    _check(tmp_path, monkeypatch, files, ["run", target, "--steps", "1", "--households", "2000",
                                          "--out", "out.zarr"], fragments)


@pytest.mark.parametrize("case", EXPERIMENT_CASES, ids=list(EXPERIMENT_CASES))
def test_bad_experiment(tmp_path, monkeypatch, case):
    files, target, fragments = EXPERIMENT_CASES[case]
    _check(tmp_path, monkeypatch, files, ["experiment", target, "--out", "out.zarr"], fragments)


@pytest.mark.parametrize("case", CALIBRATION_CASES, ids=list(CALIBRATION_CASES))
def test_bad_calibration_config(tmp_path, monkeypatch, case):
    text, fragments = CALIBRATION_CASES[case]
    _check(tmp_path, monkeypatch, {CALIBRATION: text},
           ["calibrate", "--check", CALIBRATION, "--report", "report.html"], fragments)


def test_the_corpus_is_broad():
    """At least 40 malformed inputs, across every kind of input file."""
    assert len(CASES) + len(EXPERIMENT_CASES) + len(CALIBRATION_CASES) >= 40
    kinds = {".geojson": 0, ".csv": 0, "milieus": 0}
    for files, _, _ in CASES.values():
        kinds[".geojson"] += any(f.endswith(".geojson") for f in files)
        kinds[".csv"] += any(f.endswith(".csv") for f in files) or "n.csv" in str(files)
        kinds["milieus"] += "milieus =" in str(files.get(SCENARIO, ""))
    assert min(kinds.values()) >= 3, kinds
    assert len(EXPERIMENT_CASES) >= 10 and len(CALIBRATION_CASES) >= 5


def test_existing_output_is_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out.nc").write_text("precious")
    r = CliRunner().invoke(app, ["run", "baseline", "--steps", "1", "--households", "2000",
                                 "--out", "out.nc"])
    assert r.exit_code == 2 and "out.nc: exists" in r.stderr and "--overwrite" in r.stderr
    assert (tmp_path / "out.nc").read_text() == "precious"


def test_too_large_for_memory(tmp_path, monkeypatch):
    """A run that would not fit in memory fails before building anything."""
    monkeypatch.setenv("URBSIM_MEMORY", "1GB")
    _check(tmp_path, monkeypatch, {}, ["run", "baseline", "--households", "20000000",
                                       "--steps", "1", "--out", "out.zarr"],
           ["households", "need about", "1.0 GB is available", "URBSIM_MEMORY"])


def test_too_many_steps_for_memory(tmp_path, monkeypatch):
    """The check counts the steps that will run (--steps), not the scenario file's."""
    monkeypatch.setenv("URBSIM_MEMORY", "1GB")
    _check(tmp_path, monkeypatch, {}, ["run", "baseline", "--households", "2000",
                                       "--steps", "100000", "--out", "out.zarr"],
           ["households", "need about", "1.0 GB is available"])


def test_a_tiny_run_is_told_the_size_that_fits(tmp_path, monkeypatch):
    """The default city shrinks with the run, so "at most N dwellings" would be circular: the
    message names the smallest run that fits, and that run fits."""
    from urbsim.inputs import consistency

    _check(tmp_path, monkeypatch, {}, ["run", "baseline", "--households", "100", "--steps", "1"],
           ["households", "too few for this city", "round to 46", "run at least 278 households"])
    consistency.prepare("baseline", 278, 1)
    with pytest.raises(InputError, match="at least 278"):
        consistency.prepare("baseline", 277, 1)


@pytest.mark.parametrize(("given", "meant"), [("social-quota", "social_quota"),
                                              ("Baseline", "baseline"),
                                              ("rent-brake", "rent_brake")])
def test_a_near_miss_of_a_shipped_name(tmp_path, monkeypatch, given, meant):
    _check(tmp_path, monkeypatch, {}, ["run", given], [f"did you mean {meant!r}?"])


def test_the_typo_comes_first(tmp_path, monkeypatch):
    """With several problems the unknown key is named first (a typo usually causes the
    rest) and every other key is named too, not "(and 1 more problem)"."""
    text = '[participation]\nfatigue = "x"\nsocial_influnce = 2\n'
    _check(tmp_path, monkeypatch, {SCENARIO: text}, ["validate", SCENARIO],
           ["participation.social_influnce: unknown key; did you mean 'social_influence'?",
            "(also a problem: participation.fatigue)"])


def test_an_output_the_file_system_refuses(tmp_path, monkeypatch):
    """/proc looks writable to root but refuses new files: one line before the run."""
    _check(tmp_path, monkeypatch, {}, ["run", "baseline", "--steps", "1", "--households", "2000",
                                       "--out", "/proc/x.zarr"],
           ["/proc/x.zarr", "cannot create files in /proc"])


def test_a_workshop_port_in_use(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        _check(tmp_path, monkeypatch, {}, ["workshop", "--port", str(port)],
               [f"--port {port}", "cannot serve there", "in use"])


def test_a_workshop_target_band_upside_down(tmp_path, monkeypatch):
    _check(tmp_path, monkeypatch, {}, ["workshop", "--vacancy-band", "5", "2"],
           ["--vacancy-band", "from 5 is above to 2"])
