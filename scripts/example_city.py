"""Generate the worked example: Musterstadt, a SYNTHETIC city (no real place), its files as
a municipality would assemble them, and an observed history made up from the model.

    .venv/bin/python scripts/example_city.py            # writes examples/musterstadt/
    .venv/bin/python scripts/example_city.py --out DIR  # elsewhere (the scenario is read from
                                                        # examples/musterstadt/, the data go to DIR)
    .venv/bin/python scripts/example_city.py --docs docs/own-city.md  # and the comparison of
                                                        # the example, 10 seeds, into the page

What is made, and how (every number is generated; nothing describes a real city):

* the city: the embedded synthetic city's generator (``urbsim.inputs.city_synthetic``) for
  60 neighbourhoods in 8 districts and 100,000 households, with Voronoi polygons around its
  neighbourhoods, clipped to the city's outline, in ETRS89 / UTM 32N metres (EPSG:25832)
  around a false origin; fictional names;
* who lives there, as marginal tables only (what a statistics office has): per neighbourhood
  its households, its share on SGB II, its age classes and household sizes, its median
  income and the mean contract rent of private tenants; per district the milieu shares; all
  read off the baseline's start in that city (status-match placement, seed 0), rounded as
  published;
* social bindings ending per year 2016-2030 (4 % of the social dwellings a year, drawn);
* the observed history, 2015-2025: one run of the baseline from 2015 (seed 1000, not a seed
  the comparison uses) with survey noise: SGB-II shares every other year and turnout at the
  federal elections per neighbourhood, milieu shares per district in 2015 and 2021, asking
  rents per district each year, vacancy and moves of the city, each with the standard error of its
  noise (the ``error`` column). One series is wrong on purpose: the
  asking rents are "observed" rising 3 % a year faster than the run's, so the comparison
  has a miss to find.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import shapely

from urbsim.analysis.history import model_values
from urbsim.engine.model import UrbanModel
from urbsim.engine.runner import run_one
from urbsim.inputs import scenario as sc
from urbsim.inputs.city import AGE_COLUMNS, PERIODS, SIZE_COLUMNS
from urbsim.inputs.city_files import load_city
from urbsim.inputs.city_synthetic import synthetic
from urbsim.inputs.history import History
from urbsim.inputs.milieus import SEGMENTS

OUT = Path(__file__).resolve().parents[1] / "examples" / "musterstadt"
HOUSEHOLDS, NEIGHBOURHOODS, DISTRICTS, START, YEARS = 100_000, 60, 8, 2015, 10
ORIGIN = np.array([480_000.0, 5_560_000.0])  # metres, EPSG:25832 (a false origin)
DISTRICT_NAMES = ("Altstadt", "Nordstadt", "Ostend", "Südstadt", "Weststadt", "Am Hafen",
                  "Hügelland", "Auenviertel")
STEMS = ("Linden", "Eichen", "Birken", "Ahorn", "Buchen", "Erlen", "Ulmen", "Weiden",
         "Kastanien", "Holunder", "Flieder", "Rosen", "Tannen", "Eiben", "Pappel")
ENDINGS = ("hof", "feld", "berg", "grund", "au", "heide", "wiese", "winkel")
RENT_DRIFT = 0.03
"""The deliberate miss: observed asking rents rise this much a year faster than the run's."""


def main(out: Path = OUT) -> None:
    rng = np.random.default_rng(20151)
    params = sc.load("baseline").params()
    city_params = params.city.model_copy(update={"neighbourhoods": NEIGHBOURHOODS,
                                                 "districts": DISTRICTS, "seed": 7})
    city = synthetic(HOUSEHOLDS, city_params, seed=7)
    names = [f"{s}{e}" for s in STEMS for e in ENDINGS]
    ids = [str(x) for x in rng.choice(names, size=city.n, replace=False)]
    polygons = _polygons(city.pos * 1000.0 + ORIGIN)

    start = UrbanModel(params.model_copy(update={"households": HOUSEHOLDS}), city=city, seed=0)
    counts = start.counts
    h = start.households
    sgb = np.bincount(h.node[h.active], h.income[h.active] < start._transfers.income_limit,
                      city.n) / np.maximum(counts.sum(1), 1)
    codes = start.milieus.codes
    by_district = np.stack([counts[city.district == k].sum(0) for k in range(DISTRICTS)])
    shares = _published(by_district)
    a = h.active
    per_area = {name: _published(np.stack([np.bincount(h.node[a & (values == k)],
                                                       minlength=city.n) for k in classes], 1))
                for name, values, classes in (("age", h.age, range(4)),
                                              ("size", h.size, range(1, 6)))}
    median = np.array([np.median(h.income[a & (h.node == i)]) for i in range(city.n)])
    let = a & (h.segment == 1)
    contract = (np.bincount(h.node[let], h.contract[let], city.n)
                / np.maximum(np.bincount(h.node[let], minlength=city.n), 1))
    ending = _endings(city.capacity[:, 0], rng)

    out.mkdir(parents=True, exist_ok=True)
    features = [{"type": "Feature", "geometry": shapely.geometry.mapping(polygons[i]),
                 "properties": {
                     "id": ids[i], "district": DISTRICT_NAMES[city.district[i]],
                     **{s: int(city.capacity[i, j]) for j, s in enumerate(SEGMENTS)},
                     **{f"rent_{s}": round(float(city.base_rent[i, j]), 2)
                        for j, s in enumerate(SEGMENTS)},
                     "amenity": round(float(city.amenity[i]), 3),
                     "period": PERIODS[city.period[i]],
                     "households": int(counts[i].sum()),
                     "sgb2_share": round(float(sgb[i]), 3),
                     **dict(zip(AGE_COLUMNS, per_area["age"][i].tolist(), strict=True)),
                     **dict(zip(SIZE_COLUMNS, per_area["size"][i].tolist(), strict=True)),
                     "income_median": round(float(median[i]), -1),
                     "contract_private": round(float(contract[i]), 2),
                     **{f"social_end_{y}": int(v[i]) for y, v in ending.items() if v[i]}}}
                for i in range(city.n)]
    doc = {"type": "FeatureCollection", "name": "Musterstadt (synthetic)",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
           "features": features}
    (out / "musterstadt.geojson").write_text(json.dumps(doc, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    _write(out / "districts.csv", ["district", *(f"share_{c}" for c in codes)],
           [[name, *(f"{x:.3f}" for x in shares[k])] for k, name in enumerate(DISTRICT_NAMES)])

    scenario = out / "musterstadt.toml"
    if out != OUT:
        scenario.write_text((OUT / "musterstadt.toml").read_text(encoding="utf-8"),
                            encoding="utf-8")
    scn = sc.load(scenario)
    ds = run_one(scn.params(), 1000, YEARS)
    _write(out / "history.csv", ["area", "year", "indicator", "value", "error", "source"],
           _observations(ds, load_city(scn.households, scn.city), rng))
    print(f"wrote {out}")


def _published(counts: np.ndarray) -> np.ndarray:
    """Row shares rounded to 3 decimals, as published, the last taking the rounding."""
    shares = np.round(counts / np.maximum(counts.sum(1, keepdims=True), 1), 3)
    shares[:, -1] = np.round(1.0 - shares[:, :-1].sum(1), 3)
    return shares


def _endings(social: np.ndarray, rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Social bindings ending per year 2016-2030: each social dwelling's binding ends in one
    of those years with 4 % a year (the baseline's city.social_expiry), else later."""
    years = np.arange(START + 1, START + 16)
    share = np.append(np.full(len(years), 0.04), 1 - 0.04 * len(years))
    drawn = np.stack([rng.multinomial(int(c), share) for c in social])
    return {int(y): drawn[:, k] for k, y in enumerate(years)}


def _polygons(points: np.ndarray) -> list:
    """Voronoi cells of the neighbourhood centres, clipped to the city's outline (the hull
    of the centres, widened by 600 m and rounded), coordinates to the metre."""
    outline = shapely.MultiPoint(points).convex_hull.buffer(600.0, quad_segs=4)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=outline)
    return [shapely.set_precision(next(c for c in cells.geoms
                                       if c.contains(shapely.Point(p))).intersection(outline),
                                  1.0) for p in points]


NOISE = {"sgb2_share": 0.3, "share_": 1.5, "turnout_election": 0.5, "vacancy": 0.3,
         "moves": 0.5}
"""Standard deviation of the survey noise (percentage points) per indicator (prefix)."""
RENT_NOISE = 0.03
"""Relative noise of the observed asking rents (means of listings)."""


def _observations(ds, city, rng: np.random.Generator) -> list[list]:
    """The made-up observations of the module docstring, from one run's dataset: the
    model's own values (:func:`urbsim.analysis.history.model_values`) plus noise."""
    want = []
    for year in range(START, START + YEARS + 1):
        t = year - START
        want += [(v, 0, i, year, "sgb2_share") for i, v in enumerate(city.ids) if t % 2 == 0]
        want += [(v, 0, i, year, "turnout_election") for i, v in enumerate(city.ids)]
        want += [(d, 1, k, year, "rent_asking") for k, d in enumerate(city.districts)]
        want += [("city", 2, 0, year, "vacancy")] + [("city", 2, 0, year, "moves")] * (t > 0)
        if year in (2015, 2021):
            want += [(d, 1, k, year, f"share_{c}") for k, d in enumerate(city.districts)
                     for c in ("PRE", "HKON", "KET", "LIB")]
    area, kind, index, year, indicator = (np.asarray(x, dtype=object if j in (0, 4) else None)
                                          for j, x in enumerate(zip(*want, strict=True)))
    wanted = History("", area, kind, index, year, indicator, np.zeros(len(want)),
                     np.zeros(len(want)), np.full(len(want), "", dtype=object))
    truth = model_values(ds, wanted, city, START)[0]
    rows = []
    for k in np.flatnonzero(~np.isnan(truth)):
        name = str(indicator[k])
        if name == "rent_asking":
            sd = RENT_NOISE * truth[k]
            value = truth[k] * (1 + RENT_DRIFT) ** (year[k] - START) + rng.normal(0, sd)
        else:
            sd = next(v for p, v in NOISE.items() if name.startswith(p))
            value = float(np.clip(truth[k] + rng.normal(0, sd), 0, 100))
        rows.append([area[k], int(year[k]), name, round(float(value), 2), round(float(sd), 2),
                     "synthetic: baseline run, seed 1000, with noise (scripts/example_city.py)"])
    return rows


def _write(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def comparison(out: Path, seeds: int = 10) -> str:
    """The table of ``urbsim history compare`` on the example in ``out`` (Markdown)."""
    from urbsim.analysis import history as ah
    from urbsim.engine.runner import run_seeds
    from urbsim.inputs import history as ih
    from urbsim.inputs.population import given_total

    scn = sc.load(out / "musterstadt.toml")
    city = load_city(scn.households, scn.city)
    obs = ih.load(out / "history.csv", city, UrbanModel(scn.params().model_copy(
        update={"households": 1000}), city=city).milieus.codes)
    ds = run_seeds(scn.params(), range(seeds), int(obs.year.max()) - START, workers=2)
    scale = (given_total(city) or scn.households) / scn.households
    table = ah.summarise(ah.compare(ah.model_values(ds, obs, city, START, scale), obs))
    rows = ["| indicator | observations | mean error | mean absolute error | coverage |",
            "|---|---|---|---|---|"]
    rows += [f"| {name} | {r['observations']} | {r['mean error']:.3g} | "
             f"{r['mean absolute error']:.3g} | {r['coverage']:.0%} |"
             for name, r in table.iterrows()]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    import argparse

    from urbsim.common.files import require_between, write_between

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (default: %(default)s)")
    parser.add_argument("--docs", type=Path, help="also write the example's comparison into this "
                                                  "page (between its 'history example' markers)")
    args = parser.parse_args()
    if args.docs:
        require_between(args.docs, "history example")
    main(args.out)
    if args.docs:
        write_between(args.docs, "history example", comparison(args.out))
        print(f"wrote {args.docs}")
