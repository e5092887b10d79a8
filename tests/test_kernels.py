"""Kernel building blocks: counter-based random numbers, the Fenwick tree, the market."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from urbsim._kernels import fenwick, market, rng


def test_uniforms_are_a_pure_function_of_the_key():
    a = rng.uniforms(1, 2, 3, 10_000, 0)
    np.testing.assert_array_equal(a, rng.uniforms(1, 2, 3, 10_000, 0))
    for other in (rng.uniforms(2, 2, 3, 10_000, 0), rng.uniforms(1, 3, 3, 10_000, 0),
                  rng.uniforms(1, 2, 4, 10_000, 0), rng.uniforms(1, 2, 3, 10_000, 1)):
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.05


def test_uniforms_look_uniform():
    u = rng.uniforms(123, 0, 1, 200_000, 0)
    assert u.min() >= 0 and u.max() < 1
    hist = np.bincount((u * 20).astype(int), minlength=20)
    chi2 = ((hist - 10_000) ** 2 / 10_000).sum()
    assert chi2 < 45  # 19 d.o.f., p ~ 0.001
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


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
            assert fenwick.find(tree, target) == np.searchsorted(np.cumsum(c), target,
                                                                 side="right")


def test_rents_follow_vacancy_within_bounds():
    base = np.full((3, 4), 100.0)
    cap = np.full((3, 4), 100, np.int64)
    occ = np.array([[100] * 4, [97] * 4, [50] * 4], np.int64)  # full, on target, empty half
    new = market.update_rents(base.copy(), base, cap, occ, 0.03, 0.5, 0.1, 0.6, 3.0, -1.0, True)
    assert (new[:, 0] == 100).all()  # social fixed
    assert np.allclose(new[0, 1:], 110) and np.allclose(new[1, 1:], 100)
    assert np.allclose(new[2, 1:], 90)
    capped = market.update_rents(base.copy(), base, cap, occ, 0.03, 0.5, 0.1, 0.6, 1.05, 0.02,
                                 True)
    assert np.allclose(capped[0, 1:], 102)
    low = market.update_rents(base * 0.61, base, cap, occ, 0.03, 0.5, 0.1, 0.6, 3.0, -1.0, False)
    assert np.allclose(low[2], 60)
