"""Load real cities from files, and save them: CSV node and edge tables, or polygons
(GeoJSON, GeoPackage).

The node table (CSV) or the feature properties (polygons) carry per neighbourhood the columns
of :data:`NODE_COLUMNS` (``x``, ``y`` only in CSV) and optionally :data:`OPTIONAL_COLUMNS`;
see :mod:`urbsim.inputs.city` for their meaning. The CSV edge table has :data:`EDGE_COLUMNS` and
optionally ``distance`` (km; default: Euclidean between positions). An optional districts
table has a ``district`` column listing the known districts (a neighbourhood naming any other
district is then an error) and optionally each district's milieu shares, ``share_<CODE>``.

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
from typing import TYPE_CHECKING

import numpy as np

from urbsim.common.errors import InputError
from urbsim.common.files import atomic, read_text, regular
from urbsim.inputs.city import (
    ATTRIBUTES,
    OPTIONAL,
    PERIODS,
    POPULATION,
    SHARE,
    SHARE_SUM,
    City,
    attribute_column,
    neighbourhood,
    number,
)
from urbsim.inputs.city_synthetic import synthetic
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import CityParams

if TYPE_CHECKING:
    import networkx as nx  # imported by the loaders that build a graph: a synthetic city has none

NODE_COLUMNS = ("id", "district", "x", "y", *SEGMENTS, *(f"rent_{s}" for s in SEGMENTS))
"""Required columns of the node table."""
OPTIONAL_COLUMNS = ("amenity", "period", *OPTIONAL)
"""Optional columns of the node table (defaults: amenity 0.5, period ``1980-2009``; owner
share and social-binding expiry from the city-wide rule; no SGB-II share to match, see
:mod:`urbsim.inputs.city`). Households may follow, for every neighbourhood or none:
``households_<CODE>`` counts by milieu, ``households`` with ``share_<CODE>`` shares, or
``households`` alone (milieus from the districts table's shares or the city's)."""
EDGE_COLUMNS = ("source", "target")
"""Required columns of the edge table (``distance`` is optional)."""

type StrPath = str | PathLike[str]


def load_city(households: int, params: CityParams) -> City:
    """The city ``params`` describe: its files if it names any (a sample of them for a run of
    fewer ``households`` than they give, :func:`urbsim.inputs.population.sample`), else the
    synthetic city for ``households`` (see :func:`urbsim.inputs.city_synthetic.synthetic`)."""
    from urbsim.inputs.population import sample

    city = load_files(params)
    return synthetic(households, params, seed=params.seed) if city is None else sample(
        city, households)


def load_files(params: CityParams) -> City | None:
    """The whole city of the files ``params`` name (``None``: it names none)."""
    if params.polygons is not None:
        return load_polygons(params.polygons, params.district_table, scale=params.polygon_scale)
    if params.nodes is not None:
        assert params.edges is not None  # CityParams gives both or neither
        return load_csv(params.nodes, params.edges, params.district_table)
    return None


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
    import networkx as nx

    known, shares = _read_districts(districts_path)
    g = nx.Graph()
    first: dict[str, str] = {}
    for line, row in read_table(nodes_path, NODE_COLUMNS):
        _add_node(g, row, str(nodes_path), line, known, first)
    src = str(edges_path)
    for line, row in read_table(edges_path, EDGE_COLUMNS):
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
    return City.from_graph(g, source=str(nodes_path), districts=known, district_shares=shares)


def load_polygons(path: StrPath, districts_path: StrPath | None = None,
                  scale: float | None = None) -> City:
    """Load a city from neighbourhood polygons: a GeoJSON FeatureCollection or a GeoPackage.

    Coordinates become planar km. With ``scale`` they are taken as planar already and
    multiplied by it (for hand-made files). Otherwise the file's coordinate reference system
    decides: a projected one (e.g. EPSG:25832 or 25833, ETRS89 / UTM) is converted from its
    unit to km; a geographic one (WGS84 longitude/latitude, the GeoJSON default, RFC 7946) is
    projected to the UTM zone of the city's centre first. A GeoJSON file names another CRS
    in a ``crs`` member (as QGIS and GDAL write it); a GeoPackage always carries its own.

    Args:
        path: ``.gpkg`` (read with pyogrio), else GeoJSON: Polygon or MultiPolygon features
            whose properties carry the columns of :data:`NODE_COLUMNS` except ``x``, ``y``
            (a GeoJSON feature's ``id`` member may stand in for an ``id`` property), and
            optionally :data:`OPTIONAL_COLUMNS`.
        districts_path: optional CSV table of districts (see :func:`load_csv`).
        scale: factor from file units to km for planar coordinates; ``None``: from the CRS.

    Returns:
        The city, with positions at the polygon centroids, the polygons kept for maps, and an
        edge (distance between the centroids) between every two polygons that share a
        boundary of positive length; polygons meeting only at corners are not adjacent.

    Raises:
        InputError: shapely missing, an unreadable file, invalid JSON, an unknown CRS,
            longitude/latitude out of range, a bad geometry or value (naming the file and
            the feature).
    """
    src = str(path)
    try:
        import shapely
        import shapely.geometry
    except ImportError:
        raise InputError("reading polygons needs shapely >= 2: pip install 'urbsim[geo]' "
                         "(or pip install shapely)", src) from None
    if scale is not None and not (isinstance(scale, int | float) and np.isfinite(scale)
                                  and scale > 0):
        raise InputError(f"expected a positive number, got {scale!r}", src, "scale")
    known, shares = _read_districts(districts_path)
    read = _gpkg_features if Path(path).suffix.lower() == ".gpkg" else _geojson_features
    features, crs = read(path, shapely)
    geoms = np.asarray([geom for _, _, geom in features], dtype=object)
    if len(geoms):
        geoms = _planar(shapely, geoms, crs, scale, src)
    import networkx as nx  # after the geometry packages' checks above

    g = nx.Graph()
    first: dict[str, str] = {}
    for (key, props, _), geom in zip(features, geoms, strict=True):
        c = geom.centroid
        _add_node(g, props | {"x": c.x, "y": c.y}, src, f"{key}.properties", known, first)
    if len(geoms):
        a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        a, b = a[a < b], b[a < b]
        shared = shapely.length(shapely.intersection(geoms[a], geoms[b])) > 0
        ids = list(g.nodes)  # one node per feature, in feature order
        g.add_edges_from((ids[u], ids[v]) for u, v in zip(a[shared], b[shared], strict=True))
    return City.from_graph(g, source=src, districts=known, district_shares=shares,
                           shapes=tuple(geoms))


def _geojson_features(path: StrPath, shapely) -> tuple[list[tuple[str, dict, object]], str]:
    """``(key, properties, polygon)`` per feature of a GeoJSON file, and its CRS (the ``crs``
    member's name, else WGS84)."""
    src = str(path)
    try:
        doc = json.loads(read_text(path, "UTF-8 text file"))
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                         src) from None
    except RecursionError:  # json parses nested arrays and objects recursively
        raise InputError("nested too deeply", src) from None
    if not (isinstance(doc, dict) and doc.get("type") == "FeatureCollection"
            and isinstance(doc.get("features"), list)):
        raise InputError("expected a GeoJSON FeatureCollection with a list of features", src,
                         "type")
    crs = doc.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if crs is not None and not isinstance(name, str):
        raise InputError("expected a named CRS: {\"type\": \"name\", \"properties\": "
                         "{\"name\": \"EPSG:25832\"}}", src, "crs")
    out = []
    for i, f in enumerate(doc["features"]):
        key = f"features[{i}]"
        if not (isinstance(f, dict) and isinstance(f.get("properties"), dict)):
            raise InputError("expected a Feature with a properties object", src, key)
        geom = _polygon(shapely, f.get("geometry"), src, f"{key}.geometry")
        props = dict(f["properties"])
        if props.get("id") in (None, ""):
            props["id"] = f.get("id")
        out.append((key, props, geom))
    return out, name or "EPSG:4326"


def _gpkg_features(path: StrPath, shapely) -> tuple[list[tuple[str, dict, object]], str]:
    """``(key, properties, polygon)`` per feature of a GeoPackage's first layer, and its CRS."""
    import pyogrio

    src = str(path)
    regular(path, "GeoPackage")
    try:
        meta, _, geometry, fields = pyogrio.raw.read(path)
    except Exception as e:  # pyogrio raises DataSourceError, DataLayerError, ...
        raise InputError(f"unreadable GeoPackage: {_one_line(e)}", src) from None
    if not meta.get("crs"):
        raise InputError("the layer has no coordinate reference system", src, "crs")
    out = []
    for i, wkb in enumerate(geometry):
        key = f"features[{i}]"
        geom = shapely.from_wkb(wkb) if wkb is not None else None
        gj = shapely.geometry.mapping(geom) if geom is not None else None
        props = {name: (None if _missing(col[i]) else col[i])
                 for name, col in zip(meta["fields"], fields, strict=True)}
        out.append((key, props, _polygon(shapely, gj, src, f"{key}.geometry")))
    return out, meta["crs"]


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _planar(shapely, geoms: np.ndarray, crs: str, scale: float | None, src: str) -> np.ndarray:
    """The polygons in planar km: times ``scale`` where given, else from ``crs`` (projected:
    its unit to km; geographic: to the UTM zone of the centre, then m to km)."""
    if scale is not None:
        return shapely.transform(geoms, lambda xy: xy * scale)
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        c = CRS.from_user_input(crs)
    except CRSError:
        raise InputError(f"unknown coordinate reference system {crs!r}", src, "crs") from None
    if c.is_projected:
        unit = c.axis_info[0].unit_conversion_factor
        return shapely.transform(geoms, lambda xy: xy * unit / 1000.0)
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InputError(f"coordinates ({x0:g}..{x1:g}, {y0:g}..{y1:g}) are not longitude/"
                         f"latitude as the CRS {crs} says: name the projected CRS in a `crs` "
                         "member, or give polygon_scale for planar coordinates", src, "crs")
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    utm = CRS.from_epsg((32600 if lat >= 0 else 32700) + int((lon + 180) // 6) % 60 + 1)
    to = Transformer.from_crs(c, utm, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1]))
                             / 1000.0)


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
    total = {} if city.households is None else {"households": city.households}
    extra = [city.attributes(i) for i in range(city.n)]
    columns = list(dict.fromkeys(k for e in extra for k in e))
    rows = ([v, city.districts[city.district[i]], *city.pos[i].tolist(),
             *city.capacity[i].tolist(), *city.base_rent[i].tolist(), float(city.amenity[i]),
             PERIODS[city.period[i]],
             *("" if np.isnan(x := float(getattr(city, k)[i])) else x for k in OPTIONAL),
             *(float(x[i]) for x in (*total.values(), *given.values())),
             *(extra[i].get(k, "") for k in columns)]
            for i, v in enumerate(city.ids))
    edges = ([city.ids[i], city.ids[j], float(city.distance[k])] for i in range(city.n)
             for k in range(city.indptr[i], city.indptr[i + 1])
             if i < (j := int(city.indices[k])))
    _write_csv(nodes_path, (*NODE_COLUMNS, *OPTIONAL_COLUMNS, *total,
                            *(f"{POPULATION}{c}" for c in given), *columns), rows)
    _write_csv(edges_path, (*EDGE_COLUMNS, "distance"), edges)
    if districts_path is not None:
        shares = city.district_shares or {}
        _write_csv(districts_path, ("district", *(f"{SHARE}{c}" for c in shares)),
                   ([d, *(float(x[i]) for x in shares.values())]
                    for i, d in enumerate(city.districts)))


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
    for k in ATTRIBUTES:  # kept as the file's columns (checked again by City.from_graph)
        attrs.pop(k, None)
    raw = {k: x for k, x in props.items() if attribute_column(k) and not _missing(x)
           and str(x).strip() != ""}
    g.add_node(v, **attrs, **raw, **{f"{POPULATION}{c}": x for c, x in given.items()})
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


def _read_districts(path: StrPath | None
                    ) -> tuple[tuple[str, ...] | None, dict[str, np.ndarray] | None]:
    """The known districts listed in the ``district`` column of a CSV table (``None``: no
    table), and their milieu shares from ``share_<CODE>`` columns (``None``: none given)."""
    if path is None:
        return None, None
    names: dict[str, str] = {}
    shares: dict[str, list[float]] = {}
    rows = read_table(path, ("district",))
    columns = [k for k in _columns(path) if k.startswith(SHARE)]
    for line, row in rows:
        d = row.get("district")
        if d is None:
            raise InputError("missing value", path, f"{line}.district")
        if d in names:
            raise InputError(f"duplicate district {d!r}, first at {names[d]}", path,
                             f"{line}.district")
        names[d] = line
        got = {k[len(SHARE):]: number(row, k, str(path), line, lo=0.0, hi=1.0)
               for k in columns}
        if got and abs(sum(got.values()) - 1.0) > SHARE_SUM:
            raise InputError(f"milieu shares sum to {sum(got.values()):.3f}, expected 1 within "
                             f"{SHARE_SUM}", path, f"{line}.{SHARE}*")
        for c, x in got.items():
            shares.setdefault(c, []).append(x / sum(got.values()))
    if not names:
        raise InputError("expected at least one district", path, "district")
    return tuple(names), {c: np.asarray(v) for c, v in shares.items()} or None


def _columns(path: StrPath) -> list[str]:
    """The header of a CSV table (read before, so known to be well formed)."""
    return [h.strip() for h in next(csv.reader(io.StringIO(read_text(path, "UTF-8 text file"))))]


def read_table(path: StrPath, required: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
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
