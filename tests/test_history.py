"""Observed history (issue 20, part 3): the long table, the model's values of each
observation, the coverage of the model's band (on crafted data), and the command on the
shipped example."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from urbsim.analysis import history as ah
from urbsim.common.errors import InputError
from urbsim.engine.runner import run_one
from urbsim.inputs import history as ih
from urbsim.inputs import scenario as sc
from urbsim.inputs.city_files import load_city
from urbsim.interfaces.cli import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "musterstadt"
CODES = ("KET", "LIB", "PER", "EPE", "HEXP", "BÜM", "ADA", "SÖK", "TRA", "PRE", "HKON")


@pytest.fixture(scope="module")
def example():
    scn = sc.load(EXAMPLE / "musterstadt.toml")
    return scn, load_city(scn.households, scn.city)


def test_coverage_on_crafted_bands():
    """101 runs 0..100: the 90 % band is [5, 95], inclusive; a column without model values is
    never inside."""
    samples = np.column_stack([np.arange(101.0)] * 4 + [np.full(101, np.nan)])
    observed = np.array([5.0, 4.99, 95.0, 95.01, 50.0])
    low, high, inside = ah.coverage(samples, observed, 0.9)
    np.testing.assert_allclose(low[:4], 5.0)
    np.testing.assert_allclose(high[:4], 95.0)
    assert inside.tolist() == [True, False, True, False, False]
    assert np.isnan(low[4]) and np.isnan(high[4])
    low, high, _ = ah.coverage(samples[:, :1], np.array([0.0]), 0.5)
    assert (low[0], high[0]) == (25.0, 75.0)


def test_an_observations_error_widens_its_band():
    """Runs that all agree (0) and an observation with standard error 1: the band is the
    normal's central 90 %, +-1.645."""
    samples = np.zeros((10, 2))
    low, high, inside = ah.coverage(samples, np.array([1.5, 1.5]), 0.9, np.array([1.0, 0.0]))
    assert low[0] == pytest.approx(-1.645, abs=1e-3) and high[0] == pytest.approx(1.645, abs=1e-3)
    assert (low[1], high[1]) == (0.0, 0.0)
    assert inside.tolist() == [True, False]


def test_coverage_is_the_level_when_model_and_observations_agree():
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(400, 3000))
    _, _, inside = ah.coverage(samples, rng.normal(size=3000), 0.9)
    assert inside.mean() == pytest.approx(0.9, abs=0.02)
    _, _, inside = ah.coverage(samples, rng.normal(size=3000) + 3.0, 0.9)
    assert inside.mean() < 0.15


def test_compare_and_summarise_tabulate_errors_and_coverage():
    hist = ih.History("x", np.array(["a", "a", "b"], dtype=object), np.zeros(3, np.int8),
                      np.zeros(3, int), np.array([2015, 2016, 2015]),
                      np.array(["vacancy", "vacancy", "sgb2_share"], dtype=object),
                      np.array([3.0, 10.0, 5.0]), np.zeros(3),
                      np.array(["", "", ""], dtype=object))
    samples = np.array([[2.0, 2.0, np.nan], [4.0, 4.0, np.nan], [3.0, 3.0, np.nan]])
    table = ah.compare(samples, hist, 0.9)
    assert table["model"].tolist()[:2] == [3.0, 3.0] and np.isnan(table["model"][2])
    assert table["error"].tolist()[:2] == [0.0, -7.0]
    assert table["inside"].tolist()[:2] == [True, False] and table["inside"].isna()[2]
    s = ah.summarise(table)
    assert s.loc["vacancy", "observations"] == 2 and s.loc["vacancy", "compared"] == 2
    assert s.loc["vacancy", "mean error"] == -3.5 and s.loc["vacancy", "coverage"] == 0.5
    assert s.loc["sgb2_share", "compared"] == 0 and np.isnan(s.loc["sgb2_share", "coverage"])


def test_model_values_read_the_runs_state(example):
    """Each indicator from the dataset as documented: shares of households, SGB II, vacancy,
    rents weighted by dwellings, households scaled to the city's."""
    scn, city = example
    p = scn.params().model_copy(update={"households": 10_000})
    ds = run_one(p, 0, 2)
    d = city.districts.index("Hügelland")
    rows = [("city", 2, 0, 2015, "households"), ("Hügelland", 1, d, 2016, "share_PRE"),
            (city.ids[3], 0, 3, 2017, "sgb2_share"), ("city", 2, 0, 2016, "vacancy"),
            ("Hügelland", 1, d, 2015, "rent_asking"), ("city", 2, 0, 2018, "vacancy"),
            ("city", 2, 0, 2016, "moves")]
    area, kind, index, year, indicator = zip(*rows, strict=True)
    hist = ih.History("x", np.array(area, dtype=object), np.array(kind, np.int8),
                      np.array(index), np.array(year), np.array(indicator, dtype=object),
                      np.zeros(7), np.zeros(7), np.array([""] * 7, dtype=object))
    got = ah.model_values(ds, hist, city, 2015, scale=10.0)[0]
    hh = ds.households.values
    in_d = city.district == d
    assert got[0] == hh[0].sum() * 10.0
    pre = list(ds.milieu.values).index("PRE")
    assert got[1] == pytest.approx(hh[1][in_d, pre].sum() / hh[1][in_d].sum() * 100)
    assert got[2] == pytest.approx(ds.sgb.values[2][3].sum() / hh[2][3].sum() * 100)
    assert got[3] == pytest.approx(ds.vacant.values[1].sum() / ds.dwellings.values[1].sum() * 100)
    w = ds.dwellings.values[0][in_d, 1]
    assert got[4] == pytest.approx((ds.rent.values[0][in_d, 1] * w).sum() / w.sum())
    assert np.isnan(got[5])  # 2018 is after the run's last step (2017)
    assert got[6] == pytest.approx(ds.moves.values[1].sum() / hh[1].sum() * 100) and got[6] > 0


def _history(tmp_path, text: str):
    p = tmp_path / "history.csv"
    p.write_text(text, encoding="utf-8")
    return p


BAD = {
    "missing column": ("area,year,value\nAltstadt,2015,3\n", "column indicator"),
    "unknown area": ("area,year,indicator,value\nAtlantis,2015,vacancy,3\n",
                     "line 2.area: unknown area 'Atlantis'"),
    "unknown indicator": ("area,year,indicator,value\nAltstadt,2015,migration,3\n",
                          "line 2.indicator: unknown indicator 'migration'"),
    "moves by area": ("area,year,indicator,value\nAltstadt,2015,moves,3\n",
                      "line 2.area: moves is known for the whole city only"),
    "unknown milieu": ("area,year,indicator,value\nAltstadt,2015,share_XYZ,3\n",
                       "line 2.indicator: unknown indicator 'share_XYZ'"),
    "fractional year": ("area,year,indicator,value\nAltstadt,2015.5,vacancy,3\n",
                        "line 2.year: expected a whole year"),
    "not a number": ("area,year,indicator,value\nAltstadt,2015,vacancy,viel\n",
                     "line 2.value: expected a number, got 'viel'"),
    "percentage": ("area,year,indicator,value\nAltstadt,2015,vacancy,130\n",
                   "line 2.value: expected a percentage in [0, 100]"),
    "negative rent": ("area,year,indicator,value\nAltstadt,2015,rent_asking,-5\n",
                      "line 2.value: expected a value >= 0"),
    "negative error": ("area,year,indicator,value,error\nAltstadt,2015,vacancy,3,-1\n",
                       "line 2.error: expected a standard error >= 0"),
    "missing value": ("area,year,indicator,value\nAltstadt,,vacancy,3\n",
                      "line 2.year: missing value"),
    "duplicate": ("area,year,indicator,value\nAltstadt,2015,vacancy,3\nAltstadt,2015,vacancy,4\n",
                  "line 3.indicator: duplicate observation of vacancy in Altstadt 2015, first "
                  "at line 2"),
    "empty": ("area,year,indicator,value\n", "expected at least one observation"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_history_files_are_one_line(example, tmp_path, case):
    _, city = example
    text, fragment = BAD[case]
    with pytest.raises(InputError) as e:
        ih.load(_history(tmp_path, text), city, CODES)
    assert "\n" not in str(e.value) and "history.csv" in str(e.value)
    assert fragment in str(e.value)


def test_the_shipped_history_loads(example):
    _, city = example
    hist = ih.load(EXAMPLE / "history.csv", city, CODES)
    assert len(hist) > 500 and set(hist.kind) == {0, 1, 2}
    assert (hist.error > 0).all() and hist.year.min() == 2015


def test_history_compare_on_the_example(tmp_path):
    """The command on the example, small: a table per indicator with its coverage, the
    observation table and the plot written."""
    table, plot = tmp_path / "obs.csv", tmp_path / "plot.html"
    r = CliRunner().invoke(app, ["history", "compare", str(EXAMPLE / "musterstadt.toml"),
                                 str(EXAMPLE / "history.csv"), "--seeds", "2", "--households",
                                 "10000", "--table", str(table), "--plot", str(plot),
                                 "--workers", "1"])
    assert r.exit_code == 0, r.output
    for word in ("sgb2_share", "rent_asking", "coverage", "observations inside the model's "
                                                          "90% band"):
        assert word in r.output
    rows = pd.read_csv(table)
    assert len(rows) == len(pd.read_csv(EXAMPLE / "history.csv"))
    assert {"model", "low", "high", "error", "inside"} <= set(rows.columns)
    assert plot.stat().st_size > 10_000


def test_history_compare_needs_a_start_year(tmp_path):
    (tmp_path / "s.toml").write_text(f'extends = "{EXAMPLE / "musterstadt.toml"}"\n'
                                     "start_year = 2200\n")
    r = CliRunner().invoke(app, ["history", "compare", str(tmp_path / "s.toml"),
                                 str(EXAMPLE / "history.csv"), "--seeds", "2", "--households",
                                 "2000"])
    assert r.exit_code == 2 and "every observation is before the start (2200)" in r.output
