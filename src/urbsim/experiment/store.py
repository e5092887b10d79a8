"""The experiment store: one zarr store holding every run of an experiment.

Layout (dims ``scenario × sample × seed`` for runs, then ``indicator``/``step`` and the kept
variables' own dims)::

    indicators   (scenario, sample, seed, indicator, step)   headline indicators per step
    <variable>   (scenario, sample, seed, step, ...)          kept recorded variables
    checksum     (scenario, sample, seed)                     CRC32 of a run's data
    status       (scenario, sample, seed)                     0 pending, 1 done, 2 failed
    error        (scenario, sample, seed)                     the error of a failed run
    value, unit  (sample, parameter)                          the design points

The template (metadata, coordinates, design) is written first, to a temporary sibling renamed
into place, its metadata consolidated (final from then on: ``xr.open_zarr(path)`` opens the
store quietly). Each run is one chunk of every run array, so workers write finished runs into
their own regions concurrently; its ``checksum`` (CRC32 of its data) comes next and its
``status`` last. zarr writes each chunk to a temporary file and renames it, so a killed
writer leaves either the old or the new chunk (and its temporary file, which :func:`tidy`
removes when the sweep resumes or ends); a region torn all the same (a file system
without atomic renames, a copy cut short, a lost chunk, which zarr would read as fill values)
fails its checksum when the sweep resumes (:func:`verify`), and that run is redone. No
timestamps are stored, so a resumed store is bitwise identical to one written in one go.
"""

from __future__ import annotations

import functools
import json
import re
import zlib
from pathlib import Path

import numpy as np
import xarray as xr

from urbsim.analysis.results import consolidate
from urbsim.common.errors import InputError
from urbsim.common.files import atomic
from urbsim.engine.recorder import VARIABLES, git_commit
from urbsim.experiment.plan import FORMAT, Plan

PENDING, DONE, FAILED = 0, 1, 2
RUN_DIMS = ("scenario", "sample", "seed")
ERROR_LENGTH = 300
"""Characters of a failed run's error kept in the store."""


def template(plan: Plan) -> xr.Dataset:
    """The store's dataset with lazy (unwritten) run arrays."""
    import dask.array as da

    ns, nd, nr = plan.shape
    steps = len(plan.recorded)
    indicators = plan.spec.output.indicators
    run = {"scenario": list(plan.scenarios), "sample": np.arange(nd), "seed": plan.seeds}
    data = {
        "indicators": (("scenario", "sample", "seed", "indicator", "step"),
                       da.full((ns, nd, nr, len(indicators), steps), np.nan,
                               chunks=(1, 1, 1, len(indicators), steps))),
        "status": (RUN_DIMS, da.zeros((ns, nd, nr), dtype="i1", chunks=1),
                   {"description": "0 pending, 1 done, 2 failed"}),
        "checksum": (RUN_DIMS, da.zeros((ns, nd, nr), dtype="u4", chunks=1),
                     {"description": "CRC32 of a done run's indicators and variables"}),
        "error": (RUN_DIMS, da.full((ns, nd, nr), "", dtype=f"<U{ERROR_LENGTH}", chunks=1),
                  {"description": "error of a failed run"}),
        "value": (("sample", "parameter"), plan.values, {"description": "design points"}),
    }
    if plan.unit is not None:
        data["unit"] = (("sample", "parameter"), plan.unit,
                        {"description": "design points in the unit hypercube"})
    coords = {**run, "step": plan.recorded, "indicator": list(indicators),
              "parameter": list(plan.parameters)}
    for name in plan.spec.output.variable_names:
        dims, dtype, description = VARIABLES[name]
        sizes = [len(plan.coords[d]) for d in dims]
        data[name] = (("scenario", "sample", "seed", "step", *dims),
                      da.zeros((ns, nd, nr, steps, *sizes), dtype=dtype,
                               chunks=(1, 1, 1, steps, *sizes)), {"description": description})
        coords |= {k: v for k, v in plan.coords.items()
                   if k in dims or (isinstance(v, tuple) and v[0] in dims)}
    spec = plan.spec
    attrs = {
        "format": FORMAT, "digest": plan.digest, "name": spec.name,
        "description": spec.description, "baseline": plan.baseline, "steps": plan.steps,
        "record": str(spec.output.record),
        "root_seed": spec.root_seed, "design": spec.design.model_dump_json(),
        "parameters": json.dumps({k: p.model_dump(mode="json", exclude_none=True)
                                  for k, p in spec.parameters.items()}),
        "analysis": spec.analysis.model_dump_json(), "experiment_file": str(plan.path),
        "scenario_params": json.dumps({k: p.model_dump(mode="json")
                                       for k, p in plan.scenarios.items()}, sort_keys=True),
        "git_commit": git_commit(),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def create(path: Path, plan: Plan) -> None:
    """Write the template of a new store at ``path`` (replacing what is there)."""
    ds = template(plan)
    exact = {k: {"_FillValue": None} for k, v in ds.data_vars.items() if v.dtype.kind != "f"}
    with atomic(path) as tmp:
        ds.to_zarr(tmp, compute=False, mode="w-", consolidated=False, zarr_format=3,
                   encoding=exact)  # integers and strings: no missing-value mask
        consolidate(tmp)  # the metadata is final: runs only fill chunks


def attach(path: Path, plan: Plan) -> None:
    """Check that the store at ``path`` was started by this experiment and this code."""
    attrs = _attrs(path)
    if attrs.get("digest") != plan.digest:
        raise InputError("holds another experiment (the experiment file, a scenario it uses or "
                         "the calibrated baseline changed since it was started); pass "
                         "--overwrite to start again, or --out to write elsewhere", path)
    if attrs.get("git_commit") != git_commit():
        raise InputError(f"was started by urbsim at commit {attrs.get('git_commit')}, this is "
                         f"{git_commit()}: resuming would mix two versions of the model; pass "
                         f"--overwrite to start again, or --out to write elsewhere", path)


def _attrs(path: Path) -> dict:
    import zarr

    try:
        attrs = dict(zarr.open_group(path, mode="r").attrs)
    except Exception as e:
        raise InputError(f"not an urbsim experiment store: {type(e).__name__}", path) from None
    fmt = attrs.get("format")
    if isinstance(fmt, str) and fmt.startswith("urbsim-experiment/") and fmt != FORMAT:
        raise InputError(f"made by another version of urbsim (store layout {fmt!r}; this one "
                         f"reads {FORMAT!r}): run the experiment again with --overwrite", path)
    if fmt != FORMAT:
        raise InputError(f"not an urbsim experiment store (format {fmt!r}, expected "
                         f"{FORMAT!r})", path)
    return attrs


def status(path: Path) -> np.ndarray:
    """Status of every run (:data:`PENDING`, :data:`DONE`, :data:`FAILED`)."""
    import zarr

    return np.asarray(zarr.open_array(path / "status", mode="r")[...])


@functools.lru_cache(maxsize=4)
def _arrays(path: str, digest: str) -> dict:
    """The store's arrays, opened once per process and store (metadata only; ``digest`` tells
    a store replaced at the same path apart)."""
    import zarr

    group = zarr.open_group(path, mode="r+")
    return {name: arr for name, arr in group.arrays()}


def checksum(indicators: np.ndarray, variables: dict[str, np.ndarray]) -> int:
    """CRC32 of a run's data as stored (indicators, then the variables by name)."""
    crc = zlib.crc32(np.ascontiguousarray(indicators, np.float64).tobytes())
    for name in sorted(variables):
        crc = zlib.crc32(np.ascontiguousarray(variables[name]).tobytes(), crc)
    return crc


def write_run(path: Path, digest: str, index: tuple[int, int, int], indicators: np.ndarray,
              variables: dict[str, np.ndarray]) -> None:
    """Write one finished run into its region, then its checksum, then mark it done."""
    arrays = _arrays(str(path), digest)
    for name, values in variables.items():
        arrays[name][index] = values
    arrays["indicators"][index] = indicators
    arrays["checksum"][index] = checksum(indicators, variables)
    arrays["status"][index] = DONE


_TEMPORARY = re.compile(r"\.[0-9a-f]{32}\.partial")
"""The suffix of zarr's temporary chunk files (``LocalStore`` writes ``<chunk>.<uuid4
hex>.partial`` and renames it into place)."""


def tidy(path: Path) -> int:
    """Remove the temporary chunk files that writers killed mid-write left in the store at
    ``path`` (none of them holds a run: the run's chunk was either renamed into place or is
    redone). Call it only while no run is being written. Returns how many were removed."""
    gone = 0
    for f in path.rglob("*.partial"):
        if f.is_file() and _TEMPORARY.search(f.name):
            f.unlink(missing_ok=True)
            gone += 1
    return gone


def verify(path: Path, digest: str, variables: tuple[str, ...],
           runs: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The ``runs`` (done ones) whose stored data do not match their checksum, or cannot be
    read: torn regions, to be run again."""
    arrays = _arrays(str(path), digest)
    torn = []
    for index in runs:
        try:
            data = {name: arrays[name][index] for name in variables}
            ok = checksum(arrays["indicators"][index], data) == int(arrays["checksum"][index])
        except Exception:  # an unreadable chunk (truncated, corrupt) is torn too
            ok = False
        if not ok:
            torn.append(index)
    return torn


def mark(path: Path, digest: str, index: tuple[int, int, int], state: int,
         error: str = "") -> None:
    """Set a run's status and error (the client records failures, and clears them before a
    failed run is tried again)."""
    arrays = _arrays(str(path), digest)
    arrays["error"][index] = error[:ERROR_LENGTH]
    arrays["status"][index] = state


def load(path: str | Path) -> xr.Dataset:
    """The store as a dataset: one variable per indicator with dims ``scenario, sample, seed,
    step``, ``status``, ``error`` and the design (in memory: they are small), and the kept
    variables (lazy, read when used). Runs not done are NaN (indicators) or 0 (variables).

    Not backed by dask: a store has one chunk per run, and zarr reads thousands of chunks in
    one call faster than a dask graph of thousands of tasks."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such experiment store", path)
    _attrs(path)
    ds = xr.open_zarr(path, consolidated=False, chunks=None)
    small = [k for k in ("indicators", "status", "checksum", "error", "value", "unit") if k in ds]
    ds = ds.assign({k: ds[k].compute() for k in small})
    out = ds.drop_vars("indicators").merge(ds.indicators.to_dataset("indicator"))
    return out.drop_vars("indicator", errors="ignore")
