"""Tidy export for R and spreadsheets: a stored run or experiment as one long table.

One row per run × step × indicator × coordinate, with the columns

* ``scenario``, ``sample`` (experiments only), ``seed``, ``step``: which run and year;
* ``indicator``: a headline indicator (an experiment's) or a recorded variable (a run's, and an
  experiment's kept variables);
* one column per coordinate any indicator has (``neighbourhood``, ``milieu``, ``segment``,
  ``format``, ``district``), empty where an indicator has no such dimension;
* ``value``;
* one column per parameter of an experiment's design (``value`` of its sample), named after
  the parameter.

CSV (UTF-8, a header row, empty fields for missing values) reads with ``readr::read_csv`` and
``pandas.read_csv``; parquet (pyarrow) with ``arrow::read_parquet`` and ``pandas.read_parquet``.
Tables are written indicator by indicator (memory stays that of the largest indicator) to a
temporary file that replaces the target only when complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from urbsim.common.errors import InputError
from urbsim.common.files import atomic, check_target

if TYPE_CHECKING:  # imported where used: `urbsim run` checks FORMATS before its steps
    import pandas as pd
    import xarray as xr

FORMATS = {".csv": "csv", ".parquet": "parquet"}
"""File extensions of the tidy formats."""
RUN_COLUMNS = ("scenario", "sample", "seed", "step")
SKIP = frozenset({"status", "checksum", "error", "value", "unit"})
"""Store variables that are bookkeeping or design, not indicators."""


def tables(ds: xr.Dataset, name: str = "") -> Iterator[pd.DataFrame]:
    """The long table of ``ds`` (a run's dataset, or an experiment store as
    :func:`urbsim.experiment.store.load` gives it), one indicator at a time, all with the
    same columns (:func:`columns`); ``name`` is the scenario of a run."""
    header = columns(ds)
    params = _parameters(ds)
    coords = [c for c in header if c not in RUN_COLUMNS and c not in ("indicator", "value")
              and (params is None or c not in params.columns)]
    for var in _indicators(ds):
        frame = ds[var].to_dataframe(name="value").reset_index()
        frame = frame.drop(columns=[c for c in frame.columns
                                    if c not in header and c != "value"])
        frame.insert(0, "indicator", var)
        if "scenario" not in frame:
            frame["scenario"] = name
        if params is not None:
            frame = frame.merge(params, on="sample", how="left")
        frame = frame.reindex(columns=header)
        frame["value"] = frame["value"].astype("float64")  # counts and rates in one column
        for c in coords:  # names, empty where the indicator has no such dimension
            frame[c] = frame[c].astype("string")
        yield frame


def columns(ds: xr.Dataset) -> list[str]:
    """The long table's columns, in order."""
    coords = sorted({str(d) for v in _indicators(ds) for d in ds[v].dims} - set(RUN_COLUMNS))
    runs = [c for c in RUN_COLUMNS if c in ds.dims or c == "scenario"]
    params = _parameters(ds)
    extra = [] if params is None else [c for c in params.columns if c != "sample"]
    return [*runs, "indicator", *coords, "value", *extra]


def rows(ds: xr.Dataset) -> int:
    """The number of rows of the long table (product of each indicator's sizes, summed)."""
    return sum(int(np.prod([ds.sizes[d] for d in ds[v].dims])) for v in _indicators(ds))


def write(ds: xr.Dataset, path: Path, name: str = "", overwrite: bool = False) -> int:
    """Write the long table of ``ds`` to ``path`` (``.csv`` or ``.parquet``) atomically;
    returns the rows written.

    Raises:
        InputError: an extension that is not a tidy format, or an existing target.
    """
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"cannot write {path.suffix or 'a file without extension'!r} as a "
                         f"table; expected {' or '.join(FORMATS)}", path)
    check_target(path, overwrite)
    count = 0
    with atomic(path, path.suffix) as tmp:
        if kind == "csv":
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                for i, frame in enumerate(tables(ds, name)):
                    frame.to_csv(f, index=False, header=i == 0, lineterminator="\n")
                    count += len(frame)
                if count == 0:
                    f.write(",".join(columns(ds)) + "\n")
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            writer = None
            try:
                for frame in tables(ds, name):
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, _schema(table))
                    writer.write_table(table.cast(writer.schema))
                    count += len(frame)
            finally:
                if writer is not None:
                    writer.close()
    return count


def _schema(first):
    """The parquet schema: the first table's, every text column a nullable string (an
    indicator without a coordinate leaves it empty)."""
    import pyarrow as pa

    return pa.schema([pa.field(f.name, pa.string()) if pa.types.is_string(f.type)
                      or pa.types.is_large_string(f.type) or pa.types.is_null(f.type) else f
                      for f in first.schema])


def _indicators(ds: xr.Dataset) -> list[str]:
    """The variables with a ``step`` dimension, in the dataset's order."""
    return [str(v) for v in ds.data_vars if v not in SKIP and "step" in ds[v].dims]


def _parameters(ds: xr.Dataset) -> pd.DataFrame | None:
    """One row per sample with a column per design parameter (``None``: not an experiment)."""
    if "value" not in ds or "parameter" not in ds["value"].dims:
        return None
    import pandas as pd

    wide = pd.DataFrame(ds["value"].transpose("sample", "parameter").values,
                        columns=[str(c) for c in ds["parameter"].values])
    wide.insert(0, "sample", ds["sample"].values)
    return wide
