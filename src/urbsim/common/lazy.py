"""Packages whose ``__init__`` runs only when one of its own names is used.

Mesa's ``__init__`` imports all of Mesa: the discrete and continuous spaces (scipy.spatial,
networkx), the batch runner (tqdm), the data collector, the experimental parts. The engine
needs two of its modules (``mesa.model``, ``mesa.time``); importing them through the package
made a cold ``urbsim run`` spend about 0.2 s in Mesa's optional parts before its first step.
"""

from __future__ import annotations

import importlib.util
import sys
import threading


def defer_init(package: str) -> None:
    """Register ``package`` so that importing its submodules (``import mesa.model``) does not
    run its ``__init__``; the first attribute read on the package itself (``mesa.Agent``,
    ``from mesa import Agent``, ``mesa.__version__``) runs it then, once, in full.

    Does nothing when the package is imported already or is not installed."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    module = importlib.util.module_from_spec(spec)  # __path__, __file__, __spec__: not run
    loader, lock = spec.loader, threading.RLock()

    def __getattr__(name: str) -> object:  # PEP 562: only for names not set yet
        with lock:
            if module.__dict__.get("__getattr__") is __getattr__:
                del module.__dict__["__getattr__"]
                try:
                    loader.exec_module(module)
                except BaseException:
                    module.__dict__["__getattr__"] = __getattr__  # the next use tries again
                    raise
        return getattr(module, name)  # a name the package lacks: AttributeError as usual

    module.__dict__["__getattr__"] = __getattr__
    sys.modules[package] = module
