"""What a run is made of: parameters, scenario files, milieu sets and cities.

Layer 2 of 6: may import :mod:`urbsim.common` and :mod:`urbsim._kernels` (a city computes its
graph balls with a kernel). Nothing here runs a model.

This layer is the first to import scipy, and a city's first kernel call is numba's first use of
its cache, which imports ``scipy.linalg`` for its BLAS check. Both reach scipy's array-API
layer, which reads every public name of numpy once and so imports the submodules numpy
itself loads only when used, among them ``numpy.f2py`` and ``numpy.testing`` (0.05 s of a
cold run, neither used). They are deferred here until a name of theirs is read
(:func:`urbsim.common.lazy.defer_init`), and so is ``scipy.spatial``'s ``__init__``, which
imports all of scipy.spatial (0.05 s) where the synthetic city needs its Delaunay
triangulation only (``scipy.spatial._qhull``, which needs nothing of the ``__init__``; any other
submodule runs the ``__init__`` first, as its modules expect).
"""

from urbsim.common.lazy import defer_numpy_scipy_extras

defer_numpy_scipy_extras()
