"""Robust comparisons (issue 21, part 2): effects over posterior draws and seeds, the share of
draws on each side of zero, and the verdict where the sign depends on a parameter."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from urbsim.analysis import robust
from urbsim.common.errors import InputError
from urbsim.interfaces.cli import app

SEEDS = 6


def heads(effect: np.ndarray, noise: float, rng: np.random.Generator):
    """Headline datasets per draw: a base of 0.3 and an other of 0.3 + the draw's effect,
    each seed with its noise (the same noise in both: common random numbers, plus a little)."""
    base, other = [], []
    for e in effect:
        common = rng.normal(0, 0.05, SEEDS)
        base.append(xr.Dataset({"d_low": ("seed", 0.3 + common)}, {"seed": range(SEEDS)}))
        other.append(xr.Dataset({"d_low": ("seed", 0.3 + common + e
                                           + rng.normal(0, noise, SEEDS))},
                                {"seed": range(SEEDS)}))
    return base, other


def test_the_sign_depends_on_a_parameter():
    """The effect is theta - 0.5 with theta drawn from its posterior: it is clearly positive
    for some draws and clearly negative for others, whatever the seeds say."""
    rng = np.random.default_rng(0)
    theta = rng.uniform(0, 1, 40)
    (r,) = robust.robust(*heads(theta - 0.5, 0.01, rng))
    assert r.positive > 0.3 and r.negative > 0.3
    assert r.verdict == "depends on uncertain parameters"
    assert r.low < 0 < r.high and r.draws == 40 and r.seeds == SEEDS


def test_a_robust_effect_and_no_effect():
    rng = np.random.default_rng(1)
    (up,) = robust.robust(*heads(rng.uniform(0.05, 0.1, 20), 0.005, rng))
    assert up.verdict == "clearly higher across the posterior" and up.positive == 1.0
    assert up.negative == 0.0 and up.low > 0
    (none,) = robust.robust(*heads(np.zeros(20), 0.02, rng))
    assert none.verdict == "no clear difference"
    assert none.positive < robust.FLIP or none.negative < robust.FLIP


def test_draws_follow_the_weights(tmp_path):
    path = tmp_path / "posterior.csv"
    path.write_text("moving.mobility_scale,weight\n1.0,0.0\n2.0,1.0\n3.0,0.0\n")
    d = robust.draws(path, 5, seed=0)
    assert d["moving.mobility_scale"].tolist() == [2.0] * 5
    with pytest.raises(InputError, match="run `urbsim calibrate --abc` first"):
        robust.draws(tmp_path / "none.csv", 5)
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="expected a posterior table"):
        robust.draws(tmp_path / "bad.csv", 5)


def test_compare_over_posterior_draws(tmp_path):
    """``urbsim compare A B --posterior N`` on a small posterior: per indicator the range over
    draws and seeds, the sign shares and a verdict."""
    path = tmp_path / "posterior.csv"
    path.write_text("moving.mobility_scale,weight\n1.5,0.5\n2.5,0.5\n")
    r = CliRunner().invoke(app, ["compare", "baseline", "rent_brake", "--posterior", "2",
                                 "--posterior-file", str(path), "--seeds", "2", "--households",
                                 "1500", "--steps", "3", "--workers", "1"])
    assert r.exit_code == 0, r.output
    for words in ("2 posterior draws", "draws clearly + / −", "difference [95% over draws and",
                  "rent paid by private tenants"):
        assert words in r.output, words


POSTERIOR_EXPERIMENT = """
scenarios = ["baseline", "rent_brake"]
seeds = 2
root_seed = 3
steps = 2
households = 1500
[design]
method = "posterior"
samples = 3
file = "posterior.csv"
"""


def test_an_experiment_over_posterior_draws(tmp_path):
    """The experiment equivalent: a posterior design's samples are weighted draws of the
    posterior; analyze sets each scenario against the baseline over draws and seeds."""
    from urbsim.experiment import analysis, plan, store, sweep

    (tmp_path / "posterior.csv").write_text(
        "moving.mobility_scale,choice.logit_scale,weight\n1.5,4.0,0.5\n2.5,6.0,0.5\n")
    (tmp_path / "exp.toml").write_text(POSTERIOR_EXPERIMENT)
    p = plan.load(tmp_path / "exp.toml")
    assert p.parameters == ("moving.mobility_scale", "choice.logit_scale")
    assert set(map(tuple, p.values.tolist())) <= {(1.5, 4.0), (2.5, 6.0)} and len(p.values) == 3
    assert p.params(0, 1).moving.mobility_scale == p.values[1, 0]
    sweep.run(p, tmp_path / "exp.zarr", workers=2)
    assert (store.load(tmp_path / "exp.zarr").status.values == store.DONE).all()
    report = analysis.analyze(tmp_path / "exp.zarr")
    table = report.table("rent_brake against baseline over 3 posterior draws × 2 seeds")
    assert "draws clearly + / −" in table.columns and len(table.rows) >= 3
    assert set(table.data.draws) == {3}


@pytest.mark.parametrize(("extra", "words"), [
    ('[parameters."moving.mobility_scale"]\nlow = 1\nhigh = 2\n', "give none"),
    ("", "no such file; expected a posterior table"),
])
def test_bad_posterior_designs(tmp_path, extra, words):
    from urbsim.experiment import plan

    (tmp_path / "exp.toml").write_text(POSTERIOR_EXPERIMENT + extra)
    with pytest.raises(InputError, match=words):
        plan.load(tmp_path / "exp.toml")
