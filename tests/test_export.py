"""Tidy export (issue 21, part 5): a stored run or experiment as one long table that pandas
reads back (CSV and parquet), with the expected rows, values and parameter columns; any
extension urbsim cannot write is exit 2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from urbsim.analysis import export
from urbsim.engine.runner import run_seeds
from urbsim.experiment import store
from urbsim.inputs import scenario as sc
from urbsim.interfaces.cli import app


@pytest.fixture(scope="module")
def run():
    p = sc.load("baseline").params().model_copy(update={"households": 2000})
    return run_seeds(p, [0, 1], 3)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_run_reads_back_row_for_row(run, tmp_path, suffix):
    path = tmp_path / f"run{suffix}"
    n = export.write(run, path, "baseline")
    table = pd.read_csv(path, low_memory=False) if suffix == ".csv" else pd.read_parquet(path)
    expected = sum(int(np.prod([run.sizes[d] for d in run[v].dims]))
                   for v in run.data_vars if "step" in run[v].dims)
    assert n == len(table) == expected == export.rows(run)
    assert list(table.columns) == ["scenario", "seed", "step", "indicator", "district", "format",
                                   "milieu", "neighbourhood", "segment", "value"]
    cell = table[(table.indicator == "households") & (table.seed == 1) & (table.step == 2)
                 & (table.milieu == "PRE") & (table.neighbourhood == "N003")]
    assert cell.value.tolist() == [float(run.households.sel(seed=1, step=2, milieu="PRE",
                                                           neighbourhood="N003"))]
    d = table[(table.indicator == "multigroup_dissimilarity") & (table.seed == 0)]
    assert len(d) == 4 and d[["district", "milieu", "format"]].isna().all().all()
    assert (table.scenario == "baseline").all()


def test_the_participation_levers_store_reads_back(levers, tmp_path):
    p, path = levers
    out = tmp_path / "levers.parquet"
    r = CliRunner().invoke(app, ["export", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    table = pd.read_parquet(out)
    indicators = p.spec.output.indicators
    runs = 1 * 24 * 2  # scenarios x samples x seeds
    assert len(table) == runs * (p.steps + 1) * len(indicators)
    assert set(table.indicator) == set(indicators)
    names = ["events.open_format.channels.outreach", "events.open_format.channels.local_anchor",
             "events.open_format.every"]
    assert set(names) <= set(table.columns)
    # each sample's parameters as in the design, and its values as in the store
    ds = store.load(path)
    row = table[(table["sample"] == 5) & (table.seed == ds.seed.values[1]) & (table.step == 2)
                & (table.indicator == "turnout_election")]
    assert len(row) == 1
    for name in names:
        assert row[name].iloc[0] == float(ds.value.sel(sample=5, parameter=name))
    assert row.value.iloc[0] == pytest.approx(float(
        ds.turnout_election.isel(scenario=0, sample=5, seed=1, step=2)), nan_ok=True)
    csv = tmp_path / "levers.csv"
    assert CliRunner().invoke(app, ["export", str(path), "--format", "csv", "--out",
                                    str(csv)]).exit_code == 0
    assert len(pd.read_csv(csv, low_memory=False)) == len(table)


def test_extensions_urbsim_cannot_write_are_exit_2(tmp_path):
    r = CliRunner().invoke(app, ["run", "baseline", "--households", "500", "--steps", "2",
                                 "--out", str(tmp_path / "x.xlsx")])
    assert r.exit_code == 2 and "cannot write '.xlsx'" in r.output
    assert not (tmp_path / "x.xlsx").exists()
    r = CliRunner().invoke(app, ["export", str(tmp_path / "none.zarr"), "--format", "xlsx"])
    assert r.exit_code == 2 and "expected csv or parquet" in r.output
