"""A keyword wrapper of :class:`~urbsim.engine.model.UrbanModel` for ``mesa.batch_run``.

Nested parameters are flat keywords with ``__`` between the levels, e.g.
``choice__candidates=5`` or ``participation__fatigue=1.0``::

    from mesa.batchrunner import batch_run
    from urbsim.engine.batch import BatchModel
    rows = batch_run(BatchModel, {"households": 2000, "choice__candidates": [3, 10]},
                     rng=[1, 2], max_steps=10, number_processes=1)

Each step, population, moves, displacement, segregation and the turnout of each format
(``turnout_election``, ``turnout_open``, ...: NaN in a step without such an event) are
collected by a ``mesa.DataCollector``.
"""

from __future__ import annotations

import functools

import mesa

from urbsim.engine.model import UrbanModel
from urbsim.inputs.params import FORMATS, ModelParams, update
from urbsim.inputs.scenario import load


def params_from_flat(base: ModelParams | None = None, **flat: object) -> ModelParams:
    """``base`` (default: the shipped baseline scenario) with ``a__b=value`` keywords applied,
    validated like any parameters."""
    if base is None:
        base = load("baseline").params()
    try:
        return update(base, {k.replace("__", "."): v for k, v in flat.items()})
    except KeyError as e:
        raise TypeError(f"unknown parameter {e.args[0].replace('.', '__')!r}") from None


class BatchModel(UrbanModel):
    """UrbanModel with flat keyword parameters and a Mesa DataCollector.

    Args:
        rng: seed (``mesa.batch_run`` passes it as ``rng``).
        scenario: the scenario the keywords change (file, or name of a shipped one).
        **flat: parameters, see :func:`params_from_flat`.
    """

    def __init__(self, rng: int | None = None, scenario: str = "baseline",
                 **flat: object) -> None:
        super().__init__(params_from_flat(load(scenario).params(), **flat), seed=rng)
        self.datacollector = mesa.DataCollector(model_reporters={
            "households": lambda m: int(m.counts.sum()),
            "moves": lambda m: int(m.recorder.series("moves")[-1].sum()),
            "displaced": lambda m: int(m.recorder.series("displaced")[-1].sum()),
            "multigroup_dissimilarity":
                lambda m: float(m.recorder.series("multigroup_dissimilarity")[-1]),
            "theil_h": lambda m: float(m.recorder.series("theil_h")[-1]),
            **{f"turnout_{f}": functools.partial(_turnout, format=i)
               for i, f in enumerate(FORMATS)},
        })
        self.datacollector.collect(self)

    def step(self) -> None:
        """One model step, then collect."""
        super().step()
        self.datacollector.collect(self)


def _turnout(m: BatchModel, format: int) -> float:
    return float(m.recorder.series("turnout")[-1, format])
