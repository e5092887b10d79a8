"""Renamed keys keep working with one warning naming file and key (docs/glossary.md); a file
that states both the old and the new name is refused."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from urbsim.calibration import load as load_calibration
from urbsim.common.errors import InputError
from urbsim.common.schema import DeprecatedKey
from urbsim.experiment import plan
from urbsim.inputs import scenario as sc
from urbsim.inputs.scenario import shipped_dir
from urbsim.interfaces.cli import app

OLD_TABLE = 'extends = "social_quota"\n[policies.new_construction]\ndwellings = 100\n'


def test_an_old_policy_table_name_changes_the_inherited_policy(tmp_path):
    (tmp_path / "mine.toml").write_text(OLD_TABLE)
    with pytest.warns(DeprecatedKey, match=r"mine.toml: policies.new_construction: renamed to "
                                           r"policies.social_quota"):
        scn = sc.load(tmp_path / "mine.toml")
    assert list(scn.policies) == ["social_quota"]  # one policy, not a second one
    assert scn.policies["social_quota"].dwellings == 100
    assert scn.policies["social_quota"].social_quota == sc.load("social_quota").policies[
        "social_quota"].social_quota
    with pytest.warns(DeprecatedKey):
        assert sc.loads(OLD_TABLE, "up.toml").policies == scn.policies


def test_the_command_line_shows_the_warning_as_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text(OLD_TABLE)
    r = CliRunner().invoke(app, ["validate", "mine.toml"])
    assert r.exit_code == 0, r.output
    assert "warning: mine.toml: policies.new_construction: renamed to policies.social_quota" in (
        r.stderr)
    assert "ok: mine.toml" in r.stdout


def test_names_of_a_files_own_choosing_are_left_alone(tmp_path, recwarn):
    """Only a table that changes an inherited, renamed one is renamed: a file that extends the
    baseline (which has neither) may call its own policies ``unlock`` and ``unlock_underused``."""
    (tmp_path / "own.toml").write_text(
        'extends = "baseline"\n[policies.unlock]\nkind = "unlock_underused"\nstart = 1\n'
        '[policies.unlock_underused]\nkind = "unlock_underused"\nstart = 3\n'
        '[policies.new_construction]\nkind = "construction"\nstart = 2\n')
    scn = sc.load(tmp_path / "own.toml")
    assert list(scn.policies) == ["unlock", "unlock_underused", "new_construction"]
    assert [p.start for p in scn.policies.values()] == [1, 3, 2]
    assert not [w for w in recwarn if issubclass(w.category, DeprecatedKey)]


def test_old_and_new_name_together_are_refused(tmp_path):
    (tmp_path / "both.toml").write_text(OLD_TABLE + "[policies.social_quota]\ndwellings = 5\n")
    with pytest.raises(InputError, match=r"both.toml: policies.new_construction: states both"):
        sc.load(tmp_path / "both.toml")


def test_old_experiment_keys(tmp_path):
    (tmp_path / "exp.toml").write_text(
        'scenarios = ["baseline"]\nseeds = 1\nsteps = 2\nhouseholds = 1000\n'
        '[output]\nfields = ["rent"]\n[analysis]\noutputs = ["d_low"]\n')
    with pytest.warns(DeprecatedKey) as seen:
        p = plan.load(tmp_path / "exp.toml")
    assert {str(w.message).split(": ")[1] for w in seen} == {"output.fields", "analysis.outputs"}
    assert p.spec.output.variables == ("rent",) and p.spec.analysis.indicators == ("d_low",)


def test_a_calibration_seed_list_becomes_a_count(tmp_path):
    text = (shipped_dir().parent / "calibration" / "config.toml").read_text()
    text = text.replace("seeds = 4 ", "seeds = [100, 101, 102, 103] ").replace("seed = 100\n", "")
    root = shipped_dir().parent / "calibration"
    for name in ("targets.toml", "fitted.toml"):
        text = text.replace(f'"{name}"', f'"{root / name}"')
    text = text.replace('"../scenarios/', f'"{shipped_dir()}/')
    (tmp_path / "config.toml").write_text(text)
    with pytest.warns(DeprecatedKey, match=r"check.seeds: a list of seeds is deprecated; write "
                                           r"seeds = 4 and seed = 100"):
        cal = load_calibration(tmp_path / "config.toml")
    assert cal.config.check.seed_list == (100, 101, 102, 103)
