"""Model parameters: one frozen, validated pydantic model per step phase.

Every field has a description, a range and a default. Defaults are priors reasoned from the
domain brief unless the description names a source; the calibration step fits them. The
scenario files of ``scenarios/`` are validated against these models.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMATS = ("election", "municipal", "open", "panel", "continuous")
"""Dialogue formats: federal (Bundestag) election, municipal (council) election, open
participation format, random-selection citizen panel (Zufallsbürger), continuous
neighbourhood format with a local anchor."""

ELECTIONS = frozenset({"election", "municipal"})
"""The formats that are votes: every household in scope is reached, the milieu turnouts (of
the 2013 Bundestag election) carry over in full, and no other format competes with them."""

FORMAT_SHIFT = {"election": 0.0, "municipal": -1.2, "open": -5.0, "panel": -3.0,
                "continuous": -4.5}
"""Default logit shift of each format against the federal election's turnout (priors)."""

Step = Annotated[int, Field(ge=1, description="model step (year), 1-based")]
Prob = Annotated[float, Field(ge=0.0, le=1.0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True,
                              allow_inf_nan=False)


class CityParams(_Frozen):
    """The synthetic default city (ignored when a city is loaded from files)."""

    neighbourhoods: int = Field(90, ge=4, le=100_000, description="number of neighbourhoods",
                                json_schema_extra={"unit": "neighbourhoods"})
    districts: int = Field(10, ge=1, le=1000, description="number of districts (centre + sectors)",
                           json_schema_extra={"unit": "districts"})
    vacancy: float = Field(0.03, ge=0.0, le=0.5,
                           description="share of dwellings left vacant at the start",
                           json_schema_extra={"unit": "share 0..1"})
    social_estates: int = Field(3, ge=0, le=1000,
                                description="large social-housing estates on the outer ring",
                                json_schema_extra={"unit": "neighbourhoods"})
    rent_gradient: float = Field(0.35, ge=0, lt=1,
                                 description="synthetic city: base rents fall by this share from "
                                             "the centre to the edge",
                                 json_schema_extra={"unit": "share 0..1"})
    amenity_gradient: float = Field(0.6, ge=0, le=0.8,
                                    description="synthetic city: amenity falls by this much from "
                                                "the centre (0.85) to the edge",
                                    json_schema_extra={"unit": "amenity 0..1"})
    seed: int = Field(0, ge=0, description="seed of the city layout (fixed across run seeds)",
                      json_schema_extra={"unit": "1"})
    owner_share: float = Field(
        0.27, ge=0.0, le=1.0,
        description="share of the dwellings occupied by their owners (split over the segments "
                    "by inputs/city.OWNER_PROPENSITY where the city gives none); 27 % in Germany's "
                    "independent cities in 2018 (Destatis/WZB/BiB, Datenreport 2021, ch. 7 "
                    "Wohnverhältnisse, from the Mikrozensus 2018)",
        json_schema_extra={"unit": "share 0..1"})
    social_expiry: float = Field(
        0.04, ge=0.0, le=1.0,
        description="share of today's social dwellings whose binding ends each year (the end "
                    "years spread evenly). About 56,000 of 1.13 million German social "
                    "dwellings left their binding in 2020, 5 % (BT-Drs. 20/8369, hib 683/2023); "
                    "45,000-60,000 a year 2015-2020 (BT-Drs. 18/11403)",
        json_schema_extra={"unit": "1/year"})
    nodes: str | None = Field(None, description="CSV node table of a real city (with `edges`; "
                                                "replaces the synthetic city, see inputs/city_files.py)",
                              json_schema_extra={"unit": "path"})
    edges: str | None = Field(None, description="CSV edge table of a real city (with `nodes`)",
                              json_schema_extra={"unit": "path"})
    polygons: str | None = Field(
        None, description="GeoJSON or GeoPackage (.gpkg) polygons of a real city, instead of "
                          "`nodes`/`edges`: projected CRSs (e.g. EPSG:25832, 25833) become km, "
                          "WGS84 is projected to its UTM zone (see inputs/city_files.py)",
        json_schema_extra={"unit": "path"})
    polygon_scale: float | None = Field(
        None, gt=0, description="take the polygons' coordinates as planar, times this factor "
                                "to km (0.001 for metres), whatever their CRS says; unset: "
                                "from the CRS",
        json_schema_extra={"unit": "km per file unit"})
    suppress_below: int = Field(
        150, ge=0, le=100_000,
        description="maps and per-area tables show no value for an area with fewer households "
                    "(at the city's size) than this, so that small quarters are not exposed "
                    "(see analysis/privacy.py: about 300 inhabitants, as Hamburg's "
                    "Sozialmonitoring); 0 shows every area",
        json_schema_extra={"unit": "households"})
    district_table: str | None = Field(
        None, description="CSV table of the districts of a real city: `district` names (a "
                          "neighbourhood naming another is an error) and optionally their "
                          "milieu shares `share_<CODE>`",
        json_schema_extra={"unit": "path"})

    @model_validator(mode="after")
    def _files(self) -> CityParams:
        if (self.nodes is None) != (self.edges is None):
            raise ValueError("give both `nodes` and `edges`, or neither")
        if self.polygons is not None and self.nodes is not None:
            raise ValueError("give either `polygons` or `nodes`/`edges`, not both")
        if self.district_table is not None and self.polygons is None and self.nodes is None:
            raise ValueError("a `district_table` belongs to a city's files (`nodes` or "
                             "`polygons`)")
        if self.polygons is None and self.nodes is None:  # the synthetic city
            for key in ("districts", "social_estates"):
                if getattr(self, key) > self.neighbourhoods:
                    raise ValueError(f"{key}: expected at most `neighbourhoods` "
                                     f"({self.neighbourhoods}), got {getattr(self, key)}")
        return self


class IncomeParams(_Frozen):
    """Household net income per month (EUR): log-normal around a status-dependent median."""

    median: float = Field(2600.0, gt=0, description="median at middle status (EUR/month)",
                          json_schema_extra={"unit": "EUR/month"})
    status_slope: float = Field(0.45, ge=0, le=3,
                                description="log-income change per unit of Sinus status",
                                json_schema_extra={"unit": "log EUR per status unit"})
    sigma: float = Field(0.35, ge=0, le=2, description="log-normal spread within a milieu",
                         json_schema_extra={"unit": "log EUR"})
    growth: float = Field(
        0.0, ge=-0.2, le=0.2,
        description="yearly nominal growth of every household's income and of newcomers' "
                    "medians (0: incomes fixed). Destatis' nominal wage index rose 2.3 % a "
                    "year on average 2007-2017 (Destatis, press release no. 040 of 8 February "
                    "2018)",
        json_schema_extra={"unit": "1/year"})

    def log_median(self, status: np.ndarray) -> np.ndarray:
        """Log of the median income at each ``status`` (the milieus' status coordinate)."""
        return math.log(self.median) + self.status_slope * (np.asarray(status) - 1.5)


class PlacementParams(_Frozen):
    """The initial population: households take dwellings whose neighbourhood rent rank matches
    their milieu's status, or any dwelling at random (see engine/households.py)."""

    rule: Literal["status_match", "random"] = Field(
        "status_match", description="status_match: by rent rank and status; random: a "
                                    "dwelling drawn uniformly, whatever its rent (Schelling's "
                                    "random start)", json_schema_extra={"unit": "name"})
    status_match_width: float = Field(
        0.2, gt=0, le=10, description="spread of the status match in rent-rank units: smaller "
                                      "starts the city more segregated",
        json_schema_extra={"unit": "rent rank 0..1"})


class SatisfactionParams(_Frozen):
    """Residential satisfaction: how a household values a place (see _kernels/satisfaction.py)."""

    ring_weights: tuple[float, ...] = Field(
        (1.0, 0.3), min_length=1, max_length=6,
        description="weight of the own neighbourhood (index 0) and of the rings 1, 2, ... hops "
                    "away in the perceived composition; its length - 1 is the radius",
        json_schema_extra={"unit": "1 per ring"},
    )
    composition: Literal["share", "count"] = Field(
        "share", description="compare tolerance with the affinity share, or with the weighted "
                             "count of like neighbours (the Schelling benchmark's rule)",
        json_schema_extra={"unit": "name"})
    affinity: Literal["sinus", "identity"] = Field(
        "sinus", description="graded affinity from Sinus-map distance, or same-milieu only",
        json_schema_extra={"unit": "name"})
    affinity_scale: float = Field(1.0, gt=0, le=10,
                                  description="Sinus-map distance at which affinity falls to 1/e",
                                  json_schema_extra={"unit": "Sinus-map units"})
    acceptable_burden: float = Field(0.30, ge=0, le=2,
                                     description="rent/income share above which rent hurts",
                                     json_schema_extra={"unit": "share of income"})


class MovingParams(_Frozen):
    """Move decisions: life course, dissatisfaction and forced moves (displacement)."""

    mobility_scale: float = Field(1.0, ge=0, le=20,
                                  description="multiplier of every milieu's base mobility "
                                              "(life-course moves)", json_schema_extra={"unit": "1"})
    dissatisfaction_gain: float = Field(
        0.5, ge=0, le=1e12,
        description="move probability from dissatisfaction is 1 - exp(-gain * max(0, -S))",
        json_schema_extra={"unit": "1/utility"})
    max_burden: float = Field(0.45, gt=0, le=5,
                              description="rent/income above which a move is forced",
                              json_schema_extra={"unit": "share of income"})
    forced_rate: Prob = Field(0.5, description="yearly probability to move when forced",
                              json_schema_extra={"unit": "1/year"})
    attachment_damping: Prob = Field(
        0.6, description="how far full attachment damps voluntary moves (0 none, 1 entirely)",
        json_schema_extra={"unit": "share 0..1"})
    owner_mobility: float = Field(
        0.4, ge=0, le=1,
        description="factor on the life-course move probability of owner-occupiers: private "
                    "renters move 2.5 times as often as owners (De Nederlandsche Bank, "
                    "DNBulletin 28 Nov 2022, 'Renters in social housing are less likely to "
                    "move'; interregional moves in the Netherlands: no German ratio is published)",
        json_schema_extra={"unit": "1"})
    age_mobility: tuple[float, float, float, float] = Field(
        (2.0, 1.0, 0.5, 0.3),
        description="multiplier of a milieu's base mobility per age class "
                    "(18-29, 30-44, 45-64, 65+)", json_schema_extra={"unit": "1 per age class"})


class ChoiceParams(_Frozen):
    """Search and choice of a dwelling (multinomial logit over sampled vacancies)."""

    candidates: int = Field(10, ge=1, le=200, description="vacant dwellings sampled per mover",
                            json_schema_extra={"unit": "dwellings"})
    local_share: Prob = Field(0.5, description="share of candidates sampled near the current "
                                               "home (distance decay); the rest city-wide",
                              json_schema_extra={"unit": "share 0..1"})
    search_distance: float = Field(3.0, gt=0, description="max network distance (km) of local search",
                                   json_schema_extra={"unit": "km"})
    distance_decay: float = Field(1.0, gt=0, description="distance (km) at which the local "
                                                         "sampling weight falls to 1/e",
                                  json_schema_extra={"unit": "km"})
    logit_scale: float = Field(2.0, ge=0, le=1e6, description="multinomial logit scale (0: random)",
                               json_schema_extra={"unit": "1/utility"})
    move_cost: float = Field(0.2, ge=0, le=100, description="utility bonus of staying put",
                             json_schema_extra={"unit": "utility"})
    consider_staying: bool = Field(True, description="voluntary movers may keep their dwelling "
                                                     "when nothing sampled is better",
                                   json_schema_extra={"unit": "flag"})
    social_income_limit: float = Field(
        2200.0, ge=0, description="income (EUR/month) at or below which a household may rent "
                                  "social housing (Wohnberechtigungsschein) at the start; "
                                  "grows with income.growth",
        json_schema_extra={"unit": "EUR/month"})
    tie_share: Prob = Field(
        0.0, description="share of the candidates found through same-milieu ties: a "
                         "neighbourhood in proportion to the households of one's milieu there "
                         "(newcomers too: chain migration); 0 switches the rule off",
        json_schema_extra={"unit": "share 0..1"})
    screening: Prob = Field(
        0.0, description="share of landlords who ask for an income proof and, where "
                         "applicants queue (vacancy below twice the target; in full at or "
                         "below it), prefer others to an applicant on SGB II or whose rent "
                         "would exceed screening_burden of its income; 0 switches the rule off",
        json_schema_extra={"unit": "share 0..1"})
    screening_burden: float = Field(
        1 / 3, gt=0, le=2,
        description="rent / income landlords accept without doubt (prior: the common rule "
                    "that the net income be three times the rent)",
        json_schema_extra={"unit": "share of income"})


class MarketParams(_Frozen):
    """Asking rents (and owners' user costs) follow demand pressure: vacancy against a
    target, within bounds (see _kernels/market.py)."""

    enabled: bool = Field(
        True, description="false stills the whole housing-market phase: asking rents, user "
                          "costs and reference rents keep their start values, no sitting "
                          "tenant's rent rises, social bindings do not end, and no housing "
                          "policy may act (for configurations in which nobody weighs rents, "
                          "such as Schelling's: the phase then costs nothing)",
        json_schema_extra={"unit": "flag"})
    vacancy_target: float = Field(0.03, gt=0, lt=1, description="vacancy at which rents hold",
                                  json_schema_extra={"unit": "share 0..1"})
    adjustment: float = Field(0.1, ge=0, le=10, description="rent change per unit relative gap "
                                                            "(target - vacancy) / target",
                              json_schema_extra={"unit": "1/year"})
    max_change: float = Field(0.05, ge=0, le=1, description="max relative rent change per year",
                              json_schema_extra={"unit": "1/year"})
    floor: float = Field(0.6, gt=0, le=1, description="lowest rent as a multiple of the base rent",
                         json_schema_extra={"unit": "× base rent"})
    ceiling: float = Field(3.0, ge=1, le=100, description="highest rent as a multiple of base",
                           json_schema_extra={"unit": "× base rent"})
    social_fixed: bool = Field(True, description="social rents stay at their base rent",
                               json_schema_extra={"unit": "flag"})
    location_premium: float = Field(
        0.0, ge=0, le=1,
        description="asking rents and user costs of a neighbourhood are (1 + premium x L) "
                    "times the market's, L its location score: the mean of its residents' "
                    "status and its amenity, each in standard deviations from the city's "
                    "(clipped to -2..2); 0 switches the rule off",
        json_schema_extra={"unit": "share per standard deviation"})


class ContractParams(_Frozen):
    """Tenancy contracts under German law (see _kernels/contracts.py): each tenant has its own
    contract rent, raised towards the local reference rent within the Kappungsgrenze."""

    cap: float = Field(
        0.15, ge=0, le=1,
        description="Kappungsgrenze: a sitting tenant's rent may rise at most this much within "
                    "three years, and only after 15 months unchanged (§558 (1), (3) BGB: 20 %, "
                    "15 % where the Land designates a tight market, as Berlin's "
                    "Kappungsgrenzen-Verordnung of 2013 does for the whole city)",
        json_schema_extra={"unit": "share per 3 years"})
    reference_years: int = Field(
        6, ge=1, le=30,
        description="the local reference rent (ortsübliche Vergleichsmiete) is the usual rent "
                    "of contracts agreed or changed in the last this many years (§558 (2) BGB: "
                    "six years since 2020, four before)",
        json_schema_extra={"unit": "years"})
    raise_probability: Prob = Field(
        1.0, description="yearly probability that a landlord raises a rent the law allows to "
                         "rise (prior: every landlord raises as soon as allowed)",
        json_schema_extra={"unit": "1/year"})
    history_growth: float = Field(
        0.02, ge=0, le=0.2,
        description="yearly rent growth before the start: a household that moved in y years "
                    "ago pays base rent / (1 + growth)^y (prior; net rents in the consumer "
                    "price index rose 1.3 % in Germany and 2.6 % in Berlin in 2013, Destatis)",
        json_schema_extra={"unit": "1/year"})


class KduParams(_Frozen):
    """Households on SGB II: the Jobcenter pays their housing costs (Kosten der Unterkunft,
    KdU) up to a ceiling; above it they are asked to move (see _kernels/contracts.py)."""

    income_limit: float = Field(
        1700.0, ge=0,
        description="net income (EUR/month) below which a household counts as receiving "
                    "SGB II (0: nobody); grows with income.growth. Set so that 14 % of the "
                    "default city's households start below it, as Berlin's 273,000 SGB II "
                    "households (Bedarfsgemeinschaften, June 2017, neues-deutschland.de) were "
                    "of its about 2 million",
        json_schema_extra={"unit": "EUR/month"})
    ceiling: float = Field(
        404.0, ge=0,
        description="highest housing cost the Jobcenter pays for one person (Berlin, AV-Wohnen "
                    "from 1 Jan 2018: 404 EUR gross cold rent, neues-deutschland.de); grows "
                    "with the city's mean reference rent",
        json_schema_extra={"unit": "EUR/month"})
    ceiling_per_person: float = Field(
        100.0, ge=0,
        description="added to the ceiling per further person (Berlin 2018: 604 EUR for three "
                    "persons, i.e. 100 EUR a person)",
        json_schema_extra={"unit": "EUR/month per person"})
    forced_rate: Prob = Field(
        0.037, description="yearly probability that a household above its ceiling is made to "
                           "move: Berlin enforced a reduction in about 3,100 of 84,000 such "
                           "households in 2024 (nd-aktuell.de, citing the Senate)",
        json_schema_extra={"unit": "1/year"})


class DemandParams(_Frozen):
    """Demand from outside the city (see engine/demand.py): a household-number trend, and
    in-migration that responds to asking rents and vacancy relative to the region."""

    household_trend: float = Field(
        0.0029, ge=-0.1, le=0.1,
        description="yearly change in the number of households the city would have at "
                    "regional rents (Berlin: +6.5 % 2018-2040, i.e. +0.29 %/year, Destatis "
                    "Haushaltsvorausberechnung 2020; growing city-states +0.61 %/year and "
                    "shrinking eastern Länder -0.15 to -0.52 %/year in Destatis' 2017 and 2010 "
                    "projections)",
        json_schema_extra={"unit": "1/year"})
    rent_elasticity: float = Field(
        1.0, ge=0, le=10,
        description="in-migration attempts scale with (city asking rent index / regional "
                    "index) ** -elasticity (prior: no German estimate is published; land "
                    "prices lower net migration of German counties, 'Move, stay, or pay', 2002-2018)",
        json_schema_extra={"unit": "1"})
    vacancy_elasticity: float = Field(
        0.5, ge=0, le=10,
        description="and with (city vacancy / regional vacancy) ** elasticity, the ratio "
                    "clipped to 0.25..4 (prior)",
        json_schema_extra={"unit": "1"})
    regional_rent_growth: float = Field(
        0.023, ge=-0.2, le=0.2,
        description="yearly growth of the region's asking rents (prior: as nominal wages, "
                    "see income.growth)",
        json_schema_extra={"unit": "1/year"})
    regional_vacancy: float = Field(0.03, gt=0, lt=1,
                                    description="the region's vacancy rate (prior: as "
                                                "market.vacancy_target)",
                                    json_schema_extra={"unit": "share 0..1"})


class TurnoverParams(_Frozen):
    """Migration across the city boundary, and ageing."""

    out_rate: Prob = Field(0.045, description="yearly probability to leave the city",
                           json_schema_extra={"unit": "1/year"})
    death_rate: Prob = Field(0.04, description="yearly probability a 65+ household dissolves",
                             json_schema_extra={"unit": "1/year"})
    trend: dict[str, Annotated[float, Field(ge=-1, le=1)]] = Field(
        default_factory=dict, description="yearly log-change of a milieu's share among "
                                          "in-migrants, by milieu code (e.g. {PRE = 0.02})",
        json_schema_extra={"unit": "log share/year"})
    ageing: Prob = Field(1 / 12, description="yearly probability to move up one age class",
                         json_schema_extra={"unit": "1/year"})
    attachment_growth: Prob = Field(0.1, description="yearly growth of attachment to the "
                                                     "neighbourhood (share of the gap to 1)",
                                    json_schema_extra={"unit": "1/year"})

    @model_validator(mode="before")
    @classmethod
    def _removed(cls, data: object) -> object:
        if isinstance(data, dict) and "in_ratio" in data:
            raise ValueError("`in_ratio` was removed: demand from outside is now the [demand] "
                             "table (household_trend, rent_elasticity, vacancy_elasticity, "
                             "regional_rent_growth, regional_vacancy)")
        return data


class ParticipationParams(_Frozen):
    """Taking part in dialogue events (see _kernels/participation.py)."""

    format_shift: dict[str, Annotated[float, Field(ge=-20, le=20)]] = Field(
        default_factory=lambda: dict(FORMAT_SHIFT),
        description="logit shift of each format against election turnout (formats not "
                    "given keep their default)", json_schema_extra={"unit": "logit"})
    propensity_contrast: float = Field(
        1.0, ge=0, le=3, description="how far milieu differences in election turnout carry "
                                     "over to the other formats: their logit uses contrast x "
                                     "logit(turnout) (elections: 1)", json_schema_extra={"unit": "1"})
    social_influence: float = Field(1.5, ge=-10, le=10,
                                    description="logit gain per unit of neighbours' mean "
                                                "engagement above their milieu baseline",
                                    json_schema_extra={"unit": "logit per engagement unit"})
    neighbourhood_context: float = Field(
        0.0, ge=0, le=20, description="logit gain per unit of the neighbourhood's mean status "
                                      "above that of the neighbourhoods the milieu usually "
                                      "lives in (0..1 status scale): the contextual effect of "
                                      "living in a better-off neighbourhood",
        json_schema_extra={"unit": "logit per status unit"})
    engagement_weight: float = Field(2.0, ge=0, le=20,
                                     description="logit gain per unit own engagement above baseline",
                                     json_schema_extra={"unit": "logit per engagement unit"})
    election_engagement: Prob = Field(
        0.25, description="share of the engagement terms (own and neighbours') that carries "
                          "into elections: taking part in dialogue raises the odds of voting "
                          "less than those of taking part again",
        json_schema_extra={"unit": "share 0..1"})
    outreach_factor: float = Field(
        2.0, ge=1, le=3, description="odds of taking part of a household an event's channels "
                                     "reach, against one they miss (the largest lift any mix of "
                                     "channels gives a milieu)",
        json_schema_extra={"unit": "odds ratio"})
    fatigue: float = Field(0.5, ge=0, le=10,
                           description="logit loss per competing format in the same step",
                           json_schema_extra={"unit": "logit per competing format"})
    engagement_gain: Prob = Field(0.3, description="engagement gained by taking part (share of gap to 1)",
                                  json_schema_extra={"unit": "share of gap to 1"})
    engagement_decay: Prob = Field(0.1, description="yearly return of engagement to its baseline",
                                   json_schema_extra={"unit": "1/year"})
    attachment_gain: Prob = Field(0.2, description="attachment gained by taking part",
                                  json_schema_extra={"unit": "share of gap to 1"})

    @model_validator(mode="after")
    def _formats(self) -> ParticipationParams:
        unknown = set(self.format_shift) - set(FORMATS)
        if unknown:
            raise ValueError(f"format_shift: unknown format {sorted(unknown)}; known: "
                             f"{', '.join(FORMATS)}")
        return self

    @field_validator("format_shift", mode="before")
    @classmethod
    def _fill(cls, value: object) -> object:
        return {**FORMAT_SHIFT, **value} if isinstance(value, dict) else value


class DialogueEvent(_Frozen):
    """A participation event: an election, an open format, a random-selection panel or a
    continuous neighbourhood format, possibly recurring. Events are named by their key in
    ``ModelParams.events``."""

    enabled: bool = Field(True, description="false switches off an event inherited through "
                                            "`extends`", json_schema_extra={"unit": "flag"})
    format: Literal["election", "municipal", "open", "panel", "continuous"] = Field(
        description="election: federal (Bundestag) election; municipal: council election; "
                    "open: open participation format; panel: random-selection citizen panel "
                    "(Zufallsbürger); continuous: continuous neighbourhood format with a local "
                    "anchor", json_schema_extra={"unit": "name"})
    step: Step = Field(description="step (year) of the first occurrence", json_schema_extra={"unit": "step"})
    every: int | None = Field(None, ge=1, description="repeat every N steps",
                              json_schema_extra={"unit": "steps"})
    until: int | None = Field(None, ge=1, description="last step of a recurring event",
                              json_schema_extra={"unit": "step"})
    districts: tuple[str, ...] = Field((), description="districts reached (empty: all)",
                                       json_schema_extra={"unit": "district names"})
    neighbourhoods: tuple[str, ...] = Field((), description="neighbourhoods reached (empty: all)",
                                            json_schema_extra={"unit": "neighbourhood ids"})
    channels: dict[str, Annotated[float, Field(ge=0, le=3)]] = Field(default_factory=dict,
                                       description="intensity per announcement or outreach "
                                                   "channel (0..3; 1: the usual effort)",
                                       json_schema_extra={"unit": "intensity 0..3"})
    invite_share: Prob = Field(0.0, description="panel: share of households invited at random",
                               json_schema_extra={"unit": "share 0..1"})
    amenity_budget: float = Field(0.0, ge=0, le=1,
                                  description="amenity investment steered to where participants live",
                                  json_schema_extra={"unit": "amenity 0..1"})

    @model_validator(mode="after")
    def _consistent(self) -> DialogueEvent:
        if self.until is not None and self.every is None:
            raise ValueError("until: the last step of a recurring event; give `every` too")
        if self.until is not None and self.until < self.step:
            raise ValueError(f"until: expected at least `step` ({self.step}), got {self.until}")
        if self.invite_share > 0 and self.format != "panel":
            raise ValueError(f"invite_share: invitations are for a panel, but the format is "
                             f"{self.format!r}")
        return self


class _Policy(_Frozen):
    enabled: bool = Field(True, description="false switches off a policy inherited through "
                                            "`extends`", json_schema_extra={"unit": "flag"})
    start: Step = Field(description="first step (year) in force", json_schema_extra={"unit": "step"})
    end: int | None = Field(None, ge=1, description="last step in force (none: to the end)",
                            json_schema_extra={"unit": "step"})

    @model_validator(mode="after")
    def _order(self) -> _Policy:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"`end` ({self.end}) is before `start` ({self.start})")
        return self


class _Area(_Policy):
    districts: tuple[str, ...] = Field((), description="districts designated (empty and no "
                                                       "neighbourhoods: the whole city)",
                                       json_schema_extra={"unit": "district names"})
    neighbourhoods: tuple[str, ...] = Field((), description="neighbourhoods designated",
                                            json_schema_extra={"unit": "neighbourhood ids"})


class RentBrake(_Area):
    """Mietpreisbremse (§556d-§556g BGB): in a designated area a re-let rent is at most
    ``markup`` above the local reference rent; a higher previous rent may be kept; dwellings
    first let after 1 October 2014 (the building period "new") are exempt; only a share
    ``compliance`` of the lets keeps the limit."""

    kind: Literal["rent_brake"] = Field("rent_brake", description="policy type",
                                        json_schema_extra={"unit": "name"})
    markup: float = Field(0.10, ge=0, le=10,
                          description="highest re-let rent above the reference rent "
                                      "(§556d (1) BGB: 10 %)",
                          json_schema_extra={"unit": "share of the reference rent"})
    compliance: Prob = Field(
        0.25, description="share of the re-lets at which the limit is kept; the others go "
                          "at the asking rent (prior: a tenant must complain to get the "
                          "excess back, §556g BGB; the offers of an IFSS Potsdam sample in "
                          "Berlin lay at the median 34 % above the legal maximum)",
        json_schema_extra={"unit": "share 0..1"})


class LowerCap(_Policy):
    """A lower Kappungsgrenze for sitting tenants' rent rises. Hypothetical: below 15 % in
    three years it needs a federal law (§558 (3) BGB)."""

    kind: Literal["lower_cap"] = Field("lower_cap", description="policy type",
                                       json_schema_extra={"unit": "name"})
    cap: float = Field(0.06, ge=0, le=1,
                       description="highest rise of a sitting tenant's rent within three years",
                       json_schema_extra={"unit": "share per 3 years"})


class RentFreeze(_Area):
    """A Mietendeckel-style freeze: in its area sitting tenants' rents do not rise, and re-let
    rents are at most the reference rent of the year before the freeze; neighbourhoods of the
    building period "new" are exempt. Hypothetical: the Federal Constitutional Court voided
    Berlin's Mietendeckel in 2021 (2 BvF 1/20)."""

    kind: Literal["rent_freeze"] = Field("rent_freeze", description="policy type",
                                         json_schema_extra={"unit": "name"})


class RenewSocial(_Policy):
    """Social-housing bindings that would end are renewed (the city buys new bindings)."""

    kind: Literal["renew_social"] = Field("renew_social", description="policy type",
                                          json_schema_extra={"unit": "name"})
    share: Prob = Field(0.5, description="share of the expiring bindings renewed",
                        json_schema_extra={"unit": "share 0..1"})


class Construction(_Policy):
    """New dwellings per step in named neighbourhoods or districts, with a social quota."""

    kind: Literal["construction"] = Field("construction", description="policy type",
                                          json_schema_extra={"unit": "name"})
    districts: tuple[str, ...] = Field((), description="districts built in (empty and no "
                                                       "neighbourhoods: all)",
                                       json_schema_extra={"unit": "district names"})
    neighbourhoods: tuple[str, ...] = Field((), description="neighbourhoods built in",
                                            json_schema_extra={"unit": "neighbourhood ids"})
    dwellings: int = Field(100, ge=0, le=10_000_000, description="new dwellings per step in total",
                           json_schema_extra={"unit": "dwellings/year"})
    segment: Literal["private", "owner_flat", "single_family"] = Field(
        "private", description="segment of the dwellings not built as social rental (private: "
                               "let; owner_flat and single_family: owner-occupied)",
        json_schema_extra={"unit": "name"})
    social_quota: Prob = Field(0.0, description="share built as social rental",
                               json_schema_extra={"unit": "share 0..1"})


class UnlockUnderused(_Policy):
    """Advice and incentives for older owners: under-used homes (owner-occupied single-family
    homes of the given building period whose household is 65+ with at most two persons)
    yield an extra separate flat (private rental) at the given yearly rate."""

    kind: Literal["unlock_underused"] = Field("unlock_underused", description="policy type",
                                              json_schema_extra={"unit": "name"})
    period: Literal["pre1949", "1950-1979", "1980-2009", "new"] = Field(
        "1950-1979", description="building period of the single-family homes addressed",
        json_schema_extra={"unit": "name"})
    rate: Prob = Field(0.01, description="share of the under-used homes converted per year",
                       json_schema_extra={"unit": "1/year"})


Policy = Annotated[RentBrake | LowerCap | RentFreeze | RenewSocial | Construction
                   | UnlockUnderused, Field(discriminator="kind")]

REMOVED_KINDS = {"rent_cap": "a rent cap is now one of three policies: kind = \"rent_brake\" "
                             "(Mietpreisbremse, §556d BGB), \"lower_cap\" (a lower "
                             "Kappungsgrenze) or \"rent_freeze\" (a Mietendeckel)"}
"""Policy kinds that no longer exist, with what replaces them."""


class ModelParams(_Frozen):
    """Everything the engine needs besides the city and the milieu set."""

    households: int = Field(120_000, ge=1, le=50_000_000, description="initial households",
                            json_schema_extra={"unit": "households"})
    start_year: int | None = Field(
        None, ge=1900, le=2200,
        description="calendar year of the start (step 0; the year the city's files describe): "
                    "a city's social_end_<YEAR> columns and observed history (`urbsim history`) "
                    "are matched to steps by it",
        json_schema_extra={"unit": "year"})
    milieus: str = Field("vhw11", description="milieu set: a shipped name (vhw11, vhw13) or a "
                                              "TOML file of the same form",
                         json_schema_extra={"unit": "name or path"})
    city: CityParams = Field(CityParams(), json_schema_extra={"unit": "table"})
    income: IncomeParams = Field(IncomeParams(), json_schema_extra={"unit": "table"})
    placement: PlacementParams = Field(PlacementParams(), json_schema_extra={"unit": "table"})
    satisfaction: SatisfactionParams = Field(SatisfactionParams(), json_schema_extra={"unit": "table"})
    moving: MovingParams = Field(MovingParams(), json_schema_extra={"unit": "table"})
    choice: ChoiceParams = Field(ChoiceParams(), json_schema_extra={"unit": "table"})
    market: MarketParams = Field(MarketParams(), json_schema_extra={"unit": "table"})
    contracts: ContractParams = Field(ContractParams(), json_schema_extra={"unit": "table"})
    kdu: KduParams = Field(KduParams(), json_schema_extra={"unit": "table"})
    demand: DemandParams = Field(DemandParams(), json_schema_extra={"unit": "table"})
    turnover: TurnoverParams = Field(TurnoverParams(), json_schema_extra={"unit": "table"})
    participation: ParticipationParams = Field(ParticipationParams(), json_schema_extra={"unit": "table"})
    events: dict[str, DialogueEvent] = Field(
        default_factory=dict, description="dialogue events by name, in order",
        json_schema_extra={"unit": "table of events"})
    policies: dict[str, Policy] = Field(
        default_factory=dict, description="housing policies by name, in order",
        json_schema_extra={"unit": "table of policies"})

    @model_validator(mode="after")
    def _market_for_policies(self) -> ModelParams:
        acting = [k for k, v in self.policies.items() if v.enabled]
        if acting and not self.market.enabled:
            raise ValueError(f"housing policies ({', '.join(acting)}) act in the housing "
                             "market phase, which market.enabled = false switches off")
        return self


NEUTRAL: dict[str, object] = {"market.enabled": True}
"""Switches added after studies, ABC runs and experiment stores were made, at the value that
keeps the model as it was: :func:`digest_dump` leaves them out there, so that what was made
before them stays valid (its results are bitwise what they would be now)."""


def digest_dump(params: ModelParams) -> dict:
    """``params.model_dump(mode="json")`` for a digest: without the :data:`NEUTRAL` switches
    where they hold their neutral value."""
    data = params.model_dump(mode="json")
    for key, value in NEUTRAL.items():
        *path, last = key.split(".")
        node = data
        for part in path:
            node = node[part]
        if node.get(last) == value:
            del node[last]
    return data


def update[P: BaseModel](params: P, values: Mapping[str, object]) -> P:
    """``params`` with values set by dotted path (``{"moving.mobility_scale": 1.5}``, also into
    tables: ``"participation.format_shift.open"``), validated again.

    Raises:
        KeyError: a path that names no parameter.
        pydantic.ValidationError: a value out of range.
    """
    data = params.model_dump()
    for key, value in values.items():
        *path, last = key.split(".")
        node = data
        for part in path:
            if not isinstance(node.get(part), dict):
                raise KeyError(key)
            node = node[part]
        if last not in node:
            raise KeyError(key)
        node[last] = value
    return type(params).model_validate(data)


def get(params: BaseModel, key: str) -> object:
    """The value at a dotted ``key`` (as for :func:`update`).

    Raises:
        KeyError: a path that names no parameter.
    """
    node = params.model_dump()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    return node
