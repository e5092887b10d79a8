"""Load real cities from files, and save them: CSV node and edge tables, or GeoJSON polygons.

The node table (CSV) or the feature properties (GeoJSON) carry per neighbourhood the columns
of :data:`NODE_COLUMNS` (``x``, ``y`` only in CSV) and optionally :data:`OPTIONAL_COLUMNS`;
see :mod:`urbsim.inputs.city` for their meaning. The CSV edge table has :data:`EDGE_COLUMNS` and
optionally ``distance`` (km; default: Euclidean between positions). An optional districts
table has a ``district`` column listing the known districts; a neighbourhood naming any other
district is then an error.

Every problem with a file raises :class:`~urbsim.common.errors.InputError` with a one-line message
``file: key: what was expected``, e.g. ``nodes.csv: line 7.social: expected a number, got 'x'``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

import networkx as nx
import numpy as np

from urbsim.common.errors import InputError
from urbsim.common.files import atomic, read_text
from urbsim.inputs.city import OPTIONAL, PERIODS, POPULATION, City, neighbourhood, number
from urbsim.inputs.city_synthetic import synthetic
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import CityParams

NODE_COLUMNS = ("id", "district", "x", "y", *SEGMENTS, *(f"rent_{s}" for s in SEGMENTS))
"""Required columns of the node table."""
OPTIONAL_COLUMNS = ("amenity", "period", "owner_share", "social_expiry")
"""Optional columns of the node table (defaults: amenity 0.5, period ``1980-2009``; owner
share and social-binding expiry from the city-wide rule, see :mod:`urbsim.inputs.city`).
Households by milieu may follow: ``households_<CODE>`` counts, or ``households`` with
``share_<CODE>`` shares, for every neighbourhood or none."""
EDGE_COLUMNS = ("source", "target")
"""Required columns of the edge table (``distance`` is optional)."""

type StrPath = str | PathLike[str]


def load_city(households: int, params: CityParams) -> City:
    """The city ``params`` describe: its files if it names any, else the synthetic city for
    ``households`` (see :func:`urbsim.inputs.city_synthetic.synthetic`)."""
    if params.geojson is not None:
        return load_geojson(params.geojson, scale=params.geojson_scale)
    if params.nodes is not None:
        assert params.edges is not None  # CityParams gives both or neither
        return load_csv(params.nodes, params.edges)
    return synthetic(households, params, seed=params.seed)


def load_csv(nodes_path: StrPath, edges_path: StrPath,
             districts_path: StrPath | None = None) -> City:
    """Load a city from a node table and an edge table (UTF-8 CSV with a header row).

    Args:
        nodes_path: one row per neighbourhood with the columns of :data:`NODE_COLUMNS` and
            optionally :data:`OPTIONAL_COLUMNS`; other columns are ignored.
        edges_path: one row per adjacency with ``source``, ``target`` (neighbourhood ids) and
            optionally ``distance`` (km).
        districts_path: optional table whose ``district`` column lists the known districts.

    Raises:
        InputError: an unreadable file or a bad value (naming the file, line and column).

    An island (a part of the network that touches no other) is joined to its nearest
    neighbourhood with a warning (:meth:`~urbsim.inputs.city.City.from_graph`).
    """
    known = _read_districts(districts_path)
    g = nx.Graph()
    first: dict[str, str] = {}
    for line, row in _read_csv(nodes_path, NODE_COLUMNS):
        _add_node(g, row, str(nodes_path), line, known, first)
    src = str(edges_path)
    for line, row in _read_csv(edges_path, EDGE_COLUMNS):
        key = f"edge {line}"
        for c in EDGE_COLUMNS:
            if row.get(c) not in g:
                what = f"unknown neighbourhood {row[c]!r}" if c in row else "missing value"
                raise InputError(f"{what}; expected a neighbourhood id from {nodes_path}", src,
                                 f"{key}.{c}")
        if row["source"] == row["target"]:
            raise InputError(f"expected two different neighbourhoods, got {row['source']!r} "
                             "twice (self-loop)", src, f"{key}.target")
        attrs = {"distance": number(row, "distance", src, key, lo=0.0)} if "distance" in row else {}
        g.add_edge(row["source"], row["target"], **attrs)
    return City.from_graph(g, source=str(nodes_path), districts=known)


def load_geojson(path: StrPath, districts_path: StrPath | None = None,
                 scale: float = 1.0) -> City:
    """Load a city from a GeoJSON FeatureCollection of neighbourhood polygons.

    Needs the optional dependency shapely (``pip install urbsim[geo]``). Coordinates should
    be projected (planar), in km or in m with ``scale=0.001``: geographic longitude/latitude
    would distort positions and distances.

    Args:
        path: a FeatureCollection of Polygon or MultiPolygon features whose ``properties``
            carry the columns of :data:`NODE_COLUMNS` except ``x``, ``y`` (the feature's
            ``id`` member may stand in for an ``id`` property), and optionally
            :data:`OPTIONAL_COLUMNS`.
        districts_path: optional CSV table whose ``district`` column lists the known districts.
        scale: factor from file units to km, applied to all coordinates.

    Returns:
        The city, with positions at the polygon centroids and an edge (distance between the
        centroids) between every two polygons that share a boundary of positive length;
        polygons meeting only at corners are not adjacent.

    Raises:
        InputError: shapely missing, an unreadable file, invalid JSON, a bad geometry or
            value (naming the file and the feature).
    """
    src = str(path)
    try:
        import shapely
        import shapely.geometry
    except ImportError:
        raise InputError("reading GeoJSON needs shapely >= 2: pip install 'urbsim[geo]' "
                         "(or pip install shapely)", src) from None
    if not (isinstance(scale, int | float) and np.isfinite(scale) and scale > 0):
        raise InputError(f"expected a positive number, got {scale!r}", src, "scale")
    known = _read_districts(districts_path)
    try:
        doc = json.loads(read_text(path, "UTF-8 text file"))
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                         src) from None
    if not (isinstance(doc, dict) and doc.get("type") == "FeatureCollection"
            and isinstance(doc.get("features"), list)):
        raise InputError("expected a GeoJSON FeatureCollection with a list of features", src,
                         "type")
    g = nx.Graph()
    first: dict[str, str] = {}
    geoms = []
    for i, f in enumerate(doc["features"]):
        key = f"features[{i}]"
        if not (isinstance(f, dict) and isinstance(f.get("properties"), dict)):
            raise InputError("expected a Feature with a properties object", src, key)
        geom = _polygon(shapely, f.get("geometry"), src, f"{key}.geometry")
        c = geom.centroid
        props = f["properties"] | {"x": c.x * scale, "y": c.y * scale}
        if props.get("id") in (None, ""):
            props["id"] = f.get("id")
        _add_node(g, props, src, f"{key}.properties", known, first)
        geoms.append(geom)
    if geoms:
        polygons = np.asarray(geoms, dtype=object)
        a, b = shapely.STRtree(polygons).query(polygons, predicate="intersects")
        a, b = a[a < b], b[a < b]
        shared = shapely.length(shapely.intersection(polygons[a], polygons[b])) > 0
        ids = list(g.nodes)  # one node per feature, in feature order
        g.add_edges_from((ids[u], ids[v]) for u, v in zip(a[shared], b[shared], strict=True))
    return City.from_graph(g, source=src, districts=known)


def save_csv(city: City, nodes_path: StrPath, edges_path: StrPath,
             districts_path: StrPath | None = None) -> None:
    """Write a city as the tables read by :func:`load_csv` (each edge once, with distance).

    Args:
        city: the city to write.
        nodes_path: the node table to write.
        edges_path: the edge table to write.
        districts_path: if given, also write the districts table (keeps the district order).
    """
    given = city.population or {}
    rows = ([v, city.districts[city.district[i]], *city.pos[i].tolist(),
             *city.capacity[i].tolist(), *city.base_rent[i].tolist(), float(city.amenity[i]),
             PERIODS[city.period[i]],
             *("" if np.isnan(x := float(getattr(city, k)[i])) else x for k in OPTIONAL),
             *(float(x[i]) for x in given.values())]
            for i, v in enumerate(city.ids))
    edges = ([city.ids[i], city.ids[j], float(city.distance[k])] for i in range(city.n)
             for k in range(city.indptr[i], city.indptr[i + 1])
             if i < (j := int(city.indices[k])))
    _write_csv(nodes_path, (*NODE_COLUMNS, *OPTIONAL_COLUMNS,
                            *(f"{POPULATION}{c}" for c in given)), rows)
    _write_csv(edges_path, (*EDGE_COLUMNS, "distance"), edges)
    if districts_path is not None:
        _write_csv(districts_path, ("district",), ([d] for d in city.districts))


def _add_node(g: nx.Graph, props: Mapping, source: str, key: str,
              known: tuple[str, ...] | None, first: dict[str, str]) -> None:
    """Validate one neighbourhood's record (:func:`~urbsim.inputs.city.neighbourhood`) and
    add it to ``g``; ``key`` locates the record (``line 7``), ``first`` maps the ids seen so
    far to their key."""
    v = str(props.get("id") or "").strip()
    if not v:
        raise InputError("missing value", source, f"{key}.id")
    if v in first:
        raise InputError(f"duplicate neighbourhood id {v!r}, first at {first[v]}", source,
                         f"{key}.id")
    attrs = neighbourhood(props, source, key, known, defaults=False)
    given = attrs.pop("population", {})  # as counts, also where the file gave shares
    g.add_node(v, **attrs, **{f"{POPULATION}{c}": x for c, x in given.items()})
    first[v] = key


def _polygon(shapely, geometry: object, source: str, key: str):
    """A valid, non-empty shapely (Multi)Polygon from a GeoJSON geometry object."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise InputError(f"expected a Polygon or MultiPolygon geometry, got {kind!r}", source,
                         key)
    try:
        geom = shapely.geometry.shape(geometry)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError,
            shapely.errors.ShapelyError) as e:
        raise InputError(f"malformed {kind} coordinates: {_one_line(e)}", source, key) from None
    if geom.is_empty or not geom.is_valid:
        why = "empty" if geom.is_empty else shapely.is_valid_reason(geom)
        raise InputError(f"expected a valid {kind}, got: {_one_line(why)}", source, key)
    return geom


def _read_districts(path: StrPath | None) -> tuple[str, ...] | None:
    """The known districts listed in the ``district`` column of a CSV table, or ``None``."""
    if path is None:
        return None
    names: dict[str, str] = {}
    for line, row in _read_csv(path, ("district",)):
        d = row.get("district")
        if d is None:
            raise InputError("missing value", path, f"{line}.district")
        if d in names:
            raise InputError(f"duplicate district {d!r}, first at {names[d]}", path,
                             f"{line}.district")
        names[d] = line
    if not names:
        raise InputError("expected at least one district", path, "district")
    return tuple(names)


def _read_csv(path: StrPath, required: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """The rows of a CSV table as ``("line N", {column: value})``, values stripped, empty
    values and blank lines left out; checks the header has the ``required`` columns."""
    reader = csv.reader(io.StringIO(read_text(path, "UTF-8 text file"), newline=""), strict=True)
    rows = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise InputError(f"empty file; expected a header row with columns "
                             f"{','.join(required)}", path, "line 1")
        for c in required:
            if c not in header:
                raise InputError(f"missing required column; expected the columns "
                                 f"{','.join(required)}", path, f"column {c}")
        for c in header:
            if c and header.count(c) > 1:
                raise InputError("duplicate column", path, f"column {c}")
        for row in reader:
            if not "".join(row).strip():
                continue
            line = f"line {reader.line_num}"
            if len(row) != len(header):
                raise InputError(f"expected {len(header)} fields as in the header, got "
                                 f"{len(row)}", path, line)
            rows.append((line, {h: f.strip() for h, f in zip(header, row, strict=True)
                                if f.strip()}))
    except csv.Error as e:
        raise InputError(f"malformed CSV: {_one_line(e)}", path,
                         f"line {reader.line_num}") from None
    return rows


def _write_csv(path: StrPath, header: tuple[str, ...], rows) -> None:
    with atomic(Path(path)) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def _one_line(x: object) -> str:
    return " ".join(str(x).split())
