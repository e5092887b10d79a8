"""Stored results: atomic writing and reading of run datasets (zarr, or netCDF for ``.nc``).

A dataset is written through :func:`urbsim.common.files.atomic`: the target path either does
not exist or holds a complete dataset. An existing target is replaced only when asked to. A zarr
store's metadata is consolidated once written (:func:`consolidate`), so that a plain
``xr.open_zarr(path)`` opens it quietly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from urbsim.common.errors import InputError
from urbsim.common.files import atomic, check_target

if TYPE_CHECKING:
    import xarray as xr  # imported by read: `urbsim run` checks SUFFIXES before its steps

SUFFIXES = ("", ".zarr", ".nc")
"""Extensions of stored runs: a zarr folder (with or without ``.zarr``), netCDF."""


def write(ds: xr.Dataset, path: Path, overwrite: bool = False) -> None:
    """Write ``ds`` atomically: netCDF if ``path`` ends in ``.nc``, else a zarr store."""
    check_target(path, overwrite)
    with atomic(path) as tmp:
        if path.suffix == ".nc":
            ds.to_netcdf(tmp)
        else:
            ds.to_zarr(tmp, mode="w", consolidated=False)
            consolidate(tmp)


def consolidate(path: Path) -> None:
    """Consolidate the metadata of the finished zarr store at ``path`` into its root
    ``zarr.json``: ``xr.open_zarr(path)`` then reads it in one go, without warning that it
    found none. zarr warns that consolidated metadata is not (yet) part of the format 3
    specification; it is stored as an optional field that other readers may ignore, so that
    warning is silenced here."""
    import warnings

    import zarr

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Consolidated metadata is currently not part",
                                UserWarning)
        zarr.consolidate_metadata(path)


def read(path: Path) -> xr.Dataset:
    """A stored run (loaded into memory), with a ``seed`` dimension added if it has none."""
    import xarray as xr

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


def is_result(arg: str | Path) -> bool:
    """Whether ``arg`` names a stored result (``.nc``, ``.zarr``, or a zarr folder) rather
    than a scenario."""
    p = Path(arg)
    return p.suffix in (".nc", ".zarr") or (p.is_dir() and (p / "zarr.json").exists())
