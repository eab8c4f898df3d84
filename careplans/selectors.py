"""Reads for care plans: who may see which records, the reachable menu, the reach snapshot."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q, QuerySet

from areas.models import Locality
from reach.models import LocalityResult, ReachProfile, ReachRun
from reach.selectors import current_run, default_profile, option_detail
from services.models import MenuOption, Site, SiteOffer

from .models import CarePlanChoice, CaseStatus, ServiceUser, Team


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
    for newer, older in zip(entries, entries[1:] + [None]):
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


MODE_LABELS = {"walk": "on foot", "pt": "by public transport", "car": "by car"}


def reachable_menu(*, locality: Locality) -> ReachableMenu:
    """The menu as the reference run sees it from this locality; no rows when no run covers it."""
    run = reference_run()
    result = LocalityResult.objects.filter(run=run, locality=locality).first() if run else None
    if result is None:
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
