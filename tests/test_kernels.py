"""Kernel building blocks: counter-based random numbers, the Fenwick tree, the market; the
records kernels take, and search and choice called directly."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import small_params
from urbsim._kernels import choice, composition, fenwick, market, records, rng
from urbsim.engine.model import UrbanModel


def test_uniforms_are_a_pure_function_of_the_key():
    a = rng.uniforms(1, 2, 3, 10_000, 0)
    np.testing.assert_array_equal(a, rng.uniforms(1, 2, 3, 10_000, 0))
    for other in (rng.uniforms(2, 2, 3, 10_000, 0), rng.uniforms(1, 3, 3, 10_000, 0),
                  rng.uniforms(1, 2, 4, 10_000, 0), rng.uniforms(1, 2, 3, 10_000, 1)):
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.05


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.data())
def test_the_vacancy_tree_is_the_tree_of_the_vacancies(rows, cols, data):
    capacity = np.array(data.draw(st.lists(st.integers(0, 9), min_size=rows * cols,
                                           max_size=rows * cols)), np.int64).reshape(rows, cols)
    occupied = np.minimum(capacity, data.draw(st.integers(0, 9)))
    tree = fenwick.vacancies(capacity, occupied)
    np.testing.assert_array_equal(tree, fenwick.build((capacity - occupied).sum(1)))
    # a neighbourhood from the tree, then the column of the draw's remainder: the very cell a
    # tree over every cell (node-major) gives for the same draw
    cells = fenwick.build((capacity - occupied).ravel())
    zeros = np.zeros((rows, cols))
    housing = records.Housing(capacity, occupied, np.zeros((rows, 1), np.int64), zeros, zeros,
                              np.zeros(rows))
    for target in range(fenwick.total(tree)):
        node, rest = fenwick.find_rest(tree, target)
        assert (node, choice._column(node, rest, housing)) == divmod(
            fenwick.find(cells, target), cols)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.integers(0, 40), st.data())
def test_the_housing_tallies_are_the_recorded_counts_and_means(n, g, h, data):
    """Against numpy, household by household: tenants and their mean rent (NaN where none)
    per cell and segment, owners and SGB II by milieu, vacancies of let and owned together."""
    m = 3

    def ints(hi):
        return np.array(data.draw(st.lists(st.integers(0, hi), min_size=h, max_size=h)), np.int64)

    node, column, milieu = ints(n - 1), ints(2 * g - 1), ints(m - 1)
    active, sgb = ints(1).astype(bool), ints(1).astype(bool)
    contract = ints(900).astype(np.float64) + 0.25
    capacity = np.array(data.draw(st.lists(st.integers(0, 9), min_size=2 * n * g,
                                           max_size=2 * n * g)), np.int64).reshape(n, 2 * g)
    occupied = np.minimum(capacity, data.draw(st.integers(0, 9)))
    tenants, rent, owners, on_sgb, vacant = composition.tallies(
        active, node, column, milieu, contract, sgb, capacity, occupied, m)
    let, own = active & (column < g), active & (column >= g)
    want_t = np.zeros((n, g), np.int64)
    want_sum = np.zeros((n, g))
    np.add.at(want_t, (node[let], column[let]), 1)
    np.add.at(want_sum, (node[let], column[let]), contract[let])
    want_o, want_s = np.zeros((n, m), np.int64), np.zeros((n, m), np.int64)
    np.add.at(want_o, (node[own], milieu[own]), 1)
    np.add.at(want_s, (node[active & sgb], milieu[active & sgb]), 1)
    assert (tenants.dtype, owners.dtype, on_sgb.dtype, vacant.dtype) == (np.int32,) * 4
    np.testing.assert_array_equal(tenants, want_t)
    np.testing.assert_array_equal(owners, want_o)
    np.testing.assert_array_equal(on_sgb, want_s)
    np.testing.assert_allclose(rent[want_t > 0], (want_sum / np.maximum(want_t, 1))[want_t > 0])
    assert np.isnan(rent[want_t == 0]).all()
    np.testing.assert_array_equal(vacant, (capacity - occupied)[:, :g] + (capacity - occupied)[:, g:])


def test_uniforms_look_uniform():
    u = rng.uniforms(123, 0, 1, 200_000, 0)
    assert u.min() >= 0 and u.max() < 1
    hist = np.bincount((u * 20).astype(int), minlength=20)
    chi2 = ((hist - 10_000) ** 2 / 10_000).sum()
    assert chi2 < 45  # 19 d.o.f., p ~ 0.001
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5_000), min_size=0, max_size=400, unique=True), st.integers(0, 3))
def test_the_order_of_turns_is_numpys_stable_argsort_of_the_uniforms(slots, draw):
    index = np.array(slots, np.int64)
    want = np.argsort(rng.uniforms(7, 3, rng.ORDER, 5_001, draw)[index], kind="stable")
    np.testing.assert_array_equal(rng.order(7, 3, rng.ORDER, index, draw), want)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1 - 2**-53]),  # ties
                          st.floats(0, 1, exclude_max=True),
                          st.floats(allow_nan=True, allow_infinity=True)),  # outside [0, 1)
                max_size=300))
def test_the_bucket_sort_is_a_stable_argsort_of_any_keys(keys):
    k = np.array(keys, np.float64)
    np.testing.assert_array_equal(rng.argsort_unit(k), np.argsort(k, kind="stable"))


def test_the_bucket_sort_merges_where_keys_crowd_one_bucket():
    k = np.r_[np.full(500, 0.5), np.random.default_rng(0).random(2_000)]
    np.testing.assert_array_equal(rng.argsort_unit(k), np.argsort(k, kind="stable"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=0, max_size=130))
def test_fenwick_build_is_the_tree_by_definition(counts):
    """Node ``k`` (1-based) holds the ``k & -k`` counts ending at ``k``."""
    c = np.array(counts, np.int64)
    want = [0] + [int(c[k - (k & -k):k].sum()) for k in range(1, len(c) + 1)]
    np.testing.assert_array_equal(fenwick.build(c), want)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=60), st.data())
def test_fenwick_find_and_add_match_brute_force(counts, data):
    c = np.array(counts, np.int64)
    tree = fenwick.build(c)
    for _ in range(5):
        i = data.draw(st.integers(0, len(c) - 1))
        delta = data.draw(st.integers(-c[i], 5))
        c[i] += delta
        fenwick.add(tree, i, delta)
        assert fenwick.total(tree) == c.sum()
        if c.sum():
            target = data.draw(st.integers(0, int(c.sum()) - 1))
            i = np.searchsorted(np.cumsum(c), target, side="right")
            assert fenwick.find(tree, target) == i
            assert fenwick.find_rest(tree, target) == (i, target - c[:i].sum())


def _housing(rent, base, cap, occ):
    return records.Housing(capacity=cap, occupied=occ, counts=np.zeros((3, 2), np.int64),
                           rent=rent, base_rent=base, amenity=np.full(3, 0.5))


def _market(ceiling, social_fixed):
    return records.MarketRules(vacancy_target=0.03, adjustment=0.5, max_change=0.1, floor=0.6,
                               ceiling=ceiling, social_fixed=social_fixed)


def test_rents_follow_vacancy_within_bounds():
    base = np.full((3, 4), 100.0)
    cap = np.full((3, 4), 100, np.int64)
    occ = np.array([[100] * 4, [97] * 4, [50] * 4], np.int64)  # full, on target, empty half
    new = market.update_rents(_housing(base.copy(), base, cap, occ), _market(3.0, True))
    assert (new[:, 0] == 100).all()  # social fixed
    assert np.allclose(new[0, 1:], 110) and np.allclose(new[1, 1:], 100)
    assert np.allclose(new[2, 1:], 90)
    capped = market.update_rents(_housing(base.copy(), base, cap, occ), _market(1.05, True))
    assert np.allclose(capped[0, 1:], 105)  # the ceiling
    low = market.update_rents(_housing(base * 0.61, base, cap, occ), _market(3.0, False))
    assert np.allclose(low[2], 60)


def test_every_record_documents_each_field_with_its_shape_or_type():
    classes = [c for c in vars(records).values()
               if isinstance(c, type) and issubclass(c, tuple) and c.__module__ == records.__name__]
    assert len(classes) >= 10
    for cls in classes:
        section = (cls.__doc__ or "").split("Attributes:", 1)[-1]
        for name in cls._fields:
            line = re.search(rf"^\s+{name}: (.*)$", section, re.M)
            assert line, f"{cls.__name__}.{name} undocumented"
            assert re.match(r"``\(.*\)`` (bool|int\d+|float\d+)|(bool|int|float),", line[1]), (
                f"{cls.__name__}.{name}: say its shape and dtype, or its type")


def test_relocate_books_every_move_in_counts_vacancies_and_perceived(small_city):
    m = UrbanModel(small_params(), city=small_city, seed=4)
    m.step()
    h = m.households
    movers = np.flatnonzero(h.active)[::3]
    forced = np.where(np.arange(len(movers)) % 2 == 0, choice.FORCED, 1).astype(np.int8)
    tree = fenwick.vacancies(m.capacity, m.occ)
    agg = m._perceived()
    trees = records.Trees(tree, np.zeros((len(m.milieus), 1), np.int64))
    out = choice.relocate(m.seed, 9, rng.CHOICE, movers, forced, h.record(), m.housing(), trees,
                          agg, m.balls, m.search, m.preferences, m.choice_rules, m.letting(),
                          m._transfers)
    assert set(np.unique(out)) <= {choice.STAYED, choice.MOVED, choice.LEFT}
    assert (out[forced == choice.FORCED] != choice.STAYED).all()  # forced movers may not stay
    assert (out == choice.MOVED).any()
    assert (h.active[movers] == (out != choice.LEFT)).all()
    moved = movers[out == choice.MOVED]  # each signed a contract at its let rent this step
    assert (h.since[moved] == 9).all() and (h.contract[moved] == h.previous[moved]).all()
    assert (h.contract[moved] > 0).all()
    np.testing.assert_array_equal(m.counts, composition.counts(h.record(), small_city.n,
                                                               len(m.milieus)))
    np.testing.assert_array_equal(m.occ, composition.occupancy(h.record(), small_city.n,
                                                               m.occ.shape[1]))
    np.testing.assert_array_equal(tree, fenwick.vacancies(m.capacity, m.occ))  # kept move by move
    for updated, rebuilt in zip(agg, m._perceived(), strict=True):  # move by move vs at once
        np.testing.assert_allclose(updated, rebuilt, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 4), st.booleans(), st.booleans(), st.booleans(), st.data())
def test_aggregates_no_preference_reads_are_not_kept_and_change_nothing(m, status, diversity,
                                                                       own_kind, data):
    from urbsim._kernels import satisfaction as sat
    from urbsim.inputs.city_synthetic import grid
    city = grid(6, 5)
    balls = records.Balls(*city.hops(2), np.array([1.0, 0.5, 0.25]))
    counts = np.array(data.draw(st.lists(st.lists(st.integers(0, 3), min_size=m, max_size=m),
                                         min_size=city.n, max_size=city.n)), np.int64)
    pref = np.array(data.draw(st.lists(st.lists(st.floats(-2, 2), min_size=6, max_size=6),
                                       min_size=m, max_size=m)))
    pref[:, sat.STATUS] *= status
    pref[:, sat.DIVERSITY] *= diversity
    affinity = np.eye(m) if own_kind else np.full((m, m), 0.3) + 0.7 * np.eye(m)
    full = records.Preferences(pref, np.linspace(0, 1, m), affinity, np.zeros((m, 8)), False,
                               0.3, True, True, False)
    kept = full._replace(weighs_status=bool(pref[:, sat.STATUS].any()),
                         weighs_diversity=bool(pref[:, sat.DIVERSITY].any()),
                         own_kind=own_kind)
    a, b = composition.perceived(counts, balls, full), composition.perceived(counts, balls, kept)
    assert np.shares_memory(b.aff, b.cw) == own_kind  # one array (boxed twice)
    moves = data.draw(st.lists(st.tuples(st.integers(0, city.n - 1), st.integers(0, m - 1),
                                         st.sampled_from([-1.0, 1.0])), max_size=20))
    for node, k, sign in moves:
        for agg, prefs in ((a, full), (b, kept)):
            composition.shift(agg, balls, prefs, node, k, sign)
    for name in (("cw", "tot", "aff") + ("sum_st",) * kept.weighs_status
                 + ("sum_sq",) * kept.weighs_diversity):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name), err_msg=name)
    amenity = np.linspace(0, 1, city.n)
    housing = records.Housing(np.ones((city.n, 8), np.int64), np.zeros((city.n, 8), np.int64),
                              counts, np.ones((city.n, 8)), np.ones((city.n, 8)), amenity)
    for n in range(city.n):  # the same utility (the sign of a zero aside: == compares values)
        for k in range(m):
            u = [sat.utility(k, 2000.0, 700.0, n, 1, 0.5, agg, housing, prefs)
                 for agg, prefs in ((a, full), (b, kept))]
            assert u[0] == u[1]


def test_only_what_the_milieus_weigh_is_kept():
    from urbsim.inputs import schelling
    city, ms, p = schelling.setup(10, 10, agents=70, threshold=3)
    prefs = UrbanModel(p, city=city, milieus=ms, seed=0).preferences
    assert (prefs.weighs_status, prefs.weighs_diversity, prefs.own_kind) == (False, False, True)
    prefs = UrbanModel(small_params(), seed=0).preferences
    assert (prefs.weighs_status, prefs.weighs_diversity, prefs.own_kind) == (True, True, False)
