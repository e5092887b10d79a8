"""The full model against an earlier commit, interleaved: ``.venv/bin/python -m benchmarks.against REV``.

Checks ``REV`` out into a temporary git worktree and times the ``scaling`` case of the suite
(the calibrated baseline on 1,000 neighbourhoods, 50 steps, each run in a fresh process) with
that commit's code and with the working tree's, taking turns run by run (``REV``, now, ``REV``,
now, ...) so that a machine whose speed drifts slows both alike. Prints the seconds of the
steps of every run, the medians and their ratio (now / ``REV``). Both use this interpreter and
its packages; each side runs its own shipped baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.__main__ import SCALING

ROOT = Path(__file__).resolve().parents[1]


def _time(src: Path, households: int, nodes: int, steps: int) -> dict:
    env = os.environ | {"PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", SCALING, str(households), str(nodes), str(steps)],
                         capture_output=True, text=True, check=True, env=env, cwd=src.parent)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    """Time both sides and print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rev", help="the earlier commit (anything git rev-parse takes)")
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3, help="runs of each side")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree),
                        a.rev], check=True)
        try:
            sides = {a.rev: tree / "src", "now": ROOT / "src"}
            times: dict[str, list[float]] = {k: [] for k in sides}
            memory: dict[str, list[float]] = {k: [] for k in sides}
            for r in range(a.rounds):
                for label, src in sides.items():
                    out = _time(src, a.households, a.nodes, a.steps)
                    times[label].append(out["steps"])
                    memory[label].append(out["rss"])
                    print(f"round {r + 1}: {label}: {out['steps']:.2f} s, set-up "
                          f"{out['setup']:.2f} s, peak {out['rss']:.0f} MB", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=False)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{a.households:,} households x {a.nodes} neighbourhoods x {a.steps} steps, "
          f"median of {a.rounds}: {a.rev} {med[a.rev]:.2f} s, now {med['now']:.2f} s, "
          f"now / {a.rev} = {med['now'] / med[a.rev]:.2f}; peak memory "
          f"{max(memory[a.rev]):.0f} MB and {max(memory['now']):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
