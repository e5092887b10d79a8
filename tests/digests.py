"""Fingerprints of the shipped scenarios' datasets, to keep results bitwise identical across
changes that should not alter them (refactoring, speed work).

A digest is SHA-256 over every data variable and coordinate of a dataset — name, dimensions,
dtype, shape and bytes — and not over its attributes (commit, creation time, parameter hash).
``tests/test_digests.py`` recomputes them; when a change alters results on purpose, renew them
in the same commit and say why::

    .venv/bin/python tests/digests.py --renew
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import xarray as xr

FILE = Path(__file__).with_name("data") / "digests.json"
SCENARIOS = ("baseline", "continuous_local", "inner_development", "lower_cap", "many_formats",
             "outreach", "random_panels", "rent_brake", "rent_freeze", "social_quota",
             "unlock_underused")
"""Every shipped scenario (a test checks that none is missing)."""
SIZE = {"households": 4000, "seeds": [0, 1], "steps": 10}
"""Small enough for CI (about 15 s for all), long enough for every shipped policy and event
to act."""
LONG = {"scenario": "baseline", "households": 2000, "seeds": [0], "steps": 50}
"""And one long run: a city in demand, whose newcomers' attempts outgrow the household slots
(they double over the 50 steps), which ten steps never reach."""
SCHELLING = {"width": 100, "height": 100, "agents": 8000, "threshold": 8, "radius": 2,
             "seed": 0, "steps": 20}
"""And the large Schelling case of the benchmarks (one candidate per mover, a closed grid)."""


def digest(ds: xr.Dataset) -> str:
    """SHA-256 of the data variables and coordinates of ``ds`` (not its attributes)."""
    h = hashlib.sha256()
    for name in sorted(map(str, ds.variables)):
        v = ds.variables[name]
        a = np.asarray(v.values)
        h.update(f"{name}|{v.dims}|{a.dtype.str}|{a.shape}\n".encode())
        if a.dtype.kind in "OUS":
            h.update("\x00".join(map(str, a.ravel())).encode())
        else:
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def compute() -> dict[str, str]:
    """The digest of each scenario of :data:`SCENARIOS` at :data:`SIZE`, of :data:`LONG` and
    of :data:`SCHELLING`."""
    import urbsim

    out = {}
    for name, size in [(name, SIZE) for name in SCENARIOS] + [(LONG["scenario"], LONG)]:
        scn = urbsim.load_scenario(name).model_copy(update={"households": size["households"]})
        key = name if size is SIZE else f"{name}, {size['steps']} steps"
        out[key] = digest(urbsim.run_seeds(scn, size["seeds"], size["steps"]))
    out["schelling"] = _schelling()
    return out


def _schelling() -> str:
    """The digest of the run :data:`SCHELLING` describes."""
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs import schelling

    s = SCHELLING
    city, milieus, params = schelling.setup(s["width"], s["height"], agents=s["agents"],
                                            threshold=s["threshold"], radius=s["radius"],
                                            mode="count")
    model = UrbanModel(params, city=city, milieus=milieus, seed=s["seed"])
    return digest(model.run(s["steps"]))


if __name__ == "__main__":
    if sys.argv[1:] != ["--renew"]:
        sys.exit(f"usage: {sys.argv[0]} --renew   (rewrites {FILE})")
    FILE.parent.mkdir(exist_ok=True)
    from urbsim.engine.recorder import git_commit

    FILE.write_text(json.dumps({"size": SIZE, "long": LONG, "schelling": SCHELLING,
                                "taken_at": git_commit(),
                                "digests": compute()},
                               indent=1) + "\n")
    print(f"wrote {FILE}")
