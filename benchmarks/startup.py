"""Start-up: a cold ``urbsim run`` to its first step against importing numpy and numba.

Run: ``.venv/bin/python -m benchmarks.startup [--repeat 5] [--households 20000]``.

Each measure is a fresh process (this interpreter, the same environment), timed from just
before it is spawned to the moment it prints a timestamp; the processes take turns round by
round (so a machine whose speed drifts slows all alike), after one untimed round that fills
numba's cache and the operating system's file cache (urbsim's bytecode is compiled
beforehand, as ``scripts/setup.sh`` compiles it). Medians of ``repeat`` rounds:

1. ``python -c "import numpy, numba"``, the yardstick;
2. ``urbsim run baseline --households N --steps 1`` (the command line's own code, called as
   ``python -m urbsim`` would), to its first step completed: parsing, loading and checking
   the scenario, the imports, building the synthetic city and the model, loading the cached
   kernels, one step. The process prints the time from inside (when the progress bar
   advances) and exits before it builds and writes the dataset;
3. ``urbsim --help``, to the process's exit;
4. the floor: importing what a run cannot do without, in the way urbsim imports it (numpy,
   numba, ``mesa.model`` and ``mesa.time``, scipy's Delaunay triangulation for the synthetic
   city, the shortest paths and components of ``sparse.csgraph`` for its distances, after
   the deferrals of the engine and the inputs: :func:`urbsim.common.lazy.defer_mesa_extras`,
   ``defer_numpy_scipy_extras``), and nothing of urbsim's but :mod:`urbsim.common.lazy`.

Goal (issue 23): (2) at most 3× (1). (4) says how much of that the third-party imports take.

``--timeline`` instead times the phases of one cold process: the imports (the command line,
the inputs with scipy, numba and pydantic, the engine with ``mesa.model``), preparing the
scenario, building the model (city, cached kernels) and its first step.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMPORTS = "import time; import numpy, numba; print(time.time(), flush=True)"
FLOOR_MODULES = ("numpy", "numba", "mesa.model", "mesa.time", "scipy.spatial._qhull",
                 "scipy.sparse.csgraph._shortest_path", "scipy.sparse.csgraph._traversal")
FLOOR = ("import time; from urbsim.common import lazy; "
         "lazy.defer_mesa_extras(); lazy.defer_numpy_scipy_extras(); "  # as the engine, the inputs
         f"import {', '.join(FLOOR_MODULES)}; "
         "print(time.time(), flush=True)")
FIRST_STEP = """
import os, sys, time
import rich.progress

def first_step(self, *args, **kwargs):  # the CLI advances its progress bar after each step
    print(time.time(), flush=True)
    os._exit(0)

rich.progress.Progress.advance = first_step
from urbsim.interfaces.cli import app

app(["run", "baseline", "--households", sys.argv[1], "--steps", "1", "--out", sys.argv[2]],
    prog_name="urbsim")
"""


TIMELINE = """
import json, sys, time
marks = [("start", time.perf_counter())]
import urbsim.interfaces.cli
marks.append(("import the command line (typer)", time.perf_counter()))
from urbsim.inputs.consistency import prepare
marks.append(("import the inputs (scipy, numba, pydantic, the city)", time.perf_counter()))
from urbsim.engine.model import UrbanModel
marks.append(("import the engine (mesa.model)", time.perf_counter()))
scn, _ = prepare("baseline", int(sys.argv[1]), 1)
marks.append(("prepare the scenario", time.perf_counter()))
model = UrbanModel(scn, seed=0, expected_steps=1)
marks.append(("build the model (city, cached kernels)", time.perf_counter()))
model.step()
marks.append(("the first step", time.perf_counter()))
print(json.dumps([(k, t - marks[i][1]) for i, (k, t) in enumerate(marks[1:])]))
"""


def timeline(households: int = 20_000) -> list[tuple[str, float]]:
    """Seconds of each phase of one cold process up to its first step (:data:`TIMELINE`),
    after an untimed process that fills the caches."""
    env = child_env()
    bytecode(env["PYTHONPATH"].split(os.pathsep)[0])
    with tempfile.TemporaryDirectory(prefix="urbsim-startup-") as tmp:
        for _ in range(2):
            r = subprocess.run([sys.executable, "-c", TIMELINE, str(households)],
                               capture_output=True, text=True, env=env, cwd=tmp)
            if r.returncode != 0:
                raise RuntimeError(f"timeline: exit {r.returncode}: {r.stderr[-2000:]}")
    return [(k, float(t)) for k, t in json.loads(r.stdout.splitlines()[-1])]


def child_env() -> dict[str, str]:
    """This environment, with the urbsim this process would import first on the path (a
    work tree run with ``PYTHONPATH`` stays that work tree in the children, also those that
    run in another folder)."""
    spec = importlib.util.find_spec("urbsim")
    assert spec is not None and spec.submodule_search_locations, "urbsim is not importable"
    src = str(Path(next(iter(spec.submodule_search_locations))).parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def bytecode(src: str | Path) -> None:
    """Byte-compile the package ``urbsim`` under ``src`` as ``scripts/setup.sh`` does (where
    ``PYTHONDONTWRITEBYTECODE`` is set, no process writes it), so that every measure finds it
    as an installed package has it."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(src) / "urbsim")],
                   check=True, stdout=subprocess.DEVNULL)


def timed(args: list[str], env: dict[str, str], cwd: str, printed: bool) -> float:
    """Seconds from spawning ``python args`` to the timestamp it prints (``printed``) or to
    its exit."""
    t = time.time()
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd)
    end = time.time()
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)[:60]}: exit {r.returncode}: {r.stderr[-2000:]}")
    if printed:
        lines = r.stdout.split()
        if not lines:
            raise RuntimeError(f"{' '.join(args)[:60]}: printed no timestamp: {r.stderr[-2000:]}")
        end = float(lines[-1])
    return end - t


def startup(repeat: int, households: int = 20_000) -> list[dict]:
    """Medians over ``repeat`` rounds of the four measures of the module docstring, each
    also as a multiple of importing numpy and numba."""
    env = child_env()
    bytecode(env["PYTHONPATH"].split(os.pathsep)[0])
    with tempfile.TemporaryDirectory(prefix="urbsim-startup-") as tmp:
        out = str(Path(tmp) / "never.zarr")  # the run exits after its first step
        cases = {
            "python -c 'import numpy, numba'": (["-c", IMPORTS], True),
            f"urbsim run, {households:,} households: first step done":
                (["-c", FIRST_STEP, str(households), out], True),
            "urbsim --help": (["-m", "urbsim", "--help"], False),
            "floor: import numba, mesa.model, Delaunay, csgraph's shortest paths":
                (["-c", FLOOR], True),
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        for i in range(repeat + 1):
            for name, (args, printed) in cases.items():
                t = timed(args, env, tmp, printed)
                if i:  # round 0 fills the caches
                    times[name].append(t)
    base = statistics.median(next(iter(times.values())))
    return [{"measure": name, "median (s)": statistics.median(ts), "runs": len(ts),
             "× numpy + numba": statistics.median(ts) / base} for name, ts in times.items()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed rounds")
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--timeline", action="store_true",
                    help="time the phases of one cold process instead")
    a = ap.parse_args()
    if a.timeline:
        phases = timeline(a.households)
        print("| phase | seconds |\n|---|---:|")
        for k, t in phases:
            print(f"| {k} | {t:.3f} |")
        print(f"| to the first step | {sum(t for _, t in phases):.3f} |")
        return
    rows = startup(a.repeat, a.households)
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "---|" * len(rows[0]))
    for r in rows:
        print(f"| {r['measure']} | {r['median (s)']:.3f} | {r['runs']} | "
              f"{r['× numpy + numba']:.2f} |")


if __name__ == "__main__":
    main()
