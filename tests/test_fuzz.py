"""Fuzzing the loaders: whatever a scenario file, an uploaded scenario or a city's CSV and
GeoJSON files hold, however deep it nests, and whether or not it is a regular file, loading
either succeeds or raises :class:`InputError` (one line naming the file); never another
exception, and never a wait.

CI runs 100 examples per loader; ``pytest -m slow tests/test_fuzz.py`` runs 1,000.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from urbsim import calibration
from urbsim.common.errors import InputError
from urbsim.experiment import plan
from urbsim.inputs import city_files as cityio
from urbsim.inputs import consistency, milieus
from urbsim.inputs import scenario as sc
from urbsim.inputs.params import ModelParams

RUNS = [pytest.param(100, id="ci"), pytest.param(1000, id="long", marks=pytest.mark.slow)]

# keys the loaders know, so that examples reach deep into validation, and some they do not
TOP = [*ModelParams.model_fields, "name", "description", "steps", "extends", "bogus"]
NESTED = ["neighbourhoods", "districts", "vacancy", "seed", "mobility_scale", "forced_rate",
          "ring_weights", "composition", "candidates", "logit_scale", "format", "step", "every",
          "channels", "invite_share", "kind", "start", "end", "markup", "dwellings",
          "social_quota", "rate", "period", "trend", "format_shift", "print", "outreach", "PRE",
          "open", "x", "enabled", "nodes", "polygons"]
scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans(), st.text(max_size=12),
                    st.sampled_from(["open", "panel", "rent_brake", "construction", "vhw11",
                                     "vhw13", "1950-1979", "share", "Bezirk 3", "baseline"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(NESTED), inner, max_size=5)),
    max_leaves=12)
documents = st.dictionaries(st.sampled_from(TOP), values, max_size=6)


def _toml(doc: dict) -> str | None:
    """TOML text of ``doc`` (None when TOML cannot express it, e.g. NaN inside a table)."""
    try:
        return tomli_w.dumps(doc)
    except (TypeError, ValueError):
        return None


def _small(scn) -> bool:
    """Small enough to build its city within a test (the schema allows cities of 100,000)."""
    return scn.city.neighbourhoods <= 300 and scn.households <= 200_000


def _fuzz(n: int, strategy, check) -> None:
    @settings(max_examples=n, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(strategy)
    def run(example):
        check(example)

    run()


@pytest.mark.parametrize("n", RUNS)
def test_scenario_files(n):
    def check(doc):
        text = _toml(doc)
        if text is None:
            return
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "s.toml"
            path.write_text(text)
            try:
                scn = sc.load(path)
                if _small(scn):
                    consistency.check(scn)
            except InputError as e:
                assert "\n" not in str(e) and e.source  # one line naming the file (or its parent)

    _fuzz(n, documents, check)


@pytest.mark.parametrize("n", RUNS)
def test_uploaded_scenarios(n):
    def check(example):
        doc, raw = example
        text = raw if doc is None else (_toml(doc) or raw)
        try:
            scn = sc.loads(text, "upload.toml")
            if _small(scn):
                consistency.check(scn)
        except InputError as e:
            assert "\n" not in str(e)

    _fuzz(n, st.tuples(st.none() | documents, st.text(max_size=200)), check)


CSV_CELLS = st.one_of(st.sampled_from(["", "a", "b", "c", "D", "-1", "0", "1.5", "10", "nan",
                                       "inf", "1e9", "600", "1950-1979", "x,y", '"q"']),
                      st.text(max_size=6))
NODE_COLUMNS = ["id", "district", "x", "y", "social", "private", "owner_flat", "single_family",
                "rent_social", "rent_private", "rent_owner_flat", "rent_single_family",
                "amenity", "period", "extra"]


@st.composite
def csv_files(draw):
    """Mostly well-formed headers (so that examples reach the values and the graph), some
    not; cells from plausible and implausible values; ids the edges can refer to."""
    full = list(cityio.NODE_COLUMNS) + draw(st.lists(st.sampled_from(["amenity", "period",
                                                                      "extra"]), max_size=2))
    header = draw(st.one_of(st.permutations(full), st.permutations(full),
                            st.lists(st.sampled_from(NODE_COLUMNS), max_size=15)))
    ids = st.sampled_from(["a", "b", "c", "", "a "])
    number = st.sampled_from(["0", "1", "5", "10", "600", "0.5", "-1", "2.5", "nan", "1e9"])
    cell = {"id": ids, "district": st.sampled_from(["D", "E", ""]),
            "period": st.sampled_from(["1950-1979", "new", "1800"])}
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        row = [draw(cell.get(c, number | number | number | CSV_CELLS)) for c in header]
        extra = draw(st.lists(CSV_CELLS, max_size=1)) if draw(st.integers(0, 9)) == 0 else []
        rows.append(row + extra)
    nodes = "\n".join([",".join(header), *(",".join(r) for r in rows)])
    edge_rows = draw(st.lists(st.tuples(ids | CSV_CELLS, ids | CSV_CELLS), max_size=5))
    edges = "\n".join(["source,target", *(f"{a},{b}" for a, b in edge_rows)])
    return nodes, draw(st.sampled_from([edges, "", "source\n", "a,b\n"]))


@pytest.mark.parametrize("n", RUNS)
def test_city_csv_files(n):
    def check(files):
        with tempfile.TemporaryDirectory() as d:
            nodes, edges = Path(d) / "n.csv", Path(d) / "e.csv"
            nodes.write_text(files[0])
            edges.write_text(files[1])
            try:
                cityio.load_csv(nodes, edges)
            except InputError as e:
                assert "\n" not in str(e) and ("n.csv" in str(e) or "e.csv" in str(e))

    _fuzz(n, csv_files(), check)


numbers = st.one_of(st.integers(-5, 5), st.floats(-5, 5), st.just(math.inf))
ring = st.lists(st.tuples(numbers, numbers), min_size=0, max_size=6).map(
    lambda pts: [list(p) for p in pts])
geometry = st.one_of(
    st.none(), st.text(max_size=5),
    st.fixed_dictionaries({"type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "x"]),
                           "coordinates": st.one_of(st.lists(ring, max_size=2),
                                                    st.lists(st.lists(ring, max_size=2),
                                                             max_size=2), numbers)}))
properties = st.dictionaries(st.sampled_from(NODE_COLUMNS), CSV_CELLS | numbers, max_size=14)
feature = st.fixed_dictionaries({"type": st.sampled_from(["Feature", "X"]),
                                 "properties": properties | st.none(), "geometry": geometry})
geojson = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["FeatureCollection", "Feature"]),
                           "features": st.lists(feature, max_size=4) | st.integers()}),
    st.lists(st.integers(), max_size=3), st.text(max_size=20))


@pytest.mark.parametrize("n", RUNS)
def test_city_geojson_files(n):
    pytest.importorskip("shapely")

    def check(doc):
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "c.geojson"
            path.write_text(json.dumps(doc, allow_nan=True) if not isinstance(doc, str) else doc)
            try:
                cityio.load_polygons(path)
            except InputError as e:
                assert "\n" not in str(e) and "c.geojson" in str(e)

    _fuzz(n, geojson, check)


LOADERS = {
    "scenario": lambda p: sc.load(p),
    "upload": lambda p: sc.loads(p.read_text(), "upload.toml"),
    "milieus": lambda p: milieus.load(p),
    "experiment": lambda p: plan.load(p),
    "calibration": lambda p: calibration.load(p),
    "geojson": lambda p: cityio.load_polygons(p),
}
"""Every loader of a file a user writes, by the name of its kind."""

OPEN = {"array": ("[", "]"), "inline table": ("{a = ", "}"), "mixed": ("[{a = ", "}]")}


@pytest.mark.parametrize("n", RUNS)
def test_nesting(n):
    """Any depth of nested arrays and tables, in any file: loaded or one line, never a
    RecursionError or an internal error."""
    def check(example):
        loader, kind, depth, key = example
        left, right = OPEN[kind]
        text = left * depth + "1" + right * depth  # in JSON too, for the GeoJSON loader
        text = text.replace("a = ", '"a": ') if loader == "geojson" else f"{key} = {text}\n"
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"f.{'geojson' if loader == 'geojson' else 'toml'}"
            path.write_text(text)
            try:
                LOADERS[loader](path)
            except InputError as e:
                assert "\n" not in str(e) and ("f." in str(e) or "upload" in str(e))

    _fuzz(n, st.tuples(st.sampled_from(sorted(LOADERS)), st.sampled_from(sorted(OPEN)),
                       st.integers(1, 5000), st.sampled_from(["steps", "x", "seeds"])), check)


@pytest.mark.parametrize("n", [pytest.param(20, id="ci")])
def test_non_regular_files(n):
    """A named pipe (nobody writing) or a device where a file should be: one line naming it,
    at once; a loader that waited for the pipe would hang this test."""
    def check(example):
        loader, kind = example
        if loader == "upload":
            return
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / f"f.{'geojson' if loader == 'geojson' else 'toml'}"
            if kind == "pipe":
                os.mkfifo(path)
            else:
                path.symlink_to(kind)
            with pytest.raises(InputError, match="not a regular file"):
                LOADERS[loader](path)

    _fuzz(n, st.tuples(st.sampled_from(sorted(LOADERS)),
                       st.sampled_from(["pipe", "/dev/zero", "/dev/null", "/dev/urandom"])),
          check)
