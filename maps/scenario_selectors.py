"""Reads for the scenario pages: the list, a scenario's changes in words, the choices its change forms
offer, its runs, and its comparison with the base as rows a table and a CSV show.

The figures come from reach.scenario_selectors.compare_runs and reach.selectors.locality_reach
unchanged; this module only names and orders them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from django.db.models import Count, OuterRef, QuerySet, Subquery

from areas.models import Locality
from reach.models import ChangeKind, ReachProfile, ReachRun, RunStatus, Scenario, ScenarioChange
from reach.plan_services import CANDIDATE_COLUMNS, new_site_candidates
from reach.scenario_catalogue import ScenarioCatalogue, ScenarioInvalid
from reach.scenario_selectors import base_run_for, compare_runs, live_catalogue, scenario_catalogue, scenario_chain
from reach.selectors import current_run, locality_reach
from services.models import Delivery, MenuOption, Site

ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
# The per-locality comparison: (key in compare_runs' rows, heading).
COMPARED = {
    "menu_without_car": "Menu without a car",
    "menu_with_car": "Menu with a car",
    "expected_menu": "Expected menu",
    "real_choice_without_car": "Real choice without a car",
}
EQUITY_ROWS = {
    "mean_expected_menu": "Mean expected menu",
    "gini_expected_menu": "Gini of expected menu (0 = equal)",
    "full_menu_share_without_car": "Share of people with the full menu without a car",
    "rural_expected_menu": "Rural: mean expected menu",
    "urban_expected_menu": "Urban: mean expected menu",
    "urban_minus_rural": "Gap: urban minus rural",
    "most_deprived_fifth_expected_menu": "Most deprived fifth: mean expected menu",
    "least_deprived_fifth_expected_menu": "Least deprived fifth: mean expected menu",
    "least_minus_most_deprived": "Gap: least minus most deprived fifth",
}
SORT_KEYS = (
    "locality_name",
    "population",
    *(f"{name}_{side}" for name in COMPARED for side in ("before", "after", "change")),
)


def scenario_list() -> QuerySet[Scenario]:
    """Every scenario, newest first, with its owner, base, number of changes and latest run."""
    latest = ReachRun.objects.filter(scenario=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        Scenario.objects.select_related("owner", "base", "applied_by")
        .annotate(
            n_changes=Count("changes"),
            latest_run_id=Subquery(latest.values("pk")[:1]),
            latest_run_status=Subquery(latest.values("status")[:1]),
        )
        .order_by("-updated_at", "-id")
    )


def latest_run(scenario: Scenario) -> ReachRun | None:
    return scenario.runs.order_by("-created_at", "-id").first()


def latest_succeeded_run(scenario: Scenario, run_id: int | None = None) -> ReachRun | None:
    runs = scenario.runs.filter(status=RunStatus.SUCCEEDED).order_by("-finished_at", "-id")
    return runs.filter(pk=run_id).first() if run_id else runs.first()


# ---- the changes in words ---------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Names to describe changes with: sites (the catalogue's and those the scenario chain adds),
    options and localities, by code."""

    sites: dict[str, str]
    options: dict[str, str]
    localities: dict[str, str]

    def site(self, code) -> str:
        return f"{self.sites[code]} ({code})" if code in self.sites else str(code)

    def option(self, code) -> str:
        return self.options.get(code, str(code))

    def place_list(self, codes) -> str:
        return ", ".join(self.localities.get(code, str(code)) for code in codes or [])


def names_for(scenario: Scenario) -> Names:
    sites = dict(Site.objects.values_list("code", "name"))
    for link in scenario_chain(scenario):
        for values in link.changes.filter(kind=ChangeKind.ADD_SITE).values_list("values", flat=True):
            if isinstance(values, dict) and "code" in values:
                sites.setdefault(str(values["code"]), str(values.get("name", "")))
    return Names(
        sites=sites,
        options=dict(MenuOption.objects.values_list("code", "name")),
        localities=dict(Locality.objects.values_list("code", "name")),
    )


def _delivery(code: str) -> str:
    return code.replace("_", " ")  # "on site", "home visit": the catalogue's own words


def _offer_terms(values: dict, names: Names) -> str:
    delivery = _delivery(values["delivery"])
    return f"{names.option(values['option_code'])} {delivery} at {names.site(values['site_code'])}"


def _figures(values: dict) -> str:
    parts = []
    if values.get("capacity_per_week") is not None:
        parts.append(f"capacity {values['capacity_per_week']:g} a week")
    elif "capacity_per_week" in values:  # given as empty: unknown
        parts.append("capacity not known")
    if values.get("waiting_weeks") is not None:
        parts.append(f"wait {values['waiting_weeks']:g} weeks")
    elif "waiting_weeks" in values:
        parts.append("wait not known")
    if values.get("min_age") is not None or values.get("max_age") is not None:
        parts.append(f"ages {values.get('min_age', '') or 0}–{values.get('max_age') or 'any'}")
    if values.get("home_visit_km") is not None:
        parts.append(f"home visits within {values['home_visit_km']:g} km")
    return f" ({', '.join(parts)})" if parts else ""


def describe_change(kind: str, values, names: Names) -> str:
    """One change in words, e.g. "Add site Wareham Hub (WH1) of a new voluntary provider Dorset Mind"."""
    if not isinstance(values, dict):
        return f"{kind}: (no values)"
    try:
        return _describe(kind, values, names)
    except (KeyError, TypeError, ValueError):  # a change stored before its rules tightened
        return f"{ChangeKind(kind).label if kind in ChangeKind.values else kind}: {json.dumps(values, sort_keys=True)}"


def _add_site(values: dict, names: Names) -> str:
    kind = f"{values['provider_kind'].replace('_', ' ')} " if values.get("provider_kind") else ""
    return (
        f"Add site {values['name']} ({values['code']}) of {kind}provider {values['provider']}, "
        f"at {values['lat']:g}, {values['lon']:g}"
    )


def _add_offer(values: dict, names: Names) -> str:
    where = values.get("outreach_localities")
    held = f", held in {names.place_list(where)}" if where else ""
    return f"Add offer of {_offer_terms(values, names)}{_figures(values)}{held}"


def _outreach(verb: str, preposition: str):
    def describe(values: dict, names: Names) -> str:
        return (
            f"{verb} outreach of {names.option(values['option_code'])} from {names.site(values['site_code'])} "
            f"{preposition} {names.place_list(values['localities'])}"
        )

    return describe


_DESCRIBE = {
    ChangeKind.ADD_SITE: _add_site,
    ChangeKind.ADD_OFFER: _add_offer,
    ChangeKind.CLOSE_SITE: lambda values, names: f"Close site {names.site(values['site_code'])}",
    ChangeKind.CLOSE_OFFER: lambda values, names: f"Close offer of {_offer_terms(values, names)}",
    ChangeKind.CHANGE_OFFER: lambda values, names: (
        f"Change offer of {_offer_terms(values, names)}: {_figures(values).strip(' ()') or 'no change'}"
    ),
    ChangeKind.ADD_OUTREACH: _outreach("Hold", "also in"),
    ChangeKind.REMOVE_OUTREACH: _outreach("Stop", "in"),
    ChangeKind.MAKE_REMOTE: lambda values, names: (
        f"Offer {names.option(values['option_code'])} remotely from {names.site(values['site_code'])}{_figures(values)}"
    ),
}


def _describe(kind: str, values: dict, names: Names) -> str:
    if kind not in _DESCRIBE:
        return f"{kind}: {json.dumps(values, sort_keys=True)}"
    return _DESCRIBE[ChangeKind(kind)](values, names)


def described_changes(scenario: Scenario) -> list[tuple[ScenarioChange, str]]:
    names = names_for(scenario)
    return [
        (change, describe_change(change.kind, change.values, names)) for change in scenario.changes.order_by("position")
    ]


def base_changes(scenario: Scenario) -> list[tuple[Scenario, int]]:
    """The scenario's bases, the live catalogue's first, with their numbers of changes."""
    return [(link, link.changes.count()) for link in scenario_chain(scenario)[:-1]]


# ---- what the change forms offer ---------------------------------------------------------------


@dataclass(frozen=True)
class FormChoices:
    sites: list[tuple[str, str]]  # open sites: (code, label)
    options: list[tuple[str, str]]
    localities: list[tuple[str, str]]
    offers: list[tuple[str, str]]  # open offers: (json [site, option, delivery], label)
    outreach_offers: list[tuple[str, str]]  # open outreach offers: (json [site, option], label)
    providers: list[str]


def offer_choice(site_code: str, option_code: str, delivery: str | None = None) -> str:
    return json.dumps([site_code, option_code] + ([delivery] if delivery else []))


def form_choices(scenario: Scenario) -> FormChoices:
    """The sites, offers, options and localities the scenario's catalogue has once its changes are made."""
    try:
        catalogue: ScenarioCatalogue = scenario_catalogue(scenario)
    except ScenarioInvalid:  # the catalogue moved on under the scenario: offer what the live one has
        catalogue = live_catalogue()
    names = names_for(scenario)
    option_codes = list(catalogue.base.option_codes)
    open_sites = [site for site in catalogue.sites if site.active]
    offers, outreach = [], []
    for offer in catalogue.offers:
        site = catalogue.sites[offer.site]
        if not (offer.active and site.active):
            continue
        option = option_codes[offer.option]
        label = f"{names.option(option)} · {_delivery(offer.delivery)} · {names.site(site.code)}"
        offers.append((offer_choice(site.code, option, offer.delivery), label))
        if offer.delivery == Delivery.OUTREACH:
            outreach.append((offer_choice(site.code, option), f"{names.option(option)} · {names.site(site.code)}"))
    return FormChoices(
        sites=sorted(((s.code, names.site(s.code)) for s in open_sites), key=lambda pair: pair[1].lower()),
        options=[(code, names.option(code)) for code in option_codes],
        localities=sorted(
            ((code, f"{names.localities.get(code, code)} ({code})") for code in catalogue.base.locality_codes),
            key=lambda pair: pair[1].lower(),
        ),
        offers=sorted(offers, key=lambda pair: pair[1].lower()),
        outreach_offers=sorted(outreach, key=lambda pair: pair[1].lower()),
        providers=sorted(catalogue.provider_names, key=str.lower),
    )


# ---- the comparison ----------------------------------------------------------------------------


def comparison(scenario_run: ReachRun) -> dict | None:
    """compare_runs against the run's base, with locality names added to each row; None without a base run."""
    base = base_run_for(scenario_run)
    if base is None:
        return None
    compared = compare_runs(base=base, scenario_run=scenario_run)
    names = dict(scenario_run.results.values_list("locality_code", "locality_name"))
    for row in compared["localities"]:
        row["locality_name"] = names.get(row["locality_code"], row["locality_code"])
    compared["gaining"] = [names.get(code, code) for code in compared["localities_gaining"]]
    compared["losing"] = [names.get(code, code) for code in compared["localities_losing"]]
    compared["equity_rows"] = equity_rows(compared["equity_before"], compared["equity_after"])
    compared["base"] = base
    return compared


def _difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def sorted_rows(rows: list[dict], *, sort: str, descending: bool) -> list[dict]:
    key = sort if sort in SORT_KEYS else "locality_name"
    if key == "locality_name":
        return sorted(rows, key=lambda row: (str(row[key]).lower(), row["locality_code"]), reverse=descending)
    return sorted(rows, key=lambda row: (row[key], row["locality_code"]), reverse=descending)


def csv_rows(compared: dict) -> tuple[list[str], list[list]]:
    header = ["locality_code", "locality_name", "population"] + [
        f"{name}_{side}" for name in COMPARED for side in ("before", "after", "change")
    ]
    return header, [[row[column] for column in header] for row in compared["localities"]]


def locality_before_after(*, base: ReachRun, scenario_run: ReachRun, locality_code: str) -> dict | None:
    """One locality in both runs: per option, reach without and with a car, providers and nearest times."""
    before = locality_reach(run=base, locality_code=locality_code)
    after = locality_reach(run=scenario_run, locality_code=locality_code)
    if before is None or after is None:
        return None
    before_options = {option["code"]: option for option in before["options"]}
    options = [
        {"code": option["code"], "name": option["name"], "before": before_options.get(option["code"]), "after": option}
        for option in after["options"]
    ]
    for option in options:
        for side in ("before", "after"):
            detail = option[side]
            if detail is not None:
                detail["without_car_minutes"] = _nearest(detail, ("walk", "pt"))
                detail["with_car_minutes"] = _nearest(detail, ("walk", "pt", "car"))
        option["changed"] = option["before"] is None or any(
            option["before"][key] != option["after"][key]
            for key in ("providers_without_car", "providers_with_car", "without_car_minutes", "with_car_minutes")
        )
    return {"before": before, "after": after, "options": options}


def _nearest(detail: dict, modes: tuple[str, ...]) -> float | None:
    minutes = [detail["nearest"][mode]["minutes"] for mode in modes if mode in detail["nearest"]]
    minutes = [m for m in minutes if m is not None]
    return min(minutes) if minutes else None


# ---- the planner page --------------------------------------------------------------------------


def option_choices() -> list[tuple[str, str]]:
    return list(MenuOption.objects.filter(active=True).order_by("display_order", "code").values_list("code", "name"))


def generated_candidates_csv(
    *, option_codes: list[str], provider: str, provider_kind: str, cost: float, profile: ReachProfile
) -> str:
    """reach.plan_services.new_site_candidates on the profile's current run, as a candidate file's text
    (with the provider's kind, which a provider new to the catalogue needs)."""
    run = current_run(profile=profile)
    if run is None:
        raise ValueError(f"profile {profile.name} has no succeeded run to find the gaps in: recompute the map first")
    rows = new_site_candidates(run=run, option_codes=option_codes, provider=provider, cost=cost)
    if not rows:
        raise ValueError(f"in run {run.pk} every locality reaches these options without a car: nothing to propose")
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=[*CANDIDATE_COLUMNS, "provider_kind"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "provider_kind": provider_kind} for row in rows)
    return output.getvalue()


def plan_localities(plan: dict) -> list[dict]:
    """The plan's localities that gain, with their names, most people first."""
    names = dict(Locality.objects.values_list("code", "name"))
    rows = [
        {**row, "name": names.get(row["locality_code"], row["locality_code"])} for row in plan["localities_gaining"]
    ]
    return sorted(rows, key=lambda row: (-row["population"], row["locality_code"]))


def equity_rows(before: dict, after: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """The equity figures before and after as (label, before, after, change) rows."""
    return [
        (label, before[key], after[key], _difference(before[key], after[key])) for key, label in EQUITY_ROWS.items()
    ]
