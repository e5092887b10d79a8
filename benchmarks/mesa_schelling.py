"""Schelling's model in plain Mesa 3.5, per the ABMFrameworksComparison declaration.

The Mesa side of the framework comparison (``benchmarks/schelling.py``): ``CellAgent`` s on an
``OrthogonalMooreGrid`` (finite, not periodic, one agent per cell), as that repository's Mesa
version does it. ``agents`` agents in two equal groups start on random empty cells, unhappy.
Each step activates every agent once in random order (``shuffle_do``); an agent counts the
agents of its own group within Chebyshev radius ``radius`` and is happy with at least
``min_to_be_happy`` of them, else it moves to a random empty cell. Every agent checks again at
every step, as urbsim's engine does (the declaration allows a happy agent to skip; neither
side does).
"""

from __future__ import annotations

from mesa import Model
from mesa.discrete_space import CellAgent, OrthogonalMooreGrid


class SchellingAgent(CellAgent):
    """An agent of group ``group`` (0 or 1) with a ``happy`` flag."""

    def __init__(self, model: SchellingModel, cell, group: int):
        super().__init__(model)
        self.cell = cell
        self.group = group
        self.happy = False

    def step(self) -> None:
        like = sum(1 for other in self.cell.get_neighborhood(radius=self.model.radius).agents
                   if other.group == self.group)
        self.happy = like >= self.model.min_to_be_happy
        if not self.happy:
            self.cell = self.model.grid.select_random_empty_cell()


class SchellingModel(Model):
    """Schelling's segregation model (the declaration's rules)."""

    def __init__(self, width: int = 40, height: int = 40, agents: int = 1000,
                 min_to_be_happy: int = 3, radius: int = 1, seed: int | None = None):
        super().__init__(rng=seed)
        self.min_to_be_happy = min_to_be_happy
        self.radius = radius
        self.grid = OrthogonalMooreGrid((width, height), torus=False, capacity=1,
                                        random=self.random)
        cells = self.random.sample(list(self.grid.all_cells), agents)
        for i, cell in enumerate(cells):
            SchellingAgent(self, cell, i % 2)

    def step(self) -> None:
        self.agents.shuffle_do("step")

    @property
    def happy_share(self) -> float:
        return sum(a.happy for a in self.agents) / len(self.agents)
