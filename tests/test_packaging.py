"""The wheel: what a user who installs urbsim, rather than a checkout, gets."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(out), str(ROOT)], capture_output=True, text=True)
    if built.returncode:  # pip fetches hatchling from the registry, which CI always reaches
        if os.environ.get("CI"):
            raise RuntimeError(f"building the wheel failed:\n{built.stderr}")
        pytest.skip(f"cannot build the wheel here (offline?): {built.stderr.strip()[-200:]}")
    return next(out.glob("urbsim-*.whl"))


def test_an_installed_wheel_loads_every_shipped_scenario(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a pure wheel unpacked is an install
    code = ("from urbsim.inputs.scenario import load, shipped, shipped_dir\n"
            "names = shipped()\n"
            "for n in names:\n"
            "    p = load(n)\n"
            "print(shipped_dir(), len(names), p.choice.tie_share)")
    env = {**os.environ, "PYTHONPATH": str(site)}  # ahead of the checkout's editable install
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    where, n, tie_share = run.stdout.split()
    assert Path(where) == site / "urbsim" / "scenarios"
    assert int(n) == len(list((ROOT / "scenarios").glob("*.toml")))
    assert float(tie_share) > 0  # the fitted values came along (the default is 0)
