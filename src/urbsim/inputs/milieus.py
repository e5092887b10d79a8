"""Milieu sets: shares, positions on the Sinus map, behavioural parameters and affinities.

A milieu set is a TOML data file (see ``urbsim/inputs/data/milieus/vhw11.toml`` for the documented
format). Shipped sets: ``vhw11`` (11 vhw milieus, the default) and ``vhw13`` (13 segments with
the sub-segments of Bürgerliche Mitte and Traditionelle). Any other path to a file of the same
form defines a user set.

Affinity between milieus is graded, not same/other: it decays with the Euclidean distance of
the two milieus on the Sinus map (values x status), ``A = exp(-distance / scale)``, so that
``A[m, m] == 1``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from urbsim.common.errors import InputError
from urbsim.common.files import parse_toml, read_toml

SEGMENTS = ("social", "private", "owner_flat", "single_family")
"""Housing segments: social rental, private rental, owner-occupied flat, single-family house."""

SHARE_TOLERANCE = 0.02
"""Shares must sum to 1 within this tolerance (the 2011 source rounds to 99 %); they are then
normalised to sum to exactly 1."""

_PER_MILIEU = {  # key -> (lower bound, upper bound) for scalar behavioural parameters
    "share": (0.0, 1.0),
    "values": (0.0, 3.0),
    "status": (0.0, 3.0),
    "turnout": (0.001, 0.999),
    "homophily": (-10.0, 10.0),
    "tolerance": (0.0, 1.0),
    "diversity_pref": (-10.0, 10.0),
    "status_pref": (-10.0, 10.0),
    "amenity_pref": (-10.0, 10.0),
    "rent_sensitivity": (0.0, 50.0),
    "mobility": (0.0, 1.0),
}


@dataclass(frozen=True, eq=False)
class MilieuSet:
    """A set of milieus as parallel arrays (index = milieu id).

    The behavioural parameters hold one value per milieu (units in the data file).
    """

    name: str
    """Name of the set, e.g. ``"vhw11"``."""
    codes: tuple[str, ...]
    """Short codes, e.g. ``("KET", "LIB", ...)``."""
    names: tuple[str, ...]
    """Full names."""
    groups: tuple[str, ...]
    """Milieu group (leading, mainstream, ...)."""
    share: np.ndarray
    """Population shares, sum 1."""
    position: np.ndarray
    """``(M, 2)`` Sinus-map position (values 0..3, status 0..3)."""
    turnout: np.ndarray
    """Turnout in a general election (base participation propensity, 0..1)."""
    homophily: np.ndarray
    """Behavioural: weight of affinity to neighbours in satisfaction."""
    tolerance: np.ndarray
    """Behavioural: affinity share below which the composition term turns negative (0..1)."""
    diversity_pref: np.ndarray
    """Behavioural: weight of neighbourhood diversity."""
    status_pref: np.ndarray
    """Behavioural: weight of neighbourhood status against own status."""
    amenity_pref: np.ndarray
    """Behavioural: weight of amenity."""
    rent_sensitivity: np.ndarray
    """Behavioural: weight of rent burden above the acceptable burden."""
    mobility: np.ndarray
    """Behavioural: base yearly probability to move for life-course reasons."""
    segment_pref: np.ndarray
    """``(M, 4)`` utility bonus per housing segment (see :data:`SEGMENTS`)."""
    channels: tuple[str, ...]
    """Names of the outreach channels."""
    channel_fit: np.ndarray
    """``(M, C)`` share of the milieu one unit of each channel's intensity reaches (0..1)."""

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def status01(self) -> np.ndarray:
        """Social status on 0..1 (Sinus status axis / 3)."""
        return self.position[:, 1] / 3.0

    def index(self, code: str) -> int:
        """Index of a milieu code; raises :class:`InputError` naming the known codes."""
        try:
            return self.codes.index(code)
        except ValueError:
            raise InputError(
                f"unknown milieu {code!r}; known: {', '.join(self.codes)}", self.name
            ) from None

    def affinity(self, scale: float = 1.0) -> np.ndarray:
        """``(M, M)`` affinity ``exp(-distance / scale)`` from Sinus-map distances."""
        from urbsim._kernels import libm  # not numba's import time where no run is built

        d = np.linalg.norm(self.position[:, None, :] - self.position[None, :, :], axis=-1)
        return libm.exp(-d / scale)

    def with_params(self, **arrays: np.ndarray) -> MilieuSet:
        """A copy with some parameter arrays replaced (used by scenarios and calibration)."""
        from dataclasses import replace

        # fields by name: which ones only the call tells, so not typed per field
        changes: dict[str, Any] = {k: np.asarray(v, dtype=float) for k, v in arrays.items()}
        return replace(self, **changes)


def available() -> list[str]:
    """Names of the milieu sets shipped with urbsim."""
    root = resources.files("urbsim.inputs") / "data" / "milieus"
    return sorted(p.name.removesuffix(".toml") for p in root.iterdir() if p.name.endswith(".toml"))


def load(name_or_path: str | Path = "vhw11") -> MilieuSet:
    """Load a shipped milieu set by name (``"vhw11"``, ``"vhw13"``) or a user TOML file."""
    if str(name_or_path) in available():
        return _shipped(str(name_or_path))
    path = Path(name_or_path)
    if not path.exists():
        raise InputError(f"no such milieu set (shipped: {', '.join(available())})",
                         str(name_or_path))
    return from_dict(read_toml(path, "milieu set TOML file"), str(path))


@functools.cache
def _shipped(name: str) -> MilieuSet:
    """A shipped set, parsed once per process (package data does not change, and nothing
    changes a MilieuSet in place)."""
    ref = resources.files("urbsim.inputs") / "data" / "milieus" / f"{name}.toml"
    return from_dict(parse_toml(ref.read_text(encoding="utf-8"), name), name)


def from_dict(data: dict, source: str = "<milieus>") -> MilieuSet:
    """Build and validate a :class:`MilieuSet` from parsed TOML."""
    rows = data.get("milieu")
    if not isinstance(rows, list) or not rows:
        raise InputError("expected a non-empty list of [[milieu]] tables", source, "milieu")
    channels = data.get("channels", [])
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise InputError("expected a list of channel names", source, "channels")

    def vec(i: int, row: dict, key: str, n: int) -> list[float]:
        v = row.get(key)
        if not isinstance(v, list) or len(v) != n or not all(_is_num(x) for x in v):
            raise InputError(f"expected a list of {n} numbers", source, f"milieu[{i}].{key}")
        return [float(x) for x in v]

    cols: dict[str, list] = {k: [] for k in (*_PER_MILIEU, "segment_pref", "channel_fit")}
    codes, names, groups = [], [], []
    for i, row in enumerate(rows):
        for key in ("code", "name"):
            if not isinstance(row.get(key), str) or not row[key]:
                raise InputError("expected a non-empty string", source, f"milieu[{i}].{key}")
        known = {*_PER_MILIEU, "code", "name", "group", "segment_pref", "channels"}
        for key in row:
            if key not in known:
                raise InputError(f"unknown key (known: {', '.join(sorted(known))})", source,
                                 f"milieu[{i}].{key}")
        codes.append(row["code"])
        names.append(row["name"])
        groups.append(str(row.get("group", "")))
        for key, (lo, hi) in _PER_MILIEU.items():
            v = row.get(key)
            if not _is_num(v) or not lo <= v <= hi:
                raise InputError(f"expected a number in [{lo}, {hi}], got {v!r}", source,
                                 f"milieu[{i}].{key}")
            cols[key].append(float(v))
        cols["segment_pref"].append(vec(i, row, "segment_pref", len(SEGMENTS)))
        fit = vec(i, row, "channels", len(channels))
        if not all(0.0 <= x <= 1.0 for x in fit):
            raise InputError(f"expected shares in [0, 1] (the part of the milieu each channel "
                             f"reaches), got {fit}", source, f"milieu[{i}].channels")
        cols["channel_fit"].append(fit)
    if len(set(codes)) != len(codes):
        dup = sorted({c for c in codes if codes.count(c) > 1})
        raise InputError(f"duplicate milieu codes {dup}", source, "milieu.code")
    share = np.array(cols.pop("share"))
    if abs(share.sum() - 1.0) > SHARE_TOLERANCE:
        raise InputError(
            f"shares sum to {share.sum():.3f}, expected 1 within {SHARE_TOLERANCE}", source,
            "milieu.share",
        )
    arr = {k: np.array(v, dtype=float) for k, v in cols.items()}
    position = np.column_stack([arr.pop("values"), arr.pop("status")])
    return MilieuSet(
        name=str(data.get("name", source)), codes=tuple(codes), names=tuple(names),
        groups=tuple(groups), share=share / share.sum(), position=position,
        channels=tuple(channels), **arr,
    )


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v)
