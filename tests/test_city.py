"""The city: synthetic default city, grids, validation and array views."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from urbsim.city import PERIODS, City
from urbsim.citygen import grid, synthetic
from urbsim.errors import InputError
from urbsim.milieus import SEGMENTS
from urbsim.params import CityParams


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
    (lambda g: g.remove_edge("b", "c"), "edges"),
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


def test_unique_ids_and_empty_city():
    g = nx.Graph()
    g.add_node(1, district="D", x=0, y=0)
    g.add_node("1", district="D", x=0, y=0)
    with pytest.raises(InputError, match="not unique"):
        City.from_graph(g)
    with pytest.raises(InputError, match="no neighbourhoods"):
        City.from_graph(nx.Graph())
