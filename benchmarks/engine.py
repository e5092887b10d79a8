"""Engine benchmark: 100k households on ~100 neighbourhoods for 50 steps, plus start-up.

Run: ``.venv/bin/python -m benchmarks.engine`` (prints a table; figures go into the README).
Times are wall-clock on this machine, medians of ``--repeat`` runs after a warm-up run that
compiles (or loads from numba's cache) every kernel.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

STARTUP = """
import time; t = time.perf_counter()
from urbsim.model import UrbanModel
from urbsim.params import CityParams, ModelParams
m = UrbanModel(ModelParams(households=2000, city=CityParams(neighbourhoods=10)), seed=0)
m.step()
print(time.perf_counter() - t)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--neighbourhoods", type=int, default=100)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    from urbsim.model import UrbanModel
    from urbsim.params import CityParams
    from urbsim.scenario import load

    params = load("baseline").model_copy(update={
        "households": a.households, "city": CityParams(neighbourhoods=a.neighbourhoods)})
    UrbanModel(params, seed=0).run(2)  # warm-up: compile or load every kernel
    setup, steps = [], []
    for r in range(a.repeat):
        t0 = time.perf_counter()
        m = UrbanModel(params, seed=r, expected_steps=a.steps)
        t1 = time.perf_counter()
        for _ in range(a.steps):
            m.step()
        t2 = time.perf_counter()
        setup.append(t1 - t0)
        steps.append(t2 - t1)
    startup = [float(subprocess.run([sys.executable, "-c", STARTUP], capture_output=True,
                                    text=True, check=True).stdout) for _ in range(a.repeat)]
    import numba

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numba {numba.__version__}, {numba.get_num_threads()} threads")
    print(f"{a.households:,} households, {a.neighbourhoods} neighbourhoods, {a.steps} steps, "
          f"median of {a.repeat}")
    print(f"  set-up (city + placement)       {statistics.median(setup):7.2f} s")
    print(f"  {a.steps} steps                        {statistics.median(steps):7.2f} s")
    hu = a.households * a.steps / statistics.median(steps)
    print(f"  household-updates per second    {hu:,.0f}")
    print(f"  new process, cached kernels: import + set-up + 1 step "
          f"{statistics.median(startup):.2f} s")


if __name__ == "__main__":
    main()
