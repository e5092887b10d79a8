"""Experiment benchmark: a sweep on a 2-worker LocalCluster against the bare runs it contains.

Run: ``.venv/bin/python -m benchmarks.experiment`` (200 runs of 5,000 households × 30 steps).

1. Bare: every run of the sweep, one after the other in this process with one numba thread
   (as each worker has), timed around :func:`urbsim.engine.runner.run_one` alone (build, steps,
   dataset) after a warm-up run. Their sum / workers is the ideal sweep time.
2. Sweep: ``urbsim.experiment.sweep.run`` into a new store, timed from the call (cluster
   start-up, template, every run's indicators computed and written, shut-down) to its return.
3. The same sweep on a running cluster whose workers have already loaded the model (as with
   ``--scheduler``, or any sweep long enough that start-up does not count).

Goal (issue 5): the sweep within 15 % of the ideal. Also reports the client's peak memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

EXPERIMENT = """
name = "bench"
scenarios = ["baseline"]
seeds = {runs}
root_seed = 1
steps = {steps}
households = {households}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()

    import numba

    from urbsim.engine.runner import run_one
    from urbsim.experiment import plan, sweep, worker

    tmp = Path(tempfile.mkdtemp(prefix="urbsim-bench-"))
    try:
        file = tmp / "bench.toml"
        file.write_text(EXPERIMENT.format(runs=a.runs, steps=a.steps, households=a.households))
        p = plan.load(file)
        numba.set_num_threads(max(1, (os.cpu_count() or 1) // a.workers))
        params = p.params(0, 0)
        run_one(params, 0, 2)  # warm-up: load every kernel
        bare = []
        for seed in p.seeds:
            t = time.perf_counter()
            run_one(params, int(seed), p.steps)
            bare.append(time.perf_counter() - t)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = {}
        cpu = time.process_time()
        t = time.perf_counter()
        out = sweep.run(p, tmp / "bench.zarr", workers=a.workers,
                        on_start=lambda s: started.setdefault("t", time.perf_counter()))
        wall = time.perf_counter() - t
        cpu = time.process_time() - cpu
        after_start = time.perf_counter() - started["t"]
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert out.done == a.runs and out.failed == 0
        threads = max(1, (os.cpu_count() or 1) // a.workers)
        with sweep.connect(a.workers, None, threads) as client:  # warm: kernels loaded
            client.run(worker.warm_up)  # already done by the preload; a no-op check
            t = time.perf_counter()
            warm = sweep.run(p, tmp / "warm.zarr", scheduler=client.scheduler.address,
                             threads=threads)
            warm_wall = time.perf_counter() - t
        assert warm.done == a.runs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ideal = sum(bare) / a.workers
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numba {numba.__version__}, {numba.get_num_threads()} numba thread(s) per run")
    print(f"{a.runs} runs of {a.households:,} households × {a.steps} steps, {a.workers} workers")
    print("| measure | seconds |\n|---|---:|")
    print(f"| sum of bare single runs | {sum(bare):.2f} |")
    print(f"| ideal: sum / {a.workers} workers | {ideal:.2f} |")
    print(f"| sweep, whole call (cluster start, store, runs, shut-down) | {wall:.2f} |")
    print(f"| sweep, from cluster ready to the last run stored | {after_start:.2f} |")
    print(f"| sweep on a running cluster whose workers have loaded the model | {warm_wall:.2f} |")
    print(f"sweep / ideal: {wall / ideal:.3f} (whole call), {after_start / ideal:.3f} "
          f"(cluster ready), {warm_wall / ideal:.3f} (warm cluster); goal <= 1.15")
    print(f"client (scheduler included): {cpu:.1f} s of CPU during the sweep; peak memory "
          f"{rss_before:.0f} MB before the sweep, {rss_after:.0f} MB after")


if __name__ == "__main__":
    main()
