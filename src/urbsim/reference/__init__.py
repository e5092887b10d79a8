"""A plain-Python, agent-per-household implementation of the urbsim rules.

:class:`ReferenceModel` runs the same seven phases as the numba engine
:class:`urbsim.engine.model.UrbanModel`, with each household a Mesa ``CellAgent`` living in a cell of
a Mesa ``Network`` (one cell per neighbourhood). It is slow and meant to be read: it documents
the rules, and the tests check that both implementations agree in distribution.

Layer 4 of 6, beside :mod:`urbsim.analysis`: may import the engine, inputs, common and the
kernels (it shares the engine's set-up, :class:`~urbsim.engine.world.World`).
"""

from urbsim.reference.model import Household, ReferenceModel

__all__ = ["Household", "ReferenceModel"]
