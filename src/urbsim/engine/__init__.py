"""The simulation: households, the calendar of policies and events, the step of
:class:`~urbsim.engine.model.UrbanModel`, the recorder and its per-step indicators, and the
runner that executes seeds in processes.

Layer 3 of 6: may import :mod:`urbsim.inputs`, :mod:`urbsim.common` and
:mod:`urbsim._kernels`. Each rule of the model is one kernel in :mod:`urbsim._kernels`; this
layer prepares their arguments and books the results.

The engine uses Mesa's model and event list (``mesa.model``, ``mesa.time``) only: Mesa's
package ``__init__``, which imports all of Mesa, runs only when a name of the package itself is
used (:func:`urbsim.common.lazy.defer_init`), so a run imports no Mesa space or batch runner.
The same holds for ``mesa.experimental``, whose ``__init__`` imports the continuous space and
meta-agents although ``mesa.model`` needs three of its other modules only. pandas, which
Mesa's data recorders import but a step never uses, is deferred until it is used, and Mesa's
logging helpers find their caller by its frame instead of :func:`inspect.stack`
(:func:`urbsim.common.lazy.mesa_logging_by_frame`).
"""

from urbsim.common.lazy import defer_mesa_extras

defer_mesa_extras()
