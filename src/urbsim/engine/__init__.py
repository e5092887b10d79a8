"""The simulation: households, the calendar of policies and events, the step of
:class:`~urbsim.engine.model.UrbanModel`, the recorder and its per-step indicators, and the
runner that executes seeds in processes.

Layer 3 of 6: may import :mod:`urbsim.inputs`, :mod:`urbsim.common` and
:mod:`urbsim._kernels`. Each rule of the model is one kernel in :mod:`urbsim._kernels`; this
layer prepares their arguments and books the results.
"""
