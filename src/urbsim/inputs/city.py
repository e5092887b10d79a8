"""The city: a networkx graph of neighbourhoods, with array views for the kernels.

Each node is a neighbourhood with attributes

* ``district`` (str), ``x``, ``y`` (map position, km),
* dwellings per housing segment: ``social``, ``private``, ``owner_flat``, ``single_family``,
* base rent per dwelling and month (EUR) per segment: ``rent_social``, ``rent_private``, ...,
* ``amenity`` (0..1, default 0.5) and building ``period`` (one of :data:`PERIODS`),
* ``owner_share`` (0..1, optional): share of the non-social dwellings occupied by their owners
  (absent: :func:`owner_shares` spreads the city's share over the neighbourhoods),
* ``social_expiry`` (0..1 a year, optional): share of its social dwellings whose binding ends
  each year (absent: the city's ``city.social_expiry``),
* households by milieu (optional, every neighbourhood or none): ``households_<CODE>``
  numbers per milieu code of the milieu set (estimates may be fractional; a run
  integerises), or ``households`` with ``share_<CODE>`` shares (summing to 1 within 0.02);
  at most the neighbourhood's dwellings,
* ``households`` alone (optional, every neighbourhood or none): the neighbourhood's households,
  whose milieus come from the district's milieu shares (a districts table) or the city's,
* ``sgb2_share`` (0..1, optional): share of its households on SGB II (Bürgergeld),
* households' age classes and sizes (optional, shares summing to 1 within 0.02):
  :data:`AGE_COLUMNS`, :data:`SIZE_COLUMNS`,
* ``income_median`` (EUR/month) and ``income_spread`` (standard deviation of log income) of
  its households' net income (optional),
* ``contract_<segment>`` (EUR/month, optional): mean contract rent of the tenants of a
  non-social segment,
* ``social_end_<YEAR>`` (optional): social dwellings whose binding ends in that calendar year
  (instead of the yearly ``social_expiry`` share; needs the scenario's ``start_year``).

Where the city gives households, a run starts from them (:mod:`urbsim.inputs.population` fits
what is given, integerises it and draws SGB-II incomes to match); absent, the run places
milieus by its status-match rule (:mod:`urbsim.engine.households`).

Edges are adjacency ties with a ``distance`` in km (default: Euclidean between positions).
Neighbourhood *status* is not an attribute: it derives from the residents as the model runs.
Build a City with :meth:`City.from_graph`, :meth:`City.from_arrays` (vectorised, for generated
cities: the graph is then built only when asked for), :func:`urbsim.inputs.city_synthetic.synthetic`,
:func:`urbsim.inputs.city_synthetic.grid` or the loaders of :mod:`urbsim.inputs.city_files`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

try:  # the functions scipy.sparse.csgraph exports, without its __init__ (see urbsim.inputs)
    from scipy.sparse.csgraph._shortest_path import dijkstra
    from scipy.sparse.csgraph._traversal import connected_components
except ImportError:  # pragma: no cover (a scipy that moved them)
    from scipy.sparse.csgraph import connected_components, dijkstra

from urbsim._kernels import graph, libm
from urbsim.common.errors import InputError
from urbsim.inputs.milieus import SEGMENTS

if TYPE_CHECKING:
    import networkx as nx  # imported where a graph is made: a run of arrays needs none

OWNER_PROPENSITY = np.array([0.0, 0.1, 0.6, 0.9])
"""Relative chance that a dwelling of each segment is owner-occupied (social, private rental
block, owner flat, single-family house), used where a city gives no owner shares (prior: in
Germany most single-family houses and a minority of flats are owner-occupied)."""

PERIODS = ("pre1949", "1950-1979", "1980-2009", "new")
"""Building periods: pre-1949 old stock, 1950–1979 estates, 1980–2009, new build."""

SEARCH_BATCH = 2**22
"""Distances one call of scipy's dijkstra returns at most (32 MB) in :meth:`City.search_kernel`."""


@dataclass(frozen=True, eq=False)
class City:
    """A validated neighbourhood network with array views (index = node order of ``ids``).

    Attributes:
        graph: the networkx graph (node keys are the neighbourhood ids as strings; built on
            first use for a city made by :meth:`from_arrays`).
        ids: neighbourhood ids.
        districts: district names, in order of first appearance.
        district: ``(N,)`` district index per neighbourhood.
        pos: ``(N, 2)`` positions (km).
        capacity: ``(N, 4)`` dwellings per segment (see :data:`urbsim.inputs.milieus.SEGMENTS`).
        base_rent: ``(N, 4)`` base rent per dwelling and month (EUR).
        amenity: ``(N,)`` amenity score 0..1.
        period: ``(N,)`` building period index into :data:`PERIODS`.
        indptr, indices, distance: CSR adjacency with edge distances (km).
        lattice: ``(width, height)`` of a Moore grid (not wrapped) with node ``x * height + y``,
            whose balls :meth:`hops` writes down instead of searching; ``None`` otherwise.
        owner_share: ``(N,)`` share of the non-social dwellings that are owner-occupied (NaN
            where not given).
        social_expiry: ``(N,)`` yearly share of the social dwellings whose binding ends (NaN
            where not given).
        population: milieu code -> ``(N,)`` households of that milieu per neighbourhood
            (counts, whole or from shares); ``None`` where the city gives none.
        households: ``(N,)`` households per neighbourhood where the city gives only their
            number (``None``: not given).
        sgb2_share: ``(N,)`` share of households on SGB II (NaN where not given).
        district_shares: milieu code -> ``(D,)`` share of each district's households
            (``None``: not given).
        shapes: ``(N,)`` the neighbourhoods' polygons (shapely, km), for maps (``None``: a
            city without polygons).
        ages: ``(N, 4)`` shares of households per age class (:data:`AGE_COLUMNS`; NaN rows:
            not given), ``None`` where no neighbourhood gives them.
        sizes: ``(N, 5)`` shares of households per size 1..5+ (:data:`SIZE_COLUMNS`), likewise.
        income_median: ``(N,)`` median net household income (EUR/month; NaN: not given).
        income_spread: ``(N,)`` standard deviation of log income (NaN: not given).
        contract: ``(N, G)`` mean contract rent of tenants per segment (EUR/month; NaN: not
            given; social: never).
        social_end: calendar year -> ``(N,)`` social dwellings whose binding ends that year.
        sample: the run's households per household of the city (1: the whole city; less:
            dwellings, bindings and construction scaled to a sample,
            :func:`urbsim.inputs.population.sample`).
    """

    ids: tuple[str, ...]
    districts: tuple[str, ...]
    district: np.ndarray
    pos: np.ndarray
    capacity: np.ndarray
    base_rent: np.ndarray
    amenity: np.ndarray
    period: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    distance: np.ndarray
    lattice: tuple[int, int] | None = None
    owner_share: np.ndarray | None = None
    social_expiry: np.ndarray | None = None
    population: dict[str, np.ndarray] | None = None
    households: np.ndarray | None = None
    sgb2_share: np.ndarray | None = None
    district_shares: dict[str, np.ndarray] | None = None
    shapes: tuple | None = None
    ages: np.ndarray | None = None
    sizes: np.ndarray | None = None
    income_median: np.ndarray | None = None
    income_spread: np.ndarray | None = None
    contract: np.ndarray | None = None
    social_end: dict[int, np.ndarray] | None = None
    sample: float = 1.0
    _graph: nx.Graph | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in OPTIONAL:
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.full(len(self.ids), np.nan))

    def owned(self, city_share: float) -> np.ndarray:
        """``(N, G)`` owner-occupied dwellings: per neighbourhood its owner share of the
        non-social dwellings (where not given, :func:`owner_shares` of ``city_share``), filled
        into single-family houses first, then owner flats, then private rental blocks."""
        assert self.owner_share is not None
        share = np.where(np.isnan(self.owner_share),
                         owner_shares(self.capacity, city_share), self.owner_share)
        left = np.round(share * self.capacity[:, 1:].sum(1)).astype(np.int64)
        out = np.zeros_like(self.capacity)
        for s in np.argsort(-OWNER_PROPENSITY, kind="stable"):
            if OWNER_PROPENSITY[s] > 0:
                out[:, s] = np.minimum(self.capacity[:, s], left)
                left -= out[:, s]
        return out

    def expiry(self, city_rate: float) -> np.ndarray:
        """``(N,)`` yearly share of the social dwellings whose binding ends."""
        assert self.social_expiry is not None
        return np.where(np.isnan(self.social_expiry), city_rate, self.social_expiry)

    @cached_property
    def graph(self) -> nx.Graph:
        """The networkx graph, with the node and edge attributes of the module docstring."""
        if self._graph is not None:
            return self._graph
        import networkx as nx

        g = nx.Graph()
        for i, v in enumerate(self.ids):
            g.add_node(v, district=self.districts[self.district[i]], x=float(self.pos[i, 0]),
                       y=float(self.pos[i, 1]), amenity=float(self.amenity[i]),
                       period=PERIODS[self.period[i]],
                       **{k: float(getattr(self, k)[i]) for k in OPTIONAL
                          if not np.isnan(getattr(self, k)[i])},
                       **({} if self.households is None
                          else {"households": float(self.households[i])}),
                       **self.attributes(i),
                       **{s: int(self.capacity[i, j]) for j, s in enumerate(SEGMENTS)},
                       **{f"rent_{s}": float(self.base_rent[i, j]) for j, s in enumerate(SEGMENTS)},
                       **{f"{POPULATION}{c}": float(v[i]) for c, v in (self.population or {}).items()})
        for i in range(self.n):
            for e in range(self.indptr[i], self.indptr[i + 1]):
                j = self.indices[e]
                if i < j:
                    g.add_edge(self.ids[i], self.ids[j], distance=float(self.distance[e]))
        return g

    def attributes(self, i: int) -> dict[str, float]:
        """Neighbourhood ``i``'s optional area attributes as file columns (ages, sizes,
        incomes, contract rents, social bindings ending), where given."""
        out: dict[str, float] = {}
        for name, columns in (("ages", AGE_COLUMNS), ("sizes", SIZE_COLUMNS)):
            x = getattr(self, name)
            if x is not None and not np.isnan(x[i]).any():
                out |= dict(zip(columns, map(float, x[i]), strict=True))
        for name in ("income_median", "income_spread"):
            x = getattr(self, name)
            if x is not None and not np.isnan(x[i]):
                out[name] = float(x[i])
        if self.contract is not None:
            out |= {f"contract_{s}": float(self.contract[i, j]) for j, s in enumerate(SEGMENTS)
                    if j > 0 and not np.isnan(self.contract[i, j])}
        out |= {f"{SOCIAL_END}{y}": int(v[i]) for y, v in (self.social_end or {}).items()}
        return out

    @property
    def n(self) -> int:
        """Number of neighbourhoods."""
        return len(self.ids)

    @classmethod
    def from_graph(cls, graph: nx.Graph, source: str = "<graph>",
                   districts: tuple[str, ...] | None = None,
                   district_shares: Mapping[str, np.ndarray] | None = None,
                   shapes: Sequence | None = None) -> City:
        """Validate a graph and build the array views.

        Args:
            graph: networkx graph with the node and edge attributes described in the module.
            source: file name used in error messages.
            districts: the known districts; a node naming any other is an error. ``None``
                accepts every district named by a node.
            district_shares: milieu code -> ``(D,)`` shares of each of ``districts``.
            shapes: the nodes' polygons, in node order (for maps).

        Warns:
            InputWarning: a part of the network that touches no other, joined to the rest by
                an edge between their nearest neighbourhoods.

        Raises:
            InputError: empty graph, a missing or negative attribute, an unknown district or
                building period.
        """
        import networkx as nx

        if graph.number_of_nodes() == 0:
            raise InputError("the city has no neighbourhoods", source)
        if graph.is_directed() or graph.is_multigraph():
            graph = nx.Graph(graph)
        g = nx.relabel_nodes(graph, {v: str(v) for v in graph.nodes}, copy=True)
        if g.number_of_nodes() != graph.number_of_nodes():
            raise InputError("neighbourhood ids are not unique as strings", source, "id")
        ids = tuple(g.nodes)
        n = len(ids)
        seen: dict[str, int] = {d: i for i, d in enumerate(districts or ())}
        district = np.empty(n, np.int32)
        pos = np.empty((n, 2))
        capacity = np.empty((n, len(SEGMENTS)), np.int64)
        base_rent = np.empty((n, len(SEGMENTS)))
        amenity = np.empty(n)
        period = np.empty(n, np.int8)
        optional = {k: np.full(n, np.nan) for k in OPTIONAL}
        population: dict[str, np.ndarray] = {}
        households = np.full(n, np.nan)
        extra: dict[str, np.ndarray] = {}
        ending: dict[int, np.ndarray] = {}
        codes = None
        for i, v in enumerate(ids):
            a = neighbourhood(g.nodes[v], source, f"neighbourhood {v!r}", districts)
            given = a.get("population", {})
            if codes is None:
                codes = tuple(given)
            elif tuple(given) != codes:
                raise InputError(f"households by milieu for {', '.join(given) or 'no milieu'}, "
                                 f"but for {', '.join(codes) or 'no milieu'} in the first "
                                 "neighbourhood: give them for every neighbourhood or none",
                                 source, f"neighbourhood {v!r}.{POPULATION}*")
            for c, x in given.items():
                population.setdefault(c, np.zeros(n))[i] = x
            households[i] = a.get("households", np.nan)
            for k, width in (("ages", len(AGE_COLUMNS)), ("sizes", len(SIZE_COLUMNS)),
                             ("income_median", 0), ("income_spread", 0),
                             ("contract", len(SEGMENTS))):
                if k in a:
                    extra.setdefault(k, np.full((n, width) if width else n, np.nan))
                    if k == "contract":
                        for s, x in a[k].items():
                            extra[k][i, SEGMENTS.index(s)] = x
                    else:
                        extra[k][i] = a[k]
            for year, c in a.get("social_end", {}).items():
                ending.setdefault(year, np.zeros(n, np.int64))[i] = c
            if np.isnan(households[i]) != np.isnan(households[0]):
                raise InputError("households given for some neighbourhoods only: give them for "
                                 "every neighbourhood or none", source,
                                 f"neighbourhood {v!r}.households")
            district[i] = seen.setdefault(a["district"], len(seen))
            pos[i] = a["x"], a["y"]
            capacity[i] = [a[s] for s in SEGMENTS]
            base_rent[i] = [a[f"rent_{s}"] for s in SEGMENTS]
            amenity[i] = a["amenity"]
            period[i] = PERIODS.index(a["period"])
            for k, col in optional.items():
                col[i] = a.get(k, np.nan)
        index = {v: i for i, v in enumerate(ids)}
        _join_islands(g, pos, index, source)
        edges, dist = [], []
        for u, v, a in g.edges(data=True):
            if u == v:
                continue
            d = a.get("distance")
            if d is None:
                d = libm.hypot(*(pos[index[u]] - pos[index[v]]))
            elif not isinstance(d, int | float) or not np.isfinite(d) or d < 0:
                raise InputError(f"expected a non-negative distance, got {d!r}", source,
                                 f"edge {u}-{v}.distance")
            edges.append((index[u], index[v]))
            dist.append(float(d))
        return cls.from_arrays(ids, tuple(seen), district, pos, capacity, base_rent, edges, dist,
                               amenity, period, source, graph=g, population=population or None,
                               households=None if np.isnan(households).all() else households,
                               district_shares=district_shares, shapes=shapes,
                               social_end=dict(sorted(ending.items())) or None, **optional,
                               **extra)

    @classmethod
    def from_arrays(cls, ids: Sequence[str], districts: Sequence[str], district: ArrayLike,
                    pos: ArrayLike, capacity: ArrayLike, base_rent: ArrayLike, edges: ArrayLike,
                    distance: ArrayLike, amenity: ArrayLike | None = None,
                    period: ArrayLike | None = None, source: str = "<arrays>",
                    graph: nx.Graph | None = None, owner_share: ArrayLike | None = None,
                    social_expiry: ArrayLike | None = None,
                    population: Mapping[str, ArrayLike] | None = None,
                    households: ArrayLike | None = None, sgb2_share: ArrayLike | None = None,
                    district_shares: Mapping[str, ArrayLike] | None = None,
                    shapes: Sequence | None = None, ages: ArrayLike | None = None,
                    sizes: ArrayLike | None = None, income_median: ArrayLike | None = None,
                    income_spread: ArrayLike | None = None, contract: ArrayLike | None = None,
                    social_end: Mapping[int, ArrayLike] | None = None) -> City:
        """A city from arrays (vectorised; for generated cities such as grids).

        Args:
            ids: the ``N`` neighbourhood ids.
            districts: the district names.
            district: ``(N,)`` index into ``districts``.
            pos: ``(N, 2)`` positions (km).
            capacity: ``(N, 4)`` dwellings per segment (:data:`SEGMENTS`).
            base_rent: ``(N, 4)`` rent per dwelling and month (EUR).
            edges: ``(E, 2)`` node index pairs, each tie once.
            distance: ``(E,)`` length of each tie (km).
            amenity: ``(N,)`` amenity score 0..1 (default 0.5).
            period: ``(N,)`` index into :data:`PERIODS` (default 1980–2009).
            source: the origin, for messages.
            graph: the networkx graph when the caller has it (else built on first use).
            owner_share: ``(N,)`` owner share of the non-social dwellings (NaN: not given).
            social_expiry: ``(N,)`` yearly share of social bindings ending (NaN: not given).
            population: milieu code -> ``(N,)`` households per neighbourhood (not given: none).
            households: ``(N,)`` households per neighbourhood, their milieus not given.
            sgb2_share: ``(N,)`` share of households on SGB II (NaN: not given).
            district_shares: milieu code -> ``(D,)`` milieu shares of each district.
            shapes: ``(N,)`` polygons (shapely, km).
            ages: ``(N, 4)`` age-class shares (NaN rows: not given).
            sizes: ``(N, 5)`` household-size shares (NaN rows: not given).
            income_median: ``(N,)`` median net household income (NaN: not given).
            income_spread: ``(N,)`` standard deviation of log income (NaN: not given).
            contract: ``(N, G)`` mean contract rent per segment (NaN: not given).
            social_end: calendar year -> ``(N,)`` social bindings ending that year.

        Raises:
            InputError: a disconnected network, or negative dwellings or rents.
        """
        n = len(ids)
        capacity = np.asarray(capacity, np.int64)
        base_rent = np.asarray(base_rent, np.float64)
        if (capacity < 0).any() or (base_rent < 0).any():
            raise InputError("negative dwellings or rents", source)
        edges = np.asarray(edges, np.int64).reshape(-1, 2)
        d = np.asarray(distance, np.float64)
        adj = sp.csr_matrix((np.concatenate([d, d]), (np.concatenate([edges[:, 0], edges[:, 1]]),
                                                      np.concatenate([edges[:, 1], edges[:, 0]]))),
                            shape=(n, n))
        adj.sort_indices()
        parts, _ = connected_components(adj, directed=False)
        if parts != 1:
            raise InputError(f"the neighbourhood network is not connected: {parts} parts", source,
                             "edges")
        return cls(ids=tuple(map(str, ids)), districts=tuple(districts),
                   district=np.asarray(district, np.int32), pos=np.asarray(pos, np.float64),
                   capacity=capacity, base_rent=base_rent,
                   amenity=np.full(n, 0.5) if amenity is None else np.asarray(amenity, float),
                   period=np.full(n, PERIODS.index("1980-2009"), np.int8) if period is None
                   else np.asarray(period, np.int8),
                   indptr=adj.indptr.astype(np.int64), indices=adj.indices.astype(np.int64),
                   distance=adj.data.astype(np.float64), _graph=graph,
                   owner_share=None if owner_share is None else np.asarray(owner_share, float),
                   social_expiry=None if social_expiry is None
                   else np.asarray(social_expiry, float),
                   sgb2_share=None if sgb2_share is None else np.asarray(sgb2_share, float),
                   population=None if not population
                   else {c: np.asarray(v, float) for c, v in population.items()},
                   households=None if households is None else np.asarray(households, float),
                   district_shares=None if not district_shares
                   else {c: np.asarray(v, float) for c, v in district_shares.items()},
                   shapes=None if shapes is None else tuple(shapes),
                   ages=_floats(ages), sizes=_floats(sizes),
                   income_median=_floats(income_median), income_spread=_floats(income_spread),
                   contract=_floats(contract),
                   social_end=None if not social_end
                   else {int(y): np.asarray(v, np.int64) for y, v in social_end.items()})

    @cached_property
    def _adjacency(self) -> sp.csr_matrix:
        return sp.csr_matrix((self.distance, self.indices, self.indptr), shape=(self.n, self.n))

    def hops(self, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every node within ``radius`` hops of each node, as CSR ``(indptr, indices, hop)``.

        Includes the node itself at hop 0. Symmetric: ``j`` is in the ball of ``i`` exactly
        when ``i`` is in the ball of ``j``, at the same hop count.
        """
        if self.lattice is not None:
            return graph.lattice_balls(*self.lattice, int(radius))
        return graph.balls(self.indptr, self.indices, int(radius))

    def search_kernel(self, max_distance: float, decay: float
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Local search neighbourhoods: for each node, the nodes within ``max_distance`` km on
        the network with cumulative weights ``exp(-distance / decay)``, as CSR
        ``(indptr, indices, cumulative weight)``; each row's last weight is its total.
        """
        indptr, indices, cum = [0], [], []
        rows = max(1, SEARCH_BATCH // max(self.n, 1))  # sources per dijkstra call
        for lo in range(0, self.n, rows):
            dist = dijkstra(self._adjacency, indices=np.arange(lo, min(lo + rows, self.n)),
                            limit=max_distance)
            for d in dist:
                near = np.flatnonzero(np.isfinite(d))
                indices.append(near)
                cum.append(np.cumsum(libm.exp(-d[near] / decay)))
                indptr.append(indptr[-1] + len(near))
        return (np.asarray(indptr, np.int64), np.concatenate(indices).astype(np.int64),
                np.concatenate(cum))

    def node_index(self, ids: tuple[str, ...] | list[str], key: str = "neighbourhoods",
                   source: str | None = None) -> np.ndarray:
        """Indices of the given neighbourhood ids; unknown ids raise :class:`InputError`."""
        index = {v: i for i, v in enumerate(self.ids)}
        out = []
        for v in ids:
            if str(v) not in index:
                raise InputError(f"unknown neighbourhood {v!r}", source, key)
            out.append(index[str(v)])
        return np.asarray(out, np.int64)

    def district_index(self, names: tuple[str, ...] | list[str], key: str = "districts",
                       source: str | None = None) -> np.ndarray:
        """Indices of the given district names; unknown names raise :class:`InputError`."""
        out = []
        for d in names:
            if d not in self.districts:
                raise InputError(f"unknown district {d!r}; known: {', '.join(self.districts)}",
                                 source, key)
            out.append(self.districts.index(d))
        return np.asarray(out, np.int64)

    def mask(self, districts: tuple[str, ...] = (), neighbourhoods: tuple[str, ...] = (),
             source: str | None = None, key: str = "") -> np.ndarray:
        """Boolean ``(N,)`` mask of the named districts and neighbourhoods (none named: all)."""
        if not districts and not neighbourhoods:
            return np.ones(self.n, bool)
        m = np.zeros(self.n, bool)
        m[np.isin(self.district, self.district_index(districts, f"{key}districts", source))] = True
        m[self.node_index(neighbourhoods, f"{key}neighbourhoods", source)] = True
        return m


OPTIONAL = ("owner_share", "social_expiry", "sgb2_share")
"""Optional neighbourhood attributes (shares 0..1; absent: NaN, the city-wide rule or, for
``sgb2_share``, nothing to match)."""

AGE_COLUMNS = ("age_18_29", "age_30_44", "age_45_64", "age_65_plus")
"""Shares of households per age class of the reference person (the model's classes)."""
SIZE_COLUMNS = ("size_1", "size_2", "size_3", "size_4", "size_5_plus")
"""Shares of households per number of persons."""
SOCIAL_END = "social_end_"
"""Prefix of the columns giving social dwellings whose binding ends in a year."""

POPULATION, SHARE = "households_", "share_"
"""Prefixes of the columns that give households by milieu: ``households_<CODE>`` counts, or
``share_<CODE>`` shares of a ``households`` total."""
SHARE_SUM = 0.02
"""Milieu shares of a neighbourhood must sum to 1 within this."""


def _floats(values: ArrayLike | None) -> np.ndarray | None:
    return None if values is None else np.asarray(values, float)


def owner_shares(capacity: np.ndarray, city_share: float) -> np.ndarray:
    """``(N,)`` owner share of each neighbourhood's non-social dwellings where a city gives
    none: proportional to the :data:`OWNER_PROPENSITY` of its dwellings, scaled so that the
    city's owner-occupied dwellings make ``city_share`` of all (at most every non-social one)."""
    free = capacity[:, 1:].sum(1).astype(float)
    w = (capacity * OWNER_PROPENSITY).sum(1) / np.maximum(free, 1)
    want = city_share * capacity.sum()
    scale = want / max((w * free).sum(), 1e-12)
    return np.clip(w * scale, 0.0, 1.0)


def neighbourhood(attrs: Mapping, source: str, key: str,
                  districts: Sequence[str] | None = None, defaults: bool = True) -> dict:
    """One neighbourhood's attributes, validated: the rule shared by every way of making a
    city (graphs, CSV tables, GeoJSON features).

    Args:
        attrs: the raw attributes (numbers, or text from a file); missing (``None``) and empty
            values count as absent.
        source: the file or graph, for messages.
        key: where the record is (``line 7``, ``neighbourhood 'A'``), for messages.
        districts: the known districts, or ``None`` to accept any.
        defaults: absent dwellings count 0, ``amenity`` 0.5 and ``period`` 1980–2009 (for
            graphs); without, every segment's dwellings must be given and ``amenity`` and
            ``period`` stay absent when not given (for tables, whose columns say what is
            known).

    Returns:
        ``district`` (str), ``x``, ``y`` (km), per segment ``s`` the dwellings ``s`` (int) and
        ``rent_s`` (EUR/month; required where there are dwellings), ``amenity`` (0..1),
        ``period`` (one of :data:`PERIODS`) and the :data:`OPTIONAL` shares where given.

    Raises:
        InputError: a missing or non-numeric value, a value out of range, a fractional number
            of dwellings, an unknown district or building period (naming ``key.column``).
    """
    attrs = {k: v for k, v in attrs.items() if v is not None and str(v).strip() != ""}
    d = str(attrs.get("district", "")).strip()
    if not d:
        raise InputError("missing value", source, f"{key}.district")
    if districts is not None and d not in districts:
        raise InputError(f"unknown district {d!r}; known: {', '.join(districts)}", source,
                         f"{key}.district")
    out: dict = {"district": d, "x": number(attrs, "x", source, key),
                 "y": number(attrs, "y", source, key)}
    for s in SEGMENTS:
        c = number(attrs, s, source, key, default=0.0 if defaults else None, lo=0.0)
        if not c.is_integer():
            raise InputError(f"expected a whole number of dwellings, got {attrs[s]!r}", source,
                             f"{key}.{s}")
        out[s] = int(c)
        out[f"rent_{s}"] = number(attrs, f"rent_{s}", source, key, lo=0.0,
                                  default=None if c > 0 else 0.0)
    if defaults or "amenity" in attrs:
        out["amenity"] = number(attrs, "amenity", source, key, default=0.5, lo=0.0, hi=1.0)
    for k in OPTIONAL:
        if k in attrs:
            out[k] = number(attrs, k, source, key, lo=0.0, hi=1.0)
    given = _population(attrs, source, key)
    dwellings = sum(out[s] for s in SEGMENTS)
    if given:
        total = sum(given.values())
        if total > dwellings + 1e-9:
            raise InputError(f"{total:g} households by milieu, more than the {dwellings} "
                             "dwellings", source, f"{key}.{POPULATION}*")
        out["population"] = given
    elif "households" in attrs:
        out["households"] = h = number(attrs, "households", source, key, lo=0.0)
        if h > dwellings + 1e-9:
            raise InputError(f"{h:g} households, more than the {dwellings} dwellings", source,
                             f"{key}.households")
    _attributes(attrs, source, key, out)
    if defaults or "period" in attrs:
        out["period"] = p = str(attrs.get("period", "1980-2009")).strip()
        if p not in PERIODS:
            raise InputError(f"unknown building period {p!r}; known: {', '.join(PERIODS)}",
                             source, f"{key}.period")
    return out


ATTRIBUTES = ("ages", "sizes", "income_median", "income_spread", "contract", "social_end")
"""The parsed area attributes :func:`neighbourhood` returns (from :func:`attribute_column`s)."""


def attribute_column(name: str) -> bool:
    """Whether a file column gives an area attribute (age or size shares, incomes, contract
    rents, social bindings ending)."""
    return (name in AGE_COLUMNS or name in SIZE_COLUMNS or name in ("income_median",
                                                                      "income_spread")
            or name.startswith(("contract_", SOCIAL_END)))


def _attributes(attrs: Mapping, source: str, key: str, out: dict) -> None:
    """The optional area attributes of the module docstring into ``out`` (``ages``, ``sizes``
    as share arrays, ``income_median``, ``income_spread``, ``contract`` per segment,
    ``social_end`` per year), validated."""
    for name, columns in (("ages", AGE_COLUMNS), ("sizes", SIZE_COLUMNS)):
        given = [c for c in columns if c in attrs]
        if not given:
            continue
        if len(given) < len(columns):
            missing = next(c for c in columns if c not in attrs)
            raise InputError(f"missing value; give all of {', '.join(columns)} or none", source,
                             f"{key}.{missing}")
        x = np.array([number(attrs, c, source, key, lo=0.0, hi=1.0) for c in columns])
        if abs(x.sum() - 1.0) > SHARE_SUM:
            raise InputError(f"shares sum to {x.sum():.3f}, expected 1 within {SHARE_SUM}",
                             source, f"{key}.{columns[0].rsplit('_', 1)[0]}_*")
        out[name] = x / x.sum()
    if "income_median" in attrs:
        out["income_median"] = number(attrs, "income_median", source, key, lo=1.0)
    if "income_spread" in attrs:
        out["income_spread"] = number(attrs, "income_spread", source, key, lo=0.01, hi=3.0)
    contract = {s: number(attrs, f"contract_{s}", source, key, lo=0.0)
                for s in SEGMENTS[1:] if f"contract_{s}" in attrs}
    if "contract_social" in attrs:
        raise InputError("social rents are fixed (rent_social); no contract rent", source,
                         f"{key}.contract_social")
    if contract:
        out["contract"] = contract
    ending = {}
    for k in attrs:
        if k.startswith(SOCIAL_END):
            year = k[len(SOCIAL_END):]
            if not (year.isdigit() and len(year) == 4):
                raise InputError(f"expected {SOCIAL_END}<YEAR> with a four-digit year", source,
                                 f"{key}.{k}")
            c = number(attrs, k, source, key, lo=0.0)
            if not c.is_integer():
                raise InputError(f"expected a whole number of dwellings, got {attrs[k]!r}",
                                 source, f"{key}.{k}")
            ending[int(year)] = int(c)
    if ending:
        if sum(ending.values()) > out["social"]:
            raise InputError(f"{sum(ending.values())} social bindings ending, more than the "
                             f"{out['social']} social dwellings", source, f"{key}.{SOCIAL_END}*")
        out["social_end"] = ending


def _join_islands(g: nx.Graph, pos: np.ndarray, index: Mapping[str, int], source: str) -> None:
    """Join each part of the network that touches no other (an island, an exclave) to the
    rest by an edge between their nearest neighbourhoods (distance between positions), the
    smallest part first, with a one-line :class:`InputWarning` naming it."""
    import warnings

    import networkx as nx

    from urbsim.common.errors import InputWarning

    while not nx.is_connected(g):
        parts = sorted(nx.connected_components(g), key=len)
        part, rest = sorted(parts[0]), [v for p in parts[1:] for v in p]
        a = pos[[index[v] for v in part]]
        b = pos[[index[v] for v in rest]]
        d = libm.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        i, j = np.unravel_index(np.argmin(d), d.shape)
        g.add_edge(part[i], rest[j], distance=float(d[i, j]))
        warnings.warn(InputWarning(
            f"{source}: edges: {', '.join(map(repr, part[:5]))}{' ...' if len(part) > 5 else ''}"
            f" {'touches' if len(part) == 1 else 'touch'} no other neighbourhood; joined "
            f"{part[i]!r} to the nearest, {rest[j]!r} "
            f"({d[i, j]:.2f} km)"), stacklevel=3)


def _population(attrs: Mapping, source: str, key: str) -> dict[str, float]:
    """Households by milieu code from ``households_<CODE>`` counts or ``households`` times
    ``share_<CODE>`` shares (empty: none given)."""
    counts = {k[len(POPULATION):]: k for k in attrs if k.startswith(POPULATION)}
    shares = {k[len(SHARE):]: k for k in attrs if k.startswith(SHARE)}
    if counts and shares:
        raise InputError(f"give households by milieu as counts ({POPULATION}<CODE>) or as "
                         f"shares ({SHARE}<CODE> with households), not both", source,
                         f"{key}.{next(iter(shares.values()))}")
    out = {code: number(attrs, col, source, key, lo=0.0) for code, col in counts.items()}
    if shares:
        total = number(attrs, "households", source, key, lo=0.0)
        got = {code: number(attrs, col, source, key, lo=0.0, hi=1.0)
               for code, col in shares.items()}
        if abs(sum(got.values()) - 1.0) > SHARE_SUM:
            raise InputError(f"milieu shares sum to {sum(got.values()):.3f}, expected 1 within "
                             f"{SHARE_SUM}", source, f"{key}.{SHARE}*")
        out = {code: total * x / sum(got.values()) for code, x in got.items()}
    return out


def number(attrs: Mapping, name: str, source: str, key: str, default: float | None = None,
           lo: float = -np.inf, hi: float = np.inf) -> float:
    """``attrs[name]`` as a finite float within ``[lo, hi]`` (``default`` when absent).

    Raises:
        InputError: absent without a default, not a number, or out of range (naming
            ``key.name``).
    """
    v = attrs.get(name, default)
    if v is None:
        raise InputError("missing value", source, f"{key}.{name}")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"expected a number, got {v!r}", source, f"{key}.{name}") from None
    if not np.isfinite(f) or not lo <= f <= hi:
        bounds = (f" in [{lo}, {hi}]" if np.isfinite(hi) else f" >= {lo}" if np.isfinite(lo)
                  else "")
        raise InputError(f"expected a finite number{bounds}, got {v!r}", source, f"{key}.{name}")
    return f
