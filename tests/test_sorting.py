"""Sorting rules (issue 18): candidates through same-milieu ties (chain migration), landlords'
screening, and a location premium in asking rents. Each is switchable; these tests show what
each does and that off it is off (scripts/sorting.py measures what each does to segregation,
paired over seeds; a small run of it is the last test)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import small_params
from urbsim._kernels import choice, records
from urbsim.analysis.summary import series
from urbsim.engine.model import UrbanModel
from urbsim.inputs import scenario as sc
from urbsim.inputs.params import ChoiceParams, MarketParams

BASE = sc.load("baseline").params().model_copy(update={"households": 12_000})


def _ties(share: float):
    return BASE.model_copy(update={"choice": BASE.choice.model_copy(update={"tie_share": share})})


def _d_low(p, seeds=(0, 1), steps=8) -> float:
    return float(np.mean([series(UrbanModel(p, seed=s).run(steps))["d_low"].values[-1]
                          for s in seeds]))


def test_ties_keep_the_low_status_milieus_together():
    """Candidates through same-milieu ties (newcomers included) hold segregation up."""
    assert _d_low(_ties(0.5)) > _d_low(_ties(0.0)) + 0.01


def test_ties_bring_newcomers_to_their_milieu():
    """Chain migration: with ties, newcomers more often settle where their milieu lives."""
    def near_own(p) -> float:
        m = UrbanModel(p, seed=3)
        m.run(2)
        counts = m.counts.copy()
        h = m.households
        before = h.active.copy()
        m.step()
        new = np.flatnonzero(h.active[: len(before)] & ~before)
        rank = counts[h.node[new], h.milieu[new]] / np.maximum(counts.sum(1)[h.node[new]], 1)
        share = counts.sum(0)[h.milieu[new]] / counts.sum()
        return float(np.mean(rank > share))  # newcomers where their milieu is over-represented

    assert near_own(_ties(0.8)) > near_own(_ties(0.0)) + 0.05


@pytest.mark.parametrize(("free", "share", "rent", "sgb", "expect"), [
    (0, 1.0, 900.0, False, True),    # applicants queue, rent above a third of the income
    (0, 1.0, 400.0, False, False),   # passes the income proof
    (0, 1.0, 400.0, True, True),     # on SGB II: a Jobcenter tenant is turned down
    (3, 1.0, 900.0, False, True),    # vacancy at target (3 %): the queue in full
    (6, 1.0, 900.0, False, False),   # twice the target: no queue, no screening
    (0, 0.0, 900.0, True, False),    # screening off
])
def test_screening_turns_down_applicants_who_fail_the_income_proof(free, share, rent, sgb,
                                                                  expect):
    cap = np.zeros((1, 8), np.int64)
    cap[0, 1] = 100
    occ = cap.copy()
    occ[0, 1] -= free
    housing = records.Housing(cap, occ, np.zeros((1, 2), np.int64), np.zeros((1, 8)),
                              np.zeros((1, 8)), np.zeros(1))
    rules = records.ChoiceRules(10, 0.5, 2.0, 0.2, True, 2200.0, 0.45, 0.0, share, 1 / 3, 0.03)
    assert choice._turned_down(0, 1, rent, 1500.0, sgb, housing, rules, 0.5) is expect
    assert choice._turned_down(0, 0, rent, 1500.0, sgb, housing, rules, 0.5) is False  # social


def test_screening_fades_as_vacancy_rises_to_twice_the_target():
    """Half-way between the target and twice it, half the screening landlords screen."""
    cap = np.zeros((1, 8), np.int64)
    cap[0, 1] = 200
    occ = cap.copy()
    occ[0, 1] -= 9  # vacancy 4.5 %: queue 2 - 1.5 = 0.5
    housing = records.Housing(cap, occ, np.zeros((1, 2), np.int64), np.zeros((1, 8)),
                              np.zeros((1, 8)), np.zeros(1))
    rules = records.ChoiceRules(10, 0.5, 2.0, 0.2, True, 2200.0, 0.45, 0.0, 0.8, 1 / 3, 0.03)
    u = np.linspace(0, 1, 1001)[:-1]
    share = np.mean([choice._turned_down(0, 1, 900.0, 1500.0, False, housing, rules, x)
                     for x in u])
    assert share == pytest.approx(0.8 * 0.5, abs=0.002)


def test_screening_keeps_low_incomes_out_of_tight_markets(small_city):
    """With screening, fewer households above the landlords' burden rule, or on SGB II, move
    into private lets."""
    def stretched(screening: float) -> float:
        p = small_params(events={}, choice=ChoiceParams(screening=screening))
        m = UrbanModel(p, city=small_city, seed=2)
        m.run(4)
        h = m.households
        new = h.active & (h.since == 4) & (h.segment > 0) & (h.segment < 4)
        return float(np.mean((h.contract[new] > h.income[new] / 3)
                             | (h.income[new] < m.transfers(4).income_limit)))
    assert stretched(1.0) < stretched(0.0)


def test_location_premium_prices_what_changed_since_the_start(small_city):
    p = small_params(events={}, market=MarketParams(location_premium=0.2))
    m = UrbanModel(p, city=small_city, seed=1)
    np.testing.assert_allclose(m.asking, m.rent)  # the base rents price the start
    counts = m.counts.copy()
    up = int(np.argmin(m.location_score(counts)))
    rich = int(np.argmax(m.status))
    counts[up, rich] += 5 * counts[up].sum()  # the neighbourhood's status rises
    priced = m.priced(m.rent, counts)
    assert (priced[up, 1:] > m.rent[up, 1:]).all() and priced[up, 0] == m.rent[up, 0]
    off = UrbanModel(small_params(events={}), city=small_city, seed=1)
    assert off.priced(off.rent, counts) is off.rent  # off: the market's rents themselves


def test_ablation_script_runs_small(tmp_path):
    """scripts/sorting.py, the ablation run of the sorting rules, at a small size."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    page = tmp_path / "page.md"
    page.write_text("x\n<!-- sorting results -->\nPLACEHOLDER\n<!-- end sorting results -->\n")
    r = subprocess.run([sys.executable, str(root / "scripts" / "sorting.py"), "--set",
                        "choice.tie_share=0.5", "--households", "3000", "--seeds", "2",
                        "--steps", "4", "--out", str(page)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = page.read_text()
    assert "PLACEHOLDER" not in text and "| without ties |" in text and "| random start |" in text
    bad = subprocess.run([sys.executable, str(root / "scripts" / "sorting.py"), "--set",
                          "choice.tie_share"], capture_output=True, text=True)
    assert bad.returncode == 2 and "expected KEY=VALUE" in bad.stderr
    plain = tmp_path / "plain.md"
    plain.write_text("no markers\n")
    early = subprocess.run([sys.executable, str(root / "scripts" / "sorting.py"), "--out",
                            str(plain)], capture_output=True, text=True)
    assert early.returncode == 2 and "sorting results" in early.stderr  # before any run
    assert "Traceback" not in early.stderr and plain.read_text() == "no markers\n"
