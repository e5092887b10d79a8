"""Calibration: targets and statistics, the fit (small, resumable), the shipped baseline's check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pytest
import xarray as xr

from urbsim import calibration as cal_mod
from urbsim.calibration import targets as tg
from urbsim.calibration.fitting import SLICE_POINTS
from urbsim.common.errors import InputError
from urbsim.engine.runner import run_seeds
from urbsim.inputs import scenario as sc

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "calibration" / "config.toml"


@pytest.fixture(scope="module")
def runs() -> xr.Dataset:
    scn = sc.load("random_panels").model_copy(update={"households": 6000})
    return run_seeds(scn, [0, 1], 5)


def test_statistics_match_hand_computation(runs):
    ds = runs.sel(seed=1)
    el = ds.sel(format="election")
    kon = el.sel(milieu="KET")
    expected = float(kon.participants.sum() / kon.reached.sum() * 100)
    t = tg.Target(statistic="turnout_election_milieu:KET", value=83, tolerance=4, unit="%",
                  source="x")
    assert t.compute(runs)[1] == pytest.approx(expected)
    # spread: highest minus lowest neighbourhood in the election step (2), in points
    nb = el.sel(step=2)
    by_nb = nb.participants.sum("milieu") / nb.reached.sum("milieu") * 100
    spread = tg.Target(statistic="turnout_spread", value=28, tolerance=6, unit="pp", source="x")
    assert spread.compute(runs)[1] == pytest.approx(float(by_nb.max() - by_nb.min()))
    # the survey gap: leading minus low-status milieus in the federal election
    def rate(sub):
        return float(sub.participants.sum() / sub.reached.sum() * 100)

    gap = tg.Target(statistic="turnout_gap_status", value=27, tolerance=5, unit="pp", source="x")
    assert gap.compute(runs)[1] == pytest.approx(
        rate(el.sel(milieu=["KET", "LIB", "PER"])) - rate(el.sel(milieu=["PRE", "HKON"])))
    # the council election (step 3): turnout and its spread between neighbourhoods
    council = ds.sel(format="municipal", step=3)
    town = tg.Target(statistic="turnout_municipal", value=45, tolerance=5, unit="%", source="x")
    assert town.compute(runs)[1] == pytest.approx(rate(council))
    by_nb = council.participants.sum("milieu") / council.reached.sum("milieu") * 100
    wide = tg.Target(statistic="turnout_spread_municipal", value=38, tolerance=6, unit="pp",
                     source="x")
    assert wide.compute(runs)[1] == pytest.approx(float(by_nb.max() - by_nb.min()))
    acc = tg.Target(statistic="panel_acceptance", value=7, tolerance=2, unit="%", source="x")
    assert acc.compute(runs)[1] == pytest.approx(float(ds.accepted.sum() / ds.invited.sum() * 100))
    shares = tg.Target(statistic="milieu_share_error", value=0, tolerance=2, unit="pp", source="x")
    assert 0 <= shares.compute(runs).max() < 2
    # segregation trend: change of D from the start to the end
    from urbsim.analysis.summary import series
    d = series(ds)["d_low"].values
    trend = tg.Target(statistic="d_low_change", value=0, tolerance=0.03, unit="D", source="x")
    assert trend.compute(runs)[1] == pytest.approx(d[-1] - d[0])


def test_unknown_milieu_in_a_statistic_is_bad_input(runs):
    t = tg.Target(statistic="turnout_election_milieu:XYZ", value=1, tolerance=1, unit="%",
                  source="x")
    with pytest.raises(InputError, match="unknown milieu 'XYZ'"):
        t.compute(runs)


def test_shipped_targets_are_sourced_and_every_parameter_labelled():
    cal = cal_mod.load(CONFIG)
    names = set(cal.targets.targets)
    assert {"tenant_changes", "owner_share", "contract_rent_growth", "asking_rent_growth",
            "segregation_start", "turnout_PRE", "turnout_spread", "panel_acceptance",
            "open_reach", "milieu_shares"} <= names
    assert all(t.required for t in cal.targets.targets.values())  # none excused
    inputs = {k for k, t in cal.targets.targets.items() if t.input}
    assert inputs == {"turnout_election", "turnout_KET", "turnout_LIB", "turnout_PER",
                      "turnout_SOK", "turnout_PRE", "turnout_HKON"}  # the milieu file's
    assert {"turnout_gap_status", "turnout_municipal", "turnout_spread_municipal",
            "panel_low_status", "open_skew", "continuous_reach"} <= names  # not inputs
    for t in cal.targets.targets.values():
        assert t.source and t.unit and t.tolerance > 0
    labels = cal_mod.labels(cal)
    kinds = {v.split(":")[0] for v in labels.values()}
    assert kinds == {"calibrated", "sourced", "prior"}, [k for k, v in labels.items() if not v]
    assert labels["moving.mobility_scale"] == "calibrated"
    assert labels["milieus"].startswith("sourced")


@pytest.mark.parametrize(("config", "targets", "fragment"), [
    ("bogus = 1\n", None, "config.toml: bogus: unknown key"),
    (None, "[targets.x]\nstatistic = 'nope'\nvalue = 1\ntolerance = 1\nunit = 'u'\nsource = 's'\n",
     "targets.toml: targets.x: unknown statistic 'nope'"),
    (None, "[targets.x]\nstatistic = 'moves'\nvalues = { hamburg = 0.3 }\ntolerance = 1\n"
           "unit = 'u'\nsource = 's'\n", "targets.x.values: no value for the reference city"),
    ('"moving.nope" = { low = 0, high = 1 }\n', None, "parameters.moving.nope: no such parameter"),
    ('"moving.forced_rate" = { low = 1, high = 0 }\n', None, "expected low < high"),
    ('[priors]"city.social_estates" = { low = 5, high = 10 }\n', None,
     "priors.city.social_estates: the shipped value 3 lies outside [5.0, 10.0]"),
    ('[priors]"participation.engagement_gain" = { low = 0, high = 1 }\n', None,
     "priors.participation.engagement_gain: a calibrated parameter, not a prior"),
    ('[priors]"moving.nope" = { low = 0, high = 1 }\n', None,
     "priors.moving.nope: no such parameter"),
])
def test_bad_calibration_input(tmp_path, config, targets, fragment):
    text = CONFIG.read_text(encoding="utf-8").replace('"../scenarios/', f'"{ROOT}/scenarios/')
    if config is not None and config.startswith("[priors]"):  # checked after the fitted file
        text = text.replace("[priors]\n", config.replace("[priors]", "[priors]\n", 1))
        text = text.replace('fitted = "fitted.toml"', f'fitted = "{ROOT}/calibration/fitted.toml"')
    elif config is not None:
        text = text.replace("[parameters]\n", "[parameters]\n" + config) if config.startswith(
            '"') else config + text
    (tmp_path / "config.toml").write_text(text)
    t = (ROOT / "calibration" / "targets.toml").read_text(encoding="utf-8")
    (tmp_path / "targets.toml").write_text('cities = ["berlin"]\n' + targets if targets else t)
    with pytest.raises(InputError) as e:
        cal_mod.load(tmp_path / "config.toml")
    assert fragment in str(e.value)


def test_a_scenario_hiding_a_calibrated_value_is_refused(tmp_path):
    (tmp_path / "base.toml").write_text(f'extends = "{ROOT}/scenarios/baseline.toml"\n'
                                        "[moving]\nmobility_scale = 1.0\n")
    text = CONFIG.read_text(encoding="utf-8").replace('"../scenarios/baseline.toml"',
                                                       f'"{tmp_path}/base.toml"')
    text = text.replace('"../scenarios/', f'"{ROOT}/scenarios/').replace(
        'targets = "targets.toml"', f'targets = "{ROOT}/calibration/targets.toml"')
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(InputError, match=r"base.toml: moving.mobility_scale: states a calibrated"):
        cal_mod.load(tmp_path / "config.toml")


def test_small_fit_writes_fitted_values_and_resumes(tmp_path):
    (tmp_path / "fitted.toml").write_text("")
    (tmp_path / "small.toml").write_text(
        'extends = "fitted.toml"\nmilieus = "vhw11"\nhouseholds = 2000\n'
        '[city]\nneighbourhoods = 16\ndistricts = 4\n')
    (tmp_path / "targets.toml").write_text(
        'cities = ["x"]\n[targets.moves]\nstatistic = "moves"\nvalue = 9.0\ntolerance = 1.0\n'
        'unit = "%"\nsource = "test"\n')
    config = ('targets = "targets.toml"\ncity = "x"\nfitted = "fitted.toml"\nrecord = "fit.json"\n'
              'storage = "study.db"\n[runs.baseline]\nscenario = "small.toml"\nsteps = 3\n'
              '[fit]\ntrials = {n}\nseeds = 1\nseed = 0\nworkers = 1\npolish = {p}\n'
              '[parameters]\n"moving.mobility_scale" = {{ low = 0.5, high = 6.0 }}\n')
    (tmp_path / "config.toml").write_text(config.format(n=3, p=0))
    cal = cal_mod.load(tmp_path / "config.toml")
    seen = []
    record = cal_mod.fit(cal, lambda done, total, best: seen.append(done), slices=False)
    assert seen == [1, 2, 3] and record["trials"] == 3
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")
    first = optuna.load_study(study_name=record["study"], storage=storage).trials[0]
    assert first.params == {"moving.mobility_scale": 1.0}  # the fit starts at the current value
    storage.engine.dispose()
    (tmp_path / "config.toml").write_text(config.format(n=5, p=0))
    record = cal_mod.fit(cal_mod.load(tmp_path / "config.toml"), slices=True)
    assert record["trials"] == 5  # resumed: two more, not five more
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")
    assert len(optuna.load_study(study_name=record["study"], storage=storage).trials) == 5
    storage.engine.dispose()
    fitted = sc.load(tmp_path / "small.toml")
    assert fitted.moving.mobility_scale == pytest.approx(record["best"]["moving.mobility_scale"],
                                                         rel=1e-5)
    assert "# calibrated" in (tmp_path / "fitted.toml").read_text()
    saved = json.loads((tmp_path / "fit.json").read_text())
    s = saved["slices"]["moving.mobility_scale"]
    assert len(s["grid"]) == SLICE_POINTS and np.isfinite(s["loss"]).all()
    assert s["acceptable"][0] <= record["best"]["moving.mobility_scale"] <= s["acceptable"][1]
    # polishing: a slice point that beats the optimum becomes a trial, until none does
    (tmp_path / "config.toml").write_text(config.format(n=5, p=4))
    stages = []
    polished = cal_mod.fit(cal_mod.load(tmp_path / "config.toml"), on_stage=stages.append)
    assert stages[0] == "loss slices"
    assert polished["trials"] == 5 + polished["polish_steps"]
    assert polished["best_loss"] <= record["best_loss"]
    lowest = min(min(s["loss"]) for s in polished["slices"].values())
    assert polished["at_slice_minimum"] == (lowest >= polished["best_loss"] - 1e-9)
    assert polished["polish_steps"] >= 1 and polished["best_loss"] < record["best_loss"]
    if polished["polish_steps"] < 4:
        assert polished["at_slice_minimum"]
    # the study is keyed on what the fit holds fixed: fitted values do not change the key ...
    assert cal_mod.load(tmp_path / "config.toml").digest == record["config_digest"]
    # ... a changed prior does, so a stale study is never resumed
    with (tmp_path / "small.toml").open("a") as f:
        f.write("[moving]\nforced_rate = 0.3\n")
    assert cal_mod.load(tmp_path / "config.toml").digest != record["config_digest"]


def test_shipped_baseline_passes_the_check_and_reports(tmp_path):
    """The CI check: the shipped baseline meets every target over the check seeds."""
    page = tmp_path / "report.html"
    r = subprocess.run([sys.executable, "-m", "urbsim", "calibrate", "--check", str(CONFIG),
                        "--report", str(page)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout and "0 unlabelled" in r.stdout
    html = page.read_text(encoding="utf-8")
    assert "urbsim calibration report" in html and "turnout_PRE" in html


def test_the_loss_charges_a_required_target_its_miss():
    """Well within tolerance a target costs its squared error; a required target near or
    beyond it costs the miss on top, so the fit does not trade a required target away (and
    keeps a margin for the seeds the check runs)."""
    from urbsim.calibration.config import MARGIN, MISS
    from urbsim.calibration.fitting import loss

    cal = cal_mod.load(CONFIG)
    t = cal.targets.targets["vacancy"]
    exact = {k: np.array([v.target(cal.config.city)]) for k, v in cal.targets.targets.items()}
    assert loss(cal, exact) == 0
    edge = 1 - MARGIN
    for z, expected in ((0.5, 0.25), (edge, edge ** 2), (1.1, 1.21 + MISS * (1.1 - edge) ** 2),
                        (-2.0, 4 + MISS * (2 - edge) ** 2)):
        stats = exact | {"vacancy": np.array([t.target(cal.config.city) + z * t.tolerance])}
        assert loss(cal, stats) == pytest.approx(t.weight * expected)
