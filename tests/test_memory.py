"""Memory is checked before a run: the estimate is safe, and a run that would not fit fails
early with one line (see also tests/test_bad_input.py::test_too_large_for_memory)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from urbsim.common import memory
from urbsim.common.errors import InputError

PEAK = """
import json
from urbsim.engine.model import UrbanModel
from urbsim.inputs.params import CityParams
from urbsim.inputs.scenario import load
p = load("baseline").params().model_copy(update={"households": 200_000,
                                                 "city": CityParams(neighbourhoods=300)})
UrbanModel(p, seed=0).run(8)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps(hwm * 1024))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_the_estimate_is_above_a_measured_peak():
    out = subprocess.run([sys.executable, "-c", PEAK], capture_output=True, text=True,
                         check=True)
    peak = json.loads(out.stdout)
    est = memory.estimate(200_000, 300, 11, 8)
    assert peak < est < 3 * peak, (peak, est)  # safe, and not absurdly so


def test_sizes_parse_and_cap_what_is_available(monkeypatch):
    assert memory.parse("8GB") == 8 * 2**30
    assert memory.parse("512 MiB") == 512 * 2**20
    assert memory.parse("1.5g") == int(1.5 * 2**30)
    assert memory.parse("1000") == 1000
    with pytest.raises(InputError, match="URBSIM_MEMORY: expected a size"):
        memory.parse("lots")
    monkeypatch.setenv("URBSIM_MEMORY", "1GB")
    assert memory.available() == 2**30
    with pytest.raises(InputError, match=r"households: 10,000,000 households over 20 steps "
                                         r"need about 2\.4 GB of memory, and 1\.0 GB"):
        memory.check(10_000_000, 90, 11, 20)
    memory.check(100_000, 90, 11, 20)  # fits


def test_available_memory_is_what_psutil_reports(tmp_path):
    import psutil

    assert memory._reported() == pytest.approx(psutil.virtual_memory().available, rel=0.05)
    assert memory._reported(str(tmp_path / "no-meminfo")) == pytest.approx(
        psutil.virtual_memory().available, rel=0.05)  # no /proc: psutil's figure
