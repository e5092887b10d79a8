"""The command line, end to end."""

from __future__ import annotations

import subprocess
import sys

import xarray as xr


def urbsim(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "urbsim", *args], capture_output=True,
                          text=True, **kw)


def test_run_prints_a_summary_and_writes_atomically(tmp_path):
    out = tmp_path / "run.nc"
    r = urbsim("run", "--steps", "3", "--households", "4000", "--seed", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "multigroup dissimilarity" in r.stdout and "4,000 households" in r.stdout
    with xr.open_dataset(out) as ds:
        assert ds.sizes["step"] == 4 and ds.attrs["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc"]  # no temporary left


def test_zarr_output(tmp_path):
    out = tmp_path / "run.zarr"
    assert urbsim("run", "--steps", "1", "--households", "3000", "--out", str(out)).returncode == 0
    assert xr.open_zarr(out, consolidated=False).sizes["step"] == 2


def test_bad_input_exits_2_with_one_line(tmp_path):
    out = tmp_path / "never.nc"
    r = urbsim("run", "--steps", "1", "--milieus", str(tmp_path / "missing.toml"), "--out",
               str(out))
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "missing.toml" in lines[0] and "Traceback" not in r.stderr
    assert not out.exists()


def test_help_is_quick_and_lists_run():
    r = urbsim("--help")
    assert r.returncode == 0 and "run" in r.stdout
