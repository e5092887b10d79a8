"""What a run is made of: parameters, scenario files, milieu sets and cities.

Layer 2 of 6: may import :mod:`urbsim.common` and :mod:`urbsim._kernels` (a city computes its
graph balls with a kernel). Nothing here runs a model.

This layer is the first to import scipy. scipy's array-API layer reads every public name of
numpy once and so imports the submodules numpy itself loads only when used, among them
``numpy.f2py`` and ``numpy.testing`` (0.05 s of a cold run, neither used).
``scipy.spatial``'s ``__init__`` imports all of scipy.spatial (0.05 s) where the synthetic city
needs its Delaunay triangulation only, and ``scipy.sparse.csgraph``'s imports
``scipy.sparse.linalg`` and all of ``scipy.linalg`` (0.07 s) where the city needs shortest
paths and components. Each is deferred here until a name of its
package is read or another of its submodules is imported
(:func:`urbsim.common.lazy.defer_numpy_scipy_extras`).
"""

from urbsim.common.lazy import defer_numpy_scipy_extras

defer_numpy_scipy_extras()
