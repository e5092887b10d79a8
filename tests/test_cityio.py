"""Loading and saving real cities: CSV tables and GeoJSON polygons."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import urbsim.inputs.city_synthetic
import urbsim.inputs.params
from urbsim.common.errors import InputError
from urbsim.inputs.city_files import load_csv, load_geojson, save_csv

HEADER = ("id,district,x,y,social,private,owner_flat,single_family,"
          "rent_social,rent_private,rent_owner_flat,rent_single_family,amenity,period")
NODES = f"""{HEADER}
A,Mitte,0,0,10,20,5,0,6.5,11,12,,,
B,Mitte,1,0,0,30,0,2,,10.5,,14,0.7,pre1949
C,Nord,0,1,5,5,5,5,6,9,10,12,,new
"""
EDGES = "source,target,distance\nA,B,1.0\nB,C,\n"
DISTRICTS = "district\nMitte\nNord\n"


def write(tmp_path, nodes=NODES, edges=EDGES, districts=None):
    """Write the tables (str or bytes; ``...`` makes a directory) and return their paths."""
    paths = []
    for name, content in (("nodes.csv", nodes), ("edges.csv", edges),
                          ("districts.csv", districts)):
        p = tmp_path / name
        if content is ...:
            p.mkdir()
        elif isinstance(content, bytes):
            p.write_bytes(content)
        elif content is not None:
            p.write_text(content, encoding="utf-8")
        paths.append(p if content is not None else None)
    return paths


def square(x, y):
    return [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]


def feature(fid, geometry, **props):
    props = {"id": fid, "district": "D", "social": 0, "private": 1, "owner_flat": 0,
             "single_family": 0, "rent_private": 500.0} | props
    return {"type": "Feature", "geometry": geometry, "properties": props}


def grid_geojson(tmp_path, features=None):
    """A 3x3 grid of unit squares, ids ``"col,row"``, as a GeoJSON file."""
    if features is None:
        features = [feature(f"{c},{r}", {"type": "Polygon", "coordinates": square(c, r)})
                    for r in range(3) for c in range(3)]
    p = tmp_path / "city.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return p


def assert_one_line(err: InputError, *parts: str) -> None:
    msg = str(err)
    assert "\n" not in msg
    for part in parts:
        assert part in msg, (part, msg)


def test_csv_loads_small_city(tmp_path):
    city = load_csv(*write(tmp_path, districts=DISTRICTS))
    assert city.ids == ("A", "B", "C")
    assert city.districts == ("Mitte", "Nord")
    assert city.capacity.tolist() == [[10, 20, 5, 0], [0, 30, 0, 2], [5, 5, 5, 5]]
    assert city.base_rent[1].tolist() == [0.0, 10.5, 0.0, 14.0]
    np.testing.assert_allclose(city.amenity, [0.5, 0.7, 0.5])
    assert city.graph.edges["B", "C"].get("distance") is None  # Euclidean in City
    assert city.distance.tolist() == pytest.approx([1.0, 1.0, np.sqrt(2), np.sqrt(2)])


def test_csv_round_trip(tmp_path):
    city = urbsim.inputs.city_synthetic.synthetic(
        households=5000, params=urbsim.inputs.params.CityParams(neighbourhoods=20, districts=4))
    nodes, edges, districts = (tmp_path / n for n in ("n.csv", "e.csv", "d.csv"))
    save_csv(city, nodes, edges, districts)
    back = load_csv(nodes, edges, districts)
    assert back.ids == city.ids and back.districts == city.districts
    names = np.array(city.districts)
    assert (names[back.district] == names[city.district]).all()
    for a in ("pos", "capacity", "base_rent", "amenity", "period", "indptr", "indices",
              "distance"):
        np.testing.assert_array_equal(getattr(back, a), getattr(city, a), err_msg=a)
    # Without the districts table, district names per node still agree.
    again = load_csv(nodes, edges)
    assert (np.array(again.districts)[again.district] == names[city.district]).all()


def test_geojson_grid(tmp_path):
    city = load_geojson(grid_geojson(tmp_path))
    edges = {frozenset(e) for e in city.graph.edges}
    assert len(edges) == 12
    assert frozenset(("0,0", "1,0")) in edges and frozenset(("0,0", "0,1")) in edges
    assert frozenset(("0,0", "1,1")) not in edges  # corners only
    expected = np.array([[c + 0.5, r + 0.5] for r in range(3) for c in range(3)])
    np.testing.assert_allclose(city.pos, expected)
    np.testing.assert_allclose(city.distance, 1.0)
    scaled = load_geojson(grid_geojson(tmp_path), scale=2.0)
    np.testing.assert_allclose(scaled.pos, 2 * expected)
    np.testing.assert_allclose(scaled.distance, 2.0)


def test_geojson_multipolygon_and_feature_id(tmp_path):
    """A MultiPolygon of two squares; the feature's ``id`` member stands in for the property."""
    two = {"type": "MultiPolygon", "coordinates": [square(0, 0), square(0, 2)]}
    f = feature(None, two)
    f["id"] = 7
    p = grid_geojson(tmp_path, [f, feature("b", {"type": "Polygon", "coordinates": square(0, 1)})])
    city = load_geojson(p)
    assert city.ids == ("7", "b")
    np.testing.assert_allclose(city.pos, [[0.5, 1.5], [0.5, 1.5]])
    assert city.graph.has_edge("7", "b")


def test_an_island_is_joined_to_its_nearest_neighbourhood(tmp_path):
    """A neighbourhood that touches no other is joined to the nearest by position, with a
    one-line warning (the rule of City.from_graph)."""
    from urbsim.common.errors import InputWarning

    nodes, edges, _ = write(tmp_path, edges="source,target\nA,B\n")
    with pytest.warns(InputWarning) as w:
        city = load_csv(nodes, edges)
    msg = str(w[0].message)
    assert "\n" not in msg and "nodes.csv: edges: 'C' touches no other" in msg
    assert "joined 'C' to the nearest, 'A' (1.00 km)" in msg  # C (0,1): A (0,0) before B (1,0)
    c, a = city.ids.index("C"), city.ids.index("A")
    assert a in city.indices[city.indptr[c]:city.indptr[c + 1]]


ROW_A = "A,Mitte,0,0,10,20,5,0,6.5,11,12,,,"


def nodes_with(*extra: str, **fields: str) -> str:
    """The node table with fields of its first row (``A``) changed or extra fields added."""
    row = dict(zip(HEADER.split(","), ROW_A.split(","), strict=True)) | fields
    return NODES.replace(ROW_A, ",".join([*row.values(), *extra]))


CSV_ERRORS = {  # case: (files, file named, key, words in the message)
    "missing file": ({"nodes": None}, "nodes.csv", "", "no such file"),
    "directory": ({"edges": ...}, "edges.csv", "", "directory"),
    "not utf-8": ({"nodes": NODES.encode("latin-1") + b"D,Mitte,\xe4\n"}, "nodes.csv", "",
                  "UTF-8"),
    "binary": ({"nodes": b"\x89PNG\r\n\x1a\n\x00\x00"}, "nodes.csv", "", "binary"),
    "empty file": ({"nodes": ""}, "nodes.csv", "line 1", "header"),
    "missing column": ({"nodes": NODES.replace("rent_private,", "")}, "nodes.csv",
                       "column rent_private", "missing required column"),
    "duplicate column": ({"nodes": NODES.replace("amenity", "x")}, "nodes.csv", "column x",
                         "duplicate"),
    "field count": ({"nodes": nodes_with("extra")}, "nodes.csv", "line 2",
                    "expected 14 fields as in the header, got 15"),
    "duplicate id": ({"nodes": NODES.replace("C,Nord", "A,Nord")}, "nodes.csv", "line 4.id",
                     "duplicate neighbourhood id 'A', first at line 2"),
    "empty id": ({"nodes": nodes_with(id=" ")}, "nodes.csv",
                 "line 2.id", "missing"),
    "empty district": ({"nodes": nodes_with(district="")}, "nodes.csv",
                       "line 2.district", "missing"),
    "non-numeric capacity": ({"nodes": nodes_with(social="ten")},
                             "nodes.csv", "line 2.social", "expected a number, got 'ten'"),
    "negative capacity": ({"nodes": nodes_with(private="-20")}, "nodes.csv",
                          "line 2.private", ">= 0"),
    "fractional capacity": ({"nodes": nodes_with(private="2.5")},
                            "nodes.csv", "line 2.private", "whole number"),
    "missing rent": ({"nodes": nodes_with(rent_social="")}, "nodes.csv",
                     "line 2.rent_social", "missing value"),
    "bad coordinate": ({"nodes": nodes_with(x="inf")},
                       "nodes.csv", "line 2.x", "finite"),
    "amenity range": ({"nodes": nodes_with(amenity="1.5")}, "nodes.csv", "line 2.amenity",
                      "[0.0, 1.0]"),
    "bad period": ({"nodes": nodes_with(period="1900s")}, "nodes.csv", "line 2.period",
                   "unknown building period '1900s'"),
    "unknown district": ({"districts": "district\nMitte\n"}, "nodes.csv", "line 4.district",
                         "unknown district 'Nord'"),
    "districts column": ({"districts": "name\nMitte\n"}, "districts.csv", "column district",
                         "missing required column"),
    "duplicate district": ({"districts": DISTRICTS + "Mitte\n"}, "districts.csv",
                           "line 4.district", "duplicate district 'Mitte'"),
    "no districts": ({"districts": "district\n"}, "districts.csv", "district",
                     "at least one"),
    "edge column": ({"edges": "from,to\nA,B\n"}, "edges.csv", "column source",
                    "missing required column"),
    "unknown node": ({"edges": EDGES + "C,Z,\n"}, "edges.csv", "edge line 4.target",
                     "unknown neighbourhood 'Z'"),
    "edge without source": ({"edges": EDGES + ",C,\n"}, "edges.csv", "edge line 4.source",
                            "missing value"),
    "self-loop": ({"edges": EDGES + "B,B,\n"}, "edges.csv", "edge line 4.target",
                  "self-loop"),
    "bad distance": ({"edges": EDGES.replace("1.0", "far")}, "edges.csv",
                     "edge line 2.distance", "expected a number, got 'far'"),
    "negative distance": ({"edges": EDGES.replace("1.0", "-1")}, "edges.csv",
                          "edge line 2.distance", ">= 0"),
    "malformed csv": ({"edges": 'source,target\n"A"x,B\n'}, "edges.csv", "line 2",
                      "malformed CSV"),
    "no neighbourhoods": ({"nodes": HEADER + "\n", "edges": "source,target\n"}, "nodes.csv",
                          "", "no neighbourhoods"),
}


@pytest.mark.parametrize("case", CSV_ERRORS)
def test_csv_errors(tmp_path, case):
    files, name, key, words = CSV_ERRORS[case]
    kw = {"nodes": NODES, "edges": EDGES, "districts": DISTRICTS} | files
    nodes, edges, districts = write(tmp_path, **kw)
    with pytest.raises(InputError) as e:
        load_csv(nodes or tmp_path / "nodes.csv", edges, districts)
    assert_one_line(e.value, name, key, words)
    assert e.value.key == (key or None)


def polygon(c, r):
    return {"type": "Polygon", "coordinates": square(c, r)}


GEOJSON_ERRORS = {  # case: (file text or features, key, words in the message)
    "invalid json": ('{"type": "FeatureCollection", "features": [}', "",
                     "invalid JSON: Expecting value at line 1 column 44"),
    "not a collection": ('{"type": "Feature"}', "type", "FeatureCollection"),
    "not a feature": (["x"], "features[0]", "properties"),
    "no id": ([feature(None, polygon(0, 0))], "features[0].properties.id", "missing value"),
    "point": ([feature("a", {"type": "Point", "coordinates": [0, 0]})],
              "features[0].geometry", "got 'Point'"),
    "no geometry": ([{"type": "Feature", "geometry": None, "properties": {"id": "a"}}],
                    "features[0].geometry", "got None"),
    "bad coordinates": ([feature("a", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})],
                        "features[0].geometry", "malformed Polygon"),
    "self-intersecting": ([feature("a", {"type": "Polygon", "coordinates": [
        [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})], "features[0].geometry",
                          "Self-intersection"),
    "empty polygon": ([feature("a", {"type": "Polygon", "coordinates": []})],
                      "features[0].geometry", "empty"),
    "duplicate id": ([feature("a", polygon(0, 0)), feature("a", polygon(1, 0))],
                     "features[1].properties.id", "first at features[0].properties"),
    "bad capacity": ([feature("a", polygon(0, 0), private="many")],
                     "features[0].properties.private", "expected a number"),
}


@pytest.mark.parametrize("case", GEOJSON_ERRORS)
def test_geojson_errors(tmp_path, case):
    content, key, words = GEOJSON_ERRORS[case]
    if isinstance(content, str):
        p = tmp_path / "city.geojson"
        p.write_text(content)
    else:
        p = grid_geojson(tmp_path, content)
    with pytest.raises(InputError) as e:
        load_geojson(p)
    assert_one_line(e.value, "city.geojson", key, words)
    assert e.value.key == (key or None)


def test_geojson_bad_scale(tmp_path):
    with pytest.raises(InputError) as e:
        load_geojson(grid_geojson(tmp_path), scale=0)
    assert_one_line(e.value, "city.geojson", "scale", "positive")


def test_geojson_without_shapely(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "shapely", None)
    with pytest.raises(InputError) as e:
        load_geojson(grid_geojson(tmp_path))
    assert_one_line(e.value, "city.geojson", "urbsim[geo]", "shapely")


@pytest.fixture(scope="module")
def city_files(tmp_path_factory):
    """A 30-neighbourhood city of 20,000 dwellings in four districts, saved as CSV tables."""
    from urbsim.inputs import scenario as sc

    d = tmp_path_factory.mktemp("city")
    p = sc.load("baseline").params()
    city = urbsim.inputs.city_synthetic.synthetic(
        20_000, p.city.model_copy(update={"neighbourhoods": 30, "districts": 4}), seed=0)
    save_csv(city, d / "nodes.csv", d / "edges.csv")
    return city, d / "nodes.csv", d / "edges.csv"


def test_city_check_summarises_a_city_and_its_start(city_files):
    """`urbsim city check` reports what the file holds and the start the baseline's rules
    give it: the numbers of the summary, which the command prints, and a map."""
    from urbsim.analysis.city_summary import summarise
    from urbsim.engine import indicators
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs import scenario as sc

    city, nodes, edges = city_files
    params = sc.load("baseline").params()
    s = summarise(load_csv(nodes, edges), params)
    assert s.areas == 30 and sum(s.districts.values()) == 30 and len(s.districts) == 4
    assert sum(s.dwellings.values()) == city.capacity.sum()
    assert s.households == int(city.capacity.sum() * (1 - params.city.vacancy))
    assert sum(s.milieu_share.values()) == pytest.approx(100)
    assert abs(s.milieu_share["TRA"] - 15) < 1  # the milieu set's shares
    counts = UrbanModel(params.model_copy(update={"households": s.households}), city=city,
                        seed=0).counts
    assert s.multigroup_d == pytest.approx(indicators.multigroup_dissimilarity(counts))
    assert 0.1 < s.d_low < 0.6


def test_city_check_command(city_files, tmp_path):
    from typer.testing import CliRunner

    from urbsim.interfaces.cli import app

    _, nodes, edges = city_files
    page = tmp_path / "map.html"
    r = CliRunner().invoke(app, ["city", "check", str(nodes), "--edges", str(edges),
                                 "--households", "15000", "--map", str(page)])
    assert r.exit_code == 0, r.output
    assert "30 neighbourhoods · 4 districts" in r.output and "15,000" in r.output
    assert "D low-status (PRE+HKON) at the start" in r.output
    assert page.stat().st_size > 100_000 and "share of PRE+HKON" in page.read_text()
    bad = CliRunner().invoke(app, ["city", "check", str(nodes)])
    assert bad.exit_code == 2 and "needs its edge table: --edges" in bad.output
    broken = tmp_path / "nodes.csv"
    broken.write_text(nodes.read_text().replace("Mitte", "", 1))
    bad = CliRunner().invoke(app, ["city", "check", str(broken), "--edges", str(edges)])
    lines = [x for x in bad.output.splitlines() if x.strip()]
    assert bad.exit_code == 2 and len(lines) == 1 and "line 2.district: missing value" in lines[0]


def test_city_check_warns_of_an_island_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from urbsim.interfaces.cli import app

    nodes, edges, _ = write(tmp_path, edges="source,target\nA,B\n")
    r = CliRunner().invoke(app, ["city", "check", str(nodes), "--edges", str(edges),
                                 "--households", "50"])
    assert r.exit_code == 0, r.output
    warned = [x for x in r.output.splitlines() if x.startswith("warning: ")]
    assert len(warned) == 1 and "'C' touches no other neighbourhood; joined 'C'" in warned[0]
    assert "3 neighbourhoods" in r.output
