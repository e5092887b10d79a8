"""Segregation indices equal pysal `segregation`'s to 1e-9 (the oracle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from urbsim.engine import indicators

seg = pytest.importorskip("segregation")
from segregation.multigroup import MultiDissim, MultiInfoTheory  # noqa: E402
from segregation.singlegroup import Dissim, Isolation  # noqa: E402

counts_strategy = st.integers(2, 12).flatmap(lambda units: st.integers(2, 6).flatmap(
    lambda groups: arrays(np.int64, (units, groups), elements=st.integers(1, 500))))


def oracle(counts: np.ndarray) -> dict:
    cols = [f"g{k}" for k in range(counts.shape[1])]
    df = pd.DataFrame(counts, columns=cols)
    df["total"] = df[cols].sum(axis=1)
    out = {"multigroup_dissimilarity": MultiDissim(df, cols).statistic,
           "theil_h": MultiInfoTheory(df, cols).statistic, "dissimilarity": [], "isolation": []}
    for c in cols:
        out["dissimilarity"].append(Dissim(df, c, "total").statistic)
        out["isolation"].append(Isolation(df, c, "total").statistic)
    return out


def assert_matches(counts: np.ndarray) -> None:
    ours, theirs = indicators.segregation(counts), oracle(counts)
    for key, value in theirs.items():
        np.testing.assert_allclose(ours[key], value, rtol=0, atol=1e-9, err_msg=key)


@settings(max_examples=60, deadline=None)
@given(counts_strategy)
def test_indices_match_pysal_on_generated_counts(counts):
    assert_matches(counts)


def test_indices_match_pysal_on_a_model_run(small_city):
    from conftest import small_params
    from urbsim.engine.model import UrbanModel

    ds = UrbanModel(small_params(), city=small_city, seed=3).run(3)
    counts = ds.households.isel(step=-1).values
    assert_matches(counts)
    np.testing.assert_allclose(ds.theil_h.isel(step=-1), oracle(counts)["theil_h"], atol=1e-9)
    mitte = (ds.neighbourhood_district == "Mitte").values
    np.testing.assert_allclose(ds.district_multigroup_dissimilarity.sel(step=3, district="Mitte"),
                               oracle(counts[mitte])["multigroup_dissimilarity"], atol=1e-9)


def test_known_values():
    two = np.array([[10, 0], [0, 10]])
    assert indicators.multigroup_dissimilarity(two) == 1.0
    assert indicators.theil_h(two) == pytest.approx(1.0)
    even = np.array([[5, 5], [5, 5]])
    assert indicators.dissimilarity(even).tolist() == [0.0, 0.0]
    assert np.isnan(indicators.dissimilarity(np.array([[3, 0], [4, 0]]))).all()


def test_representation_gap():
    assert indicators.representation_gap([1, 1], [5, 5]) == 0.0
    assert indicators.representation_gap([1, 0], [0, 1]) == 1.0
    assert indicators.representation_gap([3, 1], [1, 1]) == pytest.approx(0.25)
    assert np.isnan(indicators.representation_gap([0, 0], [1, 1]))


@settings(max_examples=40, deadline=None)
@given(counts_strategy, st.integers(0, 2**32 - 1))
def test_one_area_with_everyone_gives_the_citys_indices_bit_for_bit(counts, seed):
    """Where one area holds every member its sums stand for the city's (computed once): the
    city's indices are bitwise those computed unit by unit when two areas share the members,
    and the area's equal them; counts are read as they are or as float64 alike."""
    rng = np.random.default_rng(seed)
    n = len(counts)
    split = rng.integers(0, 2, n)
    split[:2] = (0, 1)  # both areas have members: no shortcut
    empty = np.vstack([counts, np.zeros_like(counts)])  # a second area of empty units
    one = np.r_[np.zeros(n, np.int64), np.ones(n, np.int64)]
    city, _ = indicators.by_area(counts, split, 2)
    for c, area, k in ((counts, np.zeros(n, np.int64), 1), (empty, one, 2),
                       (empty.astype(np.int32), one, 2), (empty.astype(float), one, 2)):
        whole, per = indicators.by_area(c, area, k)
        for name, value in city.items():
            assert np.array_equal(whole[name], value, equal_nan=True), name
            assert np.array_equal(per[name][0], value, equal_nan=True), name


sparse_counts = st.integers(2, 12).flatmap(lambda units: st.integers(2, 5).flatmap(
    lambda groups: arrays(np.int64, (units, groups), elements=st.integers(0, 3))))


def formulas(counts: np.ndarray) -> dict:
    """The module docstring's definitions in plain numpy (empty units left out)."""
    x = counts[counts.sum(1) > 0].astype(float)
    t = x.sum(1)
    big_x, total = x.sum(0), t.sum()
    big_p = big_x / total
    p = x / t[:, None]
    dev = (t[:, None] * np.abs(p - big_p)).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dis = np.where((big_p > 0) & (big_p < 1), dev / (2 * total * big_p * (1 - big_p)), np.nan)
        inter = (big_p * (1 - big_p)).sum()
        entropy = -(big_p[big_p > 0] * np.log(big_p[big_p > 0])).sum()
        ratio = np.where(p > 0, p / big_p, 1.0)
        theil = (t[:, None] * p * np.log(ratio)).sum() / (total * entropy)
        iso = np.where(big_x > 0, (x / big_x * p).sum(0), np.nan)
    return {"dissimilarity": dis, "multigroup_dissimilarity": dev.sum() / (2 * total * inter)
            if inter > 0 else np.nan, "theil_h": theil if entropy > 0 else np.nan,
            "isolation": iso}


@settings(max_examples=60, deadline=None)
@given(sparse_counts, st.integers(0, 2**32 - 1))
def test_empty_units_and_absent_groups_follow_the_formulas(counts, seed):
    """Units with no member and groups absent from a unit (which the kernel passes over)
    give the indices of the formulas, and empty units put anywhere change no bit."""
    if counts.sum() == 0:
        counts[0, 0] = 1
    got = indicators.segregation(counts)
    for name, value in formulas(counts).items():
        np.testing.assert_allclose(got[name], value, rtol=1e-12, atol=1e-12, err_msg=name)
    rng = np.random.default_rng(seed)
    spread = np.zeros((2 * len(counts), counts.shape[1]), np.int64)
    spread[np.sort(rng.choice(len(spread), len(counts), replace=False))] = counts
    for name, value in indicators.segregation(spread).items():
        assert np.array_equal(value, got[name], equal_nan=True), name
