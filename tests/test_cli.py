"""The command line, end to end (real processes where it matters)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from urbsim.common import files
from urbsim.inputs.scenario import shipped_dir
from urbsim.interfaces.cli import app

SMALL = ("--households", "3000", "--steps", "3")


def urbsim(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "urbsim", *args], capture_output=True,
                          text=True, **kw)


def _data(ds: xr.Dataset) -> xr.Dataset:
    return ds.drop_attrs()


def test_run_seeds_in_parallel_equals_serial_and_writes_atomically(tmp_path):
    two = tmp_path / "two.nc"
    r = urbsim("run", str(shipped_dir() / "random_panels.toml"), "--seeds", "2", "--seed", "5",
               *SMALL, "--workers", "2", "--out", str(two))
    assert r.returncode == 0, r.stderr
    assert "random_panels · 3,000 households" in r.stdout and "95% CI" in r.stdout
    assert "panel acceptance (%)" in r.stdout and f"wrote {two}" in r.stderr
    one = tmp_path / "one.zarr"
    r = urbsim("run", "random_panels", "--seeds", "2", "--seed", "5", *SMALL, "--workers", "1",
               "--out", str(one))
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(two) as a:
        b = xr.open_zarr(one, consolidated=False).load()
        assert a.seed.values.tolist() == [5, 6] and a.sizes["step"] == 4
        xr.testing.assert_identical(_data(a.load()), _data(b))
        assert not a.households.sel(seed=5).equals(a.households.sel(seed=6))
        assert list(a.attrs["seeds"]) == [5, 6] and "params" in a.attrs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.zarr", "two.nc"]  # no temporaries


def test_default_output_never_replaces_an_earlier_run(tmp_path):
    for _ in range(2):
        r = urbsim("run", "baseline", "--households", "2000", "--steps", "1", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == [
        "baseline-2.zarr", "baseline.zarr"]


def test_overwrite_replaces_an_existing_output(tmp_path):
    out = tmp_path / "run.nc"
    out.write_text("old")
    r = CliRunner().invoke(app, ["run", "baseline", "--households", "2000", "--steps", "1",
                                 "--out", str(out), "--overwrite"])
    assert r.exit_code == 0, r.output
    with xr.open_dataset(out) as ds:
        assert ds.sizes["seed"] == 1


def test_compare_scenarios_prints_verdicts_and_writes_a_plot(tmp_path):
    page = tmp_path / "cmp.html"
    r = urbsim("compare", "baseline", "rent_brake", "--seeds", "4", *SMALL, "--plot", str(page))
    assert r.returncode == 0, r.stderr
    assert "rent_brake against baseline" in r.stdout
    rent = next(ln for ln in r.stdout.splitlines() if "rent paid by private tenants" in ln)
    assert "clearly lower" in rent
    html = page.read_text(encoding="utf-8")
    assert "Bokeh" in html and "rent paid by private tenants (EUR/month)" in html
    assert "rent_brake" in html
    assert "cdn.bokeh.org" not in html  # works offline
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp.html"]


def test_a_plot_path_without_html_suffix_still_gets_html(tmp_path):
    page = tmp_path / "cmp"
    r = urbsim("compare", "baseline", "rent_brake", "--seeds", "2", *SMALL, "--plot", str(page))
    assert r.returncode == 0, r.stderr
    assert "Bokeh" in page.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]


def test_compare_stored_results_pairs_by_seed(tmp_path):
    a, b = tmp_path / "a.zarr", tmp_path / "b.nc"
    runner = CliRunner()
    for name, out in (("baseline", a), ("outreach", b)):
        r = runner.invoke(app, ["run", name, "--seeds", "3", *SMALL, "--workers", "1",
                                "--out", str(out)])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["compare", str(a), str(b)])
    assert r.exit_code == 0, r.output
    assert "b against a" in r.stdout and "3 seeds (0..2)" in r.stdout
    line = next(ln for ln in r.stdout.splitlines() if "turnout open formats" in ln)
    assert "clearly higher" in line
    # a scenario against a stored result: the scenario runs with the stored seeds and size
    r = runner.invoke(app, ["compare", str(a), "baseline", "--workers", "1"])
    assert r.exit_code == 0, r.output
    verdicts = [ln for ln in r.stdout.splitlines() if "│" in ln and "indicator" not in ln]
    assert verdicts and all("identical in every seed" in ln or "only in" in ln
                            for ln in verdicts if "n/a" not in ln)


def test_compare_without_common_seeds_says_so(tmp_path):
    a, b = tmp_path / "a.nc", tmp_path / "b.nc"
    runner = CliRunner()
    for seed, out in (("0", a), ("10", b)):
        assert runner.invoke(app, ["run", "baseline", "--seeds", "2", "--seed", seed, *SMALL,
                                   "--workers", "1", "--out", str(out)]).exit_code == 0
    r = runner.invoke(app, ["compare", str(a), str(b)])
    assert r.exit_code == 0 and "Welch" in r.stderr


def test_validate_reports_each_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[moving]\nforced_rate = 2\n")
    r = CliRunner().invoke(app, ["validate", str(shipped_dir() / "social_quota.toml"), str(bad)])
    assert r.exit_code == 2
    assert "ok: " in r.stdout and "policies: social_quota" in r.stdout
    assert "bad.toml: moving.forced_rate" in r.stderr


def test_validate_accepts_experiment_files(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text('scenarios = ["baseline", "rent_brake"]\nseeds = 3\nsteps = 2\nhouseholds = 1500\n'
                   '[design]\nmethod = "lhs"\nsamples = 2\n'
                   '[parameters."moving.mobility_scale"]\nlow = 1.0\nhigh = 3.0\n')
    bad = tmp_path / "bad_exp.toml"
    bad.write_text('scenarios = ["baseline"]\nseeds = 0\n')
    r = CliRunner().invoke(app, ["validate", str(exp), str(shipped_dir() / "outreach.toml"),
                                 str(bad)])
    assert r.exit_code == 2
    assert (f"ok: {exp} (experiment exp: 12 runs = 2 scenarios × 2 design points × 3 seeds, "
            "2 years each)") in r.stdout
    assert "ok: " in r.stdout and "(outreach:" in r.stdout
    assert "bad_exp.toml: seeds" in r.stderr and "Traceback" not in r.stderr


def test_version():
    from importlib.metadata import version

    r = urbsim("--version")
    assert r.returncode == 0 and r.stdout == f"urbsim {version('urbsim')}\n"


def test_help_wraps_paragraphs_and_shows_brackets():
    """Docstrings' line breaks do not survive into the help, and [words] are not markup."""
    import os

    from urbsim.interfaces import cli

    env = {**os.environ, "COLUMNS": "200"}
    r = urbsim("calibrate", "--help", env=env)
    assert r.returncode == 0
    assert "settings in the config's [abc]" in " ".join(r.stdout.split())
    assert "compare every target; exit code 3 if a required target fails." in r.stdout
    r = urbsim("run", "--help", env=env)
    assert "[default: the scenario's steps]" in r.stdout
    commands = {("run",): cli.run, ("compare",): cli.compare, ("validate",): cli.validate,
                ("calibrate",): cli.calibrate, ("experiment",): cli.experiment,
                ("analyze",): cli.analyze, ("export",): cli.export_, ("schema",): cli.schema,
                ("workshop",): cli.workshop, ("city", "check"): cli.city_check,
                ("history", "compare"): cli.history_compare}
    for command, fn in commands.items():
        r = urbsim(*command, "--help", env=env)
        assert r.returncode == 0 and "Usage: urbsim" in r.stdout, command
        lines = [" ".join(ln.strip(" │").split()) for ln in r.stdout.splitlines()]
        for paragraph in (fn.__doc__ or "").replace("`", "").split("\n\n"):
            text = " ".join(paragraph.split())
            if len(text) < 180:  # a paragraph that fits a line at 200 columns is one line
                assert text in lines, (command, text)


def test_two_seeds_warn_when_intervals_leave_the_possible_range(tmp_path):
    r = urbsim("run", "baseline", "--seeds", "2", "--households", "500", "--steps", "2",
               "--workers", "1", "--out", str(tmp_path / "r.nc"))
    assert r.returncode == 0, r.stderr
    moves = next(ln for ln in r.stdout.splitlines() if "moves per year" in ln)
    assert "-2.19 to 11.9" in moves and "*" in moves  # shown as computed, marked
    vacancy = next(ln for ln in r.stdout.splitlines() if "vacancy" in ln)
    assert "*" not in vacancy
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "possible range" in warnings[0] and "2 seeds" in warnings[0]


def test_indicator_bounds_cover_every_indicator():
    from urbsim.analysis.summary import BOUNDS, LABELS

    assert set(BOUNDS) == set(LABELS)
    assert BOUNDS["vacancy"] == (0, 100) and BOUNDS["d_low"] == (0, 1)
    assert BOUNDS["contract_rent"][0] == 0 and BOUNDS["in_migrants"] == (0, np.inf)


def test_a_stored_run_opens_without_warnings(tmp_path):
    import warnings

    from urbsim.analysis import results

    out = tmp_path / "r.zarr"
    results.write(xr.Dataset({"a": ("x", np.arange(3))}, attrs={"seed": 0}), out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert xr.open_zarr(out).a.values.tolist() == [0, 1, 2]


def test_schema_prints_the_reference():
    r = CliRunner().invoke(app, ["schema"])
    assert r.exit_code == 0 and "| `moving.forced_rate` | number | 1/year | >= 0, <= 1 | `0.5` |" in r.stdout


def test_internal_errors_exit_1_with_a_traceback(monkeypatch):
    import urbsim.engine.runner

    def broken(*a, **k):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(urbsim.engine.runner, "run_seeds", broken)
    r = CliRunner().invoke(app, ["run", "baseline", *SMALL, "--out", "never.nc"])
    assert r.exit_code == 1 and "Traceback" in r.stderr and "kaputt" in r.stderr
    assert "internal error" in r.stderr


def test_usage_errors_exit_2():
    assert urbsim("run", "--seeds", "0").returncode == 2
    assert urbsim("frobnicate").returncode == 2


def test_help_imports_nothing_heavy():
    """`urbsim --help` stays quick because the engine is imported lazily."""
    code = ("import sys, urbsim.interfaces.cli; heavy = {'numpy', 'xarray', 'numba', 'mesa', 'pydantic'}"
            " & set(sys.modules); assert not heavy, heavy")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
    r = urbsim("--help")
    assert r.returncode == 0
    for command in ("run", "compare", "validate", "schema"):
        assert command in r.stdout


@pytest.mark.parametrize("seed", [3])
def test_run_summary_matches_the_stored_dataset(tmp_path, seed):
    out = tmp_path / "r.nc"
    r = CliRunner().invoke(app, ["run", "baseline", *SMALL, "--seed", str(seed), "--out",
                                 str(out)])
    assert r.exit_code == 0, r.output
    from urbsim.analysis.summary import headline
    with xr.open_dataset(out) as ds:
        moves = float(headline(ds.load())["moves"].item())
    line = next(ln for ln in r.stdout.splitlines() if "moves per year" in ln)
    assert np.isclose(float(line.split("│")[2].strip()), moves, rtol=5e-3)


def test_zarr_and_netcdf_hold_the_same_values(tmp_path):
    """The determinism matrix's last axis: the same runs stored as zarr and as netCDF."""
    for out in ("a.zarr", "a.nc"):
        r = CliRunner().invoke(app, ["run", "baseline", "--seeds", "2", "--steps", "3",
                                     "--households", "3000", "--workers", "1", "--out",
                                     str(tmp_path / out)])
        assert r.exit_code == 0, r.output
    z = xr.open_zarr(tmp_path / "a.zarr", consolidated=False).load()
    n = xr.open_dataset(tmp_path / "a.nc").load()
    assert set(z.data_vars) == set(n.data_vars)
    for k in z.data_vars:
        assert np.array_equal(z[k].values, n[k].values, equal_nan=True), k


def test_a_run_killed_while_writing_leaves_no_partial_output(tmp_path):
    """SIGKILL the moment the hidden temporary output appears: the target path does not
    exist afterwards (or, had the write finished first, holds the complete dataset)."""
    import signal
    import time

    caught = 0
    for attempt in range(3):
        out = tmp_path / f"run{attempt}.zarr"
        proc = subprocess.Popen([sys.executable, "-m", "urbsim", "run", "baseline", "--seeds", "2",
                                 "--steps", "8", "--households", "30000", "--workers", "1",
                                 "--out", str(out)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if any(tmp_path.glob(f".{out.name}.*")):
                proc.send_signal(signal.SIGKILL)
                caught += 1
                break
            time.sleep(0.002)
        proc.wait(timeout=30)
        if out.exists():  # finished before the kill: then it is whole
            ds = xr.open_zarr(out, consolidated=False)
            assert ds.sizes["step"] == 9 and ds.sizes["seed"] == 2
        else:
            assert proc.returncode == -signal.SIGKILL
        if caught:
            assert not out.exists()
            break
    assert caught, "never caught the run while it was writing"


def test_overwrite_keeps_the_old_output_until_the_new_one_is_in_place(tmp_path, monkeypatch):
    """A store (a folder) is moved aside, not deleted, and put back if the process is
    interrupted before the new one is in place; a file is replaced in one rename."""
    from urbsim.analysis import results

    ds = xr.Dataset({"a": ("x", np.arange(3))})
    out = tmp_path / "r.zarr"
    results.write(ds, out)
    real = __import__("os").replace
    calls = []

    def replace(src, dst):  # the rename of the new store into place is "killed"
        if Path(dst) == out or Path(dst).name == "replaced":  # (zarr renames chunks too)
            calls.append((Path(src), Path(dst)))
            if Path(dst) == out and Path(src).name != "replaced":
                raise KeyboardInterrupt
        return real(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        results.write(ds * 2, out, overwrite=True)
    assert calls[0][0] == out and calls[0][1].name == "replaced"  # moved aside, not deleted
    assert calls[1][1] == out
    assert xr.open_zarr(out, consolidated=False).a.values.tolist() == [0, 1, 2]  # put back
    assert [p.name for p in tmp_path.iterdir()] == ["r.zarr"]  # no temporary left
    monkeypatch.setattr(files.os, "replace", real)

    nc = tmp_path / "r.nc"
    results.write(ds, nc)
    calls.clear()
    monkeypatch.setattr(files.os, "replace",
                        lambda s, d: (calls.append((Path(s), Path(d))), real(s, d)))
    results.write(ds * 2, nc, overwrite=True)
    assert [d for _, d in calls] == [nc]  # one rename: the path never lacks a whole file
    assert xr.open_dataset(nc).a.values.tolist() == [0, 2, 4]




def test_run_and_compare_at_a_recording_level(tmp_path):
    """``--record`` keeps every k-th step (and the last) or the final one only: the kept steps
    equal a full recording's, the headline averages the kept steps of the last years, and
    ``compare`` refuses stored runs recorded differently."""
    full, sparse, final = (tmp_path / f"{n}.nc" for n in ("full", "sparse", "final"))
    for out, level in ((full, "1"), (sparse, "2"), (final, "final")):
        r = urbsim("run", "baseline", "--households", "3000", "--steps", "5", "--out", str(out),
                   "--record", level)
        assert r.returncode == 0, r.stderr
        assert "90 neighbourhoods · 5 years" in r.stdout
        assert (" in year 5 · " in r.stdout) == (level == "final")
    with xr.open_dataset(full) as a, xr.open_dataset(sparse) as b, xr.open_dataset(final) as c:
        assert b.step.values.tolist() == [0, 2, 4, 5] and c.step.values.tolist() == [5]
        xr.testing.assert_identical(_data(a.sel(step=[0, 2, 4, 5]).load()), _data(b.load()))
        xr.testing.assert_identical(_data(a.sel(step=[5]).load()), _data(c.load()))
        assert (b.attrs["record"], c.attrs["record"]) == ("2", "final")
    r = urbsim("compare", str(full), str(sparse))
    assert r.returncode == 2 and "record steps 0..5 and 0..5 (4 kept)" in r.stderr, r.stderr
    r = urbsim("run", "baseline", *SMALL, "--record", "0", "--out", str(tmp_path / "x.nc"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--record" in r.stderr and "positive number of steps" in r.stderr
    assert not (tmp_path / "x.nc").exists()


def test_workshop_passes_its_run_processes_to_the_server(monkeypatch):
    """``--workers`` bounds the workshop's run processes (the server is not started here)."""
    import socket

    from urbsim.interfaces.workshop import app as workshop_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    seen = {}
    monkeypatch.setattr(workshop_app, "serve", lambda *a, **kw: seen.update(kw))
    r = CliRunner().invoke(app, ["workshop", "--port", str(port), "--workers", "3"])
    assert r.exit_code == 0, r.output
    assert seen["workers"] == 3
    r = CliRunner().invoke(app, ["workshop", "--workers", "0"])
    assert r.exit_code == 2 and "--workers" in r.output
