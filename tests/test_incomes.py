"""Income growth (``income.growth``): every household's nominal income and newcomers'
medians grow by the same yearly factor (the baseline: 2.3 % a year, Destatis' nominal wage
index); the ablation compares it with fixed incomes."""

from __future__ import annotations

import numpy as np
import pytest

import urbsim

BASE = urbsim.load_scenario("baseline").params().model_copy(update={"households": 3000})


def _params(growth: float, households: int = 3000):
    income = BASE.income.model_copy(update={"growth": growth})
    return BASE.model_copy(update={"income": income, "households": households})


def test_incomes_grow_by_the_factor_each_year_newcomers_included():
    a = urbsim.UrbanModel(_params(0.0), seed=3)
    b = urbsim.UrbanModel(_params(0.03), seed=3)
    income0 = a.households.income.copy()
    a.run(1)
    b.run(1)
    ha, hb = a.households, b.households
    # step 1's moves come before the growth, and departures and newcomers' draws do not depend
    # on income: the same slots hold the same households, newcomers of step 1 included
    both = ha.active & hb.active & (ha.milieu == hb.milieu)
    newcomers = both.copy()  # a slot whose income is not its household's at the start
    newcomers[: len(income0)] &= ha.income[: len(income0)] != income0
    assert both.sum() > 2900 and newcomers.sum() > 50
    np.testing.assert_allclose(hb.income[both] / ha.income[both], 1.03, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_ablation_growing_incomes_displace_fewer_and_raise_rents(seed):
    """Over ten years, with rents following demand: incomes that grow 3 % a year displace
    fewer households than fixed incomes, and the asking rents end higher (newcomers who can
    afford more fill more vacancies)."""
    a = urbsim.UrbanModel(_params(0.0), seed=seed).run(10)
    b = urbsim.UrbanModel(_params(0.03), seed=seed).run(10)
    assert int(b.displaced.sum()) < int(a.displaced.sum())
    assert float(b.rent.isel(step=-1).mean()) > 1.005 * float(a.rent.isel(step=-1).mean())


def test_the_reference_grows_incomes_too():
    b = urbsim.ReferenceModel(_params(0.05, 400), seed=2)
    before = {h.unique_id: h.income for h in b.agents}
    b.step()
    b.step()
    stayed = [h for h in b.agents if h.unique_id in before]
    assert len(stayed) > 300
    for h in stayed:
        assert h.income == pytest.approx(before[h.unique_id] * 1.05**2, rel=1e-12)
