"""Households by milieu per neighbourhood from a city file (issue 20, part 1): the start
matches the given shares within max(1 point, 1/households) per neighbourhood and the given D
within 0.01, at the city's size and scaled; bad columns are one-line errors."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from urbsim.common.errors import InputError
from urbsim.engine import indicators
from urbsim.engine.model import UrbanModel
from urbsim.inputs import scenario as sc
from urbsim.inputs.city_files import load_csv, save_csv
from urbsim.inputs.city_synthetic import synthetic
from urbsim.inputs.population import integerise

CODES = ("KET", "LIB", "PER", "EPE", "HEXP", "BÜM", "ADA", "SÖK", "TRA", "PRE", "HKON")
LOW = [CODES.index("PRE"), CODES.index("HKON")]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A 30-neighbourhood city whose node table gives households by milieu (random mixes,
    90 % of the dwellings), and the edge table."""
    d = tmp_path_factory.mktemp("population")
    p = sc.load("baseline").params()
    city = synthetic(20_000, p.city.model_copy(update={"neighbourhoods": 30, "districts": 4}),
                     seed=0)
    save_csv(city, d / "plain.csv", d / "edges.csv")
    with (d / "plain.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = np.random.default_rng(1)
    for r in rows:
        dwellings = sum(int(float(r[s])) for s in ("social", "private", "owner_flat",
                                                     "single_family"))
        counts = np.floor(rng.dirichlet(np.full(len(CODES), 2.0)) * dwellings * 0.9)
        r.update({f"households_{c}": f"{x:g}" for c, x in zip(CODES, counts, strict=True)})
    _write(d / "nodes.csv", rows)
    return d, rows


def _write(path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _d_low(counts: np.ndarray) -> float:
    low = counts[:, LOW].sum(1)
    return float(indicators.dissimilarity(np.column_stack([low, counts.sum(1) - low]))[0])


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.25])
def test_the_start_matches_the_given_households(files, scale):
    d, _ = files
    city = load_csv(d / "nodes.csv", d / "edges.csv")
    given = np.column_stack([city.population[c] for c in CODES])
    n = round(float(given.sum()) * scale)
    p = sc.load("baseline").params().model_copy(update={"households": n})
    counts = UrbanModel(p, city=city, seed=3).counts
    assert counts.sum() == n
    if scale == 1.0:
        np.testing.assert_array_equal(counts, given)  # exactly as given
    share = counts / counts.sum(1, keepdims=True)
    tolerance = np.maximum(0.01, 1 / counts.sum(1))[:, None]
    assert (np.abs(share - given / given.sum(1, keepdims=True)) <= tolerance).all()
    assert abs(_d_low(counts) - _d_low(given)) <= 0.01


def test_shares_of_a_total_and_the_round_trip(files, tmp_path):
    d, rows = files
    shared = []
    for r in rows:
        counts = {c: float(r.pop(f"households_{c}")) for c in CODES}
        total = sum(counts.values())
        shared.append(r | {"households": f"{total:g}"}
                      | {f"share_{c}": f"{x / total:.6f}" for c, x in counts.items()})
        r.update({f"households_{c}": f"{x:g}" for c, x in counts.items()})
    _write(tmp_path / "shares.csv", shared)
    by_share = load_csv(tmp_path / "shares.csv", d / "edges.csv")
    by_count = load_csv(d / "nodes.csv", d / "edges.csv")
    for c in CODES:
        np.testing.assert_allclose(by_share.population[c], by_count.population[c], atol=1e-3)
    save_csv(by_count, tmp_path / "again.csv", tmp_path / "edges.csv")
    again = load_csv(tmp_path / "again.csv", tmp_path / "edges.csv")
    assert again.population.keys() == by_count.population.keys()
    np.testing.assert_array_equal(again.population["PRE"], by_count.population["PRE"])


@pytest.mark.parametrize(("change", "fragment"), [
    ({"households_KET": "-3"}, "line 2.households_KET: expected a finite number >= 0.0"),
    ({"households_KET": "x"}, "line 2.households_KET: expected a number, got 'x'"),
    ({"households_KET": "99999"}, "line 2.households_*: 1"),
    ({"households_KET": ""}, "first neighbourhood: give them for every neighbourhood or none"),
    ({"share_KET": "0.5"}, "line 2.share_KET: give households by milieu as counts"),
])
def test_bad_households_by_milieu(files, tmp_path, change, fragment):
    d, rows = files
    bad = [dict(r) for r in rows]
    bad[0].update(change)
    _write(tmp_path / "bad.csv", bad)
    with pytest.raises(InputError) as e:
        load_csv(tmp_path / "bad.csv", d / "edges.csv")
    assert "\n" not in str(e.value) and "bad.csv" in str(e.value)
    assert fragment in str(e.value)


def test_shares_must_sum_to_one_and_codes_must_be_the_sets(files, tmp_path):
    d, rows = files
    shared = [{k: v for k, v in r.items() if not k.startswith("households_")}
              | {"households": "100"} | {f"share_{c}": "0.1" for c in CODES} for r in rows]
    _write(tmp_path / "shares.csv", shared)
    with pytest.raises(InputError, match=r"shares.csv: line 2.share_\*: milieu shares sum to "
                                         r"1.100, expected 1 within 0.02"):
        load_csv(tmp_path / "shares.csv", d / "edges.csv")
    renamed = [{(k.replace("households_KET", "households_XYZ")): v for k, v in r.items()}
               for r in rows]
    _write(tmp_path / "codes.csv", renamed)
    city = load_csv(tmp_path / "codes.csv", d / "edges.csv")
    p = sc.load("baseline").params().model_copy(update={"households": 1000})
    with pytest.raises(InputError, match=r"unknown milieu codes \['XYZ'\]; the milieu set "
                                         r"vhw11 has KET"):
        UrbanModel(p, city=city, seed=0)


def test_integerise_keeps_row_totals_and_each_cell_within_one():
    rng = np.random.default_rng(0)
    values = rng.random((50, 7)) * 20
    values *= (np.rint(values.sum(1)) / values.sum(1))[:, None]
    got = integerise(values, rng.random(values.shape))
    np.testing.assert_array_equal(got.sum(1), np.rint(values.sum(1)))
    assert (np.abs(got - values) < 1).all() and (got >= np.floor(values)).all()


def test_city_check_starts_from_the_given_households(files):
    from urbsim.analysis.city_summary import summarise

    d, _ = files
    city = load_csv(d / "nodes.csv", d / "edges.csv")
    given = np.column_stack([city.population[c] for c in CODES])
    s = summarise(city, sc.load("baseline").params())
    assert s.households == given.sum()
    for i, c in enumerate(CODES):
        assert s.milieu_share[c] == pytest.approx(given[:, i].sum() / given.sum() * 100)
    assert s.d_low == pytest.approx(_d_low(given))
