"""The README's five-minute tour runs verbatim after the first README command, and prints the
files it promises (in a scratch folder beside a view of the repository, so that nothing is
written into the checkout)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(heading: str, lang: str) -> str:
    section = README.split(f"## {heading}", 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A fresh folder that looks like the checkout after the first README command."""
    d = tmp_path_factory.mktemp("tour")
    for name in (".venv", "scenarios", "calibration"):
        (d / name).symlink_to(ROOT / name)
    return d


@pytest.fixture(scope="module")
def tour(folder) -> str:
    script = _block("Five minutes: run, compare, plot", "bash")
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return r.stdout + r.stderr


def test_the_tour_writes_what_it_says(folder, tour):
    assert "wrote results/baseline.zarr" in tour       # step 1: not baseline-2.zarr
    assert (folder / "results" / "baseline.zarr" / "zarr.json").exists()
    assert not (folder / "results" / "baseline-2.zarr").exists()
    assert tour.count("ok: scenarios/") == len(list((ROOT / "scenarios").glob("*.toml")))
    assert "random_panels against baseline · 30,000 households" in tour and "6 seeds" in tour
    assert "wrote panels.html" in tour and (folder / "panels.html").stat().st_size > 100_000
    # step 4 runs my_cap with the stored run's seeds and size: the 4 seeds of step 1
    assert "my_cap against baseline · 30,000 households" in tour
    assert "4 seeds (0..3)" in tour.split("my_cap against baseline", 1)[1]


def test_the_python_snippet_runs(folder, tour):
    code = _block("Five minutes: run, compare, plot", "python")
    code += "\nassert ds.sizes['step'] == 21 and ds.attrs['seed'] == 1\nprint('ok')\n"
    r = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]
