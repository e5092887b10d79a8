"""Experiments: designs, seeds, the Dask sweep on a real LocalCluster (2 worker processes),
resume after SIGKILL, worker loss, failures, and the analysis (SALib against known answers)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr
from scipy.stats import qmc
from typer.testing import CliRunner

from urbsim.analysis.summary import series
from urbsim.common.errors import InputError
from urbsim.engine.runner import run_one
from urbsim.experiment import analysis, plan, store, sweep
from urbsim.interfaces.cli import app

ROOT = Path(__file__).resolve().parents[1]
SMALL = """
scenarios = ["baseline", "rent_brake"]
seeds = 2
root_seed = 11
steps = 3
households = 1500
[design]
method = "lhs"
samples = 2
[parameters."moving.mobility_scale"]
low = 1.0
high = 3.0
[output]
variables = ["households"]
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def tree(path: Path) -> dict[str, bytes]:
    """Every file of a store by relative path, with its bytes."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


# ----------------------------------------------------------------------------- plan and design
def test_seeds_come_from_the_root_seed_and_are_shared(tmp_path):
    p = plan.load(write(tmp_path, SMALL))
    expected = [np.random.SeedSequence(11, spawn_key=(0, k)).generate_state(1)[0] for k in (0, 1)]
    assert p.seeds.tolist() == expected
    assert plan.seeds(11, 3)[:2].tolist() == expected  # more replications keep the first seeds
    assert plan.seeds(12, 2).tolist() != expected
    assert p.shape == (2, 2, 2) and p.total == 8
    runs = list(p.runs())
    assert len(set(runs)) == 8 and runs[:4] == [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0)]


def test_designs(tmp_path):
    base = 'scenarios = ["baseline"]\nseeds = 1\nhouseholds = 1500\n'
    two = ('[parameters."moving.mobility_scale"]\nlow = 1.0\nhigh = 3.0\n'
           '[parameters."choice.logit_scale"]\ndist = "loguniform"\nlow = 1.0\nhigh = 8.0\n')
    lhs = plan.load(write(tmp_path, base + '[design]\nmethod = "lhs"\nsamples = 10\n' + two))
    assert lhs.values.shape == (10, 2)
    for j in range(2):  # one point in each of the 10 strata of every parameter
        assert sorted(np.floor(lhs.unit[:, j] * 10).astype(int)) == list(range(10))
    assert np.all((lhs.values[:, 0] >= 1) & (lhs.values[:, 0] <= 3))
    np.testing.assert_allclose(lhs.values[:, 1], np.exp(lhs.unit[:, 1] * np.log(8)))
    assert qmc.discrepancy(lhs.unit) < 0.2
    sobol = plan.load(write(tmp_path, base + '[design]\nmethod = "sobol"\nsamples = 8\n' + two))
    assert sobol.values.shape == (8 * (2 + 2), 2)
    morris = plan.load(write(tmp_path, base + '[design]\nmethod = "morris"\nsamples = 5\n' + two))
    assert morris.values.shape == (5 * 3, 2)
    assert set(np.round(morris.unit.ravel(), 6)) <= {0, round(1 / 3, 6), round(2 / 3, 6), 1}
    grid = plan.load(write(tmp_path, base + '[design]\nmethod = "grid"\n'
                           '[parameters."moving.mobility_scale"]\nvalues = [1.0, 2.0]\n'
                           '[parameters."events.election.every"]\nlow = 2\nhigh = 6\nlevels = 3\n'
                           'integer = true\n'))
    assert grid.values.tolist() == [[1, 2], [1, 4], [1, 6], [2, 2], [2, 4], [2, 6]]
    assert grid.overrides(1) == {"moving.mobility_scale": 1.0, "events.election.every": 4}
    assert grid.params(0, 5).events["election"].every == 6
    normal = plan.load(write(tmp_path, base + '[design]\nmethod = "lhs"\nsamples = 400\n'
                             '[parameters."moving.mobility_scale"]\ndist = "normal"\nmean = 2.0\n'
                             'sd = 0.5\nlow = 1.5\nhigh = 3.0\n'))
    v = normal.values[:, 0]
    assert v.min() >= 1.5 and v.max() <= 3.0 and abs(np.median(v) - 2.1) < 0.1  # truncated


def test_shipped_experiments_load():
    names = {p.stem: plan.load(p) for p in sorted((ROOT / "experiments").glob("*.toml"))}
    assert set(names) >= {"policies", "sensitivity", "participation_levers"}
    assert names["policies"].shape == (11, 1, 30)
    assert names["sensitivity"].spec.design.method == "sobol"


# ----------------------------------------------------------------------------- the sweep
@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted sweep on a LocalCluster with two worker processes."""
    tmp = tmp_path_factory.mktemp("reference")
    p = plan.load(write(tmp, SMALL))
    out = sweep.run(p, tmp / "ref.zarr", workers=2)
    return p, tmp / "ref.zarr", out


def test_sweep_completes_and_equals_single_runs(reference):
    p, path, out = reference
    assert (out.total, out.done, out.failed, out.skipped) == (8, 8, 0, 0)
    ds = store.load(path)
    assert (ds.status.values == store.DONE).all() and (ds.error.values == "").all()
    for i, j, k in [(0, 0, 0), (1, 1, 1)]:
        direct = run_one(p.params(i, j), int(p.seeds[k]), p.steps)
        s = series(direct)
        run = ds.isel(scenario=i, sample=j, seed=k)
        for name in p.spec.output.indicators:
            np.testing.assert_array_equal(run[name].values, s[name].values)
        np.testing.assert_array_equal(run.households.values, direct.households.values)
    # common random numbers: same seed, same initial population in both scenarios
    h0 = ds.households.isel(step=0, sample=0, seed=0).values
    np.testing.assert_array_equal(h0[0], h0[1])


def test_a_recording_level_keeps_the_same_values_at_its_steps(reference, tmp_path):
    """``[output] record``: the store keeps the steps the level keeps, with the values of the
    full sweep there; another level is another experiment (not resumed from the full one)."""
    p, path, _ = reference
    sparse = plan.load(write(tmp_path, SMALL.replace("[output]\n", "[output]\nrecord = 2\n")))
    assert sparse.digest != p.digest and sparse.recorded.tolist() == [0, 2, 3]
    sweep.run(sparse, tmp_path / "sparse.zarr", workers=1)
    full, kept = store.load(path), store.load(tmp_path / "sparse.zarr")
    assert kept.step.values.tolist() == [0, 2, 3] and kept.attrs["record"] == "2"
    for name in (*p.spec.output.indicators, "households"):
        np.testing.assert_array_equal(kept[name].values, full[name].sel(step=[0, 2, 3]).values,
                                      err_msg=name)


def test_one_worker_gives_the_same_store(reference, tmp_path):
    p, path, _ = reference
    sweep.run(p, tmp_path / "one.zarr", workers=1)
    assert tree(tmp_path / "one.zarr") == tree(path)


def test_resume_skips_done_runs_and_refuses_another_experiment(reference, tmp_path):
    p, path, _ = reference
    copy = tmp_path / "copy.zarr"
    subprocess.run(["cp", "-r", str(path), str(copy)], check=True)
    zarr.open_array(copy / "status", mode="r+")[0, 1, 1] = store.PENDING  # as if not yet run
    out = sweep.run(p, copy, workers=2)
    assert (out.skipped, out.done) == (7, 1)
    assert tree(copy) == tree(path)
    changed = plan.load(write(tmp_path, SMALL.replace("steps = 3", "steps = 4")))
    with pytest.raises(InputError, match="holds another experiment"):
        sweep.run(changed, copy, workers=1)


def test_client_killed_with_sigkill_resumes_to_the_same_store(reference, tmp_path):
    _, ref, _ = reference
    out = tmp_path / "killed.zarr"
    slow = write(tmp_path, SMALL.replace("seeds = 2", "seeds = 6"), "slow.toml")
    cmd = [sys.executable, "-m", "urbsim", "experiment", str(slow), "--out", str(out),
           "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        done = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (out / "status" / "zarr.json").exists():
                done = int((store.status(out) == store.DONE).sum())
                if done >= 3:
                    break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)  # the client only: its workers are orphaned
        proc.wait()
        assert 3 <= done < 24, f"could not stop the sweep midway ({done} of 24 done)"
    finally:
        time.sleep(1)
        _kill_group(proc.pid)
    assert not list(tmp_path.glob(".killed.zarr.*"))  # no half-written template
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "resuming:" in r.stderr
    whole = tmp_path / "whole.zarr"
    sweep.run(plan.load(slow), whole, workers=2)
    assert tree(out) == tree(whole)
    # the first two seeds of the longer sweep are those of the reference sweep
    a = store.load(out).isel(seed=slice(0, 2))
    xr.testing.assert_identical(a.d_low, store.load(ref).d_low)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def test_a_worker_killed_mid_sweep_loses_no_run(reference, tmp_path):
    from distributed import Client, LocalCluster

    p, ref, _ = reference
    path = tmp_path / "lost.zarr"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        pids = list(client.run(os.getpid).values())

        def kill_when_running() -> None:
            while not (path / "status" / "zarr.json").exists():
                time.sleep(0.01)
            while (store.status(path) == store.DONE).sum() < 2:
                time.sleep(0.01)
            os.kill(pids[0], signal.SIGKILL)

        killer = threading.Thread(target=kill_when_running, daemon=True)
        killer.start()
        out = sweep.run(p, path, scheduler=cluster.scheduler_address)
        killer.join(5)
    assert not killer.is_alive()
    assert (out.done, out.failed) == (8, 0)
    assert tree(path) == tree(ref)


def test_failed_runs_are_retried_recorded_and_redone(reference, tmp_path, monkeypatch):
    """In-process workers (threads), so that the test can make runs fail."""
    from distributed import LocalCluster

    import urbsim.engine.runner

    p, ref, _ = reference
    real = urbsim.engine.runner.simulate
    attempts: dict[int, int] = {}
    bad, flaky = int(p.seeds[1]), int(p.seeds[0])

    def failing(params, seed, steps, on_step=None, record=1):
        attempts[seed] = attempts.get(seed, 0) + 1
        if seed == bad or (seed == flaky and attempts[seed] == 1):
            raise RuntimeError(f"boom {seed}")
        return real(params, seed, steps, on_step, record)

    path = tmp_path / "failing.zarr"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:
        monkeypatch.setattr(urbsim.engine.runner, "simulate", failing)
        out = sweep.run(p, path, scheduler=cluster.scheduler_address, retries=1)
        assert (out.done, out.failed) == (4, 4)  # the flaky run succeeded on its retry
        assert attempts[bad] == 8  # four runs, each tried twice
        ds = store.load(path)
        assert (ds.status.isel(seed=1).values == store.FAILED).all()
        assert (ds.error.isel(seed=1).values == f"RuntimeError: boom {bad}").all()
        monkeypatch.setattr(urbsim.engine.runner, "simulate", real)
        again = sweep.run(p, path, scheduler=cluster.scheduler_address)
    assert (again.skipped, again.done, again.failed) == (4, 4, 0)
    assert tree(path) == tree(ref)  # the failures left no trace


def test_cli_experiment_and_analyze(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, SMALL.replace('"rent_brake"', '"outreach"').replace(
        '[design]\nmethod = "lhs"\nsamples = 2\n[parameters."moving.mobility_scale"]\n'
        'low = 1.0\nhigh = 3.0\n', ""))
    r = CliRunner().invoke(app, ["experiment", "exp.toml", "--workers", "2"])
    assert r.exit_code == 0, r.output
    assert "4 runs = 2 scenarios × 1 design point × 2 seeds" in r.stderr
    assert Path("results/exp.zarr/zarr.json").exists()
    r = CliRunner().invoke(app, ["experiment", "exp.toml"])
    assert r.exit_code == 0 and "resuming: 4 of 4 runs already done" in r.stderr
    r = CliRunner().invoke(app, ["analyze", "results/exp.zarr", "--outputs",
                                 "turnout_open,representation_gap"])
    assert r.exit_code == 0, r.output
    assert "turnout open formats (%): scenarios against baseline" in r.stdout
    assert "outreach" in r.stdout and Path("results/exp.html").stat().st_size > 100_000
    r = CliRunner().invoke(app, ["analyze", "results/exp.zarr", "--indicators", "happiness"])
    assert r.exit_code == 2 and "'happiness' is not kept" in r.stderr


# ----------------------------------------------------------------------------- analysis
def synthetic_store(tmp_path: Path, text: str, fn) -> Path:
    """A store whose indicator ``d_low`` is ``fn(design values, seed index)`` for every run:
    the analysis is checked against known answers without running the model."""
    p = plan.load(write(tmp_path, text, "synthetic.toml"))
    path = tmp_path / "synthetic.zarr"
    store.create(path, p)
    ns, nd, nr = p.shape
    arr = zarr.open_array(path / "indicators", mode="r+")
    values = np.full(arr.shape, 0.5)
    k = p.spec.output.indicators.index("d_low")
    for r in range(nr):
        values[:, :, r, k, :] = fn(p.values, r)[None, :, None]
    arr[...] = values
    zarr.open_array(path / "status", mode="r+")[...] = np.full((ns, nd, nr), store.DONE, "i1")
    return path


def test_sobol_indices_of_the_ishigami_function(tmp_path):
    text = ('scenarios = ["baseline"]\nseeds = 1\nsteps = 1\nhouseholds = 1500\n'
            '[design]\nmethod = "sobol"\nsamples = 256\n[output]\nindicators = ["d_low"]\n'
            '[analysis]\nindicators = ["d_low"]\n'
            + "".join(f'[parameters."{k}"]\nlow = 0.0\nhigh = {2 * np.pi!r}\n'
                      for k in ("choice.move_cost", "moving.mobility_scale", "market.adjustment")))

    def ishigami(x, r):
        x = x - np.pi
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    rep = analysis.analyze(synthetic_store(tmp_path, text, ishigami))
    data = rep.table("Sobol indices").data.set_index("parameter")
    expected_s1 = {"choice.move_cost": 0.314, "moving.mobility_scale": 0.442,
                   "market.adjustment": 0.0}
    expected_st = {"choice.move_cost": 0.558, "moving.mobility_scale": 0.442,
                   "market.adjustment": 0.244}
    for k in expected_s1:
        assert abs(data.S1[k] - expected_s1[k]) < max(0.05, 1.5 * data.S1_conf[k])
        assert abs(data.ST[k] - expected_st[k]) < max(0.05, 1.5 * data.ST_conf[k])
        assert 0 < data.ST_conf[k] < 0.2
    analysis.save(rep, tmp_path / "r.html")
    assert "Sobol indices" in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_the_bootstrap_intervals_do_not_depend_on_what_ran_before(tmp_path, method):
    """With the default ``root_seed = 0`` too (SALib's Sobol analysis takes a seed of 0 for
    none, and drew from numpy's global state)."""
    text = ('scenarios = ["baseline"]\nseeds = 1\nsteps = 1\nhouseholds = 1500\n'
            f'[design]\nmethod = "{method}"\nsamples = 32\n[output]\nindicators = ["d_low"]\n'
            '[analysis]\nindicators = ["d_low"]\n'
            + "".join(f'[parameters."{k}"]\nlow = 0.0\nhigh = 1.0\n'
                      for k in ("choice.move_cost", "moving.mobility_scale")))
    path = synthetic_store(tmp_path, text, lambda x, r: x[:, 0] + x[:, 0] * x[:, 1] ** 2)
    tables = []
    for state in (1, 2):
        np.random.seed(state)  # noqa: NPY002 (the global state SALib drew from)
        rep = analysis.analyze(path)
        tables.append(rep.table("Sobol" if method == "sobol" else "Morris").data)
    assert tables[0].to_dict() == tables[1].to_dict()
    conf = "ST_conf" if method == "sobol" else "mu_star_conf"
    assert (tables[0][conf] > 0).all()


def test_morris_ranks_a_linear_function(tmp_path):
    text = ('scenarios = ["baseline"]\nseeds = 1\nsteps = 1\nhouseholds = 1500\n'
            '[design]\nmethod = "morris"\nsamples = 20\n[output]\nindicators = ["d_low"]\n'
            '[analysis]\nindicators = ["d_low"]\n'
            '[parameters."choice.move_cost"]\nlow = 0\nhigh = 1\n'
            '[parameters."moving.mobility_scale"]\nlow = 0\nhigh = 1\n')
    rep = analysis.analyze(synthetic_store(tmp_path, text, lambda x, r: 3 * x[:, 0] + 0 * x[:, 1]))
    data = rep.table("Morris").data.set_index("parameter")
    assert data.mu_star["choice.move_cost"] == pytest.approx(3.0)
    assert data.mu_star["moving.mobility_scale"] == pytest.approx(0.0, abs=1e-12)
    assert data.sigma["choice.move_cost"] == pytest.approx(0.0, abs=1e-9)


def test_grid_and_policy_tables(tmp_path):
    text = ('scenarios = ["baseline"]\nseeds = 4\nsteps = 1\nhouseholds = 1500\n'
            '[design]\nmethod = "grid"\n[output]\nindicators = ["d_low"]\n'
            '[analysis]\nindicators = ["d_low"]\n'
            '[parameters."choice.move_cost"]\nvalues = [0.1, 0.2, 0.3]\n')
    rep = analysis.analyze(synthetic_store(tmp_path, text, lambda x, r: x[:, 0] + 0.01 * r))
    data = rep.table("D low-status").data
    np.testing.assert_allclose(data["mean"], [0.115, 0.215, 0.315])
    assert (data.runs == 4).all()
    text = ('scenarios = ["baseline", "rent_brake"]\nseeds = 5\nsteps = 1\nhouseholds = 1500\n'
            '[output]\nindicators = ["d_low"]\n[analysis]\nindicators = ["d_low"]\n')
    path = synthetic_store(tmp_path, text, lambda x, r: np.full(len(x), 0.3 + 0.01 * r))
    arr = zarr.open_array(path / "indicators", mode="r+")
    arr[1] = arr[1] + 0.02 + 0.001 * np.arange(5)[None, :, None, None]  # rent_brake: +0.022 on average
    rep = analysis.analyze(path)
    row = rep.table("D low-status").data.iloc[0]
    assert row.scenario == "rent_brake" and row.difference == pytest.approx(0.022)
    assert row.low < 0.022 < row.high and row.verdict.startswith("clearly higher")


@pytest.mark.parametrize("damage", ["deleted", "truncated", "altered"])
def test_a_torn_region_is_detected_and_that_run_redone(reference, tmp_path, damage):
    """A done run whose chunk went missing, was cut short or changed fails its checksum when
    the sweep resumes; it is run again, and the store ends as the uninterrupted one."""
    p, path, _ = reference
    copy = tmp_path / "torn.zarr"
    subprocess.run(["cp", "-r", str(path), str(copy)], check=True)
    chunk = copy / "households" / "c" / "1" / "0" / "1" / "0" / "0" / "0"
    assert chunk.is_file()
    if damage == "deleted":
        chunk.unlink()  # zarr would read fill values: only the checksum notices
    elif damage == "truncated":
        chunk.write_bytes(chunk.read_bytes()[: len(chunk.read_bytes()) // 2])
    else:
        z = zarr.open_array(copy / "households", mode="r+")
        z[1, 0, 1, 0, 0, 0] += 1  # a valid chunk with other data
    assert store.verify(copy, p.digest, p.spec.output.variable_names, list(p.runs())) == [(1, 0, 1)]
    out = sweep.run(p, copy, workers=1)
    assert (out.torn, out.done, out.skipped) == (1, 1, 7)
    assert tree(copy) == tree(path)


@pytest.mark.parametrize("pending", [True, False])
def test_a_killed_writers_temporary_file_is_removed(reference, tmp_path, pending):
    """zarr writes a chunk to ``<chunk>.<uuid>.partial`` and renames it: a worker killed in
    between leaves that file behind. Resuming removes it, whether or not a run is left to do
    (a file of another name is kept: it is not zarr's)."""
    p, path, _ = reference
    copy = tmp_path / "litter.zarr"
    subprocess.run(["cp", "-r", str(path), str(copy)], check=True)
    litter = copy / "indicators" / "c" / "0" / "0" / "1" / "0" / f"0.{'ab12' * 8}.partial"
    litter.write_bytes(b"")
    mine = copy / "notes.partial"
    mine.write_bytes(b"kept")
    if pending:
        zarr.open_array(copy / "status", mode="r+")[0, 0, 1] = store.PENDING
    out = sweep.run(p, copy, workers=1)
    assert (out.done, out.skipped) == ((1, 7) if pending else (0, 8))
    assert not litter.exists() and mine.read_bytes() == b"kept"
    mine.unlink()
    assert tree(copy) == tree(path)


def test_a_store_of_another_layout_is_refused_with_what_to_do(reference, tmp_path):
    _, path, _ = reference
    copy = tmp_path / "old.zarr"
    subprocess.run(["cp", "-r", str(path), str(copy)], check=True)
    zarr.open_group(copy, mode="r+").attrs["format"] = "urbsim-experiment/1"
    with pytest.raises(InputError, match=r"another version of urbsim .*'urbsim-experiment/1'.*"
                                         r"--overwrite"):
        store.load(copy)


def test_the_default_analysis_takes_only_kept_indicators(tmp_path):
    """An experiment that keeps some indicators and has no [analysis] analyses those of the
    default ones it keeps (all it keeps when it keeps none of them)."""
    base = 'scenarios = ["baseline"]\nseeds = 1\nsteps = 1\nhouseholds = 1500\n'
    some = plan.load(write(tmp_path, base + '[output]\nindicators = ["d_low", "vacancy"]\n'))
    assert some.spec.analysis.indicators == ("d_low",)
    other = plan.load(write(tmp_path, base + '[output]\nindicators = ["vacancy", "moves"]\n'
                            '[analysis]\nlast = 5\n'))
    assert other.spec.analysis.indicators == ("vacancy", "moves") and other.spec.analysis.last == 5
    with pytest.raises(InputError, match=r"analysis.indicators\[0\]: 'd_low' is not kept"):
        plan.load(write(tmp_path, base + '[output]\nindicators = ["vacancy"]\n'
                        '[analysis]\nindicators = ["d_low"]\n'))


def test_stores_open_with_plain_xarray_without_warnings(reference):
    import warnings

    _, path, _ = reference
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(path)
    assert (ds.status.values == store.DONE).all()


@pytest.mark.parametrize("method", ["grid", "lhs"])
def test_parameter_plots_have_integer_ticks_for_integers_and_the_indicator_on_y(tmp_path,
                                                                                 method):
    import holoviews as hv
    from bokeh.models import BasicTicker, Plot

    from urbsim.analysis.summary import LABELS

    design = ('[design]\nmethod = "grid"\n[parameters."choice.move_cost"]\nvalues = [0.1, 0.2]\n'
              '[parameters."events.election.every"]\nvalues = [2, 3]\ninteger = true\n'
              'label = "years between elections"\n') if method == "grid" else (
        '[design]\nmethod = "lhs"\nsamples = 6\n[parameters."choice.move_cost"]\nlow = 0.1\n'
        'high = 0.2\n[parameters."events.election.every"]\nlow = 2\nhigh = 3\ninteger = true\n'
        'label = "years between elections"\n')
    text = ('scenarios = ["baseline"]\nseeds = 2\nsteps = 1\nhouseholds = 1500\n'
            '[output]\nindicators = ["d_low"]\n' + design)
    rep = analysis.analyze(synthetic_store(tmp_path, text, lambda x, r: x[:, 0] + 0.01 * r))
    title = "by parameter value" if method == "grid" else "by parameter ("
    layout = next(f for f in rep.figures if title in f.opts.get().kwargs.get("title", ""))
    plots = list(hv.render(layout, backend="bokeh").select({"type": Plot}))
    assert len(plots) == 2
    for p in plots:
        assert p.yaxis[0].axis_label == LABELS["d_low"]
        ticker = p.xaxis[0].ticker
        integer = p.xaxis[0].axis_label == "years between elections"
        assert (isinstance(ticker, BasicTicker) and ticker.min_interval >= 1) == integer


# ----------------------------------------------------------------------------- batches of runs
MANY = SMALL.replace("seeds = 2", "seeds = 6")  # 24 runs: enough for tasks of several runs


@pytest.fixture(scope="module")
def thread_cluster():
    """The address of a cluster of one in-process worker (a thread): tests can patch what its
    runs call."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def test_runs_are_batched_into_tasks_and_give_the_same_store(thread_cluster, tmp_path,
                                                             monkeypatch):
    p = plan.load(write(tmp_path, MANY))
    progress: list[tuple[int, int]] = []
    out = sweep.run(p, tmp_path / "batched.zarr", scheduler=thread_cluster,
                    on_progress=lambda done, failed: progress.append((done, failed)))
    assert (out.done, out.failed) == (24, 0) and out.tasks < 24
    assert progress == [(n, 0) for n in range(1, 25)]  # reported run by run all the same
    monkeypatch.setattr(sweep, "BATCH_SECONDS", 0.0)  # one run per task
    single = sweep.run(p, tmp_path / "single.zarr", scheduler=thread_cluster)
    assert single.tasks == 24
    assert tree(tmp_path / "batched.zarr") == tree(tmp_path / "single.zarr")


def test_a_failing_run_in_a_batch_fails_alone(thread_cluster, tmp_path, monkeypatch):
    import urbsim.engine.runner

    p = plan.load(write(tmp_path, MANY))
    real = urbsim.engine.runner.simulate
    bad = int(p.seeds[4])

    def failing(params, seed, steps, *args, **kwargs):
        if seed == bad:
            raise RuntimeError(f"boom {seed}")
        return real(params, seed, steps, *args, **kwargs)

    monkeypatch.setattr(urbsim.engine.runner, "simulate", failing)
    out = sweep.run(p, tmp_path / "failing.zarr", scheduler=thread_cluster, retries=0)
    assert out.tasks < 24 and (out.done, out.failed) == (20, 4)
    assert sorted(idx for idx, _ in out.failures) == [(0, 0, 4), (0, 1, 4), (1, 0, 4), (1, 1, 4)]
    status = store.status(tmp_path / "failing.zarr")
    assert (status[:, :, 4] == store.FAILED).all()
    assert (np.delete(status, 4, axis=2) == store.DONE).all()


def test_a_task_lost_as_a_whole_has_its_runs_tried_one_per_task(reference, thread_cluster,
                                                                tmp_path, monkeypatch):
    """A batch that fails as a whole (as when its workers keep dying) loses no run: those it
    stored count as done, the others run again one per task, and a failure stays with its run."""
    from urbsim.experiment import worker

    p = plan.load(write(tmp_path, MANY))
    real = worker.execute_batch

    def dying(path, digest, runs, *args):
        if len(runs) > 1:
            real(path, digest, runs[:1], *args)  # its first run is stored, then it is lost
            raise RuntimeError("lost")
        return real(path, digest, runs, *args)

    monkeypatch.setattr(worker, "execute_batch", dying)
    out = sweep.run(p, tmp_path / "lost.zarr", scheduler=thread_cluster, retries=0)
    assert (out.done, out.failed) == (24, 0)
    assert (store.status(tmp_path / "lost.zarr") == store.DONE).all()
    monkeypatch.setattr(worker, "execute_batch", real)
    sweep.run(p, tmp_path / "whole.zarr", scheduler=thread_cluster)
    assert tree(tmp_path / "lost.zarr") == tree(tmp_path / "whole.zarr")


def test_a_cancelled_batch_stops_after_its_current_run(thread_cluster, tmp_path, monkeypatch):
    from distributed import Client

    from urbsim.experiment import worker

    p = plan.load(write(tmp_path, MANY))
    started: list[tuple[int, int, int]] = []

    def slow(path, digest, index, *args):
        started.append(index)
        time.sleep(0.2)
        return index

    monkeypatch.setattr(worker, "execute", slow)
    runs = [(idx, p.overrides(idx[1]), int(p.seeds[idx[2]])) for idx in p.runs()]
    with Client(thread_cluster) as client:
        future = client.submit(worker.execute_batch, str(tmp_path / "none.zarr"), p.digest, runs,
                               dict(enumerate(p.scenarios.values())), p.steps, (), (), 1,
                               pure=False)
        deadline = time.monotonic() + 30
        while not started and time.monotonic() < deadline:
            time.sleep(0.01)
        future.cancel()
        time.sleep(1.5)
    assert 1 <= len(started) <= 3, started  # it would go on without the check between runs
