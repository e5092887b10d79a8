"""Checks of inputs against each other, short of running: parameters against the milieu set
and the city (names of milieus, districts, neighbourhoods, channels; households against
dwellings), the files a scenario names, and the memory a run needs.

Every problem raises :class:`~urbsim.common.errors.InputError` naming the file and key.
"""

from __future__ import annotations

from pathlib import Path

from urbsim.common import memory
from urbsim.common.errors import InputError
from urbsim.inputs.city import City
from urbsim.inputs.city_files import load_city
from urbsim.inputs.milieus import MilieuSet, available
from urbsim.inputs.milieus import load as load_milieus
from urbsim.inputs.params import Construction, ModelParams
from urbsim.inputs.scenario import Scenario, load


def check_fit(p: ModelParams, ms: MilieuSet, c: City) -> None:
    """Raise :class:`InputError` where parameters name what the city or milieus lack."""
    for code in p.turnover.trend:
        if code not in ms.codes:
            raise InputError(f"unknown milieu {code!r}; known: {', '.join(ms.codes)}",
                             None, f"turnover.trend.{code}")
    for name, e in p.events.items():
        c.mask(e.districts, e.neighbourhoods, key=f"events.{name}.")
        for ch in e.channels:
            if ch not in ms.channels:
                raise InputError(f"unknown channel {ch!r}; known: {', '.join(ms.channels)}",
                                 None, f"events.{name}.channels.{ch}")
    for name, pol in p.policies.items():
        if isinstance(pol, Construction):
            c.mask(pol.districts, pol.neighbourhoods, key=f"policies.{name}.")



def check(scn: Scenario, steps: int | None = None) -> None:
    """Check a scenario against its milieu set and city (names of milieus, districts,
    neighbourhoods, channels; households against dwellings), and that a run of ``steps`` steps
    (default: the scenario's) fits in memory. Builds the city, not a model."""
    for key in ("milieus", "city.nodes", "city.edges", "city.polygons", "city.district_table"):
        value = scn.milieus if key == "milieus" else getattr(scn.city, key[5:])
        if value is not None and value not in available() and not Path(value).exists():
            shipped = f" or a shipped set ({', '.join(available())})" if key == "milieus" else ""
            raise InputError(f"no such file: {value}; expected a file{shipped}",
                             scn.origin(key), key)
    try:
        ms = load_milieus(scn.milieus)
        city = load_city(scn.households, scn.city)
        check_fit(scn, ms, city)
        slots = int(city.capacity.sum())
        if scn.households > slots:
            raise InputError(_too_many(scn, city), None, "households")
        memory.check(scn.households, city.n, len(ms), steps or scn.steps)
    except InputError as e:
        if e.source is None:
            raise InputError(e.message, scn.origin(e.key), e.key) from None
        raise



def _too_many(scn: Scenario, city: City) -> str:
    """Why ``scn.households`` do not fit the dwellings of ``city``. A city built for the
    run's size (the synthetic city, or a sample of a city's files) rounds each
    neighbourhood's dwellings, so a tiny run may find fewer dwellings than households: name
    the smallest size that fits instead of the dwellings, which shrink with the run."""
    n, slots = scn.households, int(city.capacity.sum())
    if int(load_city(2 * n, scn.city).capacity.sum()) == slots:  # the city's own size
        return f"expected at most {slots:,} (the dwellings of the city), got {n:,}"
    low, high = n, 2 * n
    while int(load_city(high, scn.city).capacity.sum()) < high:
        low, high = high, 2 * high
    while high - low > 1:  # the smallest size that fits, by bisection
        mid = (low + high) // 2
        low, high = (low, mid) if load_city(mid, scn.city).capacity.sum() >= mid else (mid, high)
    return (f"too few for this city: at {n:,} households the dwellings of its {city.n:,} "
            f"neighbourhoods round to {slots:,} in all; run at least {high:,} households")


def validate(path: str | Path) -> Scenario:
    """Load a scenario file, then :func:`check` it: everything short of running."""
    scn = load(path)
    check(scn)
    return scn


def prepare(name: str | Path, households: int | None = None, steps: int | None = None,
            record: str | None = None) -> tuple[Scenario, int]:
    """A scenario ready to run: loaded (a file or a shipped name), resized to ``households``
    and recorded at level ``record`` (text, as ``--record`` takes it) if given, and checked
    for a run of ``steps`` steps (default: the scenario's), which are returned with it."""
    from urbsim.common.recording import level

    scn = load(name)
    if households is not None:
        scn = scn.model_copy(update={"households": households})
    if record is not None:
        try:
            scn = scn.model_copy(update={"record": level(record)})
        except ValueError as e:
            raise InputError(str(e), None, "--record") from None
    check(scn, steps)
    return scn, steps or scn.steps
