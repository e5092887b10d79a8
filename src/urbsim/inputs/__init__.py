"""What a run is made of: parameters, scenario files, milieu sets and cities.

Layer 2 of 6: may import :mod:`urbsim.common` and :mod:`urbsim._kernels` (a city computes its
graph balls with a kernel). Nothing here runs a model.
"""
