"""Helpers every layer may use: the input error, files, tables, statistics, memory, and
reaching a Dask scheduler.

Layer 1 of 6 (see ``urbsim/__init__.py``), beside the kernels: imports nothing of urbsim but
itself.
"""
