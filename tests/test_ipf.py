"""Iterative proportional fitting: known answers, the odds-ratio property, zeros and errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from urbsim.common.errors import InputError
from urbsim.inputs.ipf import Margin, fit, grouping


def rows_cols(shape: tuple[int, int], rows: list[float], cols: list[float]) -> list[Margin]:
    return [Margin(grouping(shape, {0: np.arange(shape[0])}), np.array(rows, float), "rows"),
            Margin(grouping(shape, {1: np.arange(shape[1])}), np.array(cols, float), "cols")]


def sums(table: np.ndarray, margin: Margin) -> np.ndarray:
    keep = margin.groups >= 0
    return np.bincount(margin.groups[keep], weights=table[keep], minlength=margin.target.size)


def test_uniform_seed_gives_the_independence_table():
    r, c = np.array([5.0, 15.0, 30.0]), np.array([10.0, 20.0, 8.0, 12.0])
    out = fit(np.ones((3, 4)), rows_cols((3, 4), list(r), list(c)))
    np.testing.assert_allclose(out, np.outer(r, c) / 50.0, rtol=1e-9)


def test_fit_meets_both_margins_and_keeps_the_odds_ratios():
    seed = np.random.default_rng(1).uniform(0.5, 5.0, (3, 4))
    margins = rows_cols((3, 4), [40.0, 25.0, 35.0], [10.0, 30.0, 45.0, 15.0])
    out = fit(seed, margins, tol=1e-12)
    for m in margins:
        np.testing.assert_allclose(sums(out, m), m.target, rtol=1e-9)
    assert not np.allclose(out / out.sum(), seed / seed.sum(), rtol=0.05)  # the fit did change it
    for (i, k), (j, m) in itertools.product(itertools.combinations(range(3), 2),
                                            itertools.combinations(range(4), 2)):
        odds = out[i, j] * out[k, m] / (out[i, m] * out[k, j])
        assert odds == pytest.approx(seed[i, j] * seed[k, m] / (seed[i, m] * seed[k, j]), rel=1e-9)


def test_the_2x2_textbook_case_solves_its_quadratic():
    # a = t00, t01 = 10 - a, t10 = 15 - a, t11 = 5 + a and a (5 + a) = r (10 - a)(15 - a), r = 4 / 6
    r = (1 * 4) / (2 * 3)
    qa, qb, qc = 1 - r, 5 + 25 * r, -150 * r
    a = (-qb + np.sqrt(qb**2 - 4 * qa * qc)) / (2 * qa)
    assert 0 < a < 10
    out = fit(np.array([[1.0, 2.0], [3.0, 4.0]]), rows_cols((2, 2), [10.0, 20.0], [15.0, 15.0]), tol=1e-13)
    np.testing.assert_allclose(out, [[a, 10 - a], [15 - a, 5 + a]], rtol=1e-10)
    assert out[0, 0] == pytest.approx(4.32730, abs=1e-5)  # (-65 + sqrt(5425)) / 2


def test_3d_table_meets_grouped_and_partial_structure_margins():
    n, k, s = 6, 4, 2
    district = np.array([0, 0, 1, 1, 1, 2])
    rng = np.random.default_rng(7)
    true = rng.uniform(1.0, 50.0, (n, k, s))
    seed = true * rng.uniform(0.3, 3.0, true.shape)
    groups = [grouping(true.shape, {0: district, 1: np.arange(k)}), grouping(true.shape, {0: np.arange(n)}),
              grouping(true.shape, {0: np.arange(n), 2: np.arange(s)})]
    margins = [Margin(g, np.bincount(g.ravel(), weights=true.ravel()), name)
               for g, name in zip(groups, ("district x milieu", "households", "neighbourhood x sgb"),
                                  strict=True)]
    assert [m.target.size for m in margins] == [12, 6, 12]
    out = fit(seed, margins)
    for m in margins:
        np.testing.assert_allclose(sums(out, m), m.target, rtol=1e-8)
    np.testing.assert_allclose(out.sum(), true.sum(), rtol=1e-10)
    assert not np.allclose(out, true, rtol=0.01)  # margins do not pin down the table


def test_seed_zeros_stay_zero_and_zero_targets_zero_their_cells():
    seed = np.array([[2.0, 0.0, 1.0], [1.0, 3.0, 2.0], [4.0, 1.0, 1.0]])
    margins = rows_cols((3, 3), [12.0, 0.0, 18.0], [14.0, 6.0, 10.0])
    out = fit(seed, margins, tol=1e-12)
    assert out[0, 1] == 0.0
    assert (out[1] == 0.0).all()
    assert (out[[0, 0, 2, 2, 2], [0, 2, 0, 1, 2]] > 0).all()
    for m in margins:
        np.testing.assert_allclose(sums(out, m), m.target, rtol=1e-9)
    assert seed[1, 1] == 3.0  # the seed is not modified


def test_grouping_by_hand():
    g = grouping((3, 2, 2), {0: np.array([1, 0, 1]), 2: np.arange(2)})
    assert g.shape == (3, 2, 2)
    assert g.dtype == np.int64
    # margin cell = district * 2 + sgb; the milieu axis (1) is summed over
    np.testing.assert_array_equal(g[:, 0, :], [[2, 3], [0, 1], [2, 3]])
    np.testing.assert_array_equal(g[:, 1, :], g[:, 0, :])
    np.testing.assert_array_equal(grouping((2, 3), {}), np.zeros((2, 3)))
    np.testing.assert_array_equal(grouping((2, 3), {1: np.array([0, 0, 1]), 0: np.arange(2)}),
                                  [[0, 0, 1], [2, 2, 3]])
    with pytest.raises(InputError, match="ipf: grouping: axis 1: expected 3"):
        grouping((2, 3), {1: np.arange(2)})


ONES = np.ones((2, 2))
ROW = grouping((2, 2), {0: np.arange(2)})


@pytest.mark.parametrize(("seed", "margins", "match"), [
    (np.array([[1.0, -1.0], [1.0, 1.0]]), [], "ipf: seed: expected a finite"),
    (np.array([[1.0, np.nan], [1.0, 1.0]]), [], "ipf: seed: expected a finite"),
    (ONES, [Margin(ROW[:1], np.ones(2), "rowz")], r"rowz: groups: expected integers of shape \(2, 2\)"),
    (ONES, [Margin(ROW, np.array([1.0, -1.0]), "rowz")], "rowz: target: expected"),
    (ONES, [Margin(ROW, np.array([1.0, np.inf]), "rowz")], "rowz: target: expected"),
    (ONES, [Margin(ROW * 2, np.ones(2), "rowz")], r"rowz: groups: labels must lie in -1\.\.1"),
    (ONES, [Margin(ROW - 2, np.ones(2), "rowz")], r"rowz: groups: labels must lie in -1\.\.1"),
    (np.array([[1.0, 1.0], [0.0, 0.0]]), rows_cols((2, 2), [1.0, 1.0], [1.0, 1.0]),
     "rows: cell 1 has target 1 but no positive seed cell"),
    # the zero row zeroes t00, the only seed cell left for column 0
    (np.eye(2), rows_cols((2, 2), [0.0, 5.0], [2.0, 3.0]), "cols: cell 0 has target 2 but no positive"),
    (ONES, rows_cols((2, 2), [5.0, 5.0], [5.0, 5.001]),
     r"cols: total 10\.001 differs from 10 of margin 'rows'"),
    # t00 + t01 = 1 and t00 = 2 cannot both hold: partial margins, so no total check catches it
    (ONES, [Margin(np.array([[0, 0], [-1, -1]]), np.ones(1), "top row"),
            Margin(np.array([[0, -1], [-1, -1]]), np.array([2.0]), "corner")],
     "top row: no convergence in 50 cycles: largest deviation 1$"),
])
def test_bad_input_names_the_margin(seed, margins, match):
    with pytest.raises(InputError, match=match) as err:
        fit(seed, margins, max_iter=50)
    assert str(err.value).startswith("ipf: ")
    assert "\n" not in str(err.value)


def test_no_convergence_names_the_worst_margin_and_its_deviation():
    margins = [Margin(np.array([[0, 0], [-1, -1]]), np.ones(1), "top row"),
               Margin(np.array([[0, -1], [-1, -1]]), np.array([2.0]), "corner")]
    with pytest.raises(InputError) as err:
        fit(ONES, margins, max_iter=50)
    # the corner cell is set to 2, then the top row scaled back to t00 + t01 = 1 (t01 -> 0): each
    # margin misses by about 1, the top row by more for its smaller total
    assert err.value.key == "top row"
    assert float(str(err.value).rsplit(" ", 1)[1]) == pytest.approx(1.0, abs=1e-3)


def test_totals_within_the_relative_tolerance_are_accepted():
    out = fit(ONES, rows_cols((2, 2), [5.0, 5.0], [5.0, 5.0 + 1e-6]), tol=1e-6)
    np.testing.assert_allclose(out.sum(), 10.0, rtol=1e-6)


def test_a_fortran_ordered_seed_is_fitted_too():
    """A seed in column-major order (e.g. a transposed table) is fitted like any other."""
    seed = np.asfortranarray(np.random.default_rng(3).random((4, 3, 2)) + 0.1)
    assert not seed.flags["C_CONTIGUOUS"]
    totals = np.array([10.0, 20.0, 30.0, 40.0])
    out = fit(seed, [Margin(grouping(seed.shape, {0: np.arange(4)}), totals, "rows")])
    np.testing.assert_allclose(out.sum((1, 2)), totals, rtol=1e-9)
