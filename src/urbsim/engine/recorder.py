"""What is recorded each step, and the conversion to an ``xarray.Dataset`` with provenance.

Step 0 is the initial state; step t the state after the t-th model step. A recording level
(:data:`urbsim.common.recording.Level`) says which steps are kept: every k-th (step 0, k, 2k,
... and the last) or the final step only; a kept step holds exactly what recording every step
would hold for it (the state after it and the flows of that step, not of the steps in
between), and the indicators are computed for kept steps only. A variable is held as its one
value until a step changes it (a closed grid never changes its rents or dwellings: nothing
is written for them); from then on it has rows, preallocated and doubled when a run goes on
past the expected length. Whether a step changed a held variable is a bitwise comparison,
unless the model names it unchanged (the housing stock and prices between two market phases,
and the amenities between two events that change them, are then not read).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import subprocess
from collections.abc import Collection
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

# name -> (dims after "step", dtype, description)
VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "households": (("neighbourhood", "milieu"), "i4", "households per neighbourhood and milieu"),
    "owners": (("neighbourhood", "milieu"), "i4", "households living in a home they own"),
    "dwellings": (("neighbourhood", "segment"), "i4", "dwellings per neighbourhood and segment"),
    "owned": (("neighbourhood", "segment"), "i4", "owner-occupied dwellings (of `dwellings`)"),
    "vacant": (("neighbourhood", "segment"), "i4", "vacant dwellings"),
    "rent": (("neighbourhood", "segment"), "f8",
             "asking rent of a let dwelling per month (EUR; social: the social rent)"),
    "owner_cost": (("neighbourhood", "segment"), "f8",
                   "monthly user cost of buying an owner-occupied dwelling (EUR)"),
    "tenants": (("neighbourhood", "segment"), "i4", "tenant households (the others own)"),
    "contract_rent": (("neighbourhood", "segment"), "f8",
                      "mean contract rent of the tenant households (EUR/month; NaN: none)"),
    "reference_rent": (("neighbourhood", "segment"), "f8",
                       "local reference rent, ortsübliche Vergleichsmiete (EUR/month; NaN: "
                       "social)"),
    "sgb": (("neighbourhood", "milieu"), "i4",
            "households on SGB II (housing costs paid up to the KdU ceiling)"),
    "amenity": (("neighbourhood",), "f8", "amenity score (0..1)"),
    "satisfaction": (("milieu",), "f8", "mean residential satisfaction (utility units)"),
    "moves": (("milieu",), "i4", "moves within the city"),
    "displaced": (("milieu",), "i4", "tenants' moves forced by rent (within or out of the city)"),
    "tenancies": (("milieu",), "i4", "new tenancies: moves into let dwellings, from within the "
                                     "city or from outside (Techem's count of tenant changes)"),
    "in_migrants": (("milieu",), "i4", "households moving into the city"),
    "out_migrants": (("milieu",), "i4", "households leaving the city (incl. dissolved)"),
    "participants": (("format", "neighbourhood", "milieu"), "i4",
                     "participations in dialogue events, by format"),
    "reached": (("format", "neighbourhood", "milieu"), "i4",
                "households reached (in scope, or invited to a panel), by format"),
    "invited": (("milieu",), "i4", "households invited to a random-selection panel"),
    "accepted": (("milieu",), "i4", "panel invitations accepted"),
    "turnout": (("format",), "f8",
                "participants / reached over the step's events of each format (NaN: none)"),
    "representation_gap": (("format",), "f8",
                           "per format: 1/2 sum over milieus |participant share - reached "
                           "share| (NaN: no participant)"),
    "dissimilarity": (("milieu",), "f8", "dissimilarity D of each milieu against the rest"),
    "multigroup_dissimilarity": ((), "f8", "multigroup dissimilarity (Sakoda)"),
    "theil_h": ((), "f8", "Theil's information theory index H"),
    "isolation": (("milieu",), "f8", "isolation index of each milieu"),
    "district_dissimilarity": (("district", "milieu"), "f8", "D within each district"),
    "district_multigroup_dissimilarity": (("district",), "f8", "multigroup D within districts"),
    "district_theil_h": (("district",), "f8", "Theil's H within each district"),
    "district_isolation": (("district", "milieu"), "f8", "isolation within each district"),
}


ZERO_UNLESS_GIVEN = frozenset({"participants", "reached"})
"""Tallies of dialogue events: a step without events leaves them zero."""


class Recorder:
    """The recorded steps of the variables in :data:`VARIABLES`: a variable's one value while
    every step gives it unchanged (bitwise), preallocated rows from the first step that
    changes it (:data:`ZERO_UNLESS_GIVEN` ones from the first step that gives them: a run
    without dialogue events allocates none)."""

    def __init__(self, sizes: dict[str, int], rows: int = 51) -> None:
        self.sizes = sizes
        self.n = 0
        self.step = np.zeros(rows, np.int64)
        """The step each row holds (the first :attr:`n` rows are recorded)."""
        self.data: dict[str, np.ndarray] = {}
        """Rows of the variables some step changed."""
        self.held: dict[str, np.ndarray] = {}
        """The one value of each variable no step has changed yet."""

    def _rows(self, name: str, rows: int) -> np.ndarray:
        """Rows for ``name``: zeros for the :data:`ZERO_UNLESS_GIVEN` variables, which steps
        may skip; uninitialised for the others, whose rows are written before they are read."""
        dims, dtype, _ = VARIABLES[name]
        make = np.zeros if name in ZERO_UNLESS_GIVEN else np.empty
        return make((rows, *(self.sizes[d] for d in dims)), dtype)

    def record(self, values: dict[str, np.ndarray | float], step: int,
               same: Collection[str] = ()) -> None:
        """Store step ``step``; every variable must be given except the
        :data:`ZERO_UNLESS_GIVEN` ones. The caller may name in ``same`` variables it knows to
        be unchanged since the last recorded step: one still held as one value is then not
        compared."""
        if self.n == len(self.step):
            self.step = np.concatenate([self.step, np.zeros_like(self.step)])
            self.data = {k: np.concatenate([a, self._rows(k, len(a))]) for k, a in self.data.items()}
        missing = VARIABLES.keys() - ZERO_UNLESS_GIVEN - values.keys()
        if missing:
            raise KeyError(f"not recorded: {sorted(missing)}")
        for k, v in values.items():
            rows = self.data.get(k)
            if rows is None:
                held = self.held.get(k)
                if k not in ZERO_UNLESS_GIVEN:
                    if held is None and self.n == 0:
                        self.held[k] = np.array(v, dtype=VARIABLES[k][1])  # a copy
                        continue
                    if held is not None and (k in same or _same(held, v)):
                        continue
                rows = self.data[k] = self._rows(k, len(self.step))
                if held is not None:
                    rows[: self.n] = self.held.pop(k)
            rows[self.n] = v
        self.step[self.n] = step
        self.n += 1

    @property
    def last(self) -> int:
        """The last step recorded (-1: none yet)."""
        return int(self.step[self.n - 1]) if self.n else -1

    def series(self, name: str) -> np.ndarray:
        """The recorded steps of variable ``name`` (step first; a view, read-only for a held
        variable, zeros for a :data:`ZERO_UNLESS_GIVEN` variable no step gave)."""
        if name in self.data:
            return self.data[name][: self.n]
        if name in self.held:
            v = self.held[name]
            return np.broadcast_to(v, (self.n, *v.shape))
        dims, dtype, _ = VARIABLES[name]
        return np.broadcast_to(np.zeros((), dtype), (self.n, *(self.sizes[d] for d in dims)))

    def arrays(self) -> dict[str, np.ndarray]:
        """:meth:`series` of every variable, in the order of :data:`VARIABLES`."""
        return {k: self.series(k) for k in VARIABLES}

    def to_dataset(self, coords: dict, attrs: dict) -> xr.Dataset:
        """The recorded steps as a Dataset with the given coordinates and attributes."""
        import xarray as xr  # a run's steps do not need it (nor its import time)

        data_vars = {
            k: (("step", *VARIABLES[k][0]), a.copy(), {"description": VARIABLES[k][2]})
            for k, a in self.arrays().items()
        }
        return xr.Dataset(data_vars, coords={"step": self.step[: self.n].copy(), **coords},
                          attrs=attrs)


def _same(held: np.ndarray, value: np.ndarray | float) -> bool:
    """Whether ``value`` is bitwise ``held`` as stored (NaN equal to NaN, -0.0 not 0.0)."""
    value = np.asarray(value, held.dtype)
    if value.shape != held.shape:
        return False
    if held.size <= SMALL:  # most held variables: their bytes compare in a fifth of the time
        return held.tobytes() == value.tobytes()
    if held.dtype.kind != "f":
        return bool(np.array_equal(held, value))  # counts: numerically equal is bitwise
    bits = np.dtype(f"i{held.dtype.itemsize}")
    return bool(np.array_equal(held.view(bits), value.view(bits)))


SMALL = 1024
"""Elements up to which :func:`_same` compares bytes (a copy each, which costs more than
numpy's comparison for large arrays)."""


def provenance(seed: int, params_json: str, extra: dict | None = None) -> dict[str, str | int]:
    """Attributes that say how a dataset was made."""
    return {
        "urbsim_version": _version("urbsim"),
        "git_commit": git_commit(),
        "seed": int(seed),
        "params_hash": hashlib.sha256(params_json.encode()).hexdigest()[:16],
        "params": params_json,
        "numba_version": _version("numba"),
        "numpy_version": _version("numpy"),
        "mesa_version": _version("mesa"),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        **(extra or {}),
    }


def canonical_json(obj: object) -> str:
    """Stable JSON (sorted keys) for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


@functools.cache
def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def git_commit() -> str:
    """The source tree's git commit (``+dirty`` when modified), or ``"unknown"``; read once per
    process (the code a process runs is the code it loaded)."""
    root = Path(__file__).resolve().parents[3]
    if not (root / ".git").exists():
        return "unknown"
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "-uno"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")
