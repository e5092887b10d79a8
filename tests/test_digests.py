"""The shipped scenarios give bitwise the datasets they gave when the digests were taken
(renew them on purpose with ``.venv/bin/python tests/digests.py --renew``, see digests.py)."""

import json

import urbsim
from digests import FILE, LONG, SCENARIOS, SCHELLING, SIZE, compute, digest


def test_shipped_scenarios_are_bitwise_unchanged():
    stored = json.loads(FILE.read_text())
    assert (stored["size"], stored["long"], stored["schelling"]) == (SIZE, LONG, SCHELLING), (
        "the digests were taken at another size: renew them")
    assert compute() == stored["digests"], (
        "results changed; if on purpose, run .venv/bin/python tests/digests.py --renew")


def test_every_shipped_scenario_is_digested():
    assert sorted(SCENARIOS) == urbsim.shipped_scenarios()


def test_the_digest_sees_data_and_coordinates_but_not_attributes():
    scn = urbsim.load_scenario("baseline").model_copy(update={"households": 600})
    ds = urbsim.run_seeds(scn, [0], 2)
    d = digest(ds)
    assert digest(ds.assign_attrs(created="later", git_commit="other")) == d
    changed = ds.copy(deep=True)
    changed["rent"][-1, -1, 0, 0] += 1e-12
    assert digest(changed) != d
    assert digest(ds.assign_coords(x=ds.x + 1e-12)) != d
    assert digest(ds.drop_vars("theil_h")) != d


def test_results_do_not_depend_on_worker_processes():
    scn = urbsim.load_scenario("rent_brake").model_copy(update={"households": 1500})
    one = urbsim.run_seeds(scn, [0, 1], 3, workers=1)
    two = urbsim.run_seeds(scn, [0, 1], 3, workers=2)
    assert digest(one) == digest(two)
