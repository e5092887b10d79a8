"""The benchmark entry points run (at a tiny size: timings are for the benchmark command)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_runs():
    r = subprocess.run([sys.executable, "-m", "benchmarks.engine", "--households", "2000",
                        "--neighbourhoods", "10", "--steps", "2", "--repeat", "1"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "household-updates per second" in r.stdout


def test_experiment_benchmark_runs():
    r = subprocess.run([sys.executable, "-m", "benchmarks.experiment", "--runs", "4",
                        "--households", "1500", "--steps", "2"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "sweep / ideal:" in r.stdout and "(warm cluster)" in r.stdout
