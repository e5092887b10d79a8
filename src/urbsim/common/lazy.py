"""Import-time savings for what a run does not need before its first step.

Mesa's ``__init__`` imports all of Mesa: the discrete and continuous spaces (scipy.spatial,
networkx), the batch runner (tqdm), the data collector, the experimental parts. The engine
needs two of its modules (``mesa.model``, ``mesa.time``); importing them through the package
made a cold ``urbsim run`` spend about 0.2 s in Mesa's optional parts before its first step.
``mesa.model`` also imports Mesa's data recorders, whose module binds pandas at import (another
0.16 s) and uses it only when a table is asked for; and Mesa's logging helpers name a module's
logger by :func:`inspect.stack`, which reads the source of every frame on the stack and the
file of every loaded module (0.03-0.08 s, more the more is loaded).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Callable
from functools import wraps
from types import ModuleType


def defer_init(package: str, *, submodules: bool = False, standalone: tuple[str, ...] = ()) -> None:
    """Register ``package`` so that ``import package`` does not run its ``__init__``; the
    first attribute read on the package itself (``mesa.Agent``, ``from mesa import Agent``,
    ``mesa.__version__``) runs it then, once, in full.

    With ``submodules=False`` its submodules import without it (``import mesa.model``); with
    ``True`` importing any of them runs the ``__init__`` first, as if nothing were deferred
    (for a package whose modules expect their ``__init__`` to have run, as pandas' do),
    except the submodules named in ``standalone``, which need nothing of it.

    A deferred submodule (``numpy.f2py``) is bound to its package when that is imported, as
    the import system binds one. Does nothing when the package is imported already or is not
    installed."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    module = importlib.util.module_from_spec(spec)  # __path__, __file__, __spec__: not run
    loader, lock = spec.loader, threading.RLock()

    def run_init() -> bool:
        """Run the ``__init__`` unless it ran or runs already; whether this call ran it."""
        with lock:
            if module.__dict__.get("__getattr__") is not __getattr__:
                return False
            del module.__dict__["__getattr__"]
            try:
                loader.exec_module(module)
            except BaseException:
                module.__dict__["__getattr__"] = __getattr__  # the next use tries again
                raise
            return True

    def __getattr__(name: str) -> object:  # PEP 562: only for names not set yet
        run_init()
        return getattr(module, name)  # a name the package lacks: AttributeError as usual

    module.__dict__["__getattr__"] = __getattr__
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    if parent in sys.modules:  # as the import system binds a submodule to its package
        setattr(sys.modules[parent], child, module)
    if submodules:
        sys.meta_path.insert(0, _RunInitFirst(package + ".", run_init,
                                              {f"{package}.{name}" for name in standalone}))


class _RunInitFirst(importlib.abc.MetaPathFinder):
    """Runs a deferred package's ``__init__`` when one of its submodules is imported first.
    The ``__init__`` may import that very submodule: then the import gets that module (and not
    a second copy); otherwise the usual finders find it. Stays in ``sys.meta_path`` as a
    prefix test (removing a finder while the import system iterates the list would skip the
    next one)."""

    def __init__(self, prefix: str, run_init: Callable[[], bool], standalone: set[str]) -> None:
        self.prefix, self.run_init, self.standalone = prefix, run_init, standalone

    def find_spec(self, fullname, path=None, target=None):
        if (not fullname.startswith(self.prefix) or fullname in self.standalone
                or not self.run_init()):
            return None  # not the package's, or its __init__ ran before (a reload reloads)
        module = sys.modules.get(fullname)
        if module is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Imported(module))


class _Imported(importlib.abc.Loader):
    """Loads a module that is imported already: the module itself, its ``__spec__`` kept."""

    def __init__(self, module: ModuleType) -> None:
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.spec  # the import system set it to the spec of this loader


def defer_mesa_extras() -> None:
    """What the engine defers (:mod:`urbsim.engine`): Mesa's ``__init__`` and that of
    ``mesa.experimental`` (the engine imports ``mesa.model`` and ``mesa.time`` only), pandas
    (bound by Mesa's data recorders, never used by a step), and Mesa's logging helpers given
    their caller by frame."""
    defer_init("mesa")
    defer_init("mesa.experimental")
    defer_init("pandas", submodules=True)
    mesa_logging_by_frame()


def defer_numpy_scipy_extras() -> None:
    """What the inputs defer (:mod:`urbsim.inputs`): ``numpy.f2py`` and ``numpy.testing``
    (imported by scipy's array-API layer, never used by a run); the ``__init__`` of
    ``scipy.spatial`` but for ``_qhull``, which holds the Delaunay triangulation the city
    needs; that of ``scipy.sparse.csgraph`` (whose Laplacian imports ``scipy.sparse.linalg``
    and with it all of ``scipy.linalg``) but for the city's shortest paths and components and
    the modules they import; and that of ``scipy.linalg`` but for the BLAS and LAPACK tables
    numba checks for when it loads its array functions."""
    defer_init("numpy.f2py", submodules=True)
    defer_init("numpy.testing", submodules=True)
    defer_init("scipy.spatial", submodules=True, standalone=("_qhull",))
    defer_init("scipy.sparse.csgraph", submodules=True,
               standalone=("_shortest_path", "_traversal", "_validation", "_tools"))
    defer_init("scipy.linalg", submodules=True, standalone=("cython_blas", "cython_lapack"))


def mesa_logging_by_frame() -> None:
    """Give Mesa's two logging helpers that find their caller with :func:`inspect.stack`
    (``create_module_logger()`` without a name, ``method_logger``) the same caller from its
    frame, before any Mesa module that uses them is imported. The loggers, their names and
    the messages stay Mesa's own; only how the caller's name is found changes.

    Does nothing when ``mesa.model`` is imported already."""
    if "mesa.model" in sys.modules or importlib.util.find_spec("mesa") is None:
        return
    import mesa.mesa_logging as ml

    create = ml.create_module_logger

    def create_module_logger(name: str | None = None):
        return create(sys._getframe(1).f_globals["__name__"] if name is None else name)

    def method_logger(name: str):  # mesa.mesa_logging.method_logger, the class name by frame
        logger = ml.get_module_logger(name)
        classname = sys._getframe(1).f_code.co_name

        def real_decorator(func):
            @wraps(func)
            def wrapper(*args, **kwargs):
                logger.debug(f"calling {classname}.{func.__name__} with {args[1::]} and {kwargs}")
                return func(*args, **kwargs)

            return wrapper

        return real_decorator

    create_module_logger.__doc__, method_logger.__doc__ = create.__doc__, ml.method_logger.__doc__
    ml.create_module_logger, ml.method_logger = create_module_logger, method_logger
