"""A yardstick for the Schelling benchmark: the declaration's rules as one plain numba kernel.

``python -m benchmarks`` compares urbsim's engine in its Schelling configuration with Mesa.
This module answers a different question: how fast can the same rules run in numba when a
competent programmer writes them for Schelling alone, with no engine around them? The ratio
urbsim / yardstick is what urbsim's generality costs on Schelling.

Rules (the ABMFrameworksComparison declaration, as :mod:`benchmarks.mesa_schelling`): a
``width x height`` grid, not a torus, one agent per cell; ``agents`` agents, agent ``i`` in
group ``i % 2``, on distinct cells drawn uniformly at random; an agent's like neighbours are
the agents of its own group within Chebyshev (Moore) radius ``radius``, itself excluded, and it
is happy with at least ``min_like`` of them (count mode, urbsim's
``schelling.setup(..., mode="count")``). Each step activates every agent once in a fresh
random order; an agent that is unhappy when activated moves to a cell drawn uniformly from
the empty cells; every agent checks at every step.

Implementation: :func:`simulate` is one ``@numba.njit(cache=True)`` function of plain
arguments (no globals, no Python objects) that allocates, places the agents and runs the
steps; the state is a group-per-cell array (``-1``: empty; cell ``x * height + y``, urbsim's
index of the grid cell ``"x,y"``), each agent's cell, and the list of empty cells, so that a move is
O(1) (the mover's old cell takes its new cell's place in the list).
Like neighbours are counted over the ``(2r+1)^2`` window clamped to the grid, as Mesa and the
comparison's other frameworks count them; with ``incremental=True`` the kernel instead keeps
each cell's agents per group within the radius and updates them on every move (``(2r+1)^2``
cells at the old and the new cell), as urbsim's engine keeps its perceived composition
(:func:`urbsim._kernels.composition.shift`): an agent's count is then one look-up. Both give
the same run, draw for draw (the tests check it).

Random draws: only ``np.random.random()``, from numba's Mersenne Twister seeded with ``seed``
inside the kernel (an index ``int(u * n)``, whose bias is below ``n / 2**53``): placement by a partial
Fisher-Yates shuffle of the cells (``agents`` draws), then each step a Fisher-Yates shuffle of
the activation order (``agents - 1`` draws) and one draw per unhappy agent for its new cell.
numba's generator is numpy's legacy MT19937, so ``np.random.RandomState(seed)`` gives the
same draws and a plain-Python replay (``tests/test_yardstick.py``) reproduces a run exactly.
It does not reproduce urbsim's random streams.

Nor quite urbsim's schedule: urbsim's engine decides who moves from the state at the start of
a step (``moving.decide`` on the last record's satisfaction) and then moves those households
one by one in a random order, without checking them again at their turn; the declaration,
Mesa and this kernel check each agent when it is activated. Both end nearly all happy, but
urbsim's engine gets there more slowly: on the small case its share of happy agents after
step 1 is about 0.61 against 0.69 here and in Mesa (``tests/test_yardstick.py``).

Two variants, each with either way of counting, all timed with allocation and placement
(:func:`yardstick`):

``record=True``
    Computes for step 0 (the start) and after each step, into arrays of shape
    ``(steps + 1, ...)`` preallocated in the kernel, what urbsim records for a Schelling run
    that changes with the run (:data:`urbsim.engine.recorder.VARIABLES`, written by
    ``UrbanModel._record``, ``World.store`` and ``World.housing_state``). Same names as
    urbsim's variables, groups in place of milieus (group 0 is urbsim's milieu ``A``):

    * ``households`` ``(steps+1, cells, 2)`` int32: agents per cell and group, urbsim's
      ``households`` (neighbourhood x milieu; urbsim's neighbourhoods are the cells in the
      same order).
    * ``vacant`` ``(steps+1, cells)`` int32: urbsim's ``vacant`` in the one segment column
      with dwellings (``private``; the other three columns hold no dwelling and are 0).
    * ``moves`` ``(steps+1, 2)`` int64: moves per group in the step (0 at step 0), urbsim's
      ``moves``.
    * ``satisfaction`` ``(steps+1, 2)`` float64: per group the mean over its agents of
      ``like neighbours - min_like``, in the state after the step, from one pass over the
      agents counting each one's like neighbours (over its window; one look-up with
      ``incremental``, as urbsim's satisfaction kernel, which ``UrbanModel._record`` runs over
      every household, reads its kept perceived composition). This is urbsim's
      ``satisfaction`` itself on Schelling: its utility is ``homophily * (a - tolerance)``
      with ``homophily = 1``, ``tolerance = threshold`` and ``a`` the like-neighbour count
      (ring weight 0 on the own cell, 1 within the radius; ``a = 0`` without neighbours),
      every other term zero.
    * ``happy`` ``(steps+1, 2)`` int64, not an urbsim variable: agents per group with at least
      ``min_like`` like neighbours in that state (``satisfaction >= 0`` agent by agent), from
      the same pass.
    * ``dissimilarity`` ``(steps+1, 2)``, ``multigroup_dissimilarity`` ``(steps+1,)``,
      ``theil_h`` ``(steps+1,)``, ``isolation`` ``(steps+1, 2)`` float64: the city-wide
      segregation indices over the cells, with the formulas of
      :mod:`urbsim.engine.indicators` summed in cell order as
      :func:`urbsim._kernels.segregation.indices` sums them (reimplemented here: no engine).
    * ``district_dissimilarity`` ``(steps+1, 1, 2)``, ``district_multigroup_dissimilarity``
      ``(steps+1, 1)``, ``district_theil_h`` ``(steps+1, 1)``, ``district_isolation``
      ``(steps+1, 1, 2)``: the same per district. ``urbsim.inputs.city_synthetic.grid`` makes
      one district, ``"grid"``, of all cells, so these repeat the city-wide rows; urbsim
      computes them in the same pass over the units, and so does the yardstick.

    Honestly: with at most one household per cell every occupied cell holds one group only,
    so on any Schelling grid D of each group, the multigroup D, Theil's H and the isolation
    index are all exactly 1 at every step, whatever the placement (e.g. ``D_g = (X_g (1 - P_g)
    + (T - X_g) P_g) / (2 T P_g (1 - P_g)) = 1``). They carry no information here; the
    yardstick computes them because urbsim does (one pass over the cells per step).
    Schelling's own measure of segregation is the like-neighbour count, i.e.
    ``satisfaction``.

    Besides: ``tenancies`` equals ``moves`` (every dwelling is let, nobody arrives) and
    ``tenants`` is ``1 - vacant`` in the private column, so the yardstick does not compute them
    twice. urbsim's other variables are constant, zero or NaN on a Schelling run, or carry
    nothing of its rules, and the yardstick skips them: ``dwellings`` (one private dwelling per
    cell), ``owned`` and ``owners`` (no owner-occupied dwelling), ``rent``, ``owner_cost`` and
    ``reference_rent`` (zero base rents, which the market keeps at zero; the reference rent
    is NaN in the social column), ``contract_rent`` (0 where occupied, NaN elsewhere: the occupancy again),
    ``amenity`` (0.5 everywhere, no participation), ``displaced``, ``in_migrants``,
    ``out_migrants``, ``invited``, ``accepted`` (0: no rents, no turnover, no dialogue),
    ``participants`` and ``reached`` (0, ``(formats, cells, milieus)`` per step),
    ``turnout`` and ``representation_gap`` (NaN: no dialogue event), and ``sgb`` (households on
    SGB II per cell and milieu: it changes as households move, but it follows the incomes
    urbsim draws at the start, which play no part in Schelling's rules). urbsim computes and
    writes all of them every step anyway: that is part of what the framework benchmark
    measures, and the difference between the two variants here bounds what recording can
    cost at best.

``record=False``
    Records nothing per step: the kernel allocates the recorded arrays with zero rows and
    never makes the pass over the agents and cells after a step.

Both variants return the final group per cell, each agent's final cell, and per step the
number and share of agents that were happy when activated (Mesa's ``happy`` flags and
``happy_share``; on a grid with an empty cell, ``agents`` less the step's moves).

API for the suite: ``yardstick(w, h, n, k, r, seed, steps=20, record=True,
incremental=False)`` takes a case of ``benchmarks.__main__.SCHELLING`` the way its
``engine(w, h, n, k, r, seed)`` does, e.g. ``partial(yardstick, *case, steps=steps,
record=False)`` in ``_interleaved``. Call :func:`load` once first to load (or compile) the
kernel, as the suite runs the engine once at a tiny size; :func:`time_yardstick` times one
run.
"""

from __future__ import annotations

import time

import numba
import numpy as np

GROUPS = 2
"""Agent ``i`` is in group ``i % GROUPS``."""


@numba.njit(cache=True, inline="always")
def _like(grid, width, height, cell, g, radius):
    """Agents of group ``g`` within Chebyshev ``radius`` of ``cell`` (an agent of group ``g``
    on ``cell``), itself excluded; the window is clamped to the grid (not a torus)."""
    x = cell // height
    y = cell - x * height
    x0, x1 = max(x - radius, 0), min(x + radius + 1, width)
    y0, y1 = max(y - radius, 0), min(y + radius + 1, height)
    n = 0
    for u in range(x0, x1):
        row = u * height
        for v in range(y0, y1):
            if grid[row + v] == g:
                n += 1
    return n - 1


@numba.njit(cache=True, inline="always")
def _shift(near, width, height, cell, g, radius, sign):
    """Add ``sign`` to ``near[g]`` on every cell within Chebyshev ``radius`` of ``cell`` (an
    agent of group ``g`` arrives at or leaves ``cell``)."""
    x = cell // height
    y = cell - x * height
    x0, x1 = max(x - radius, 0), min(x + radius + 1, width)
    y0, y1 = max(y - radius, 0), min(y + radius + 1, height)
    for u in range(x0, x1):
        row = u * height
        for v in range(y0, y1):
            near[g, row + v] += sign


@numba.njit(cache=True, inline="always")
def _move(grid, pos, empty, a, c, g):
    """Move agent ``a`` of group ``g`` from ``c`` to an empty cell drawn uniformly (one draw);
    ``c`` takes the new cell's place in the list ``empty``. Returns the new cell."""
    e = int(np.random.random() * empty.shape[0])  # noqa: NPY002
    d = empty[e]
    empty[e] = c
    grid[c] = -1
    grid[d] = g
    pos[a] = d
    return d


@numba.njit(cache=True)
def _sweep(order, grid, pos, group, empty, width, height, radius, min_like, moved):
    """Activate the agents in ``order``, counting like neighbours over the window; add the
    moves per group to ``moved``. Returns the agents happy when activated."""
    n_happy = 0
    for i in range(order.shape[0]):
        a = order[i]
        g = group[a]
        c = pos[a]
        if _like(grid, width, height, c, g, radius) >= min_like:
            n_happy += 1
        elif empty.shape[0] > 0:
            _move(grid, pos, empty, a, c, g)
            moved[g] += 1
    return n_happy


@numba.njit(cache=True)
def _sweep_kept(order, grid, near, pos, group, empty, width, height, radius, min_like, moved):
    """:func:`_sweep` with the like neighbours kept per cell in ``near`` (updated on each
    move)."""
    n_happy = 0
    for i in range(order.shape[0]):
        a = order[i]
        g = group[a]
        c = pos[a]
        if near[g, c] - 1 >= min_like:
            n_happy += 1
        elif empty.shape[0] > 0:
            d = _move(grid, pos, empty, a, c, g)
            _shift(near, width, height, c, g, radius, -1)
            _shift(near, width, height, d, g, radius, 1)
            moved[g] += 1
    return n_happy


@numba.njit(cache=True)
def _observe(t, grid, near, pos, group, width, height, radius, min_like, area, n_areas,
             households, vacant, satisfaction, happy, dis, multi, theil, iso):
    """Record the state as step ``t``: counts, vacancies, satisfaction and happy agents per
    group (one pass over the agents, counting each one's like neighbours: from ``near``, or
    over the window where ``near`` is empty), segregation indices of each area and of the
    whole grid (two passes over the cells). Rows ``t`` of the output arrays are written;
    ``dis``, ``multi``, ``theil``, ``iso`` have ``n_areas + 1`` area rows, the last one the
    whole grid."""
    n_cells = grid.shape[0]
    like_of = np.empty(pos.shape[0], np.int64)
    if near.shape[1] > 0:
        for a in range(pos.shape[0]):
            like_of[a] = near[group[a], pos[a]] - 1
    else:
        for a in range(pos.shape[0]):
            like_of[a] = _like(grid, width, height, pos[a], group[a], radius)
    total = np.zeros(GROUPS)
    members = np.zeros(GROUPS, np.int64)
    for a in range(pos.shape[0]):
        g = group[a]
        households[t, pos[a], g] = 1
        like = like_of[a]
        total[g] += like - min_like
        members[g] += 1
        if like >= min_like:
            happy[t, g] += 1
    for g in range(GROUPS):
        satisfaction[t, g] = total[g] / members[g] if members[g] > 0 else np.nan
    # segregation over cells (urbsim.engine.indicators' formulas, summed in cell order): an
    # occupied cell has t_i = 1 and p_ig = 1 for its group, 0 for the others; an empty cell
    # adds nothing to any sum
    a1 = n_areas + 1
    x = np.zeros((a1, GROUPS))
    for c in range(n_cells):
        g = grid[c]
        if g < 0:
            vacant[t, c] = 1
        else:
            x[area[c], g] += 1.0
            x[n_areas, g] += 1.0
    tot = np.zeros(a1)
    big = np.full((a1, GROUPS), np.nan)
    for b in range(a1):
        for k in range(GROUPS):
            tot[b] += x[b, k]
        if tot[b] > 0:
            for k in range(GROUPS):
                big[b, k] = x[b, k] / tot[b]
    # what an occupied cell of group g adds to each sum: the same values urbsim's kernel
    # computes cell by cell (t_i |p_ik - P_k|, t_i p_ig ln(p_ig / P_g), x_ig / X_g * p_ig),
    # computed once per area and group
    away = np.zeros((a1, GROUPS, GROUPS))
    log_p = np.zeros((a1, GROUPS))
    inv_x = np.zeros((a1, GROUPS))
    for b in range(a1):
        for g in range(GROUPS):
            if x[b, g] > 0:
                log_p[b, g] = np.log(1.0 / big[b, g])
                inv_x[b, g] = 1.0 / x[b, g]
            for k in range(GROUPS):
                away[b, g, k] = abs((1.0 if k == g else 0.0) - big[b, k])
    dev = np.zeros((a1, GROUPS))
    th = np.zeros(a1)
    isum = np.zeros((a1, GROUPS))
    for c in range(n_cells):
        g = grid[c]
        if g < 0:
            continue
        for r in range(2):
            b = area[c] if r == 0 else n_areas
            for k in range(GROUPS):
                dev[b, k] += away[b, g, k]
            th[b] += log_p[b, g]
            isum[b, g] += inv_x[b, g]
    for b in range(a1):
        if not tot[b] > 0:
            continue
        inter = 0.0
        entropy = 0.0
        dev_sum = 0.0
        for k in range(GROUPS):
            pk = big[b, k]
            inter += pk * (1 - pk)
            if pk > 0:
                entropy -= pk * np.log(pk)
            if 0 < pk < 1:
                dis[t, b, k] = dev[b, k] / (2 * tot[b] * pk * (1 - pk))
            if x[b, k] > 0:
                iso[t, b, k] = isum[b, k]
            dev_sum += dev[b, k]
        if inter > 0:
            multi[t, b] = dev_sum / (2 * tot[b] * inter)
        if entropy > 0:
            theil[t, b] = th[b] / (tot[b] * entropy)


@numba.njit(cache=True)
def simulate(width, height, agents, min_like, radius, steps, seed, record, incremental):
    """Build a Schelling grid and run ``steps`` steps (the module docstring says the rules and
    the random draws).

    Args:
        width: int, cells along ``x``.
        height: int, cells along ``y``.
        agents: int, agents (at most ``width * height``).
        min_like: int, like neighbours an agent needs to be happy.
        radius: int, Chebyshev radius of the neighbourhood.
        steps: int, steps to run.
        seed: int, seeds numba's generator (``0 .. 2**32 - 1``).
        record: bool, compute the recorded outputs at the start and after every step.
        incremental: bool, keep each cell's agents per group within the radius and update
            them on every move (``(2r+1)^2`` cells twice per move), so that counting an
            agent's like neighbours is one look-up; else count them over the window each time.

    Returns:
        ``(grid, pos, happy_at_activation, households, vacant, moves, satisfaction, happy,
        dis, multi, theil, iso)``: the final group per cell (``-1`` empty), each agent's final
        cell, the agents happy when activated per step ``(steps,)``, then the recorded arrays
        (``steps + 1`` rows when ``record``, else none): ``households (T, cells, 2)``,
        ``vacant (T, cells)``, ``moves (T, 2)``, ``satisfaction (T, 2)``, ``happy (T, 2)``,
        ``dis (T, 2, 2)``, ``multi (T, 2)``, ``theil (T, 2)``, ``iso (T, 2, 2)`` with the
        area axis: row 0 the one district, row 1 the whole grid.
    """
    np.random.seed(seed)  # noqa: NPY002 (numba's generator; numpy's Generator is not supported here)
    n_cells = width * height
    # placement: a partial Fisher-Yates shuffle of the cells; the first ``agents`` get an agent
    cells = np.arange(n_cells)
    for i in range(agents):
        j = i + int(np.random.random() * (n_cells - i))  # noqa: NPY002
        cells[i], cells[j] = cells[j], cells[i]
    grid = np.full(n_cells, -1, np.int8)
    group = np.empty(agents, np.int8)
    pos = np.empty(agents, np.int64)
    near = np.zeros((GROUPS, n_cells if incremental else 0), np.int32)
    for a in range(agents):
        group[a] = a % GROUPS
        pos[a] = cells[a]
        grid[cells[a]] = a % GROUPS
        if incremental:
            _shift(near, width, height, cells[a], a % GROUPS, radius, 1)
    empty = cells[agents:].copy()  # the empty cells, in no order
    order = np.arange(agents)
    moved = np.zeros(GROUPS, np.int64)

    rows = steps + 1 if record else 0
    n_areas = 1
    area = np.zeros(n_cells, np.int64)     # urbsim's grid city: one district of all cells
    households = np.zeros((rows, n_cells, GROUPS), np.int32)
    vacant = np.zeros((rows, n_cells), np.int32)
    moves = np.zeros((rows, GROUPS), np.int64)
    satisfaction = np.full((rows, GROUPS), np.nan)
    happy = np.zeros((rows, GROUPS), np.int64)
    dis = np.full((rows, n_areas + 1, GROUPS), np.nan)
    multi = np.full((rows, n_areas + 1), np.nan)
    theil = np.full((rows, n_areas + 1), np.nan)
    iso = np.full((rows, n_areas + 1, GROUPS), np.nan)
    happy_at_activation = np.zeros(steps, np.int64)
    if record:
        _observe(0, grid, near, pos, group, width, height, radius, min_like, area, n_areas,
                 households, vacant, satisfaction, happy, dis, multi, theil, iso)

    for t in range(1, steps + 1):
        for i in range(agents - 1, 0, -1):  # a fresh random order (Fisher-Yates)
            j = int(np.random.random() * (i + 1))  # noqa: NPY002
            order[i], order[j] = order[j], order[i]
        moved[:] = 0
        if incremental:
            n_happy = _sweep_kept(order, grid, near, pos, group, empty, width, height, radius,
                                  min_like, moved)
        else:
            n_happy = _sweep(order, grid, pos, group, empty, width, height, radius, min_like,
                             moved)
        happy_at_activation[t - 1] = n_happy
        if record:
            moves[t] = moved
            _observe(t, grid, near, pos, group, width, height, radius, min_like, area, n_areas,
                     households, vacant, satisfaction, happy, dis, multi, theil, iso)
    return (grid, pos, happy_at_activation, households, vacant, moves, satisfaction, happy,
            dis, multi, theil, iso)


def run(width: int, height: int, agents: int, min_like: int, radius: int, steps: int,
        seed: int, record: bool = True, incremental: bool = False) -> dict[str, np.ndarray]:
    """Run :func:`simulate` and name its outputs (urbsim's variable names for the recorded
    ones, present only with ``record``; the module docstring maps them).

    Returns:
        ``grid`` ``(width * height,)`` int8 final group per cell (``-1``: empty; cell
        ``x * height + y``), ``pos`` ``(agents,)`` each agent's final cell, ``group``
        ``(agents,)``, ``happy_at_activation`` ``(steps,)`` (agents happy when activated),
        ``happy_share`` (the same over ``agents``: Mesa's ``happy_share`` after each step)
        and, with ``record``, ``households``, ``vacant``, ``moves``, ``satisfaction``,
        ``happy``, ``dissimilarity``, ``multigroup_dissimilarity``, ``theil_h``,
        ``isolation`` and the ``district_`` ones (each ``steps + 1`` rows).
    """
    if not 0 <= agents <= width * height:
        raise ValueError(f"{agents} agents do not fit on {width}x{height} cells")
    (grid, pos, happy_act, households, vacant, moves, satisfaction, happy, dis, multi, theil,
     iso) = simulate(width, height, agents, min_like, radius, steps, seed, record, incremental)
    out = {"grid": grid, "pos": pos, "group": (np.arange(agents) % GROUPS).astype(np.int8),
           "happy_at_activation": happy_act, "happy_share": happy_act / max(agents, 1)}
    if record:
        out |= {"households": households, "vacant": vacant, "moves": moves,
                "satisfaction": satisfaction, "happy": happy,
                "dissimilarity": dis[:, -1], "multigroup_dissimilarity": multi[:, -1],
                "theil_h": theil[:, -1], "isolation": iso[:, -1],
                "district_dissimilarity": dis[:, :-1],
                "district_multigroup_dissimilarity": multi[:, :-1],
                "district_theil_h": theil[:, :-1], "district_isolation": iso[:, :-1]}
    return out


def yardstick(w: int, h: int, n: int, k: int, r: int, seed: int, steps: int = 20,
              record: bool = True, incremental: bool = False) -> dict[str, np.ndarray]:
    """One run of a ``benchmarks.__main__.SCHELLING`` case ``(w, h, n, k, r)``, building
    included, as the suite's ``engine(w, h, n, k, r, seed)`` takes it: :func:`run`."""
    return run(w, h, n, k, r, steps, seed, record, incremental)


def load() -> None:
    """Load (or compile) the kernel: call once before timing (the flags are run-time values:
    one compiled kernel serves all four variants)."""
    simulate(4, 4, 4, 1, 1, 1, 0, True, True)


def time_yardstick(case: tuple[int, int, int, int, int], steps: int = 20, seed: int = 0,
                   record: bool = True, incremental: bool = False) -> float:
    """Seconds of one :func:`yardstick` run of ``case`` (the kernel loaded beforehand)."""
    load()
    t = time.perf_counter()
    yardstick(*case, seed, steps=steps, record=record, incremental=incremental)
    return time.perf_counter() - t
