"""The city: synthetic default city, grids, validation and array views."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from urbsim.common.errors import InputError
from urbsim.inputs.city import PERIODS, City
from urbsim.inputs.city_synthetic import grid, synthetic
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import CityParams


@pytest.fixture(scope="module")
def default_city():
    return synthetic()


def test_default_city_is_a_german_big_city(default_city):
    c = default_city
    assert 60 <= c.n <= 120 and 8 <= len(c.districts) <= 12
    assert 120_000 <= c.capacity.sum() <= 130_000
    assert nx.is_connected(c.graph)
    r = np.hypot(*c.pos.T) / np.hypot(*c.pos.T).max()
    inner, outer = r < 0.35, r > 0.7
    sfh = c.capacity[:, SEGMENTS.index("single_family")] / c.capacity.sum(1)
    assert sfh[outer].mean() > 3 * sfh[inner].mean()
    rent = c.base_rent[:, SEGMENTS.index("private")]
    assert rent[inner].mean() > 1.2 * rent[outer].mean()
    assert c.amenity[inner].mean() > c.amenity[outer].mean()
    assert (c.period[inner] == PERIODS.index("pre1949")).mean() > 0.9
    assert (c.period[outer] == PERIODS.index("1950-1979")).mean() > 0.5
    social = c.capacity[:, 0] / c.capacity.sum(1)
    assert (social > 0.4).sum() == 3  # the large estates


def test_synthetic_city_is_reproducible_and_sized():
    a = synthetic(20_000, CityParams(neighbourhoods=30, districts=5), seed=3)
    b = synthetic(20_000, CityParams(neighbourhoods=30, districts=5), seed=3)
    c = synthetic(20_000, CityParams(neighbourhoods=30, districts=5), seed=4)
    np.testing.assert_array_equal(a.capacity, b.capacity)
    assert not np.array_equal(a.capacity, c.capacity)
    assert a.n == 30 and len(a.districts) == 5
    assert a.capacity.sum() == pytest.approx(20_000 / 0.97, rel=0.01)


def test_hops_give_moore_neighbourhoods_on_a_grid():
    g = grid(7, 7)
    ptr, idx, hop = g.hops(2)
    centre = g.ids.index("3,3")
    assert np.bincount(hop[ptr[centre]:ptr[centre + 1]]).tolist() == [1, 8, 16]
    corner = g.ids.index("0,0")
    assert np.bincount(hop[ptr[corner]:ptr[corner + 1]]).tolist() == [1, 3, 5]
    pairs = {(i, j, h) for i in range(g.n) for j, h in
             zip(idx[ptr[i]:ptr[i + 1]], hop[ptr[i]:ptr[i + 1]], strict=True)}
    assert all((j, i, h) in pairs for i, j, h in pairs)  # symmetric


@pytest.mark.parametrize("seed", range(4))
def test_synthetic_ties_are_the_short_delaunay_ties_plus_the_shortest_that_connect(seed):
    from scipy.spatial import Delaunay

    c = synthetic(40_000, CityParams(neighbourhoods=80, districts=4), seed=seed)
    tri = Delaunay(c.pos).simplices
    ties = {tuple(sorted(map(int, (s[a], s[b])))) for s in tri for a, b in ((0, 1), (1, 2), (0, 2))}
    length = {t: float(np.hypot(*(c.pos[t[0]] - c.pos[t[1]]))) for t in ties}
    cutoff = 2.5 * np.median(list(length.values()))
    g = nx.Graph([t for t in ties if length[t] <= cutoff])
    g.add_nodes_from(range(c.n))
    for t in sorted(ties, key=length.get):  # the oracle: networkx, one path query per tie
        if not nx.has_path(g, *t):
            g.add_edge(*t)
    got = {(i, int(j)) for i in range(c.n) for j in c.indices[c.indptr[i]:c.indptr[i + 1]] if i < j}
    assert got == {tuple(sorted(e)) for e in g.edges}
    assert nx.is_connected(c.graph)


@pytest.mark.parametrize("seed", range(5))
def test_long_ties_join_what_the_short_ones_leave_apart(seed):
    from urbsim.inputs.city_synthetic import _ties

    rng = np.random.default_rng(seed)
    n = 40
    edges = np.array(sorted({tuple(sorted(e)) for e in rng.integers(0, n, (120, 2)).tolist()
                             if e[0] != e[1]}))
    lengths = rng.permutation(len(edges)) + rng.random(len(edges))  # distinct
    cutoff = np.quantile(lengths, 0.3)  # most ties are long: many parts to join
    g = nx.Graph([tuple(e) for e, d in zip(edges.tolist(), lengths, strict=True) if d <= cutoff])
    g.add_nodes_from(range(n))
    for e in np.argsort(lengths):  # the oracle: networkx, one path query per long tie
        if lengths[e] > cutoff and not nx.has_path(g, *edges[e]):
            g.add_edge(*edges[e])
    keep = _ties(n, edges, lengths, cutoff)
    assert {tuple(e) for e in edges[keep].tolist()} == {tuple(sorted(e)) for e in g.edges}
    assert (~keep & (lengths <= cutoff)).sum() == 0 and (keep & (lengths > cutoff)).any()


def _balls_by_networkx(c: City, radius: int) -> list[dict[int, int]]:
    g = nx.Graph()
    g.add_nodes_from(range(c.n))
    g.add_edges_from((i, j) for i in range(c.n) for j in c.indices[c.indptr[i]:c.indptr[i + 1]])
    return [nx.single_source_shortest_path_length(g, i, cutoff=radius) for i in range(c.n)]


@pytest.mark.parametrize("city", [
    synthetic(30_000, CityParams(neighbourhoods=60, districts=4), seed=2),
    grid(9, 6), grid(5, 4, torus=True), grid(2, 3, torus=True), grid(6, 5, moore=False)],
    ids=["synthetic", "grid", "torus", "thin torus", "von Neumann"])
@pytest.mark.parametrize("radius", [0, 1, 2, 3])
def test_hops_are_the_shortest_path_balls_in_index_order(city, radius):
    ptr, idx, hop = city.hops(radius)
    for i, ball in enumerate(_balls_by_networkx(city, radius)):
        row = slice(ptr[i], ptr[i + 1])
        assert idx[row].tolist() == sorted(ball)
        assert hop[row].tolist() == [ball[j] for j in sorted(ball)]


@pytest.mark.parametrize(("width", "height"), [(1, 1), (1, 7), (4, 3), (12, 12)])
def test_a_grid_is_a_lattice_whose_balls_need_no_search(width, height):
    from urbsim._kernels.graph import balls

    g = grid(width, height)
    assert g.lattice == (width, height)
    edges = {(a, b) for a in range(g.n) for b in g.indices[g.indptr[a]:g.indptr[a + 1]]}
    cells = {(x, y) for x in range(width) for y in range(height)}
    king = {(x * height + y, u * height + v) for x, y in cells for u, v in cells
            if max(abs(u - x), abs(v - y)) == 1}
    assert edges == king
    for r in range(4):
        for written, searched in zip(g.hops(r), balls(g.indptr, g.indices, r), strict=True):
            np.testing.assert_array_equal(written, searched)
    assert grid(width, height, torus=True).lattice is None


def test_search_kernel_is_the_same_in_batches(monkeypatch):
    import urbsim.inputs.city

    c = synthetic(5000, CityParams(neighbourhoods=40, districts=3))
    whole = c.search_kernel(2.0, 1.0)
    monkeypatch.setattr(urbsim.inputs.city, "SEARCH_BATCH", 3 * c.n)  # three sources per call
    for a, b in zip(whole, c.search_kernel(2.0, 1.0), strict=True):
        np.testing.assert_array_equal(a, b)


def test_search_kernel_weights_fall_with_distance():
    c = synthetic(5000, CityParams(neighbourhoods=20, districts=3))
    ptr, idx, cum = c.search_kernel(3.0, 1.0)
    w = np.diff(np.concatenate([[0.0], cum[ptr[0]:ptr[1]]]))
    assert idx[ptr[0]:ptr[1]].tolist().count(0) == 1 and w.max() == pytest.approx(1.0)


def _graph(**override):
    g = nx.Graph()
    for v in "abc":
        g.add_node(v, district="D1", x=0.0, y=float("abc".index(v)), private=10,
                   rent_private=500.0)
    g.add_edges_from([("a", "b"), ("b", "c")])
    for v, attrs in override.items():
        g.nodes[v].update(attrs)
    return g


@pytest.mark.parametrize(("mutate", "key"), [
    (lambda g: g.nodes["a"].update(private=-1), "neighbourhood 'a'.private"),
    (lambda g: g.nodes["a"].update(private=1.5), "neighbourhood 'a'.private"),
    (lambda g: g.nodes["a"].pop("rent_private"), "neighbourhood 'a'.rent_private"),
    (lambda g: g.nodes["b"].pop("district"), "neighbourhood 'b'.district"),
    (lambda g: g.nodes["b"].update(district="D9"), "neighbourhood 'b'.district"),
    (lambda g: g.nodes["c"].update(period="1066"), "neighbourhood 'c'.period"),
    (lambda g: g.nodes["c"].update(amenity=3), "neighbourhood 'c'.amenity"),
    (lambda g: g.nodes["c"].update(x="east"), "neighbourhood 'c'.x"),
    (lambda g: g.edges["a", "b"].update(distance=-2), "edge a-b.distance"),
])
def test_validation_names_the_key(mutate, key):
    g = _graph()
    mutate(g)
    with pytest.raises(InputError) as e:
        City.from_graph(g, source="city.csv", districts=("D1",))
    assert str(e.value).startswith("city.csv: ") and key in str(e.value)


def test_a_part_cut_off_is_joined_to_the_nearest_with_a_warning():
    from urbsim.common.errors import InputWarning

    g = _graph()
    g.remove_edge("b", "c")
    with pytest.warns(InputWarning, match=r"city.csv: edges: 'c' touches no other neighbourhood; "
                                          r"joined 'c' to the nearest, 'b' \(1.00 km\)"):
        city = City.from_graph(g, source="city.csv")
    assert city.n == 3 and len(city.indices) == 4  # a-b, b-c, each way
    assert not g.has_edge("b", "c")  # the caller's graph is left as it was


def test_unique_ids_and_empty_city():
    g = nx.Graph()
    g.add_node(1, district="D", x=0, y=0)
    g.add_node("1", district="D", x=0, y=0)
    with pytest.raises(InputError, match="not unique"):
        City.from_graph(g)
    with pytest.raises(InputError, match="no neighbourhoods"):
        City.from_graph(nx.Graph())
