"""The planner's Django side: read a candidate file, build the planning problem with the reach engine,
solve it (reach.planner), describe the plan, and save it as a scenario.

A candidate file is the import_catalogue row format with two leading columns, `id,cost`; a site
code not in the catalogue is a new site at the row's lat/lon. Every candidate is checked like any
scenario change (the offer rules and the site checks); problems name the file, row and field, and
nothing is planned then. Each candidate's reach is computed by the engine itself, one candidate per
engine "option", so the plan's promise is what a run of the saved scenario computes.

An outreach candidate holds one session of an option from a site in the localities on its row.
Candidates of the same site and option share one outreach offer (the catalogue allows one per site,
option and delivery): the first adds it, the next ones add their localities to it, and each
candidate's reach is only its own localities. Such rows must agree on the offer's other values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from django.db import transaction

from areas.models import Locality
from choicemap import csvsafe
from choicemap.imports import ImportFailed, ImportProblem, RowReader
from services.models import Delivery, SiteOffer
from services.services import (
    CATALOGUE_COLUMNS,
    CATALOGUE_OPTIONAL_COLUMNS,
    check_catalogue_providers,
    parse_catalogue_rows,
)

from .engine import OfferArrays, ReachParams, compute_reach, crowfly_for_params, effective_car_share
from .equity import LocalityFigures, equity_figures
from .models import ChangeKind, ReachProfile, ReachRun, Scenario, TravelProvider
from .planner import Outcome, Plan, PlanningProblem, locality_values, plan
from .scenario_catalogue import CHANGE_FIELDS, ScenarioCatalogue
from .scenario_selectors import live_catalogue
from .scenario_services import add_change, create_scenario
from .selectors import CatalogueSnapshot, default_profile, engine_params, load_snapshot, matrix_travel_times_for
from .travel import haversine_km

CANDIDATE_COLUMNS = ["id", "cost", *CATALOGUE_COLUMNS]
GENERATED_COLUMNS = [*CANDIDATE_COLUMNS, *CATALOGUE_OPTIONAL_COLUMNS]  # with the new provider's kind
WEIGHTS = ("none", "imd")
COVERAGE_CHUNK = 256  # candidates per engine call: bounds the dense locality × candidate arrays


@dataclass
class Candidate:
    id: str
    cost: float
    row: int
    changes: list[tuple[str, dict]]  # add_site (a new site's first row only) and add_offer
    offer_index: int = -1  # in the snapshot with every candidate added


def read_candidates(*, path: Path | str, catalogue: ScenarioCatalogue) -> list[Candidate]:
    """Parse and check a candidate file, adding every candidate to `catalogue` (a live catalogue copy).

    Raises ImportFailed listing every problem by row and field.
    """
    reader = RowReader(path, required=CANDIDATE_COLUMNS, optional=CATALOGUE_OPTIONAL_COLUMNS)
    rows = parse_catalogue_rows(reader, outreach_sessions=True)
    check_catalogue_providers(reader, rows)
    if any(problem.location in ("header", "file") for problem in reader.problems):
        raise ImportFailed(reader.problems)
    ids: dict[str, int] = {}
    costs: dict[int, tuple[str, float | None]] = {}
    for row_number, row in RowReader(path, required=CANDIDATE_COLUMNS, optional=CATALOGUE_OPTIONAL_COLUMNS).rows():
        where = f"row {row_number}"
        candidate_id = reader.parse.text(where, "id", row["id"], required=True, max_length=100)
        cost = reader.parse.number(where, "cost", row["cost"], required=True, minimum=0)
        if candidate_id in ids:
            reader.problem(where, "id", f"duplicate id {candidate_id!r} (first on row {ids[candidate_id]})")
        ids.setdefault(candidate_id, row_number)
        costs[row_number] = (candidate_id, cost)
    candidates = []
    new_sites: set[str] = set()
    outreach_values: dict[tuple[str, str], tuple[int, dict]] = {}
    for offer_row in rows:
        candidate_id, cost = costs[offer_row.row]
        changes = _candidate_changes(offer_row, catalogue, reader, new_sites)
        candidates.append(Candidate(id=candidate_id, cost=cost or 0.0, row=offer_row.row, changes=changes))
    for candidate in candidates:
        if reader.problems:
            break
        for kind, values in candidate.changes:
            change = _outreach_to_existing(catalogue, values) if kind == ChangeKind.ADD_OFFER else None
            if kind == ChangeKind.ADD_OFFER and values["delivery"] == Delivery.OUTREACH:
                _check_shared_outreach(reader, candidate, values, outreach_values)
            for field_name, message in catalogue.apply(*(change or (kind, values))).items():
                reader.problem(f"row {candidate.row}", _row_field(field_name), message)
        values = candidate.changes[-1][1]
        site = catalogue.site_by_code.get(values["site_code"])
        option = catalogue.option_index.get(values["option_code"])
        candidate.offer_index = (
            -1 if site is None or option is None else catalogue.offer_by_key.get((site, option, values["delivery"]), -1)
        )
    if reader.problems:
        raise ImportFailed(reader.problems)
    return candidates


def _offer_key(values: dict) -> tuple[str, str]:
    return values["site_code"], values["option_code"]


def _outreach_to_existing(catalogue: ScenarioCatalogue, offer: dict) -> tuple[str, dict] | None:
    """add_outreach instead of add_offer when the site already has this outreach offer open."""
    if offer["delivery"] != Delivery.OUTREACH:
        return None
    site = catalogue.site_by_code.get(offer["site_code"])
    option = catalogue.option_index.get(offer["option_code"])
    index = None if site is None or option is None else catalogue.offer_by_key.get((site, option, Delivery.OUTREACH))
    if index is None or not catalogue.offers[index].active:
        return None
    localities = list(offer.get("outreach_localities") or [])
    return ChangeKind.ADD_OUTREACH, {**_pick(offer, ("site_code", "option_code")), "localities": localities}


def _pick(values: dict, names) -> dict:
    return {name: values[name] for name in names}


def _check_shared_outreach(reader: RowReader, candidate: Candidate, offer: dict, seen: dict) -> None:
    """Outreach candidates sharing one offer must agree on its values (capacity, wait, ages)."""
    own = {k: v for k, v in offer.items() if k != "outreach_localities"}
    first_row, first = seen.setdefault(_offer_key(offer), (candidate.row, own))
    differing = sorted(k for k in own.keys() | first.keys() if own.get(k) != first.get(k))
    if differing:
        reader.problem(
            f"row {candidate.row}",
            differing[0],
            f"outreach of {offer['option_code']} from {offer['site_code']} is on row {first_row} with other "
            f"values ({', '.join(differing)}): candidates sharing one outreach offer must agree",
        )


def _row_field(field_name: str) -> str:
    return {"code": "site_code", "name": "site_name", "localities": "outreach_localities"}.get(field_name, field_name)


def _candidate_changes(
    offer_row, catalogue: ScenarioCatalogue, reader: RowReader, new_sites: set[str]
) -> list[tuple[str, dict]]:
    """add_site on a new site's first row (the parser has checked its other rows agree), then add_offer."""
    changes: list[tuple[str, dict]] = []
    where = f"row {offer_row.row}"
    index = catalogue.site_by_code.get(offer_row.site_code)
    if index is None:
        if offer_row.site_code not in new_sites:
            site = {
                "code": offer_row.site_code,
                "name": offer_row.site_name,
                "provider": offer_row.provider,
                "lat": offer_row.lat,
                "lon": offer_row.lon,
                "provider_kind": offer_row.provider_kind,
            }
            new_sites.add(offer_row.site_code)
            changes.append((ChangeKind.ADD_SITE, site))
    else:
        existing = catalogue.sites[index]
        provider_id = catalogue.provider_names.get(offer_row.provider)
        if (existing.lat, existing.lon) != (offer_row.lat, offer_row.lon) or provider_id != existing.provider_id:
            reader.problem(
                where, "site_code", f"site {offer_row.site_code} is in the catalogue with another provider or lat/lon"
            )
    offer = {"site_code": offer_row.site_code, "option_code": offer_row.option_code, "delivery": offer_row.delivery}
    offer |= {k: v for k, v in offer_row.values.items() if k != "active" and v is not None}
    if offer_row.outreach_codes:
        offer["outreach_localities"] = offer_row.outreach_codes
    if offer_row.values.get("active") is False:
        reader.problem(where, "active", "a candidate is an offer to add: it cannot be inactive")
    changes.append((ChangeKind.ADD_OFFER, offer))
    return changes


# --------------------------------------------------------------------------------------------
# the problem, from the engine
# --------------------------------------------------------------------------------------------


def _offer_subset(
    offers: OfferArrays, idx: np.ndarray, option_idx: np.ndarray, provider_idx: np.ndarray
) -> OfferArrays:
    """The offers `idx`, relabelled: each one its own option and provider, or (option, provider) pairs.

    An offer may be listed more than once (outreach candidates sharing one offer): each copy gets
    the offer's outreach localities."""
    order = np.argsort(offers.outreach_offer_idx, kind="stable")
    by_offer = offers.outreach_offer_idx[order]
    starts = np.searchsorted(by_offer, idx, side="left")
    counts = np.searchsorted(by_offer, idx, side="right") - starts
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    pairs = order[np.repeat(starts, counts) + offsets]
    return OfferArrays(
        site_idx=offers.site_idx[idx],
        option_idx=option_idx,
        provider_idx=provider_idx,
        delivery=offers.delivery[idx],
        capacity_per_week=offers.capacity_per_week[idx],
        waiting_weeks=offers.waiting_weeks[idx],
        active=offers.active[idx],
        home_visit_km=offers.home_visit_km[idx],
        outreach_offer_idx=np.repeat(np.arange(idx.size), counts),
        outreach_locality_idx=offers.outreach_locality_idx[pairs],
    )


def _reach_of(snapshot: CatalogueSnapshot, offers: OfferArrays, n_labels: int, travel, params: ReachParams):
    return compute_reach(
        localities=snapshot.localities,
        sites=snapshot.sites,
        offers=offers,
        n_options=n_labels,
        n_providers=n_labels,
        travel=travel,
        params=params,
    )


def locality_weight(snapshot: CatalogueSnapshot, weight: str) -> np.ndarray:
    """People, or people × (1 + (10 − IMD decile) / 9) with `imd` (decile 0 = unknown counts 1)."""
    people = np.nan_to_num(snapshot.localities.population, nan=0.0)
    if weight == "none":
        return people
    if weight != "imd":
        raise ValueError(f"unknown weight {weight!r} (one of {', '.join(WEIGHTS)})")
    decile = snapshot.localities.imd_decile
    return people * np.where(decile > 0, 1 + (10 - decile) / 9, 1.0)


def build_problem(
    *,
    base: CatalogueSnapshot,
    with_candidates: CatalogueSnapshot,
    candidates: list[Candidate],
    params: ReachParams,
    provider: str,
    weight: str,
    min_options: int,
) -> PlanningProblem:
    travel = (
        matrix_travel_times_for(with_candidates)
        if provider == TravelProvider.MATRIX
        else crowfly_for_params(localities=with_candidates.localities, sites=with_candidates.sites, params=params)
    )
    n_loc, n_opt = base.locality_ids.size, base.n_options
    # today: the live offers on the site list that also holds the new sites (they are appended)
    base_offers = _offer_subset(
        with_candidates.offers, np.arange(base.offer_ids.size), base.offers.option_idx, base.offers.provider_idx
    )
    today = compute_reach(
        localities=with_candidates.localities,
        sites=with_candidates.sites,
        offers=base_offers,
        n_options=n_opt,
        n_providers=base.n_providers,
        travel=travel,
        params=params,
    )
    offer_idx = np.array([c.offer_index for c in candidates], dtype=np.int64)
    cand_option = with_candidates.offers.option_idx[offer_idx].astype(np.int64)
    cand_provider = with_candidates.provider_ids[with_candidates.offers.provider_idx[offer_idx]]
    without, with_car = [], []
    for start in range(0, offer_idx.size, COVERAGE_CHUNK):
        chunk = offer_idx[start : start + COVERAGE_CHUNK]
        labels = np.arange(chunk.size)
        reach = _reach_of(
            with_candidates, _offer_subset(with_candidates.offers, chunk, labels, labels), chunk.size, travel, params
        )
        without.append(reach.reachable_without_car)
        with_car.append(reach.reachable_with_car)
    reach_without = np.hstack(without) if without else np.zeros((n_loc, 0), bool)
    reach_with = np.hstack(with_car) if with_car else np.zeros((n_loc, 0), bool)
    own = _own_outreach(base, candidates)  # candidates sharing an outreach offer reach only their localities
    reach_without &= own
    reach_with &= own

    def cells(reach: np.ndarray) -> sp.csr_matrix:
        loc, cand = np.nonzero(reach)
        return sp.csr_matrix(
            (np.ones(loc.size), (cand, loc * n_opt + cand_option[cand])), shape=(offer_idx.size, n_loc * n_opt)
        )

    return PlanningProblem(
        weight=locality_weight(base, weight),
        car_share=effective_car_share(base.localities, params),
        base_without=today.reachable_without_car,
        base_with=today.reachable_with_car,
        base_providers=today.providers_without_car,
        cost=np.array([c.cost for c in candidates], dtype=np.float64),
        provider=cand_provider,
        cover_without=cells(reach_without),
        cover_with=cells(reach_with),
        new_provider=cells(
            reach_without
            & ~_provider_reaches_today(
                base=base,
                with_candidates=with_candidates,
                travel=travel,
                params=params,
                cand_option=cand_option,
                cand_provider=cand_provider,
            )
        ),
        real_choice_providers=params.real_choice_providers,
        min_options=min_options,
    )


def _own_outreach(base: CatalogueSnapshot, candidates: list[Candidate]) -> np.ndarray:
    """(n_localities, n_candidates): True, except an outreach candidate's column is only its own localities."""
    index = {code: i for i, code in enumerate(base.locality_codes)}
    own = np.ones((base.locality_ids.size, len(candidates)), dtype=bool)
    for j, candidate in enumerate(candidates):
        offer = candidate.changes[-1][1]
        if offer["delivery"] == Delivery.OUTREACH:
            own[:, j] = False
            own[[index[code] for code in offer.get("outreach_localities") or []], j] = True
    return own


def _refuse_new_sites_on_matrix(candidates: list[Candidate], path: Path | str) -> None:
    """An imported matrix has no rows for a new site: its candidates would seem to reach no one."""
    problems = [
        ImportProblem(
            Path(path).name,
            f"row {candidate.row}",
            "site_code",
            f"new site {values['code']!r} has no rows in the imported travel-time matrix: "
            "plan with crow-fly (--provider crowfly), or import its travel times first",
        )
        for candidate in candidates
        for kind, values in candidate.changes
        if kind == ChangeKind.ADD_SITE
    ]
    if problems:
        raise ImportFailed(problems)


def _provider_reaches_today(*, base, with_candidates, travel, params, cand_option, cand_provider) -> np.ndarray:
    """(n_localities, n_candidates): the candidate's provider already reaches its option there without a car."""
    base_provider = base.provider_ids[base.offers.provider_idx]
    pairs = {(int(o), int(p)) for o, p in zip(cand_option, cand_provider, strict=True)}
    pair_index = {pair: i for i, pair in enumerate(sorted(pairs))}
    keys = [(int(o), int(p)) for o, p in zip(base.offers.option_idx, base_provider, strict=True)]
    idx = np.array([i for i, key in enumerate(keys) if key in pair_index], dtype=np.int64)
    n_loc = base.locality_ids.size
    if idx.size == 0:
        return np.zeros((n_loc, cand_option.size), bool)
    labels = np.array([pair_index[keys[i]] for i in idx], dtype=np.int64)
    reach = _reach_of(
        with_candidates, _offer_subset(with_candidates.offers, idx, labels, labels), len(pair_index), travel, params
    )
    columns = np.array([pair_index[(int(o), int(p))] for o, p in zip(cand_option, cand_provider, strict=True)])
    return reach.reachable_without_car[:, columns]


# --------------------------------------------------------------------------------------------
# the plan
# --------------------------------------------------------------------------------------------


def _figures(base: CatalogueSnapshot, problem: PlanningProblem, result: Outcome) -> LocalityFigures:
    return LocalityFigures(
        codes=list(base.locality_codes),
        population=np.nan_to_num(base.localities.population, nan=0.0),
        car_share=problem.car_share,
        menu_without_car=result.reach_without.sum(axis=1),
        menu_with_car=result.reach_with.sum(axis=1),
        expected_menu=result.expected_menu(problem.car_share),
        real_choice_without_car=(result.providers_without >= problem.real_choice_providers).sum(axis=1),
        rurality=base.localities.rurality,
        imd_decile=base.localities.imd_decile,
        n_options=base.n_options,
    )


def make_plan(
    *,
    path: Path | str,
    budget: float,
    objective: str,
    min_options: int = 1,
    weight: str = "none",
    profile: ReachProfile | None = None,
    provider: str = TravelProvider.CROWFLY,
    time_limit: float = 60.0,
) -> tuple[dict, list[Candidate]]:
    """The plan as a JSON-ready dict, and the candidates (to save the chosen ones as a scenario)."""
    profile = profile or default_profile()
    params = ReachParams(**engine_params(profile.params()))
    base = load_snapshot()
    catalogue = live_catalogue(base)
    candidates = read_candidates(path=path, catalogue=catalogue)
    if provider == TravelProvider.MATRIX:
        _refuse_new_sites_on_matrix(candidates, path)
    problem = build_problem(
        base=base,
        with_candidates=catalogue.snapshot(),
        candidates=candidates,
        params=params,
        provider=provider,
        weight=weight,
        min_options=min_options,
    )
    result = plan(problem, objective=objective, budget=budget, time_limit=time_limit)
    return describe_plan(result, problem, base, candidates, profile=profile, weight=weight, budget=budget), candidates


def describe_plan(
    result: Plan, problem: PlanningProblem, base: CatalogueSnapshot, candidates: list[Candidate], **context
) -> dict:
    if result.before is None or result.after is None:  # `plan` always measures both
        raise ValueError("a plan without its outcomes before and after")
    before = locality_values(problem, result.objective, result.before)
    after = locality_values(problem, result.objective, result.after)
    population = np.nan_to_num(base.localities.population, nan=0.0)
    gaining = np.flatnonzero(after - before > 1e-9)
    return {
        "objective": result.objective,
        "weight": context["weight"],
        "min_options": problem.min_options,
        "budget": context["budget"],
        "profile": context["profile"].name,
        "method": result.method,
        "optimal": result.optimal,
        "gap": result.gap,
        "bound": result.bound,
        "guarantee": result.guarantee,
        "solver_status": result.solver_status,
        "seconds": round(result.seconds, 3),
        "value_before": result.value_before,
        "value_after": result.value_after,
        "cost": result.cost,
        "chosen": [candidates[a].id for a in result.chosen],
        "actions": [
            {
                "id": candidates[a].id,
                "cost": candidates[a].cost,
                "marginal_gain": gain,
                **{k: candidates[a].changes[-1][1][k] for k in ("site_code", "option_code", "delivery")},
            }
            for a, gain in zip(result.chosen, result.marginal_gains, strict=True)
        ],
        "people_gaining": float(population[gaining].sum()),
        "localities_gaining": [
            {
                "locality_code": base.locality_codes[i],
                "population": float(population[i]),
                "value_before": float(before[i]),
                "value_after": float(after[i]),
            }
            for i in gaining
        ],
        "equity_before": equity_figures(_figures(base, problem, result.before)),
        "equity_after": equity_figures(_figures(base, problem, result.after)),
        "n_candidates": len(candidates),
    }


@transaction.atomic
def save_plan_as_scenario(*, name: str, owner, chosen: list[str], candidates: list[Candidate]) -> Scenario:
    """A scenario holding the chosen candidates' changes (a new site once, before its offers; an
    outreach session added to the site's outreach offer when it has one, else opening that offer)."""
    by_id = {c.id: c for c in candidates}
    scenario = create_scenario(name=name, owner=owner, description="Saved from a plan: " + ", ".join(chosen))
    catalogue = live_catalogue()
    site_fields = set(CHANGE_FIELDS[ChangeKind.ADD_SITE][0]) | set(CHANGE_FIELDS[ChangeKind.ADD_SITE][1])
    written_sites: set[str] = set()
    for candidate_id in chosen:
        offer = by_id[candidate_id].changes[-1][1]
        site = _site_change(candidates, offer["site_code"])
        if site is not None and offer["site_code"] not in written_sites:
            # provider_kind goes with the site: a new provider needs its kind
            values = {k: v for k, v in site.items() if k in site_fields and v not in (None, "")}
            add_change(scenario=scenario, kind=ChangeKind.ADD_SITE, values=values)
            catalogue.apply(ChangeKind.ADD_SITE, values)
            written_sites.add(offer["site_code"])
        kind, values = _outreach_to_existing(catalogue, offer) or (ChangeKind.ADD_OFFER, offer)
        add_change(scenario=scenario, kind=kind, values=values)
        catalogue.apply(kind, values)
    return scenario


def _site_change(candidates: list[Candidate], site_code: str) -> dict | None:
    for candidate in candidates:
        for kind, values in candidate.changes:
            if kind == ChangeKind.ADD_SITE and values["code"] == site_code:
                return values
    return None


# --------------------------------------------------------------------------------------------
# generated candidates
# --------------------------------------------------------------------------------------------


def new_site_candidates(
    *,
    run: ReachRun,
    option_codes: list[str],
    provider: str,
    cost: float,
    provider_kind: str = "",
    site_prefix: str = "NEW-",
) -> list[dict]:
    """Candidate rows (the candidate file's columns): a new site at the origin of each locality where
    an option is out of reach without a car in `run`, offering that option on site. A locality's
    rows share one new site, so choosing two of them adds one site with two offers."""
    columns = _option_columns(run, option_codes)
    origins = dict(Locality.objects.values_list("code", "origin"))
    rows = []
    for result in run.results.order_by("locality_code"):
        origin = origins.get(result.locality_code)
        if origin is None:
            continue
        for code, k in zip(option_codes, columns, strict=True):
            if result.providers_without_car[k] == 0:
                site_code = f"{site_prefix}{result.locality_code}"
                rows.append(
                    _candidate_row(
                        id=f"{site_code}:{code}",
                        cost=cost,
                        provider=provider,
                        provider_kind=provider_kind,
                        site_code=site_code,
                        site_name=f"New site in {result.locality_code}",
                        lat=round(origin.y, 6),
                        lon=round(origin.x, 6),
                        option_code=code,
                        delivery=Delivery.ON_SITE,
                    )
                )
    return rows


def outreach_candidates(*, run: ReachRun, option_codes: list[str], radius_km: float, cost: float) -> list[dict]:
    """Candidate rows: outreach of option O from site S in each locality without O, i.e. where O is out
    of reach without a car in `run`, for every open site offering O on site within `radius_km`
    (crow-fly, site to the locality's origin) of that locality. S's provider runs the session."""
    columns = dict(zip(option_codes, _option_columns(run, option_codes), strict=True))
    without: dict[str, list[str]] = {code: [] for code in option_codes}
    for locality_code, providers in run.results.order_by("locality_code").values_list(
        "locality_code", "providers_without_car"
    ):
        for code, k in columns.items():
            if providers[k] == 0:
                without[code].append(locality_code)
    origins = dict(Locality.objects.filter(origin__isnull=False).values_list("code", "origin"))
    offers = (
        SiteOffer.objects.filter(
            option__code__in=option_codes, delivery=Delivery.ON_SITE, active=True, site__active=True
        )
        .select_related("site", "site__provider", "option")
        .order_by("option__code", "site__code")
    )
    rows = []
    for offer in offers:
        site = offer.site
        lacking = [code for code in without[offer.option.code] if code in origins]
        if not lacking:
            continue
        lat = np.array([origins[code].y for code in lacking])
        lon = np.array([origins[code].x for code in lacking])
        near = haversine_km(site.location.y, site.location.x, lat, lon) <= radius_km
        for locality_code in np.array(lacking)[near].tolist():
            rows.append(
                _candidate_row(
                    id=f"OUT:{site.code}:{offer.option.code}:{locality_code}",
                    cost=cost,
                    provider=site.provider.name,
                    provider_kind=site.provider.kind,
                    site_code=site.code,
                    site_name=site.name,
                    lat=round(site.location.y, 7),
                    lon=round(site.location.x, 7),
                    option_code=offer.option.code,
                    delivery=Delivery.OUTREACH,
                    outreach_localities=locality_code,
                )
            )
    return rows


def _option_columns(run: ReachRun, option_codes: list[str]) -> list[int]:
    unknown = sorted(set(option_codes) - set(run.option_codes))
    if unknown:
        raise ValueError(f"options not in run {run.pk}: {', '.join(unknown)}")
    return [run.option_codes.index(code) for code in option_codes]


def _candidate_row(**values) -> dict:
    return {**dict.fromkeys(GENERATED_COLUMNS, ""), **values}


def write_candidates(*, rows: list[dict], output) -> None:
    """The rows as the candidate file; names from the catalogue are escaped against spreadsheet formulas
    (choicemap.csvsafe), and the candidate reader undoes that."""
    writer = csvsafe.DictWriter(output, fieldnames=GENERATED_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
