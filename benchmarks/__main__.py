"""urbsim's benchmark suite: ``.venv/bin/python -m benchmarks [--quick] [--only NAME ...]``.

Prints a table per benchmark and writes ``benchmarks/results.md`` (with the machine) unless
``--out`` says otherwise. Every ratio compares two things measured in the same run.

1. ``schelling``: Schelling per the ABMFrameworksComparison declaration (small: 40×40, 1,000
   agents, radius 1, happy with ≥ 3 like neighbours; large: 100×100, 8,000 agents, radius 2,
   ≥ 8), 20 steps, building the model plus the steps timed, median of ``--repeat`` seeded runs:
   urbsim's engine in its Schelling configuration against plain Mesa 3.5
   (``benchmarks/mesa_schelling.py``) and against the yardstick, the same rules as one plain
   numba kernel (``benchmarks/yardstick.py``): urbsim recording every step against the
   yardstick computing the same outputs, and urbsim recording the final step only against
   the yardstick recording nothing.
2. ``scaling``: the full model (calibrated baseline) with 10k, 100k and 1M households on 1,000
   neighbourhoods, 50 steps, each in a fresh process: wall time of the steps, household-updates
   per second, peak memory (the process's maximum resident set).
3. ``reference``: the engine against ``urbsim.reference`` (the same rules with Mesa agents),
   5,000 households, 20 steps, building plus steps, median of 5 seeded runs.
4. ``profile``: share of the time per phase of the full model (100k households).
5. ``startup``: a cold ``urbsim run`` to its first step against ``import numpy, numba`` in
   fresh processes (``benchmarks/startup.py``).
6. ``sweep``: a sweep's whole call on 2 Dask workers (cluster start included) against the
   ideal, its bare runs' time / workers (``benchmarks/experiment.py``, in its own process).
7. ``workshop``: the workshop app cold, from ``urbsim workshop`` to the baseline shown and from
   Run to a result, in headless chromium, and ten Runs pressed at once
   (``benchmarks/workshop.py``, in its own processes; without Debian's ``chromium`` the section
   says so, and fails under ``CI=true``).

Both sides of a ratio take turns seed by seed, so that a machine whose speed drifts (these
VMs' does, by a third under sustained load) slows both alike. ``--quick`` runs everything at
tiny sizes (the CI smoke test); its figures mean nothing. The suite's process keeps the
memory its runs free, as urbsim's run processes do
(:func:`urbsim.common.memory.reuse_freed_memory`), for Mesa and the yardstick as for urbsim.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCHELLING = {"small": (40, 40, 1000, 3, 1), "large": (100, 100, 8000, 8, 2)}
"""Declaration cases: width, height, agents, minimum like neighbours, radius."""
PUBLISHED = "Agents.jl is 26.7× faster than Mesa 3.2 on the large Schelling case"
"""From the ABMFrameworksComparison README's table (their machine, Mesa 3.2)."""


def schelling(repeat: int, steps: int, quick: bool) -> tuple[list[dict], list[dict]]:
    """The cases' rows, and where urbsim's time goes on the last (largest) case: building the
    city, building the model, and each phase of the steps (median milliseconds of the runs)."""
    from benchmarks import yardstick
    from benchmarks.mesa_schelling import SchellingModel
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs import schelling as sch

    parts: list[dict[str, float]] = []

    def engine(w, h, n, k, r, seed, record=1):
        t0 = time.perf_counter()
        city, ms, params = sch.setup(w, h, agents=n, threshold=k, radius=r, mode="count")
        t1 = time.perf_counter()
        # closed at the end, as urbsim's runners close theirs (a Mesa model is otherwise
        # freed only by Python's cyclic collector, and the next run faults in fresh memory)
        with UrbanModel(params, city=city, milieus=ms, seed=seed, expected_steps=steps,
                        record=record) as model:
            t2 = time.perf_counter()
            for _ in range(steps):
                model.step()
            data = model.recorded()  # the final step, where the level skipped it
            if record == 1:
                parts.append({"building the grid city": t1 - t0, "building the model": t2 - t1}
                             | {f"steps: {k}": v for k, v in model.timings.items()})
        return data

    def mesa(w, h, n, k, r, seed):
        model = SchellingModel(w, h, n, k, r, seed=seed)
        for _ in range(steps):
            model.step()
        return model

    rows = []
    cases = {"small": (12, 12, 60, 3, 1)} if quick else SCHELLING
    engine(*cases[next(iter(cases))], 0)  # load the kernels
    yardstick.load()
    for name, case in cases.items():
        parts.clear()
        t = _interleaved({"urbsim": partial(engine, *case),
                          "urbsim final": partial(engine, *case, record="final"),
                          "yardstick": partial(yardstick.yardstick, *case, steps=steps),
                          "bare": partial(yardstick.yardstick, *case, steps=steps,
                                          record=False),
                          "Mesa": partial(mesa, *case)}, repeat)
        rows.append({"case": name, "grid": f"{case[0]}×{case[1]}", "agents": case[2],
                     "radius": case[4], "min like": case[3],
                     "urbsim (ms)": t["urbsim"] * 1e3, "Mesa (ms)": t["Mesa"] * 1e3,
                     "Mesa / urbsim": t["Mesa"] / t["urbsim"],
                     "yardstick (ms)": t["yardstick"] * 1e3,
                     "urbsim / yardstick": t["urbsim"] / t["yardstick"],
                     "urbsim final (ms)": t["urbsim final"] * 1e3,
                     "bare yardstick (ms)": t["bare"] * 1e3,
                     "urbsim final / bare": t["urbsim final"] / t["bare"]})
    return rows, _where(parts)


SCALING = """
import json, sys, time
from urbsim.engine.model import UrbanModel
from urbsim.inputs.params import CityParams
from urbsim.inputs.scenario import load
households, nodes, steps = map(int, sys.argv[1:4])
params = load("baseline").model_copy(update={"households": households,
                                            "city": CityParams(neighbourhoods=nodes)})
UrbanModel(params.model_copy(update={"households": 2000, "city": CityParams(neighbourhoods=20)}),
           seed=0).run(2)  # load the kernels
t0 = time.perf_counter()
m = UrbanModel(params, seed=1, expected_steps=steps)
t1 = time.perf_counter()
for _ in range(steps):
    m.step()
t2 = time.perf_counter()
# VmHWM: this process's peak (Linux keeps ru_maxrss across exec: it would be the parent's)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"setup": t1 - t0, "steps": t2 - t1, "rss": hwm / 1024}))
"""


def scaling(steps: int, quick: bool) -> list[dict]:
    sizes = (1_000, 5_000) if quick else (10_000, 100_000, 1_000_000)
    nodes = 20 if quick else 1000
    rows = []
    for n in sizes:
        out = subprocess.run([sys.executable, "-c", SCALING, str(n), str(nodes), str(steps)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        rows.append({"households": n, "neighbourhoods": nodes, "steps": steps,
                     "set-up (s)": r["setup"], "steps (s)": r["steps"],
                     "household-updates/s": n * steps / r["steps"],
                     "peak memory (MB)": r["rss"]})
    return rows


def _interleaved(runs: dict, repeat: int) -> dict[str, float]:
    """Median seconds of each ``runs[label](seed)`` over seeds ``0..repeat-1``, the labels taking
    turns seed by seed: a machine that slows down or speeds up in between (these VMs do) slows
    both sides alike."""
    times: dict[str, list[float]] = {label: [] for label in runs}
    for seed in range(repeat):
        for label, run in runs.items():
            t = time.perf_counter()
            run(seed)
            times[label].append(time.perf_counter() - t)
    return {label: statistics.median(ts) for label, ts in times.items()}


def reference(households: int, steps: int, repeat: int) -> tuple[list[dict], list[dict]]:
    """The comparison's row, and where urbsim's time goes in it (median ms of its runs)."""
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs.scenario import load
    from urbsim.reference import ReferenceModel

    params = load("baseline").params().model_copy(update={"households": households})
    UrbanModel(params, seed=0).run(2)
    parts: list[dict[str, float]] = []

    def run(cls, seed):
        t = time.perf_counter()
        model = cls(params, seed=seed + 1)
        built = time.perf_counter() - t
        for _ in range(steps):
            model.step()
        if cls is UrbanModel:
            parts.append({"building the city and the model": built}
                         | {f"steps: {k}": v for k, v in model.timings.items()})

    out = _interleaved({"urbsim": partial(run, UrbanModel),
                        "reference": partial(run, ReferenceModel)}, repeat)
    return [{"households": households, "steps": steps, "runs": repeat,
             "urbsim (s)": out["urbsim"], "reference (s)": out["reference"],
             "reference / urbsim": out["reference"] / out["urbsim"]}], _where(parts)


def _where(parts: list[dict[str, float]]) -> list[dict]:
    """Median milliseconds of each part over runs, largest first."""
    where = [{"part": k, "ms": statistics.median(p[k] for p in parts) * 1e3} for k in parts[0]]
    return sorted(where, key=lambda r: -r["ms"])


def profile(households: int, steps: int) -> list[dict]:
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs.scenario import load

    params = load("baseline").params().model_copy(update={"households": households})
    UrbanModel(params, seed=0).run(2)
    model = UrbanModel(params, seed=1, expected_steps=steps)
    for _ in range(steps):
        model.step()
    total = sum(model.timings.values())
    rows = [{"phase": k, "seconds": v, "share (%)": 100 * v / total}
            for k, v in sorted(model.timings.items(), key=lambda kv: -kv[1])]
    work = model.search_work
    return rows, [{"candidates drawn": work["candidates"], "search kernel (s)": work["seconds"],
                   "ns per candidate": work["seconds"] / max(work["candidates"], 1) * 1e9}]


def _figures(module: str, *args: str) -> dict:
    """The figures ``python -m module *args --json FILE`` writes (its output kept unless it
    fails: then it is raised)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="urbsim-bench-") as tmp:
        out = Path(tmp) / "figures.json"
        r = subprocess.run([sys.executable, "-m", module, *args, "--json", str(out)],
                           capture_output=True, text=True, cwd=HERE.parent)
        if r.returncode != 0:
            raise RuntimeError(f"python -m {module} {' '.join(args)} failed:\n"
                               f"{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
        return json.loads(out.read_text())


def sweep(quick: bool) -> list[dict]:
    """The sweep benchmark's row: 480 runs of 30,000 households × 20 steps (quick: 4 × 1,500 ×
    2) on 2 workers."""
    size = ("--runs", "4", "--households", "1500", "--steps", "2") if quick else ()
    return [_figures("benchmarks.experiment", *size)]


def workshop(quick: bool) -> list[dict]:
    """The workshop benchmark's rows: start and Run (median of 2 cold tries at 30,000 × 4 ×
    20), ten Runs at once (quick: one try, 2,000 × 1 × 2; two Runs of 600 × 1 × 2)."""
    import shutil

    if shutil.which("chromium") is None:
        if os.environ.get("CI") == "true":
            raise RuntimeError("chromium not found: apt-get install chromium (scripts/setup.sh)")
        return [{"measure": "skipped: chromium not found (apt-get install chromium)",
                 "seconds": float("nan")}]
    tiny = ("--households", "2000", "--seeds", "1", "--steps", "2")
    cold = _figures("benchmarks.workshop", *(("--repeat", "1", "--no-warm-up", *tiny) if quick
                                             else ("--repeat", "2")))
    n = 2 if quick else 10
    burst = _figures("benchmarks.workshop", "--burst", str(n), "--repeat", "1",
                     *(("--households", "600", "--seeds", "1", "--steps", "2") if quick else ()))
    size = "2,000 × 1 × 2" if quick else "30,000 × 4 × 20"
    return [{"measure": "`urbsim workshop` to the baseline shown", "seconds": cold["start (s)"]},
            {"measure": f"Run to a {size} result shown", "seconds": cold["run (s)"]},
            *({"measure": f"{n} Runs pressed at once: {k.removesuffix(' (s)')}", "seconds": v}
              for k, v in burst.items())]


def machine() -> str:
    import mesa
    import numba
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        name = next(line.split(":", 1)[1].strip() for line in
                     Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line)
        cpu = f"{name} ({cpu})"
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, numba {numba.__version__} "
            f"({numba.get_num_threads()} threads), numpy {numpy.__version__}, "
            f"Mesa {mesa.__version__}")


def table(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r[k]) for k in keys) + " |")
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}" if abs(v) < 10 else f"{v:,.1f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def main() -> None:
    names = ("schelling", "scaling", "reference", "profile", "startup", "sweep", "workshop")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--only", nargs="+", choices=names, default=list(names))
    ap.add_argument("--repeat", type=int, default=15, help="seeded runs per Schelling case")
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    a = ap.parse_args()
    q = a.quick
    from benchmarks.startup import startup
    from urbsim.common.memory import reuse_freed_memory

    reuse_freed_memory()  # as urbsim's run processes do: for every contender of this process

    parts = [f"# urbsim benchmarks\n\nMachine: {machine()}.\n"
             f"Command: `python -m benchmarks{' --quick' if q else ''}`"
             f"{' --only ' + ' '.join(a.only) if a.only != list(names) else ''}.\n"]
    sections = {
        "schelling": ("Schelling (ABMFrameworksComparison declaration), 20 steps, model "
                      f"building included, median of {a.repeat if not q else 2} seeded runs",
                      lambda: schelling(2 if q else a.repeat, 20, q)),
        "scaling": ("Full model: 50 steps on 1,000 neighbourhoods (a fresh process each)",
                    lambda: scaling(3 if q else 50, q)),
        "reference": ("urbsim against urbsim.reference (Mesa agents), building plus steps, "
                      "median of seeded runs",
                      lambda: reference(500 if q else 5000, 3 if q else 20, 1 if q else 5)),
        "profile": ("Where the full model's time goes (100,000 households, 50 steps)",
                    lambda: profile(2000 if q else 100_000, 3 if q else 50)),
        "startup": ("Start-up: a cold `urbsim run` to its first step against `import numpy, "
                    "numba` (fresh processes taking turns, median)",
                    lambda: startup(1 if q else 5, 2000 if q else 20_000)),
        "sweep": ("Sweep: the whole call on 2 workers (cluster start included) against the "
                  "ideal, its bare runs' time / workers", lambda: sweep(q)),
        "workshop": ("Workshop, cold on this machine (a fresh server each try, headless "
                     "chromium)", lambda: workshop(q)),
    }
    for name in a.only:
        title, run = sections[name]
        print(f"\n## {title}", flush=True)
        rows = run()
        rows, where = rows if isinstance(rows, tuple) else (rows, None)
        text = table(rows)
        print(text, flush=True)
        parts.append(f"## {title}\n\n{text}\n")
        if where and name == "profile":
            text = ("Search and choice (movers and newcomers; every searcher draws "
                    "`choice.candidates` candidates, which the kernel screens, prices and "
                    "values):\n\n" + table(where))
            print(text, flush=True)
            parts.append(text + "\n")
        elif where:
            text = (f"Where urbsim's time goes{' on the last case' if name == 'schelling' else ''}"
                    " (median ms of its runs; turnover includes the newcomers' search):\n\n"
                    + table(where))
            print(text, flush=True)
            parts.append(text + "\n")
        if name == "scaling" and len(rows) >= 2:
            big, small = rows[-1], rows[-2]
            note = (f"time({big['households']:,}) / time({small['households']:,}) = "
                    f"{big['steps (s)'] / small['steps (s)']:.1f} for "
                    f"{big['households'] / small['households']:.0f}× the households (goal: at "
                    "most 11 for 1M against 100k); the largest run: "
                    f"{big['set-up (s)'] + big['steps (s)']:.1f} s with its set-up (goal: at "
                    f"most 20 s), peak {big['peak memory (MB)']:,.0f} MB (goal: at most 1.5 GB).")
            print(note)
            parts.append(note + "\n")
        if name == "schelling" and not q:
            large = next(r for r in rows if r["case"] == "large")
            note = (f"Inferred across machines, not measured here: {PUBLISHED}; urbsim is "
                    f"{large['Mesa / urbsim']:.0f}× faster than Mesa 3.5 here, which would put "
                    f"it at about {large['Mesa / urbsim'] / 26.7:.1f}× Agents.jl if Mesa 3.5 "
                    "ran as fast as Mesa 3.2 did there.")
            print(note)
            parts.append(note + "\n")
    a.out.write_text("\n".join(parts))
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
