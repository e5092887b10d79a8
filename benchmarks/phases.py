"""Where the time goes, per phase, for variants of the calibrated baseline:
``.venv/bin/python -m benchmarks.phases --variant "rules off" choice.tie_share=0 ...``.

Times the ``scaling`` case of the suite (1,000,000 households on 1,000 neighbourhoods, 50
steps, each run in a fresh process) for the shipped baseline and for each ``--variant NAME
KEY=VALUE ...`` on top of it, taking turns run by run (baseline, variants, baseline, ...) so
that a machine whose speed drifts slows all alike. Prints the seconds of the steps of every
run, then per variant the medians of the whole and of each phase (``UrbanModel.timings``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUN = """
import json, sys, time
from urbsim.engine.model import UrbanModel
from urbsim.inputs.params import CityParams, update
from urbsim.inputs.scenario import load
households, nodes, steps = map(int, sys.argv[1:4])
params = update(load("baseline"), json.loads(sys.argv[4])).model_copy(
    update={"households": households, "city": CityParams(neighbourhoods=nodes)})
UrbanModel(params.model_copy(update={"households": 2000, "city": CityParams(neighbourhoods=20)}),
           seed=0).run(2)  # load the kernels
m = UrbanModel(params, seed=1, expected_steps=steps)
t0 = time.perf_counter()
for _ in range(steps):
    m.step()
print(json.dumps({"steps": time.perf_counter() - t0, **m.timings}))
"""


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv: list[str] | None = None) -> int:
    """Run the variants taking turns and print the medians."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", nargs="+", action="append", default=[],
                    metavar=("NAME", "KEY=VALUE"), help="a variant: its name, then parameters")
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=2, help="runs of each variant")
    a = ap.parse_args(argv)
    variants: dict[str, dict] = {"baseline": {}}
    for name, *pairs in a.variant:
        values = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                ap.error(f"--variant {name}: {pair!r}: expected KEY=VALUE")
            values[key] = _value(value)
        variants[name] = values
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    runs: dict[str, list[dict]] = {name: [] for name in variants}
    for r in range(a.rounds):
        for name, values in variants.items():
            out = subprocess.run([sys.executable, "-c", RUN, str(a.households), str(a.nodes),
                                  str(a.steps), json.dumps(values)], capture_output=True,
                                 text=True, env=env, cwd=ROOT)
            if out.returncode != 0:
                sys.stderr.write(out.stderr)
                return 1
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1}: {name}: {runs[name][-1]['steps']:.2f} s", flush=True)
    print(f"{a.households:,} households x {a.nodes} neighbourhoods x {a.steps} steps, "
          f"median of {a.rounds}, seconds:")
    phases = list(runs["baseline"][0])
    print("| variant | " + " | ".join(phases) + " |")
    print("|---" * (len(phases) + 1) + "|")
    for name, rows in runs.items():
        print(f"| {name} | " + " | ".join(f"{statistics.median(x[p] for x in rows):.2f}"
                                         for p in phases) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
