"""Loading and saving real cities: CSV tables and GeoJSON polygons."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import urbsim.inputs.city_synthetic
import urbsim.inputs.params
from urbsim.common.errors import InputError
from urbsim.inputs.city_files import load_csv, load_polygons, save_csv

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
    city = load_polygons(grid_geojson(tmp_path), scale=1.0)
    edges = {frozenset(e) for e in city.graph.edges}
    assert len(edges) == 12
    assert frozenset(("0,0", "1,0")) in edges and frozenset(("0,0", "0,1")) in edges
    assert frozenset(("0,0", "1,1")) not in edges  # corners only
    expected = np.array([[c + 0.5, r + 0.5] for r in range(3) for c in range(3)])
    np.testing.assert_allclose(city.pos, expected)
    np.testing.assert_allclose(city.distance, 1.0)
    scaled = load_polygons(grid_geojson(tmp_path), scale=2.0)
    np.testing.assert_allclose(scaled.pos, 2 * expected)
    np.testing.assert_allclose(scaled.distance, 2.0)


def test_geojson_multipolygon_and_feature_id(tmp_path):
    """A MultiPolygon of two squares; the feature's ``id`` member stands in for the property."""
    two = {"type": "MultiPolygon", "coordinates": [square(0, 0), square(0, 2)]}
    f = feature(None, two)
    f["id"] = 7
    p = grid_geojson(tmp_path, [f, feature("b", {"type": "Polygon", "coordinates": square(0, 1)})])
    city = load_polygons(p, scale=1.0)
    assert city.ids == ("7", "b")
    np.testing.assert_allclose(city.pos, [[0.5, 1.5], [0.5, 1.5]])
    assert city.graph.has_edge("7", "b")


def _utm_grid(tmp_path, crs=None, origin=(690_000.0, 5_335_000.0), size=500.0):
    """The 3x3 grid in metres of ETRS89 / UTM (origin near Munich), with a ``crs`` member."""
    x0, y0 = origin
    feats = [feature(f"{c},{r}", {"type": "Polygon", "coordinates": [[
        [x0 + c * size, y0 + r * size], [x0 + (c + 1) * size, y0 + r * size],
        [x0 + (c + 1) * size, y0 + (r + 1) * size], [x0 + c * size, y0 + (r + 1) * size],
        [x0 + c * size, y0 + r * size]]]}) for r in range(3) for c in range(3)]
    doc = {"type": "FeatureCollection", "features": feats}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    p = tmp_path / "utm.geojson"
    p.write_text(json.dumps(doc))
    return p


def test_projected_crs_in_metres_becomes_km(tmp_path):
    """A GeoJSON in EPSG:25832 (as QGIS writes it): 500 m squares become 0.5 km apart."""
    city = load_polygons(_utm_grid(tmp_path, "urn:ogc:def:crs:EPSG::25832"))
    np.testing.assert_allclose(city.distance, 0.5)
    np.testing.assert_allclose(city.pos[0], [690.25, 5335.25])
    assert len(city.shapes) == 9 and city.shapes[0].area == pytest.approx(0.25)


def test_wgs84_is_projected_to_utm(tmp_path):
    """The same grid in WGS84 longitude/latitude (the GeoJSON default) comes out at the same
    distances, within the UTM zone's scale error (< 0.1 %)."""
    from pyproj import Transformer

    to = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
    doc = json.loads(_utm_grid(tmp_path).read_text())
    for f in doc["features"]:
        f["geometry"]["coordinates"] = [[list(to.transform(x, y)) for x, y in ring]
                                        for ring in f["geometry"]["coordinates"]]
    p = tmp_path / "wgs84.geojson"
    p.write_text(json.dumps(doc))
    city = load_polygons(p)
    np.testing.assert_allclose(city.distance, 0.5, rtol=1e-3)


def test_planar_coordinates_without_crs_are_an_error(tmp_path):
    with pytest.raises(InputError) as e:
        load_polygons(_utm_grid(tmp_path))
    assert_one_line(e.value, "utm.geojson: crs", "not longitude/latitude", "polygon_scale")


def test_geopackage_with_its_crs(tmp_path):
    gpd = pytest.importorskip("geopandas")
    frame = gpd.read_file(_utm_grid(tmp_path, "EPSG:25833"))
    frame = frame.set_crs("EPSG:25833", allow_override=True)
    p = tmp_path / "city.gpkg"
    frame.to_file(p, driver="GPKG")
    city = load_polygons(p)
    assert sorted(city.ids) == sorted(f"{c},{r}" for r in range(3) for c in range(3))
    np.testing.assert_allclose(city.distance, 0.5)
    assert city.capacity.sum() == 9 and (city.base_rent[:, 1] == 500.0).all()


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


def nodes_with_column(name: str, a: str, b: str, c: str) -> str:
    """The node table with one more column, ``name``, valued ``a``, ``b``, ``c`` in rows A to C
    (empty: absent)."""
    return (NODES.replace(",period\n", f",period,{name}\n")
            .replace("0,6.5,11,12,,,\n", f"0,6.5,11,12,,,,{a}\n")
            .replace(",pre1949\n", f",pre1949,{b}\n").replace(",new\n", f",new,{c}\n"))


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
    "district shares not summing": ({"districts": "district,share_X,share_Y\nMitte,0.5,0.3\n"
                                                  "Nord,0.5,0.5\n"}, "districts.csv",
                                    "line 2.share_*", "milieu shares sum to 0.800"),
    "district share not a number": ({"districts": "district,share_X\nMitte,x\nNord,1\n"},
                                    "districts.csv", "line 2.share_X", "expected a number"),
    "district share missing": ({"districts": "district,share_X,share_Y\nMitte,,1\n"
                                             "Nord,0.5,0.5\n"}, "districts.csv",
                               "line 2.share_X", "missing value"),
    "district share negative": ({"districts": "district,share_X,share_Y\nMitte,-0.1,1.1\n"
                                              "Nord,0.5,0.5\n"}, "districts.csv",
                                "line 2.share_X", "[0.0, 1.0]"),
    "sgb2 share range": ({"nodes": nodes_with_column("sgb2_share", "1.5", "0.1", "0.2")},
                         "nodes.csv", "line 2.sgb2_share", "[0.0, 1.0]"),
    "households for some only": ({"nodes": nodes_with_column("households", "", "20", "10")},
                                 "nodes.csv", "neighbourhood 'B'.households",
                                 "every neighbourhood or none"),
    "households over dwellings": ({"nodes": nodes_with_column("households", "36", "20", "10")},
                                  "nodes.csv", "line 2.households",
                                  "36 households, more than the 35 dwellings"),
    "negative households": ({"nodes": nodes_with_column("households", "-3", "20", "10")},
                            "nodes.csv", "line 2.households", ">= 0"),
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
        load_polygons(p)
    assert_one_line(e.value, "city.geojson", key, words)
    assert e.value.key == (key or None)


def test_geojson_bad_scale(tmp_path):
    with pytest.raises(InputError) as e:
        load_polygons(grid_geojson(tmp_path), scale=0)
    assert_one_line(e.value, "city.geojson", "scale", "positive")


def test_geojson_without_shapely(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "shapely", None)
    with pytest.raises(InputError) as e:
        load_polygons(grid_geojson(tmp_path))
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


@pytest.mark.parametrize(("crs", "words"), [
    ({"type": "name", "properties": {"name": "EPSG:999999"}}, "unknown coordinate reference"),
    ({"type": "link"}, "expected a named CRS"),
])
def test_bad_crs_is_one_line(tmp_path, crs, words):
    doc = json.loads(_utm_grid(tmp_path).read_text())
    doc["crs"] = crs
    p = tmp_path / "utm.geojson"
    p.write_text(json.dumps(doc))
    with pytest.raises(InputError) as e:
        load_polygons(p)
    assert_one_line(e.value, "utm.geojson: crs", words)


def test_an_unreadable_geopackage_is_one_line(tmp_path):
    p = tmp_path / "city.gpkg"
    p.write_text("not a database")
    with pytest.raises(InputError) as e:
        load_polygons(p)
    assert_one_line(e.value, "city.gpkg", "unreadable GeoPackage")
    with pytest.raises(InputError) as e:
        load_polygons(tmp_path / "missing.gpkg")
    assert_one_line(e.value, "missing.gpkg", "no such file")


def test_area_attributes_round_trip(tmp_path):
    """Ages, sizes, incomes, contract rents and social bindings by end year survive
    save_csv and load_csv (areas without them stay without)."""
    from dataclasses import replace

    city = urbsim.inputs.city_synthetic.synthetic(
        households=5000, params=urbsim.inputs.params.CityParams(neighbourhoods=12, districts=3))
    rng = np.random.default_rng(0)
    ages = rng.dirichlet(np.ones(4), city.n)
    ages[2] = np.nan
    contract = np.full((city.n, 4), np.nan)
    contract[:, 1] = rng.uniform(500, 900, city.n)
    ending = {2027: np.minimum(city.capacity[:, 0], 3), 2031: np.minimum(city.capacity[:, 0], 1)}
    c = replace(city, ages=ages, sizes=rng.dirichlet(np.ones(5), city.n),
                income_median=rng.uniform(1500, 4000, city.n),
                income_spread=np.full(city.n, np.nan), contract=contract, social_end=ending)
    save_csv(c, tmp_path / "n.csv", tmp_path / "e.csv")
    back = load_csv(tmp_path / "n.csv", tmp_path / "e.csv")
    for name in ("ages", "sizes", "income_median", "contract"):
        np.testing.assert_allclose(getattr(back, name), getattr(c, name), err_msg=name)
    assert back.income_spread is None
    assert back.social_end.keys() == ending.keys()
    np.testing.assert_array_equal(back.social_end[2027], ending[2027])
