"""Stored results: atomic writing and reading of run datasets (zarr, or netCDF for ``.nc``).

A dataset is written to a hidden temporary sibling of the target and renamed into place at
the end, so the target path either does not exist or holds a complete dataset. An existing
target is replaced only when asked to.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import xarray as xr

from urbsim.errors import InputError


def check_target(path: Path, overwrite: bool = False) -> None:
    """Raise :class:`InputError` now if ``path`` could not be written at the end."""
    if path.exists() and not overwrite:
        raise InputError("exists; choose another path or pass --overwrite", path)
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"cannot create files in {parent}", path)


def free_path(path: Path) -> Path:
    """``path``, or ``stem-2``, ``stem-3``, ... beside it: the first that does not exist."""
    n, out = 1, path
    while out.exists():
        n += 1
        out = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return out


def write(ds: xr.Dataset, path: Path, overwrite: bool = False) -> None:
    """Write ``ds`` atomically: netCDF if ``path`` ends in ``.nc``, else a zarr store."""
    check_target(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    aside = None
    try:
        target = tmp / path.name
        if path.suffix == ".nc":
            ds.to_netcdf(target)
        else:
            ds.to_zarr(target, mode="w", consolidated=False)
        if path.exists():  # moved aside, not deleted, until the new output is in place
            aside = tmp / "replaced"
            os.replace(path, aside)
        os.replace(target, path)
        aside = None
    finally:
        if aside is not None and not path.exists():  # interrupted in between: put it back
            os.replace(aside, path)
        shutil.rmtree(tmp, ignore_errors=True)


def read(path: Path) -> xr.Dataset:
    """A stored run (loaded into memory), with a ``seed`` dimension added if it has none."""
    if not path.exists():
        raise InputError("no such file or store", path)
    try:
        if path.is_dir():
            ds = xr.open_zarr(path, consolidated=False).load()
        else:
            with xr.open_dataset(path) as f:
                ds = f.load()
    except Exception as e:
        raise InputError(f"not an urbsim result (zarr store or netCDF file): "
                         f"{type(e).__name__}", path) from None
    if "households" not in ds or "step" not in ds.dims:
        raise InputError("not an urbsim result: no households by step", path)
    if "seed" not in ds.dims:
        ds = ds.expand_dims(seed=[int(ds.attrs.get("seed", 0))])
    return ds
