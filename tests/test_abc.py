"""Bayesian calibration machinery (issue 21, part 1) on a toy model in seconds: ABC-SMC
(pyabc) finds a known posterior, states epsilon and effective sample size, resumes from its
database, also after the process is killed with SIGKILL."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from urbsim.calibration import abc
from urbsim.calibration.config import Bounds

TRUE = {"a": 0.7, "b": 2.0}


def simulate(values: dict[str, float]) -> dict[str, float]:
    """A toy simulator: the mean of a and the log of b, with a little noise (seeded by the
    values, so a simulation is reproducible)."""
    rng = np.random.default_rng(abs(hash((round(values["a"], 12), round(values["b"], 12)))))
    return {"m": values["a"] + rng.normal(0, 0.02), "v": float(np.log(values["b"]))}


def distance(stats: dict[str, float]) -> float:
    return float(np.hypot((stats["m"] - TRUE["a"]) / 0.05,
                          (stats["v"] - np.log(TRUE["b"])) / 0.1))


PROBLEM = abc.Problem({"a": Bounds(low=0.0, high=2.0), "b": Bounds(low=0.1, high=10.0, log=True)},
                      simulate, distance)


@pytest.fixture
def seeded():
    """pyabc draws from numpy's global generator (in one process, as these tests run it):
    seeded, a test gives the same numbers every run; the state is restored after."""
    state = np.random.get_state()  # noqa: NPY002 (pyabc's generator is the legacy global one)
    np.random.seed(0)  # noqa: NPY002 (pyabc's generator is the legacy global one)
    yield
    np.random.set_state(state)  # noqa: NPY002 (pyabc's generator is the legacy global one)


def test_abc_smc_finds_the_known_posterior(tmp_path, seeded):
    seen = []
    post = abc.run(PROBLEM, tmp_path / "abc.db", population=200, generations=4, budget=100_000,
                   min_epsilon=0.0, on_generation=lambda g, e, n: seen.append((g, e, n)))
    assert [g for g, _, _ in seen] == [1, 2, 3, 4]
    assert all(e2 <= e1 for (_, e1, _), (_, e2, _) in itertools.pairwise(seen))
    assert seen[-1][1] < seen[0][1] / 2
    assert post.generations == 4 and len(post.particles) == 200
    assert post.epsilon == pytest.approx(seen[-1][1]) and post.simulations == seen[-1][2]
    assert 50 < post.ess <= 200
    mean = post.mean()
    assert abs(mean["a"] - TRUE["a"]) < 0.05 and abs(np.log(mean["b"] / TRUE["b"])) < 0.15
    draws = post.draws(100, seed=1)
    assert len(draws) == 100 and draws.equals(post.draws(100, seed=1))


@pytest.mark.parametrize(("scale", "effective"), [(1.0, False), (2.0, True)])
def test_many_parameters_keep_the_sample_effective(tmp_path, seeded, scale, effective):
    """17 parameters, as the urbsim calibration frees. The ablation of the wider kernel: with
    pyabc's default (1) the effective sample size of 500 particles falls to about 20 within
    three generations (the first urbsim run ended at 2); at the shipped 2 it stays near 280.
    Here 250 particles (half the time), against a threshold of a fifth: seeded, 7.6 at scale 1
    and 109.7 at scale 2 (other seeds: 3.0; 121.5, 102.7; unseeded runs gave 3-15 and 46-128,
    and once failed the threshold at scale 2)."""
    bounds = {f"x{i}": Bounds(low=0.0, high=1.0) for i in range(17)}

    def dist(stats):
        return float(np.sqrt(sum(((v - 0.5) * 5) ** 2 for v in stats.values())))

    post = abc.run(abc.Problem(bounds, dict, dist), tmp_path / "abc.db", population=250,
                   generations=4, budget=100_000, min_epsilon=0.0, kernel_scale=scale)
    assert (post.ess > 250 / 5) is effective, post.ess
    if effective:  # degenerate weights make the mean a matter of a few particles
        assert abs(post.mean()["x3"] - 0.5) < 0.1


def test_log_parameters_keep_the_sample_effective(tmp_path):
    """Four parameters with log bounds over two decades each: sampled in log space, the
    weights stay even (in the natural space the effective sample size fell to a few
    particles, as it did in the first urbsim run)."""
    logs = {f"p{i}": Bounds(low=0.01, high=1.0, log=True) for i in range(4)}

    def sim(values):
        return {k: float(np.log(v)) for k, v in values.items()}

    def dist(stats):
        return float(np.sqrt(sum((v - np.log(0.1)) ** 2 for v in stats.values())))

    post = abc.run(abc.Problem(logs, sim, dist), tmp_path / "abc.db", population=200,
                   generations=3, budget=100_000, min_epsilon=0.0)
    assert post.ess > 60, post.ess
    assert all(post.particles[k].min() >= 0.01 and post.particles[k].max() <= 1.0 for k in logs)
    assert abs(np.log(post.mean()["p0"] / 0.1)) < 1.0


def test_a_run_resumes_where_it_stopped(tmp_path):
    db = tmp_path / "abc.db"
    first = abc.run(PROBLEM, db, population=100, generations=2, budget=100_000, min_epsilon=0.0)
    more = abc.run(PROBLEM, db, population=100, generations=3, budget=100_000, min_epsilon=0.0)
    assert (first.generations, more.generations) == (2, 3)
    assert more.epsilon < first.epsilon and more.simulations > first.simulations
    again = abc.run(PROBLEM, db, population=100, generations=3, budget=100_000, min_epsilon=0.0)
    assert again.simulations == more.simulations  # nothing left to do


SLOW = """
import sys, time
sys.path.insert(0, {tests!r})
import test_abc
from urbsim.calibration import abc

def slow(values):
    time.sleep(0.01)
    return test_abc.simulate(values)

problem = abc.Problem(test_abc.PROBLEM.bounds, slow, test_abc.distance)
abc.run(problem, __import__("pathlib").Path({db!r}), population=50, generations=50,
        budget=10**6, min_epsilon=0.0,
        on_generation=lambda g, e, n: print(g, flush=True))
"""


def test_a_run_killed_with_sigkill_resumes(tmp_path):
    db = tmp_path / "abc.db"
    code = SLOW.format(tests=str(Path(__file__).parent), db=str(db))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "1"  # a generation is stored
        time.sleep(0.3)  # inside the next one
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    stored = abc.posterior(db, PROBLEM.bounds).generations
    assert stored >= 1
    post = abc.run(PROBLEM, db, population=50, generations=stored + 1, budget=10**6,
                   min_epsilon=0.0)
    assert post.generations == stored + 1 and len(post.particles) == 50


def imports_lazily(values: dict[str, float]) -> dict[str, float]:
    import urbsim_abc_lazy  # written by the test below, first imported here

    return urbsim_abc_lazy.simulate(values)


def test_worker_processes_inherit_what_a_simulation_imports(tmp_path, monkeypatch):
    """pyabc forks its worker processes anew each generation: the parent simulates once
    first (at the middle of the bounds), so that the workers import nothing themselves and
    a checkout upgraded under a running calibration cannot mix two versions of the model."""
    (tmp_path / "urbsim_abc_lazy.py").write_text(
        f"import sys\nsys.path.insert(0, {str(Path(__file__).parent)!r})\nimport test_abc\n"
        "calls = []\n\ndef simulate(values):\n    calls.append(dict(values))\n"
        "    return test_abc.simulate(values)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "urbsim_abc_lazy", raising=False)
    problem = abc.Problem(PROBLEM.bounds, imports_lazily, distance)
    post = abc.run(problem, tmp_path / "abc.db", population=40, generations=1, budget=10**6,
                   min_epsilon=0.0, workers=2)
    assert post.generations == 1 and len(post.particles) == 40
    lazy = sys.modules["urbsim_abc_lazy"]  # imported here, in the parent
    assert lazy.calls == [{"a": 1.0, "b": pytest.approx(1.0)}]  # once, the middle: log(0.1..10)


SMALL_CITY = ('extends = "fitted.toml"\nmilieus = "vhw11"\nhouseholds = 2000\n'
              '[city]\nneighbourhoods = 16\ndistricts = 4\n')
SMALL_ABC = """targets = "targets.toml"
city = "x"
fitted = "fitted.toml"
record = "fit.json"
storage = "study.db"
[runs.baseline]
scenario = "small.toml"
steps = 3
[fit]
seeds = 1
[check]
seeds = 2
seed = 100
[abc]
population = 12
generations = {generations}
budget = 10000
households = 600
seeds = 1
workers = {workers}
predictive_draws = 3
[parameters]
"moving.mobility_scale" = {{ low = 0.5, high = 6.0 }}
"choice.logit_scale" = {{ low = 0.5, high = 8.0, log = true }}
"""
SMALL_TARGETS = """cities = ["x"]
[targets.moves]
statistic = "moves"
value = 9.0
tolerance = {tolerance}
unit = "%"
source = "test"
[targets.vacancy]
statistic = "vacancy_decade"
value = 2.0
tolerance = {tolerance}
unit = "%"
source = "test"
"""


@pytest.mark.parametrize("tolerance, code, workers", [(1000.0, 0, 2), (0.001, 3, 1)])
def test_the_command_writes_posterior_provenance_check_and_report(tmp_path, tolerance, code,
                                                                   workers):
    """`urbsim calibrate --abc` end to end on a small city: generations with progress, the
    posterior (particles and weights) and its provenance, the predictive check on the check's
    seeds, the report; exit 3 when a required target fails the check (the posterior is still
    written); with more generations asked for, the same command resumes. Two workers take the
    shipped config's path: worker processes forked after a warm-up simulation in the parent
    (which, on numba's GNU OpenMP layer, killed every worker)."""
    (tmp_path / "fitted.toml").write_text("")
    (tmp_path / "small.toml").write_text(SMALL_CITY)
    (tmp_path / "targets.toml").write_text(SMALL_TARGETS.format(tolerance=tolerance))
    (tmp_path / "config.toml").write_text(SMALL_ABC.format(generations=2, workers=workers))
    cmd = [sys.executable, "-m", "urbsim", "calibrate", "--abc", str(tmp_path / "config.toml"),
           "--report", str(tmp_path / "posterior.html")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == code, r.stdout + r.stderr
    assert "progress: generation 2/2" in r.stderr and "posterior: generation 2" in r.stderr
    assert "predictive check: 3 draws x 2 held-out seeds" in r.stderr
    assert "vacancy" in r.stdout and ("FAIL" in r.stdout) == (code == 3)
    table = pd.read_csv(tmp_path / "posterior.csv")
    assert list(table.columns) == ["choice.logit_scale", "moving.mobility_scale", "weight"]
    assert len(table) == 12 and table.weight.sum() == pytest.approx(1.0)
    assert table["moving.mobility_scale"].between(0.5, 6.0).all()
    record = json.loads((tmp_path / "posterior.json").read_text())
    assert record["generations"] == 2 and record["particles"] == 12
    assert 0 < record["ess"] <= 12 and np.isfinite(record["epsilon"])
    assert record["settings"]["households"] == 600 and record["git_commit"]
    verdicts = {row["target"]: row["verdict"] for row in record["predictive"]}
    assert set(verdicts) == {"moves", "vacancy"}
    assert all(v == ("pass" if code == 0 else "FAIL") for v in verdicts.values())
    html = (tmp_path / "posterior.html").read_text(encoding="utf-8")
    assert "Posterior predictive check" in html and "Marginals" in html and "Pairs" in html
    shown = subprocess.run([*cmd[:-2], "--status"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "2 of 2 generations" in shown.stdout and "particles' own statistics" in shown.stdout
    assert "minutes" in shown.stdout and "the run is complete" in shown.stdout
    assert ("outside their tolerance so far: none" in shown.stdout) == (code == 0)
    if code:
        return
    (tmp_path / "config.toml").write_text(SMALL_ABC.format(generations=3, workers=workers))
    shown = subprocess.run([*cmd[:-2], "--status"], capture_output=True, text=True)
    assert "2 of 3 generations" in shown.stdout and "the run is complete" not in shown.stdout
    assert "at the last generation's pace (" in shown.stdout
    assert "the rest (1 more generation of about" in shown.stdout
    again = subprocess.run(cmd, capture_output=True, text=True)
    assert again.returncode == 0 and "after generation 2" in again.stderr
    assert json.loads((tmp_path / "posterior.json").read_text())["generations"] == 3


def test_status_needs_a_stored_run_and_goes_with_abc(tmp_path):
    (tmp_path / "fitted.toml").write_text("")
    (tmp_path / "small.toml").write_text(SMALL_CITY)
    (tmp_path / "targets.toml").write_text(SMALL_TARGETS.format(tolerance=1.0))
    (tmp_path / "config.toml").write_text(SMALL_ABC.format(generations=2, workers=1))
    base = [sys.executable, "-m", "urbsim", "calibrate", str(tmp_path / "config.toml")]
    none = subprocess.run([*base, "--abc", "--status"], capture_output=True, text=True)
    assert none.returncode == 2 and "no ABC run of this calibration is stored" in none.stderr
    assert "start one with urbsim calibrate --abc" in none.stderr
    alone = subprocess.run([*base, "--status"], capture_output=True, text=True)
    assert alone.returncode == 2 and "--status goes with --abc" in alone.stderr
    assert not list(tmp_path.glob("*.db"))  # nothing was started


def test_status_of_a_run_without_a_finished_generation(tmp_path):
    """A run killed before its first generation ended has a database but no particles:
    the status says so (no rows) instead of failing."""
    import pyabc

    from urbsim.calibration.config import load

    (tmp_path / "fitted.toml").write_text("")
    (tmp_path / "small.toml").write_text(SMALL_CITY)
    (tmp_path / "targets.toml").write_text(SMALL_TARGETS.format(tolerance=1.0))
    (tmp_path / "config.toml").write_text(SMALL_ABC.format(generations=2, workers=1))
    db = tmp_path / "empty.db"
    smc = pyabc.ABCSMC(abc._Model(simulate, PROBLEM.bounds), abc.prior(PROBLEM),
                       abc._Distance(distance), population_size=10)
    smc.new(f"sqlite:///{db}", {})
    gens, spent, rows = abc.status(load(tmp_path / "config.toml"), db)
    assert len(gens) == 0 and spent == 0 and rows == []
