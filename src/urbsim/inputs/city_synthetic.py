"""Cities made from a seed: the embedded default city and a grid for the Schelling case."""

from __future__ import annotations

import numpy as np

try:  # the class scipy.spatial exports, without its __init__ (see urbsim.inputs)
    from scipy.spatial._qhull import Delaunay
except ImportError:  # pragma: no cover (a scipy that moved it)
    from scipy.spatial import Delaunay

from urbsim._kernels import libm
from urbsim._kernels.graph import lattice_balls
from urbsim.inputs.city import PERIODS, City
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import CityParams

# Base rent per dwelling and month (EUR) in the centre, per segment; falls outwards.
# Prior, of the order of German big-city rents for a 70 m2 flat (owner costs imputed).
CENTRE_RENT = np.array([480.0, 980.0, 1150.0, 1500.0])

# Segment mix (social, private, owner flat, single family) at the centre and at the edge.
MIX_CENTRE = np.array([0.10, 0.62, 0.25, 0.03])
MIX_EDGE = np.array([0.08, 0.22, 0.15, 0.55])
MIX_ESTATE = np.array([0.55, 0.35, 0.08, 0.02])  # large post-war social-housing estate


def synthetic(households: int = 120_000, params: CityParams | None = None, seed: int = 0) -> City:
    """A German-style city of ``households`` households, reproducible from ``seed``.

    Neighbourhoods are jittered points in a disc of radius ``sqrt(households) / 55`` km (about
    6.3 km for 120k households), linked by a Delaunay triangulation (long outer edges dropped).
    Districts are a centre plus sectors of the outer ring. Gradients from centre to edge:
    density and old stock (pre-1949) and amenities in the centre, 1950–1979 single-family
    estates on the edge, rents falling outwards; ``social_estates`` outer neighbourhoods are
    large social-housing estates. Dwellings total ``households / (1 - vacancy)``.
    """
    p = params or CityParams()
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x0C17]))
    n = p.neighbourhoods
    radius = max(np.sqrt(households) / 55.0, 1.0)
    # Sunflower (Vogel) spiral: even coverage of the disc, then jitter.
    k = np.arange(n) + 0.5
    r = np.sqrt(k / n)
    theta = k * np.pi * (3 - np.sqrt(5))
    xy = np.column_stack([r * libm.cos(theta), r * libm.sin(theta)])
    xy += rng.normal(0, 0.25 / np.sqrt(n), xy.shape)
    r = np.clip(libm.hypot(*xy.T), 0, 1)
    pos = xy * radius

    # Districts: a centre (inner ~12 % of neighbourhoods) plus equal-angle sectors.
    n_sec = max(p.districts - 1, 0)
    ang = (libm.arctan2(xy[:, 1], xy[:, 0]) + np.pi) / (2 * np.pi)
    inner = r <= np.sqrt(0.12) if n_sec else np.ones(n, bool)
    sector = np.minimum((ang * max(n_sec, 1)).astype(int), max(n_sec, 1) - 1)
    names = ["Mitte"] + [f"Bezirk {i + 1}" for i in range(n_sec)]
    district = np.where(inner, 0, sector + 1)

    weight = 1.8 - 1.3 * r + rng.uniform(-0.15, 0.15, n)  # dwelling density
    total = round(households / (1 - p.vacancy))
    t = r[:, None]
    mix = (1 - t**2) * MIX_CENTRE + t**2 * MIX_EDGE  # the edge mix only near the edge
    outer = np.flatnonzero((r > 0.5) & (r < 0.85))
    estates = rng.choice(outer, size=min(p.social_estates, len(outer)), replace=False)
    mix[estates] = MIX_ESTATE
    weight[estates] *= 2.0  # estates are dense
    dwellings = weight / weight.sum() * total
    mix += rng.uniform(0, 0.03, mix.shape)
    mix /= mix.sum(1, keepdims=True)
    cap = np.round(dwellings[:, None] * mix).astype(np.int64)
    prestige = rng.normal(0, 0.08, n)  # villa quarters and neglected corners
    rent = CENTRE_RENT * (1.0 - p.rent_gradient * t) * (1 + prestige[:, None])
    rent[estates] *= 0.85
    amenity = np.clip(0.85 - p.amenity_gradient * r + prestige + rng.normal(0, 0.05, n), 0.05,
                      0.95)
    period = np.where(r < 0.35, 0, np.where(r > 0.7, 1, np.where(rng.random(n) < 0.5, 1, 2)))
    period[estates] = 1
    newbuild = rng.choice(np.flatnonzero(r > 0.6), size=max(1, n // 30), replace=False)
    period[newbuild] = 3

    tri = Delaunay(pos).simplices
    pairs = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]]), 1)
    key = np.unique(pairs[:, 0] * n + pairs[:, 1])
    edges = np.column_stack([key // n, key % n])  # each tie once, in (a, b) order
    lengths = libm.hypot(*(pos[edges[:, 0]] - pos[edges[:, 1]]).T)
    keep = _ties(n, edges, lengths, 2.5 * np.median(lengths))
    return City.from_arrays(
        [f"N{i:03d}" for i in range(n)], names, district, pos, cap,
        np.array([round(float(x), 2) for x in rent.ravel()]).reshape(rent.shape),
        edges[keep], [round(d, 4) for d in lengths[keep].tolist()], amenity=amenity,
        period=period, source="synthetic city")


def grid(width: int, height: int, torus: bool = False, moore: bool = True) -> City:
    """A ``width x height`` grid of cells with one dwelling each (Schelling's city).

    With ``moore=True`` diagonal neighbours are adjacent, so that the ball of radius r hops is
    the Moore neighbourhood of range r (Chebyshev distance). Cell ``(x, y)`` has id ``"x,y"``
    and index ``x * height + y``. A Moore grid that does not wrap is a lattice: its adjacency
    and balls are written down directly (:func:`urbsim._kernels.graph.lattice_balls`).
    """
    n = width * height
    col = [str(b) for b in range(height)]
    ids = [row + b for row in [f"{a}," for a in range(width)] for b in col]  # index x * h + y
    x, y = np.divmod(np.arange(n), height)
    pos = np.stack([x, y], 1).astype(float)
    capacity = np.zeros((n, len(SEGMENTS)), np.int64)
    capacity[:, SEGMENTS.index("private")] = 1
    rent = np.zeros((n, len(SEGMENTS)))
    if moore and not torus:
        ptr, idx, hop = lattice_balls(width, height, 1)
        ties = hop == 1  # every row holds its own cell once, at hop 0
        return City(ids=tuple(ids), districts=("grid",), district=np.zeros(n, np.int32), pos=pos,
                    capacity=capacity, base_rent=rent, amenity=np.full(n, 0.5),
                    period=np.full(n, PERIODS.index("1980-2009"), np.int8),
                    indptr=ptr - np.arange(n + 1), indices=idx[ties].astype(np.int64),
                    distance=np.ones(int(ties.sum())), lattice=(width, height))
    pairs = []
    for dx, dy in ([(1, 0), (0, 1), (1, 1), (1, -1)] if moore else [(1, 0), (0, 1)]):
        u, v = x + dx, y + dy
        if torus:
            u, v = u % width, v % height
        ok = (u >= 0) & (u < width) & (v >= 0) & (v < height) & ((u != x) | (v != y))
        pairs.append(np.stack([(x * height + y)[ok], (u * height + v)[ok]], 1))
    edges = np.sort(np.concatenate(pairs), 1)
    edges = edges[np.unique(edges[:, 0] * n + edges[:, 1], return_index=True)[1]]  # 2-wide torus
    return City.from_arrays(ids, ("grid",), np.zeros(n, np.int32), pos, capacity, rent, edges,
                            np.ones(len(edges)), source=f"grid {width}x{height}")


def _ties(n: int, edges: np.ndarray, lengths: np.ndarray, cutoff: float) -> np.ndarray:
    """Which ``edges`` to keep: those no longer than ``cutoff``, then, shortest first, each
    longer one that joins two parts the kept ties leave apart (Kruskal, with union-find)."""
    parent = list(range(n))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    keep = lengths <= cutoff
    for a, b in edges[keep].tolist():
        parent[root(a)] = root(b)
    for e in np.flatnonzero(~keep)[np.argsort(lengths[~keep], kind="stable")]:
        a, b = edges[e].tolist()
        if root(a) != root(b):
            keep[e] = True
            parent[root(a)] = root(b)
    return keep
