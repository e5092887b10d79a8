"""Numba kernels: pure functions of arrays and scalars, one module per rule of the model.

No kernel reads a global or Python state; random numbers come from :mod:`.rng`, keyed on
(seed, step, stream, household, draw), so results do not depend on the number of threads.
"""
