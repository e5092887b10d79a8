"""Numba kernels: pure functions of arrays and scalars, one module per rule of the model.

No kernel reads a global or Python state; random numbers come from :mod:`.rng`, keyed on
(seed, step, stream, household, draw), so results do not depend on the number of threads.
The arrays a kernel takes come bundled in named records (:mod:`.records`: the households, the
housing, the perceived composition, the milieus' preferences, each rule's settings); every
kernel documents each argument's shape, dtype and whether it reads or writes it.

Layer 1 of 6, beside :mod:`urbsim.common`: imports nothing of urbsim but other kernels.
"""
