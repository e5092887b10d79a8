"""One ABC simulation of the shipped calibration, and where its time goes.

Run: ``.venv/bin/python -m benchmarks.calibration [--repeat 5] [--households 30000]``.

A simulation is what each ABC particle costs (:func:`urbsim.calibration.abc.urbsim_problem`
with one numba thread, as each of ABC's worker processes runs it): the calibration's three
runs (baseline 20 years, the panel and continuous-format scenarios 4 each) at the middle of
the prior's bounds, on ``abc.households`` households and one seed, then the statistics of
every target. The first simulation loads the kernels and is not counted. Prints the median
seconds of a simulation, of its runs and of its statistics (the runs' datasets are kept and
the statistics computed again from them, so that the two parts add up).
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv: list[str] | None = None) -> int:
    """Time the simulations and print the medians."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="calibration/config.toml")
    ap.add_argument("--households", type=int, default=None,
                    help="households (default: the config's abc.households)")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)

    import numba

    from urbsim.calibration import abc, config
    from urbsim.calibration.targets import Runs
    from urbsim.engine.runner import run_one
    from urbsim.inputs.params import update

    numba.set_num_threads(1)
    cal = config.load(a.config)
    households = a.households or cal.config.abc.households
    problem = abc.urbsim_problem(cal, households, (0,), threads=1)
    values = abc.natural(problem.bounds, {k: 0.5 * sum(abc._space(b))
                                          for k, b in problem.bounds.items()})
    problem.simulate(values)  # load the kernels
    whole, runs, stats = [], [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        problem.simulate(values)
        t1 = time.perf_counter()
        sets = {name: [run_one(update(config.scenario(cal, name),
                                      values | {"households": households}), 0, run.steps)]
                for name, run in cal.config.runs.items()}
        t2 = time.perf_counter()
        by_name = {name: Runs(ds) for name, ds in sets.items()}
        for t in cal.targets.targets.values():
            t.compute(by_name[t.scenario])
        t3 = time.perf_counter()
        whole.append(t1 - t0)
        runs.append(t2 - t1)
        stats.append(t3 - t2)
    print(f"one ABC simulation ({households:,} households, one seed, one numba thread), "
          f"median of {a.repeat}: {statistics.median(whole):.3f} s; its runs "
          f"{statistics.median(runs):.3f} s, the statistics of {len(cal.targets.targets)} "
          f"targets {statistics.median(stats) * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
