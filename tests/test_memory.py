"""Memory is checked before a run: the estimate is safe, and a run that would not fit fails
early with one line (see also tests/test_bad_input.py::test_too_large_for_memory)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import weakref

import numpy as np
import pytest

from urbsim.common import memory
from urbsim.common.errors import InputError
from urbsim.engine import runner
from urbsim.engine.model import UrbanModel
from urbsim.engine.world import ClosedError
from urbsim.inputs.params import CityParams, ModelParams

SMALL = ModelParams(households=500, city=CityParams(neighbourhoods=10))

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


@pytest.fixture
def no_collector():
    """Python's cyclic garbage collector off (what is freed is freed by reference counts)."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def _engines() -> list[UrbanModel]:
    return [o for o in gc.get_objects() if isinstance(o, UrbanModel)]


def test_a_mesa_model_is_left_to_the_cyclic_collector_unless_closed(no_collector):
    """Dropping the last reference frees no model (Mesa's refer to themselves); closing
    one frees its arrays at once, and the model with its last reference."""
    kept = UrbanModel(SMALL, seed=1)
    ref = weakref.ref(kept)
    del kept
    assert ref() is not None  # the cycle keeps it
    model = UrbanModel(SMALL, seed=1)
    model.step()
    households = weakref.ref(model.households)
    data = model.recorded()
    ref = weakref.ref(model)
    model.close()
    assert households() is None  # released at once
    assert data["households"].shape == (2, 10, 11)  # what was handed out stays valid
    del model
    assert ref() is None


def test_a_closed_model_says_so(no_collector):
    with UrbanModel(SMALL, seed=1) as model:
        model.step()
    with pytest.raises(ClosedError, match=r"UrbanModel was closed.*'households'"):
        model.households  # noqa: B018
    with pytest.raises(ClosedError, match="closed"):
        model.step()
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        UrbanModel(SMALL, seed=1).nothing  # noqa: B018  (an open model: the usual error)


def test_the_runners_leave_no_model_behind(no_collector):
    before = len(_engines())
    ds = runner.run_one(SMALL, 3, 2)
    runner.warm_up()
    assert len(_engines()) == before
    with UrbanModel(SMALL, seed=3) as model:
        same = model.run(2)
    assert np.array_equal(ds["households"].values, same["households"].values)


FAULTS = """
import resource, sys
import numpy as np
from urbsim.common.memory import reuse_freed_memory
if sys.argv[1] == "reuse":
    assert reuse_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = np.ones(2**18)  # 2 MB (numpy asks larger ones of 4 MB for huge pages), freed again
del a
before = faults()
b = np.ones(2**18)
print(faults() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_a_run_process_reuses_the_memory_it_freed():
    """2 MB allocated again after being freed: 512 fresh pages faulted in, unless the
    process keeps what it frees."""
    def faults(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", FAULTS, mode], capture_output=True,
                             text=True, check=True)
        return int(out.stdout)
    assert faults("default") >= 400
    assert faults("reuse") < 50
