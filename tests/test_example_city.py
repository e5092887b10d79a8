"""The shipped example city, Musterstadt (synthetic; issue 20, part 4): it is what its
generator makes, it validates and runs, its start meets its inputs within 1 point per area,
and ``urbsim city check`` prints its summary and map."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from urbsim.engine import indicators
from urbsim.engine.model import UrbanModel
from urbsim.inputs import population
from urbsim.inputs import scenario as sc
from urbsim.inputs.city_files import load_city
from urbsim.inputs.consistency import check
from urbsim.interfaces.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "musterstadt"


@pytest.fixture(scope="module")
def start():
    scn = sc.load(EXAMPLE / "musterstadt.toml")
    check(scn)
    city = load_city(scn.households, scn.city)
    return scn, city, UrbanModel(scn.params(), city=city, seed=0)


def test_the_example_is_what_its_generator_makes(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "example_city.py"), "--out",
                    str(tmp_path)], check=True, capture_output=True)
    for name in ("musterstadt.geojson", "districts.csv", "history.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name


def test_the_example_is_labelled_synthetic():
    doc = json.loads((EXAMPLE / "musterstadt.geojson").read_text(encoding="utf-8"))
    assert "synthetic" in doc["name"]
    assert "SYNTHETIC" in (EXAMPLE / "musterstadt.toml").read_text(encoding="utf-8")
    with (EXAMPLE / "history.csv").open(encoding="utf-8") as f:
        assert all(r["source"].startswith("synthetic") for r in csv.DictReader(f))


def test_the_start_meets_the_inputs_within_one_point(start):
    """Households per neighbourhood exactly, SGB-II shares per neighbourhood and milieu
    shares per district within max(1 point, 1/households), D of the low-status milieus
    within 0.01 of the fitted table's."""
    scn, city, model = start
    counts = model.counts
    np.testing.assert_array_equal(counts.sum(1), city.households)
    h = model.households
    on = np.bincount(h.node[h.active], h.income[h.active] < model._transfers.income_limit,
                     city.n) / counts.sum(1)
    assert (np.abs(on - city.sgb2_share) <= np.maximum(0.01, 1 / counts.sum(1))).all()
    codes = model.milieus.codes
    shares = np.column_stack([city.district_shares[c] for c in codes])
    by_district = np.stack([counts[city.district == k].sum(0) for k in range(len(city.districts))])
    got = by_district / by_district.sum(1, keepdims=True)
    assert np.abs(got - shares).max() <= 0.01
    fitted = population.table(city, model.milieus, scn.params()).sum(2)
    low = np.isin(codes, ["PRE", "HKON"])

    def d_low(x):
        return indicators.dissimilarity(np.column_stack([x[:, low].sum(1), x[:, ~low].sum(1)]))[0]

    assert abs(d_low(counts) - d_low(fitted)) <= 0.01


def test_the_start_has_the_examples_ages_sizes_incomes_and_rents(start):
    """Age classes and sizes within one household of shares x households per area, medians
    within sampling noise, contract rents of private tenants as given."""
    _, city, model = start
    h = model.households
    a = h.active
    total = model.counts.sum(1)[:, None]
    for values, shares, first in ((h.age, city.ages, 0), (h.size, city.sizes, 1)):
        got = np.stack([np.bincount(h.node[a & (values == k + first)], minlength=city.n)
                        for k in range(shares.shape[1])], 1)
        assert (np.abs(got - shares * total) < 1).all()
    median = np.array([np.median(h.income[a & (h.node == i)]) for i in range(city.n)])
    assert np.abs(median / city.income_median - 1).mean() < 0.02
    let = a & (h.segment == 1)
    mean = np.bincount(h.node[let], h.contract[let], city.n) / np.bincount(h.node[let],
                                                                            minlength=city.n)
    np.testing.assert_allclose(mean, city.contract[:, 1], rtol=1e-6)


def test_the_example_runs(start):
    scn, _, _ = start
    p = scn.params().model_copy(update={"households": 20_000})
    m = UrbanModel(p, seed=1)
    m.run(2)
    ds = m.dataset()
    assert int(ds.households.isel(step=-1).sum()) > 19_000
    assert ds.sizes["neighbourhood"] == 60 and ds.sizes["district"] == 8
    social = ds.dwellings.sel(segment="social").sum("neighbourhood").values
    assert social[0] > social[1] > social[2]  # bindings ending in 2016 and 2017


def test_city_check_prints_the_example_and_its_map(tmp_path):
    r = CliRunner().invoke(app, ["city", "check", str(EXAMPLE / "musterstadt.toml"), "--map",
                                 str(tmp_path / "map.html")])
    assert r.exit_code == 0, r.output
    for words in ("60 neighbourhoods", "8 districts", "Hügelland", "households placed",
                  "100,000", "D low-status", "fits households by milieu to the city's "
                                             "households per neighbourhood"):
        assert words in r.output, words
    assert (tmp_path / "map.html").stat().st_size > 10_000


def test_small_areas_are_left_out_of_maps_and_tables(tmp_path):
    """An area below city.suppress_below households (at the city's size) shows no value on
    the map and none of its observations in the exported table."""
    import shutil

    from urbsim.analysis.city_summary import summarise

    for name in ("musterstadt.toml", "musterstadt.geojson", "districts.csv", "history.csv"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    doc = json.loads((tmp_path / "musterstadt.geojson").read_text(encoding="utf-8"))
    small = doc["features"][0]["properties"]
    small["households"] = 100
    (tmp_path / "musterstadt.geojson").write_text(json.dumps(doc), encoding="utf-8")
    scn = sc.load(tmp_path / "musterstadt.toml")
    city = load_city(scn.households, scn.city)
    s = summarise(city, scn.params(), 20_000)
    i = city.ids.index(small["id"])
    assert s.hidden == 1 and np.isnan(s.low_share[i]) and not np.isnan(s.low_share).sum() > 1
    table = tmp_path / "obs.csv"
    r = CliRunner().invoke(app, ["history", "compare", str(tmp_path / "musterstadt.toml"),
                                 str(tmp_path / "history.csv"), "--seeds", "2", "--households",
                                 "10000", "--table", str(table), "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert "observations of areas with fewer than 150 households are left out" in r.output
    import pandas as pd

    rows = pd.read_csv(table)
    assert small["id"] not in set(rows["area"]) and len(rows) > 500


def test_a_smaller_run_is_a_sample_of_the_city():
    """At 5,000 of Musterstadt's 100,000 households every neighbourhood's dwellings are
    scaled alike: the start's vacancy is the whole city's, and construction builds its share
    (a twentieth, the fractions carried over)."""
    scn = sc.load(EXAMPLE / "musterstadt.toml")
    whole = UrbanModel(scn.params(), seed=0)
    small = scn.params().model_copy(update={"households": 5000})
    part = UrbanModel(small, seed=0)
    assert part.city.sample == pytest.approx(0.05)
    np.testing.assert_allclose(part.capacity.sum(1), whole.capacity.sum(1) * 0.05, atol=1)

    def vacancy(m):
        return 1 - m.counts.sum() / m.capacity.sum()

    assert vacancy(part) == pytest.approx(vacancy(whole), abs=0.002)
    build = {"policies": {"build": {"kind": "construction", "start": 1, "dwellings": 30,
                                    "districts": ["Hügelland"]}}}
    m = UrbanModel(small.model_validate(small.model_dump() | build), seed=0)
    before = m.capacity.sum()
    m.run(4)
    assert m.capacity.sum() - before == 6  # 4 x 30 x 0.05
