"""The Schelling yardstick (benchmarks/yardstick.py) follows the declaration's rules, records
what urbsim records, and lands where urbsim's engine and Mesa land."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.yardstick import run, yardstick

from urbsim.engine import indicators

SMALL = (40, 40, 1000, 3, 1)  # benchmarks.__main__.SCHELLING["small"]: w, h, agents, k, r
INDICES = ("dissimilarity", "multigroup_dissimilarity", "theil_h", "isolation")


def like_counts(counts: np.ndarray, w: int, h: int, r: int) -> np.ndarray:
    """``(cells, groups)``: agents of each group within Chebyshev ``r`` of each cell, the cell
    itself excluded (a brute-force recount: a sum of shifted copies of the zero-padded grid)."""
    c = counts.reshape(w, h, -1).astype(np.int64)
    pad = np.pad(c, ((r, r), (r, r), (0, 0)))
    s = np.zeros_like(c)
    for dx in range(2 * r + 1):
        for dy in range(2 * r + 1):
            s += pad[dx:dx + w, dy:dy + h]
    return (s - c).reshape(w * h, -1)


def happy_share(counts: np.ndarray, w: int, h: int, r: int, k: int) -> float:
    """Share of the agents with at least ``k`` like neighbours in the state ``counts``."""
    return float(((like_counts(counts, w, h, r) >= k) & (counts > 0)).sum() / counts.sum())


def replay(w, h, n, k, r, steps, seed):
    """The rules in plain Python, with the kernel's random draws (numba's generator is numpy's
    legacy MT19937): every activation is checked with a brute-force neighbour count."""
    u = np.random.RandomState(seed).random_sample
    cells = list(range(w * h))
    for i in range(n):
        j = i + int(u() * (w * h - i))
        cells[i], cells[j] = cells[j], cells[i]
    grid = [-1] * (w * h)
    pos = cells[:n]
    for a in range(n):
        grid[pos[a]] = a % 2
    empty = cells[n:]
    order = list(range(n))
    happy, moves = [], []
    for _ in range(steps):
        for i in range(n - 1, 0, -1):
            j = int(u() * (i + 1))
            order[i], order[j] = order[j], order[i]
        happy.append(0)
        moves.append([0, 0])
        for a in order:
            g, c = a % 2, pos[a]
            x, y = divmod(c, h)
            like = sum(grid[p * h + q] == g for p in range(w) for q in range(h)
                       if max(abs(p - x), abs(q - y)) <= r and (p, q) != (x, y))
            if like >= k:
                happy[-1] += 1
                continue
            if not empty:  # a full grid: nowhere to go, and no draw
                continue
            e = int(u() * len(empty))
            d = empty[e]
            assert grid[d] == -1
            empty[e] = c
            grid[c], grid[d], pos[a] = -1, g, d
            moves[-1][g] += 1
    return np.array(grid), np.array(pos), np.array(happy), np.array(moves)


@pytest.mark.parametrize("incremental", [False, True])
@pytest.mark.parametrize("case", [(12, 10, 80, 3, 1, 6, 3), (15, 13, 150, 8, 2, 5, 11),
                                  (9, 9, 81, 3, 1, 2, 0)])  # the last one: a full grid
def test_every_activation_follows_the_rules(case, incremental):
    w, h, n, k, r, steps, seed = case
    out = run(w, h, n, k, r, steps, seed, incremental=incremental)
    grid, pos, happy, moves = replay(w, h, n, k, r, steps, seed)
    np.testing.assert_array_equal(out["grid"], grid)
    np.testing.assert_array_equal(out["pos"], pos)
    np.testing.assert_array_equal(out["happy_at_activation"], happy)
    np.testing.assert_array_equal(out["moves"][1:], moves)
    assert (out["moves"][0] == 0).all()
    if n < w * h:
        assert moves.sum() > 0  # the case exercises moves


@pytest.mark.parametrize("incremental", [False, True])
def test_recorded_states_follow_the_rules(incremental):
    w, h, n, k, r = SMALL
    out = run(w, h, n, k, r, 20, 4, incremental=incremental)
    hh = out["households"]
    assert hh.shape == (21, w * h, 2)
    assert hh.min() >= 0 and hh.sum(2).max() == 1  # no two agents on a cell
    assert (hh.sum(1) == n // 2).all()  # agents per group preserved
    np.testing.assert_array_equal(out["vacant"], 1 - hh.sum(2))
    for t in range(21):
        like = like_counts(hh[t], w, h, r)
        here = hh[t] > 0
        # happy agents per group and their mean satisfaction, recounted by brute force
        np.testing.assert_array_equal(out["happy"][t], ((like >= k) & here).sum(0))
        np.testing.assert_allclose(out["satisfaction"][t],
                                   (like * hh[t]).sum(0) / hh[t].sum(0) - k, rtol=0, atol=1e-12)
    # the final state is the last recorded one; each agent sits on a cell of its group
    final = np.full(w * h, -1)
    occupied = np.flatnonzero(hh[-1].sum(1))
    final[occupied] = hh[-1][occupied].argmax(1)
    np.testing.assert_array_equal(out["grid"], final)
    assert len(np.unique(out["pos"])) == n
    np.testing.assert_array_equal(out["grid"][out["pos"]], out["group"])
    # every agent unhappy when activated moved (the grid has empty cells)
    np.testing.assert_array_equal(out["moves"][1:].sum(1), n - out["happy_at_activation"])


def test_the_variants_make_the_same_run():
    a = yardstick(*SMALL, seed=2, steps=10, record=True)
    for record, incremental in ((False, False), (True, True), (False, True)):
        b = yardstick(*SMALL, seed=2, steps=10, record=record, incremental=incremental)
        assert b.keys() == a.keys() if record else "households" not in b
        for key in b:
            np.testing.assert_array_equal(a[key], b[key])
    # on the large case too (radius 2, cells on the border)
    for record in (False, True):
        a, b = (yardstick(100, 100, 8000, 8, 2, seed=5, steps=3, record=record,
                          incremental=incremental) for incremental in (False, True))
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_indices_equal_urbsims_indicators():
    w, h, n, k, r = SMALL
    out = run(w, h, n, k, r, 20, 1)
    for t in range(21):
        want = indicators.segregation(out["households"][t])
        for name in INDICES:
            np.testing.assert_allclose(out[name][t], want[name], rtol=0, atol=1e-12)
            np.testing.assert_allclose(out[f"district_{name}"][t, 0], want[name], rtol=0,
                                       atol=1e-12)
    # one household per cell: every occupied cell is all one group, so all are 1 (see the
    # yardstick's docstring)
    for name in INDICES:
        np.testing.assert_allclose(out[name], 1.0, rtol=0, atol=1e-12)


def test_satisfaction_is_urbsims_satisfaction_on_schelling():
    """urbsim's recorded ``satisfaction`` on a count-mode Schelling run is the mean of
    ``like neighbours - threshold``: what the yardstick records under that name."""
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs import schelling as sch

    w, h, n, k, r = 20, 20, 250, 3, 1
    city, ms, params = sch.setup(w, h, agents=n, threshold=k, radius=r, mode="count")
    m = UrbanModel(params, city=city, milieus=ms, seed=0, expected_steps=3)
    ds = m.run(3)
    for t in range(4):
        c = ds.households.values[t]
        np.testing.assert_allclose(ds.satisfaction.values[t],
                                   (like_counts(c, w, h, r) * c).sum(0) / c.sum(0) - k,
                                   rtol=0, atol=1e-9)


def test_same_seed_same_run_other_seed_other_run():
    a, b, c = (run(*SMALL, 6, s) for s in (7, 7, 8))
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["grid"], c["grid"])
    assert not np.array_equal(a["moves"], c["moves"])


SEEDS = range(4)


def test_happy_share_rises_to_urbsims_level():
    """Over 20 steps of the small case the share of happy agents rises from about a half to
    nearly all, for the yardstick as for urbsim's engine (the same measure on both: the
    brute-force recount of the recorded households per cell). Means over 4 seeds; the
    seed-to-seed standard deviation at step 20 is about 0.002 on both, so 0.01 is five of
    them. The two differ earlier on, and not by chance: urbsim decides who moves from the
    state at the start of a step and then moves them one by one, whereas the declaration (and
    Mesa, and the yardstick) checks each agent when it is activated; urbsim's share after
    step 1 is about 0.61 against 0.69 (Mesa: 0.69), and both pass 0.98 by step 15."""
    from urbsim.engine.model import UrbanModel
    from urbsim.inputs import schelling as sch

    w, h, n, k, r = SMALL
    ours, engine = [], []
    for s in SEEDS:
        out = run(w, h, n, k, r, 20, s)
        ours.append([happy_share(out["households"][t], w, h, r, k) for t in (0, 20)])
        city, ms, params = sch.setup(w, h, agents=n, threshold=k, radius=r, mode="count")
        ds = UrbanModel(params, city=city, milieus=ms, seed=s, expected_steps=20).run(20)
        engine.append([happy_share(ds.households.values[t], w, h, r, k) for t in (0, 20)])
    (start, end), (engine_start, engine_end) = np.mean(ours, 0), np.mean(engine, 0)
    assert start == pytest.approx(0.45, abs=0.05)  # random placement
    assert engine_start == pytest.approx(start, abs=0.03)
    assert end > 0.98
    assert end == pytest.approx(engine_end, abs=0.01)


def test_happy_share_follows_mesa_step_by_step():
    """The yardstick and the Mesa side of the benchmark implement the same activation rule:
    their mean happy shares (4 seeds) agree at every step of the small case within 0.04, about
    four standard deviations of the difference of two such means at step 1, where the
    seed-to-seed spread is largest (0.012 to 0.017). urbsim's engine would not pass this: its
    mean is 0.08 lower after step 1 (see the test above)."""
    from benchmarks.mesa_schelling import SchellingModel

    w, h, n, k, r = SMALL
    ours, mesa = [], []
    for s in SEEDS:
        out = run(w, h, n, k, r, 20, s)
        ours.append([happy_share(out["households"][t], w, h, r, k) for t in range(21)])
        model = SchellingModel(w, h, n, k, r, seed=s)
        row = []
        for t in range(21):
            if t:
                model.step()
            c = np.zeros((w * h, 2), np.int64)
            for a in model.agents:
                x, y = a.cell.coordinate
                c[x * h + y, a.group] += 1
            row.append(happy_share(c, w, h, r, k))
        mesa.append(row)
    np.testing.assert_allclose(np.mean(ours, 0), np.mean(mesa, 0), rtol=0, atol=0.04)
