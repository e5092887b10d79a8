"""The benchmark entry points run (at a tiny size: timings are for the benchmark command)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_experiment_benchmark_runs():
    r = subprocess.run([sys.executable, "-m", "benchmarks.experiment", "--runs", "4",
                        "--households", "1500", "--steps", "2"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "sweep / ideal:" in r.stdout and "(warm cluster)" in r.stdout


def test_benchmark_suite_runs_and_writes_its_results(tmp_path):
    out = tmp_path / "results.md"
    r = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "Machine:" in text and "Mesa 3.5" in text
    assert "urbsim / yardstick" in text and "urbsim final / bare" in text
    for heading in ("Schelling", "Full model", "urbsim.reference", "Where the full model's time",
                    "Start-up", "Sweep", "Workshop"):
        assert heading in text, heading
    assert "whole call / ideal" in text and "Run to a 2,000 × 1 × 2 result shown" in text
    assert "2 Runs pressed at once: all done" in text
    shares = [float(line.split("|")[3]) for line in text.splitlines()
              if line.startswith("| ") and line.split("|")[1].strip() in
              ("choice", "turnover", "participation", "record", "moving", "satisfaction",
               "composition", "market")]
    assert len(shares) == 8 and abs(sum(shares) - 100) < 0.5  # every phase, adding up


def test_calibration_benchmark_runs():
    r = subprocess.run([sys.executable, "-m", "benchmarks.calibration", "--households", "1500",
                        "--repeat", "1"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "one ABC simulation (1,500 households" in r.stdout and "targets" in r.stdout


def test_workshop_burst_benchmark_runs():
    """``--burst``: three Runs at once through the workshop's runner, each timed to its end."""
    r = subprocess.run([sys.executable, "-m", "benchmarks.workshop", "--burst", "3",
                        "--repeat", "1", "--households", "600", "--seeds", "1", "--steps", "2"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("burst 1:"))
    times = [float(t) for t in line.split("each done after ")[1].split(" s;")[0].split(", ")]
    assert len(times) == 3 and all(0 < t < 120 for t in times), line
    assert f"all done {max(times):.1f} s" in line
