"""Reads for care plans: who may see which records, the reachable menu, the reach snapshot."""

from __future__ import annotations

import datetime
import functools
import math
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, Q, QuerySet
from django.utils import timezone

from accounts.roles import KEYWORKER, UNMET_ROLES
from accounts.rules import AccessState
from areas.models import Locality
from reach.engine import ReachParams
from reach.models import LocalityResult, ReachProfile, ReachRun
from reach.personal import (
    REACHABLE,
    REASON_CODES,
    PersonalMenu,
    PersonNeeds,
    modes_for,
)
from reach.personal import personal_menu as compute_personal_menu
from reach.personal_selectors import PersonalCatalogue, TravelBasis, home_minutes, personal_catalogue
from reach.selectors import (
    current_run,
    default_profile,
    engine_params,
    option_detail,
    run_provenance_text,
)
from services.models import MenuOption, Site, SiteOffer

from . import unmet
from .models import NEEDS_FIELDS, CarePlanChoice, CaseStatus, Publication, ServiceUser, Team
from .rules import DualReader


def visible_service_users(*, user) -> QuerySet[ServiceUser]:
    """The keyworker's own caseload and their teams' caseloads; nothing else exists for them."""
    if user is None or not user.is_authenticated:
        return ServiceUser.objects.none()
    return ServiceUser.objects.filter(Q(keyworker=user) | Q(team__in=Team.objects.filter(members=user)))


def visible_choices(*, user) -> QuerySet[CarePlanChoice]:
    return CarePlanChoice.objects.filter(service_user__in=visible_service_users(user=user))


def caseload(*, user) -> QuerySet[ServiceUser]:
    """Newest review first: the review date of each person's latest conversation, then the newest record."""
    return (
        visible_service_users(user=user)
        .select_related("home_locality", "keyworker", "team")
        .annotate(latest_review=Max("choices__review_on"), choice_count=Count("choices"))
        .order_by("-latest_review", "-created_at")
    )


def teams_of(*, user) -> QuerySet[Team]:
    return Team.objects.filter(members=user)


def choices_over_time(*, service_user: ServiceUser) -> QuerySet[CarePlanChoice]:
    return (
        service_user.choices.select_related(
            "preferred_option", "agreed_option", "reach_run", "recorded_by", "home_locality"
        )
        .prefetch_related("options_discussed")
        .order_by("-discussed_on", "-id")
    )


def record_changes(*, record) -> list[dict]:
    """The record's change history, newest first: when, by whom, and which fields changed."""
    entries = list(record.history.select_related("history_user").order_by("-history_date", "-history_id"))
    changes = []
    for newer, older in zip(entries, entries[1:] + [None], strict=True):
        if older is None:
            changed = ["created"]
        else:
            changed = [change.field for change in newer.diff_against(older).changes]
        changes.append(
            {
                "at": newer.history_date,
                "by": newer.history_user.get_username() if newer.history_user else "system",
                "kind": newer.get_history_type_display(),
                "fields": changed,
            }
        )
    return changes


def needs_history(*, service_user: ServiceUser) -> list[dict]:
    """Each version of the person's needs, newest first: when, by whom, which needs changed and what they
    were then. Changes to anything else (a new home, a closed case) are left out."""
    versions, before = [], None
    for entry in service_user.history.select_related("history_user").order_by("history_date", "history_id"):
        needs = {name: getattr(entry, name) for name in NEEDS_FIELDS}
        changed = [name for name in NEEDS_FIELDS if before is None or needs[name] != before[name]]
        if changed:
            versions.append(
                {
                    "at": entry.history_date,
                    "by": entry.history_user.get_username() if entry.history_user else "system",
                    "changed": changed if before is not None else [],
                    "needs": needs,
                }
            )
        before = needs
    return versions[::-1]


def reference_run() -> ReachRun | None:
    """The run keyworkers judge reach by: the default profile's current run."""
    try:
        return current_run(profile=default_profile())
    except ReachProfile.DoesNotExist:
        return None


@dataclass(frozen=True)
class ReachSnapshot:
    run: ReachRun | None
    reachable_without_car: bool | None
    reachable_with_car: bool | None


def preferred_reach_snapshot(*, locality: Locality, option: MenuOption) -> ReachSnapshot:
    """Whether the option is reachable from the locality in the reference run (None: the run does not say)."""
    run = reference_run()
    if run is None or option.code not in run.option_codes:
        return ReachSnapshot(run=run, reachable_without_car=None, reachable_with_car=None)
    result = LocalityResult.objects.filter(run=run, locality=locality).first()
    if result is None:
        return ReachSnapshot(run=run, reachable_without_car=None, reachable_with_car=None)
    k = run.option_codes.index(option.code)
    return ReachSnapshot(
        run=run,
        reachable_without_car=result.providers_without_car[k] > 0,
        reachable_with_car=result.providers_with_car[k] > 0,
    )


@dataclass(frozen=True)
class NearestSite:
    name: str
    minutes: float
    mode: str
    waiting_weeks: float | None


@dataclass(frozen=True)
class MenuRow:
    """One option as it looks from the person's home: without a car and with one."""

    option: MenuOption
    reachable_without_car: bool
    reachable_with_car: bool
    providers_without_car: int
    providers_with_car: int
    real_choice_without_car: bool
    real_choice_with_car: bool
    nearest_without_car: NearestSite | None
    nearest_with_car: NearestSite | None
    shortest_wait_weeks: float | None


@dataclass(frozen=True)
class ReachableMenu:
    run: ReachRun | None
    locality: Locality
    rows: list[MenuRow]
    real_choice_providers: int | None

    @property
    def count_without_car(self) -> int:
        return sum(row.reachable_without_car for row in self.rows)

    @property
    def count_with_car(self) -> int:
        return sum(row.reachable_with_car for row in self.rows)

    @property
    def travel(self) -> str:
        """What the reach run's travel times rest on (crow-fly figures say they are estimates)."""
        return run_provenance_text(self.run) if self.run else ""


MODE_LABELS = {"walk": "on foot", "pt": "by public transport", "car": "by car", "cycle": "by bike"}


def reachable_menu(*, locality: Locality) -> ReachableMenu:
    """The menu as the reference run sees it from this locality; no rows when no run covers it."""
    run = reference_run()
    result = LocalityResult.objects.filter(run=run, locality=locality).first() if run else None
    if run is None or result is None:
        return ReachableMenu(run=run, locality=locality, rows=[], real_choice_providers=None)
    codes = run.option_codes
    detail = option_detail(result, codes, {})
    options = {option.code: option for option in MenuOption.objects.filter(code__in=codes)}
    site_ids = {
        site_id
        for mode in ("walk", "pt", "car")
        for site_id in getattr(result, f"nearest_{mode}_site")
        if site_id is not None
    }
    site_names = dict(Site.objects.filter(pk__in=site_ids).values_list("id", "name"))
    waits = {
        (row["site_id"], row["option__code"]): row["wait"]
        for row in SiteOffer.objects.filter(site_id__in=site_ids, active=True, option__code__in=codes)
        .values("site_id", "option__code")
        .annotate(wait=Min("waiting_weeks"))
    }
    shortest = dict(
        SiteOffer.objects.filter(option__code__in=codes, active=True, site__active=True)
        .values("option__code")
        .annotate(wait=Min("waiting_weeks"))
        .values_list("option__code", "wait")
    )
    real_choice = int(run.params.get("real_choice_providers", 2))

    def nearest(code: str, k: int, modes: tuple[str, ...]) -> NearestSite | None:
        best = None
        for mode in modes:
            minutes = detail[code]["nearest"][mode]["minutes"]
            site_id = getattr(result, f"nearest_{mode}_site")[k]
            if minutes is None or site_id is None or (isinstance(minutes, float) and math.isnan(minutes)):
                continue
            if best is None or minutes < best.minutes:
                best = NearestSite(
                    name=site_names.get(site_id, "?"),
                    minutes=minutes,
                    mode=MODE_LABELS[mode],
                    waiting_weeks=waits.get((site_id, code)),
                )
        return best

    rows = []
    for k, code in enumerate(codes):
        if code not in options:
            continue
        d = detail[code]
        rows.append(
            MenuRow(
                option=options[code],
                reachable_without_car=d["reachable_without_car"],
                reachable_with_car=d["reachable_with_car"],
                providers_without_car=d["providers_without_car"],
                providers_with_car=d["providers_with_car"],
                real_choice_without_car=d["providers_without_car"] >= real_choice,
                real_choice_with_car=d["providers_with_car"] >= real_choice,
                nearest_without_car=nearest(code, k, ("walk", "pt")),
                nearest_with_car=nearest(code, k, ("car",)),
                shortest_wait_weeks=shortest.get(code),
            )
        )
    return ReachableMenu(run=run, locality=locality, rows=rows, real_choice_providers=real_choice)


def retention_cutoff(*, today: datetime.date, years: int) -> datetime.date:
    """Cases closed on or before this date are past retention (29 February steps back to the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def expired_service_users(*, today: datetime.date, years: int) -> QuerySet[ServiceUser]:
    return ServiceUser.objects.filter(
        status=CaseStatus.CLOSED, closed_on__lte=retention_cutoff(today=today, years=years)
    )


# The ages an age band may hold: offers' age limits are matched by overlap (the exact age is never kept).
AGE_RANGES: dict[str, tuple[float, float]] = {
    "under_18": (0, 17),
    "18_24": (18, 24),
    "25_34": (25, 34),
    "35_44": (35, 44),
    "45_54": (45, 54),
    "55_64": (55, 64),
    "65_plus": (65, 120),
}


def person_needs(service_user: ServiceUser, **what_if) -> PersonNeeds:
    """The engine's view of a person's needs; `what_if` overrides stored fields (e.g. travel_access="lifts")."""
    fields = {name: what_if.get(name, getattr(service_user, name)) for name in (*NEEDS_FIELDS, "age_band")}
    return PersonNeeds(
        modes=modes_for(travel_access=fields["travel_access"], walking_limited=fields["walking_limited"]),
        max_minutes=fields["longest_journey_minutes"],
        age_range=AGE_RANGES.get(fields["age_band"]),
        can_attend=tuple(fields["can_attend"]),
        accepts_remote=fields["accepts_remote"],
        accepts_home_visits=fields["accepts_home_visits"],
        accepts_groups=fields["accepts_groups"],
        worker_gender=fields["worker_gender"],
        needs_childcare=fields["needs_childcare"],
        interpreter_language=fields["interpreter_language"],
    )


@dataclass(frozen=True)
class PersonalRow:
    option: MenuOption
    reason: str  # a key of REASON_TEXT
    text: str
    providers: int
    nearest_minutes: float | None
    nearest_mode: str


@dataclass(frozen=True)
class PersonalMenuView:
    """The person's own menu from their home, and what a change in their circumstances would add."""

    locality: Locality
    rows: list[PersonalRow]
    changes: list[tuple[str, list[str]]]  # (the change, the options it would bring within reach)
    travel: str = ""  # what the travel times rest on

    @property
    def count_reachable(self) -> int:
        return sum(row.reason == "reachable" for row in self.rows)

    def as_snapshot(self) -> list[dict]:
        """What a care-plan choice keeps of it (option codes, reasons, times), as JSON."""
        return [
            {
                "option": row.option.code,
                "reason": row.reason,
                "providers": row.providers,
                "nearest_minutes": row.nearest_minutes,
                "nearest_mode": row.nearest_mode,
            }
            for row in self.rows
        ]


REASON_TEXT = {
    "reachable": "Within reach",
    "too_far": "Too far by the ways they can travel",
    "wait_over_limit": "The wait is over the limit",
    "not_open_when_available": "Not open when they can attend",
    "not_eligible": "Not eligible at their age",
    "format_not_acceptable": "Not offered in a way they accept",
    "no_provider": "No provider offers it",
}


def _reason_text(code: str, minutes: float | None, mode: str, params: ReachParams) -> str:
    text = REASON_TEXT[code]
    if code == "too_far":
        return f"{text}: nearest {minutes:.0f} min {MODE_LABELS[mode]}" if minutes is not None else text
    if code == "wait_over_limit":
        return f"{text} of {params.max_wait_weeks:g} weeks"
    return text


def _what_would_change(service_user: ServiceUser) -> list[tuple[str, dict[str, object]]]:
    changes: list[tuple[str, dict[str, object]]] = []
    if service_user.travel_access == "no_car":
        changes.append(("with lifts", {"travel_access": "lifts"}))
    if service_user.can_attend and "weekday_evening" not in service_user.can_attend:
        changes.append(("with evenings", {"can_attend": [*service_user.can_attend, "weekday_evening"]}))
    if service_user.walking_limited:
        changes.append(("if walking were not limited", {"walking_limited": False}))
    return changes


def _travel_basis(run: ReachRun | None) -> TravelBasis:
    """The run's own travel sources; without a run, the default profile's (network times need a run)."""
    if run is not None:
        return TravelBasis(params=run.params, provider=run.provider, provenance=run.provenance)
    try:
        return TravelBasis(params=default_profile().params())
    except ReachProfile.DoesNotExist:
        return TravelBasis(params={})  # the engine's own defaults, crow-fly, as a fresh profile would have


def _travel_text(run: ReachRun | None, missing: tuple[str, ...]) -> str:
    text = run_provenance_text(run) if run is not None else "crow-fly estimates (no reach run yet)"
    if missing:
        modes = ", ".join(MODE_LABELS[m] for m in missing)
        text += f"; no cached network times from this home {modes}, so nothing counts as reachable that way"
    return text


def _menu_from(catalogue: PersonalCatalogue, *, params: ReachParams, home: int, site_minutes: dict[str, np.ndarray]):
    """The personal-menu engine from one home locality, waiting for the person's needs (`person=`)."""
    snapshot = catalogue.snapshot
    return functools.partial(
        compute_personal_menu,
        params=params,
        offers=snapshot.offers,
        facts=catalogue.facts,
        n_options=snapshot.n_options,
        home_locality=home,
        home_lat=float(snapshot.localities.lat[home]),
        home_lon=float(snapshot.localities.lon[home]),
        site_lat=snapshot.sites.lat,
        site_lon=snapshot.sites.lon,
        site_minutes=site_minutes,
    )


def personal_menu(
    *, service_user: ServiceUser, locality: Locality | None = None, today: datetime.date | None = None
) -> PersonalMenuView:
    """The menu for this person from their home: the engine with their modes, time limit, sessions,
    formats and age band, on the reference run's parameters and its own travel source per mode (crow-fly,
    the imported matrix or the network's cached times). Every active option gets a reason. `locality`: the
    home to look from, when not today's (a choice's snapshot is taken from the home of the conversation)."""
    today = today or timezone.localdate()
    locality = locality or service_user.home_locality
    catalogue = personal_catalogue(today=today)
    snapshot = catalogue.snapshot
    run = reference_run()
    basis = _travel_basis(run)
    params = ReachParams(**engine_params(basis.params))
    home = catalogue.locality_index[locality.pk]
    travel = home_minutes(catalogue=catalogue, home=home, basis=basis)
    menu_for = _menu_from(catalogue, params=params, home=home, site_minutes=travel.minutes)
    menu = menu_for(person=person_needs(service_user))
    options = {o.code: o for o in MenuOption.objects.filter(code__in=snapshot.option_codes)}
    rows = []
    for k, code in enumerate(snapshot.option_codes):
        reason = REASON_CODES[int(menu.reason[k])]
        minutes = None if np.isnan(menu.nearest_minutes[k]) else round(float(menu.nearest_minutes[k]), 1)
        mode = menu.nearest_mode[k]
        rows.append(
            PersonalRow(
                option=options[code],
                reason=reason,
                text=_reason_text(reason, minutes, mode, params),
                providers=int(menu.providers[k]),
                nearest_minutes=minutes,
                nearest_mode=mode,
            )
        )
    changes = []
    for label, what_if in _what_would_change(service_user):
        changed: PersonalMenu = menu_for(person=person_needs(service_user, **what_if))
        gained = np.flatnonzero((changed.reason == REACHABLE) & (menu.reason != REACHABLE))
        changes.append((label, [options[snapshot.option_codes[k]].name for k in gained]))
    return PersonalMenuView(locality=locality, rows=rows, changes=changes, travel=_travel_text(run, travel.missing))


@dataclass(frozen=True)
class OutcomeLine:
    label: str
    colour: str
    points: str  # SVG polyline points, "x,y x,y …"


CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 320, 120, 10
TOP_LINES = (
    ("psychological_health", "Psychological health", "#1b6ca8"),
    ("physical_health", "Physical health", "#b35900"),
    ("quality_of_life", "Quality of life", "#2e7d32"),
)


def outcome_lines(reviews: list) -> list[OutcomeLine]:
    """The TOP scores (0–20) over the reviews, oldest first, evenly spaced, as SVG polylines. A score not
    missing at a review is skipped: the line joins the reviews that have it."""
    if len(reviews) < 2:
        return []
    step = (CHART_WIDTH - 2 * CHART_MARGIN) / (len(reviews) - 1)
    height = CHART_HEIGHT - 2 * CHART_MARGIN
    lines = []
    for field_name, label, colour in TOP_LINES:
        points = [
            f"{CHART_MARGIN + n * step:.1f},{CHART_MARGIN + height * (1 - score / 20):.1f}"
            for n, review in enumerate(reviews)
            if (score := getattr(review, field_name)) is not None
        ]
        if len(points) >= 2:
            lines.append(OutcomeLine(label=label, colour=colour, points=" ".join(points)))
    return lines


def latest_publication() -> Publication | None:
    return Publication.objects.first()


def publication_or_latest(pk: int | None) -> Publication | None:
    """The publication asked for, if it exists, else the latest (commissioners may browse past ones)."""
    if pk is not None:
        found = Publication.objects.filter(pk=pk).first()
        if found is not None:
            return found
    return latest_publication()


def past_publications() -> QuerySet[Publication]:
    """Every publication, newest first, without its tables (for the list a commissioner picks from)."""
    return Publication.objects.defer("tables")


def catalogue_personal_menus(*, needs: dict[str, object], today: datetime.date | None = None) -> dict[str, int]:
    """{locality code: options reachable} for a hypothetical person with only `needs` (ServiceUser fields)
    living in each locality: the personal menu's engine on today's catalogue and the reference run's travel
    sources, as a keyworker's personal menu, with no age assumed. No one's record is read, so the figure
    needs no disclosure control."""
    catalogue = personal_catalogue(today=today or timezone.localdate())
    basis = _travel_basis(reference_run())
    params = ReachParams(**engine_params(basis.params))
    person = person_needs(ServiceUser(age_band=""), **needs)
    reachable = {}
    for home, code in enumerate(catalogue.snapshot.locality_codes):
        travel = home_minutes(catalogue=catalogue, home=home, basis=basis)
        menu = _menu_from(catalogue, params=params, home=home, site_minutes=travel.minutes)(person=person)
        reachable[code] = int((menu.reason == REACHABLE).sum())
    return reachable


# What each table of a publication counts of a person (see unmet.footprints): a person whose footprint
# differs in any table is counted differently. A new table of a publication adds its function to
# table_footprints.
def table_footprints() -> tuple:
    # publication_tables reads this module (the catalogue figure), so it is imported here, not at the top.
    from . import publication_tables  # noqa: PLC0415

    return (unmet.footprints, publication_tables.footprints)


def publication_footprints(*, cutoff: datetime.datetime, as_of: datetime.datetime | None = None) -> dict[int, tuple]:
    """Every table's footprint of each person, by service user id, as the records stood at `as_of`."""
    tables = [footprints(cutoff=cutoff, as_of=as_of) for footprints in table_footprints()]
    people = set().union(*tables)
    return {person: tuple(table.get(person) for table in tables) for person in people}


def changes_since_publications(*, cutoff: datetime.datetime, fewer_than: int) -> dict[int, frozenset[int]]:
    """{past publication number: the service users counted differently between it and a new publication with
    this cut-off}, newest first: what the batch threshold and the insider rule both compare
    (careplans.rules.publication_refusal). Every past publication counts, not only the last: a reader can
    put any two side by side. Stops after the first with fewer than `fewer_than`: that one refuses anyway."""
    new = publication_footprints(cutoff=cutoff)
    changed = {}
    for past in Publication.objects.only("pk", "built_at", "data_cutoff"):
        then = publication_footprints(cutoff=past.data_cutoff, as_of=past.built_at)
        people = frozenset(person for person in new.keys() | then.keys() if new.get(person) != then.get(person))
        changed[past.pk] = people
        if len(people) < fewer_than:
            break
    return changed


def dual_readers() -> list[DualReader]:
    """Every active account that reads both care records and publications (AccessState.dual_access), with the
    service users whose records it reads now, by username."""
    candidates = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=KEYWORKER)
        .prefetch_related("groups")
        .order_by("username")
    )
    readers = []
    for user in candidates:
        groups = frozenset(group.name for group in user.groups.all())
        if AccessState(is_superuser=user.is_superuser, groups=groups).dual_access:
            readable = frozenset(visible_service_users(user=user).values_list("pk", flat=True))
            roles = (KEYWORKER, *(role for role in UNMET_ROLES if role in groups))
            readers.append(DualReader(username=user.get_username(), roles=roles, readable=readable))
    return readers


def table_sizes(publication: Publication) -> list[tuple[str, int, int]]:
    """(name, cells, suppressed) of each table of a publication; a table's `values` are rows whose last
    item is the published value, None when suppressed (as unmet.UnmetPublication.as_json writes them)."""
    return [
        (name, len(table["values"]), sum(row[-1] is None for row in table["values"]))
        for name, table in publication.tables.items()
    ]
