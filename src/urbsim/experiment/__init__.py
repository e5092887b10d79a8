"""Batch experiments: scenarios × parameter design × seeds, run on Dask into one zarr store.

``spec`` (the file schema) → ``design`` (points) → ``plan`` (runs and seeds) → ``sweep`` (Dask)
→ ``store`` (zarr regions) → ``analysis`` (SALib indices, policy tables, figures).

Layer 5 of 6 (tools, beside :mod:`urbsim.calibration`): may import analysis, the engine,
inputs and common; not the interfaces.
"""
