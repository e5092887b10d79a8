"""The recorder: every step holds the state after it and the indicators of that state, and
reading a run while it goes on changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import small_params
from urbsim.common.errors import InputError
from urbsim.common.recording import Level, level
from urbsim.engine import indicators, recorder
from urbsim.engine.model import UrbanModel
from urbsim.engine.recorder import VARIABLES, ZERO_UNLESS_GIVEN, Recorder
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import Construction, UnlockUnderused

G = len(SEGMENTS)


def _run(city, steps: int, read_at: tuple[int, ...] = (), record: Level = 1, **update):
    """A run with construction, conversions and dialogue events, recorded at level
    ``record``; the states after each step; the recorder read after the steps in
    ``read_at``."""
    p = small_params(policies={
        "build": Construction(start=2, end=4, districts=("Mitte",), dwellings=90),
        "unlock": UnlockUnderused(start=5, rate=0.05)}, **update)
    m = UrbanModel(p, city=city, seed=4, expected_steps=2,  # too short: the recorder grows
                   record=record)
    states = [(m.capacity.copy(), m.rent.copy(), m.amenity.copy(), m.counts.copy())]
    for t in range(1, steps + 1):
        m.step()
        states.append((m.capacity.copy(), m.rent.copy(), m.amenity.copy(), m.counts.copy()))
        if t in read_at:
            m.dataset()
    return m, states


def test_every_step_holds_the_state_after_it(small_city):
    m, states = _run(small_city, 8)
    ds = m.dataset()
    for t, (capacity, rent, amenity, counts) in enumerate(states):
        np.testing.assert_array_equal(ds.dwellings[t], capacity[:, :G] + capacity[:, G:])
        np.testing.assert_array_equal(ds.owned[t], capacity[:, G:])
        np.testing.assert_array_equal(ds.rent[t], rent[:, :G])
        np.testing.assert_array_equal(ds.owner_cost[t], rent[:, G:])
        np.testing.assert_array_equal(ds.amenity[t], amenity)
        np.testing.assert_array_equal(ds.households[t], counts)
    built = ds.dwellings.sum(("neighbourhood", "segment")).values
    assert (np.diff(built) == 0).any() and (np.diff(built) > 0).any()  # kept, and changed


def test_indicators_are_those_of_the_recorded_steps(small_city):
    m, _ = _run(small_city, 6)
    ds = m.dataset()
    district = m.city.district
    for t in range(7):
        city, per = indicators.by_area(ds.households[t].values, district, len(m.city.districts))
        for k, v in city.items():
            np.testing.assert_array_equal(ds[k][t], v)
            np.testing.assert_array_equal(ds[f"district_{k}"][t], per[k])
        for f in ds.format.values:
            part = ds.participants[t].sel(format=f).sum("neighbourhood").values
            reach = ds.reached[t].sel(format=f).sum("neighbourhood").values
            turnout, gap = ds.turnout[t].sel(format=f), ds.representation_gap[t].sel(format=f)
            if reach.sum():
                assert float(turnout) == part.sum() / reach.sum()
                assert float(gap) == indicators.representation_gap(part, reach)
            else:
                assert np.isnan(turnout) and np.isnan(gap)
    assert (np.isfinite(ds.turnout).sum("format") > 0).sum() >= 4  # events in most steps
    held = np.isfinite(ds.turnout).sum("step") > 0
    assert set(ds.format.values[held.values]) == {"election", "open", "panel", "continuous"}
    assert (ds.participants.sum(("format", "neighbourhood", "milieu")) == 0).any()  # not all


def test_representation_gap_per_format_is_that_formats_own(small_city):
    """Headline indicators give each format's gap (its participants against its reached), as
    recorded, and label the one of all formats together as such."""
    from urbsim.analysis.summary import LABELS, series
    from urbsim.inputs.params import FORMATS
    from urbsim.interfaces.workshop.texts import INDICATORS_DE

    m, _ = _run(small_city, 6)
    ds = m.dataset()
    s = series(ds)
    checked = 0
    for f in ds.format.values:
        for t in range(ds.sizes["step"]):
            part = ds.participants[t].sel(format=f).sum("neighbourhood").values
            reach = ds.reached[t].sel(format=f).sum("neighbourhood").values
            got = float(s[f"representation_gap_{f}"][t])
            if part.sum():
                assert got == pytest.approx(indicators.representation_gap(part, reach))
                checked += 1
            else:
                assert np.isnan(got)
    assert checked >= 4
    both = ds.sum("format")
    for t in np.flatnonzero(both.participants.sum(("neighbourhood", "milieu")).values):
        assert float(s.representation_gap[t]) == pytest.approx(indicators.representation_gap(
            both.participants[t].sum("neighbourhood"), both.reached[t].sum("neighbourhood")))
    assert "all formats" in LABELS["representation_gap"]
    assert {f"representation_gap_{f}" for f in FORMATS} <= set(LABELS) == set(INDICATORS_DE)


@pytest.mark.parametrize("read_at", [(1,), (2, 3, 7), tuple(range(1, 9))])
def test_reading_during_a_run_changes_nothing(small_city, read_at):
    unread = _run(small_city, 8)[0].dataset()
    read = _run(small_city, 8, read_at)[0].dataset()
    for k in VARIABLES:
        np.testing.assert_array_equal(read[k], unread[k], err_msg=k)


def test_record_requires_everything_but_the_event_tallies():
    sizes = {"neighbourhood": 3, "milieu": 2, "segment": 4, "district": 1, "format": 5}
    r = Recorder(sizes)
    given = {k: np.ones([sizes[d] for d in dims]) for k, (dims, _, _) in VARIABLES.items()
             if k not in ZERO_UNLESS_GIVEN}
    r.record(given, 0)
    r.record(given | {"participants": np.full((5, 3, 2), 2)}, 1)
    r.record(given, 2)
    assert r.series("participants").sum((1, 2, 3)).tolist() == [0, 60, 0]
    assert r.series("reached").shape == (3, 5, 3, 2) and not r.series("reached").any()
    with pytest.raises(KeyError, match="rent"):
        r.record({k: v for k, v in given.items() if k != "rent"}, 3)


@pytest.mark.parametrize("small", [0, recorder.SMALL])  # compared by numpy, or as bytes
def test_a_variable_is_held_until_a_step_changes_it_bitwise(small, monkeypatch):
    monkeypatch.setattr(recorder, "SMALL", small)
    sizes = {"neighbourhood": 3, "milieu": 2, "segment": 4, "district": 1, "format": 5}
    r = Recorder(sizes, rows=2)
    given = {k: np.zeros([sizes[d] for d in dims]) for k, (dims, _, _) in VARIABLES.items()
             if k not in ZERO_UNLESS_GIVEN}
    live = np.full((3, 4), np.nan)  # a caller's array: it changes after it was recorded
    r.record(given | {"rent": live}, 0)
    live[0, 0] = 5.0
    r.record(given | {"rent": np.full((3, 4), np.nan)}, 1)  # NaN is NaN: unchanged
    assert "rent" in r.held and "rent" not in r.data and np.isnan(r.series("rent")).all()
    r.record(given | {"rent": np.where(np.eye(3, 4) > 0, -0.0, np.nan)}, 2)  # -0.0 is news
    assert "rent" in r.data and "contract_rent" in r.held
    rent = r.series("rent")
    assert rent.shape == (3, 3, 4) and np.isnan(rent[:2]).all() and np.signbit(rent[2, 0, 0])
    r.record(given | {"rent": live, "moves": np.array([1, 2])}, 5)  # rows doubled past 2
    assert r.series("rent")[3, 0, 0] == 5.0 and r.series("moves")[:, 1].tolist() == [0, 0, 0, 2]
    assert r.series("dwellings").shape == (4, 3, 4) and not r.series("dwellings").flags.writeable
    np.testing.assert_array_equal(r.step[: r.n], [0, 1, 2, 5])


def test_a_variable_named_unchanged_is_not_compared():
    """The caller's word: a held variable named in ``same`` is not read (a closed grid's
    dwellings and prices); one with rows is written as given."""
    sizes = {"neighbourhood": 3, "milieu": 2, "segment": 4, "district": 1, "format": 5}
    r = Recorder(sizes, rows=4)
    given = {k: np.zeros([sizes[d] for d in dims]) for k, (dims, _, _) in VARIABLES.items()
             if k not in ZERO_UNLESS_GIVEN}
    r.record(given, 0)
    r.record(given | {"rent": np.ones((3, 4)), "vacant": np.ones((3, 4))}, 1, same=["rent"])
    assert "rent" in r.held and not r.series("rent").any()  # not compared: still held
    assert r.series("vacant")[:, 0, 0].tolist() == [0, 1]
    r.record(given | {"vacant": np.full((3, 4), 2)}, 2, same=["vacant"])  # rows: written
    assert r.series("vacant")[:, 0, 0].tolist() == [0, 1, 2]


def _stock_run(city, cached: bool, monkeypatch, **update):
    from urbsim.engine.world import World

    if not cached:  # the stock computed and compared afresh at every record
        monkeypatch.setattr(World, "_stock", World._stock_values)
        record = Recorder.record
        monkeypatch.setattr(Recorder, "record", lambda self, v, step, same=(): record(
            self, v, step))
    m = UrbanModel(small_params(**update), city=city, seed=3, expected_steps=6)
    for _ in range(6):
        m.step()
        assert m.check_state() == []
    monkeypatch.undo()
    return m


@pytest.mark.parametrize("market", [True, False])
def test_the_stock_given_again_records_the_same(small_city, monkeypatch, market):
    """Dwellings and prices are computed again only when the market replaced the asking and
    reference rents, and recorded without a comparison when they are the arrays of the last
    record: the runs are bitwise those that compute and compare them at every step (with
    the market on, policies changing dwellings; with it off, nothing changing them)."""
    from urbsim.inputs.params import MarketParams

    update = ({"policies": {"build": Construction(start=2, end=4, districts=("Mitte",),
                                                 dwellings=90)}} if market
              else {"market": MarketParams(enabled=False)})
    cached = _stock_run(small_city, True, monkeypatch, **update).dataset()
    fresh = _stock_run(small_city, False, monkeypatch, **update).dataset()
    for k in VARIABLES:
        assert cached[k].values.tobytes() == fresh[k].values.tobytes(), k
    changed = cached.dwellings.isel(step=-1) != cached.dwellings.isel(step=0)
    assert bool(changed.any()) == market


def test_dwellings_changed_outside_the_market_are_caught(small_city):
    """The stock's arrays are trusted to change only with the market's new rents: a change
    of dwellings elsewhere (in place) is an invariant the state check reports."""
    from urbsim.inputs.params import MarketParams

    m = UrbanModel(small_params(market=MarketParams(enabled=False)), city=small_city, seed=3)
    m.step()
    assert m.check_state() == []
    m.capacity[0, 1] += 1
    assert "recorded housing stock out of date: dwellings" in m.check_state()


@pytest.mark.parametrize(("record", "kept"), [(1, list(range(10))), (3, [0, 3, 6, 9]),
                                              (4, [0, 4, 8, 9]), ("final", [9])])
def test_a_recording_level_keeps_what_recording_every_step_holds(small_city, record, kept):
    """A kept step holds exactly what recording every step holds for it (bitwise), whether
    or not the run was read in between; the dataset says its level."""
    full = _run(small_city, 9)[0].dataset()
    for read_at in ((), (1, 2, 5)):
        ds = _run(small_city, 9, read_at, record)[0].dataset()
        assert ds.step.values.tolist() == kept and ds.attrs["record"] == str(record)
        for k in VARIABLES:
            np.testing.assert_array_equal(ds[k], full[k].sel(step=kept), err_msg=k)


def test_a_recording_level_computes_indicators_for_kept_steps_only(small_city, monkeypatch):
    calls = []
    of_step = indicators.of_step
    monkeypatch.setattr(indicators, "of_step", lambda *a: calls.append(1) or of_step(*a))
    _run(small_city, 9, record="final")[0].dataset()
    assert len(calls) == 1
    calls.clear()
    _run(small_city, 9, record=4)[0].dataset()
    assert len(calls) == 4


@pytest.mark.parametrize("text", ["0", "-2", "1.5", "last", "", "true"])
def test_bad_recording_levels_are_refused(small_city, text):
    with pytest.raises(ValueError, match="positive number of steps or \"final\""):
        level(text)
    with pytest.raises(InputError, match="record"):
        UrbanModel(small_params(), city=small_city, record=text)  # type: ignore[arg-type]


def test_recording_levels_from_text():
    assert [level(t) for t in ("1", "5", " final ", "final")] == [1, 5, "final", "final"]
