"""Writes for care plans. Every change is audited in the same transaction as the change itself."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from areas.models import Locality
from services.models import MenuOption

from .models import (
    AuditAction,
    AuditedKind,
    AuditEvent,
    CarePlanChoice,
    CaseStatus,
    Publication,
    PublicationTrigger,
    Review,
    ServiceUser,
    Session,
    Team,
)
from .publication import build_all
from .rules import choice_problems, needs_problems, publication_refusal, review_problems, service_user_problems
from .selectors import (
    changes_since_publications,
    dual_readers,
    expired_service_users,
    latest_publication,
    personal_menu,
    preferred_reach_snapshot,
    retention_cutoff,
)
from .unmet import METHOD

# Crockford's base32 without I, L, O, U: nothing to misread when a reference is read out on the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where: a signed-in user on a page, or a named task with no user."""

    user: User | None
    path: str
    ip_address: str | None = None

    @property
    def username(self) -> str:
        return self.user.get_username() if self.user is not None else "system"


def new_reference() -> str:
    """A random pseudonymous reference such as SU-7KQ2-M9XD (40 bits: collisions are retried)."""
    body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"SU-{body[:4]}-{body[4:]}"


def record_access(*, actor: Actor, action: str, kind: str, records: list) -> None:
    """One audit row per record read or changed (a list of service users or choices)."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                user=actor.user,
                username=actor.username,
                action=action,
                kind=kind,
                object_id=record.pk,
                reference=_reference_of(record),
                ip_address=actor.ip_address,
                path=actor.path[:300],
            )
            for record in records
        ]
    )


def record_aggregate_read(*, actor: Actor) -> None:
    AuditEvent.objects.create(
        user=actor.user,
        username=actor.username,
        action=AuditAction.AGGREGATE,
        kind=AuditedKind.CARE_PLAN_CHOICE,
        ip_address=actor.ip_address,
        path=actor.path[:300],
    )


def _reference_of(record) -> str:
    if isinstance(record, ServiceUser):
        return record.reference
    return record.service_user.reference


def _save_with_history(record, actor: Actor) -> None:
    record._history_user = actor.user  # simple-history's hook: the change's author, page or task alike
    record.save()


@transaction.atomic
def create_service_user(
    *,
    actor: Actor,
    keyworker,
    age_band: str,
    home_locality: Locality,
    team: Team | None = None,
    reference: str | None = None,
) -> ServiceUser:
    """A new person on the caseload, under a fresh random reference (the demo passes its own)."""
    for _ in range(5):
        service_user = ServiceUser(
            reference=reference or new_reference(),
            keyworker=keyworker,
            age_band=age_band,
            home_locality=home_locality,
            team=team,
        )
        try:
            with transaction.atomic():
                _save_with_history(service_user, actor)
            break
        except IntegrityError:
            if reference or not ServiceUser.objects.filter(reference=service_user.reference).exists():
                raise
    else:
        raise RuntimeError("could not draw an unused reference")
    record_access(actor=actor, action=AuditAction.CREATE, kind=AuditedKind.SERVICE_USER, records=[service_user])
    return service_user


@transaction.atomic
def update_service_user(
    *,
    actor: Actor,
    service_user: ServiceUser,
    age_band: str,
    home_locality: Locality,
    team: Team | None,
    status: str,
    closed_on: datetime.date | None,
) -> ServiceUser:
    """Change the person's details; a closed case keeps the date it closed, an active one has none."""
    _refuse_broken_rules(service_user_problems({"status": status, "closed_on": closed_on}))
    service_user.age_band = age_band
    service_user.home_locality = home_locality
    service_user.team = team
    service_user.status = status
    service_user.closed_on = closed_on if status == CaseStatus.CLOSED else None
    _save_with_history(service_user, actor)
    record_access(actor=actor, action=AuditAction.CHANGE, kind=AuditedKind.SERVICE_USER, records=[service_user])
    return service_user


@dataclass
class Needs:
    """What the person can do and will accept (see models.ServiceUser); empty or None means not asked."""

    travel_access: str = ""
    walking_limited: bool | None = None
    longest_journey_minutes: int | None = None
    can_attend: list[str] = field(default_factory=list)
    accepts_remote: bool | None = None
    accepts_home_visits: bool | None = None
    accepts_groups: bool | None = None
    worker_gender: str = ""
    needs_childcare: bool | None = None
    interpreter_language: str = ""


@transaction.atomic
def update_needs(*, actor: Actor, service_user: ServiceUser, needs: Needs) -> ServiceUser:
    """Record the person's needs and constraints, kept in the record's history and audited.

    Raises ValidationError, by field, for needs that break a rule of careplans/rules.py.
    """
    _refuse_broken_rules(needs_problems(vars(needs)))
    for name, value in vars(needs).items():
        setattr(service_user, name, value)
    # One entry per session, in the order the sessions are listed, so history shows only real changes.
    service_user.can_attend = [s for s in Session.values if s in set(needs.can_attend)]
    _save_with_history(service_user, actor)
    record_access(actor=actor, action=AuditAction.CHANGE, kind=AuditedKind.SERVICE_USER, records=[service_user])
    return service_user


REVIEW_FIELDS = [
    "reviewed_on",
    "goal_1",
    "goal_1_score",
    "goal_2",
    "goal_2_score",
    "goal_3",
    "goal_3_score",
    "psychological_health",
    "physical_health",
    "quality_of_life",
    "days_of_use",
]


@transaction.atomic
def record_review(*, actor: Actor, service_user: ServiceUser, outcomes: dict) -> Review:
    """Record a review's outcomes (`outcomes`: REVIEW_FIELDS; all but reviewed_on optional), audited.

    Raises ValidationError, by field, for outcomes that break a rule of careplans/rules.py.
    """
    unknown = set(outcomes) - set(REVIEW_FIELDS)
    if unknown:
        raise TypeError(f"unknown review fields: {sorted(unknown)}")
    _refuse_broken_rules(review_problems(outcomes))
    values = {name: outcomes.get(name) for name in REVIEW_FIELDS}
    for n in (1, 2, 3):
        values[f"goal_{n}"] = (values[f"goal_{n}"] or "").strip()
    review = Review(service_user=service_user, recorded_by=actor.user, **values)
    _save_with_history(review, actor)
    record_access(actor=actor, action=AuditAction.CREATE, kind=AuditedKind.REVIEW, records=[review])
    return review


@dataclass
class ChoiceFields:
    discussed_on: datetime.date
    options_discussed: list[MenuOption]
    preferred_option: MenuOption
    agreed_option: MenuOption
    joint_decision: bool
    review_on: datetime.date
    difference_reason: str = ""
    difference_other: str = ""


def _refuse_broken_rules(problems: dict[str, str]) -> None:
    if problems:
        raise ValidationError({name: [message] for name, message in problems.items()})


def _apply_choice_fields(choice: CarePlanChoice, fields: ChoiceFields) -> None:
    differs = fields.agreed_option.pk != fields.preferred_option.pk
    choice.discussed_on = fields.discussed_on
    choice.preferred_option = fields.preferred_option
    choice.agreed_option = fields.agreed_option
    choice.joint_decision = fields.joint_decision
    choice.review_on = fields.review_on
    # A reason belongs only to a choice whose agreed option differs; "other" carries its text.
    choice.difference_reason = fields.difference_reason if differs else ""
    choice.difference_other = fields.difference_other.strip() if choice.difference_reason == "other" else ""


def _take_reach_snapshot(choice: CarePlanChoice) -> None:
    snapshot = preferred_reach_snapshot(locality=choice.home_locality, option=choice.preferred_option)
    choice.reach_run = snapshot.run
    choice.preferred_reachable_without_car = snapshot.reachable_without_car
    choice.preferred_reachable_with_car = snapshot.reachable_with_car
    choice.personal_menu = personal_menu(service_user=choice.service_user, locality=choice.home_locality).as_snapshot()


@transaction.atomic
def record_choice(*, actor: Actor, service_user: ServiceUser, fields: ChoiceFields) -> CarePlanChoice:
    """Record a conversation, with the preferred option's reachability from home in the current run.

    Raises ValidationError, by field, for a choice that breaks a rule of careplans/rules.py.
    """
    _refuse_broken_rules(choice_problems(vars(fields)))
    choice = CarePlanChoice(service_user=service_user, recorded_by=actor.user, home_locality=service_user.home_locality)
    _apply_choice_fields(choice, fields)
    _take_reach_snapshot(choice)
    _save_with_history(choice, actor)
    choice.options_discussed.set(_discussed(fields))
    record_access(actor=actor, action=AuditAction.CREATE, kind=AuditedKind.CARE_PLAN_CHOICE, records=[choice])
    return choice


@transaction.atomic
def update_choice(*, actor: Actor, choice: CarePlanChoice, fields: ChoiceFields) -> CarePlanChoice:
    """Correct a recorded choice. The snapshot is retaken only when the preferred option changes:
    it describes the day of the conversation, from the home the person had then. Refused like record_choice."""
    _refuse_broken_rules(choice_problems(vars(fields)))
    preferred_before = choice.preferred_option_id
    _apply_choice_fields(choice, fields)
    if choice.preferred_option_id != preferred_before:
        _take_reach_snapshot(choice)
    _save_with_history(choice, actor)
    choice.options_discussed.set(_discussed(fields))
    record_access(actor=actor, action=AuditAction.CHANGE, kind=AuditedKind.CARE_PLAN_CHOICE, records=[choice])
    return choice


def _discussed(fields: ChoiceFields) -> list[MenuOption]:
    # The preferred and agreed options were discussed, whether or not they were ticked.
    by_pk = {option.pk: option for option in [*fields.options_discussed, fields.preferred_option, fields.agreed_option]}
    return list(by_pk.values())


@dataclass
class RetentionReport:
    cutoff: datetime.date
    years: int
    dry_run: bool
    removed: list[tuple[str, datetime.date | None, int]] = field(default_factory=list)  # reference, closed, choices

    @property
    def service_users(self) -> int:
        return len(self.removed)

    @property
    def choices(self) -> int:
        return sum(count for _, _, count in self.removed)


@transaction.atomic
def remove_expired_records(
    *, today: datetime.date | None = None, years: int | None = None, dry_run: bool = False, actor: Actor | None = None
) -> RetentionReport:
    """Remove closed cases (with their choices and change history) once the retention period has passed.

    The audit trail keeps one "deleted" row per removed record, naming only its reference.
    """
    years = settings.CAREPLANS_RETENTION_YEARS if years is None else years
    today = today or timezone.localdate()
    actor = actor or Actor(user=None, path="task:careplans.remove_expired_records")
    expired = list(
        expired_service_users(today=today, years=years).select_for_update().order_by("closed_on", "reference")
    )
    choices = list(CarePlanChoice.objects.filter(service_user__in=expired).select_related("service_user"))
    report = RetentionReport(cutoff=retention_cutoff(today=today, years=years), years=years, dry_run=dry_run)
    counts: dict[int, int] = {}
    for choice in choices:
        counts[choice.service_user_id] = counts.get(choice.service_user_id, 0) + 1
    report.removed = [(su.reference, su.closed_on, counts.get(su.pk, 0)) for su in expired]
    if dry_run or not expired:
        return report
    record_access(actor=actor, action=AuditAction.DELETE, kind=AuditedKind.CARE_PLAN_CHOICE, records=choices)
    reviews = list(Review.objects.filter(service_user__in=expired).select_related("service_user"))
    record_access(actor=actor, action=AuditAction.DELETE, kind=AuditedKind.REVIEW, records=reviews)
    record_access(actor=actor, action=AuditAction.DELETE, kind=AuditedKind.SERVICE_USER, records=expired)
    # The historical m2m rows of the choices go with their historical choices (cascade_delete_history).
    ServiceUser.objects.filter(pk__in=[su.pk for su in expired]).delete()
    return report


class PublicationRefused(Exception):
    """A publication asked for too soon, too close to a past one (for every reader or for one who reads
    some care records), or forced by someone who may not."""


def publish(
    *,
    actor: Actor,
    trigger: str,
    cutoff: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Publication:
    """Build and store a publication of the protected tables, audited; a refusal is audited too.

    Refused (careplans.rules.publication_refusal) while the last publication is younger than
    UNMET_PUBLISH_MIN_DAYS, unless `trigger` is FORCED by a superuser, and, forced or not, while fewer
    than UNMET_PUBLISH_MIN_CHANGED people are counted differently from any past publication, or while
    some but fewer than that many of them are unknown to an account that reads both care records and
    publications. The data cut-off defaults to the moment of building; every choice recorded before it
    is counted.
    """
    try:
        return _build_publication(actor=actor, trigger=trigger, cutoff=cutoff, now=now or timezone.now())
    except PublicationRefused as refused:
        # Outside the build's transaction, which the refusal rolls back.
        _audit_publication(
            actor=actor, action=AuditAction.REFUSE, detail=f"{PublicationTrigger(trigger).label}: {refused}"
        )
        raise


@transaction.atomic
def _build_publication(
    *, actor: Actor, trigger: str, cutoff: datetime.datetime | None, now: datetime.datetime
) -> Publication:
    cutoff = cutoff or now
    if cutoff > now:
        raise PublicationRefused(f"the data cut-off {cutoff:%Y-%m-%d %H:%M} is in the future")
    # One builder at a time: the checks against past publications and the new one are one step.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('careplans.publish'))")
    last = latest_publication()
    refusal = publication_refusal(
        forced=trigger == PublicationTrigger.FORCED,
        by_superuser=actor.user is not None and actor.user.is_superuser,
        username=actor.username,
        since_last=None if last is None else now - last.built_at,
        changed=changes_since_publications(cutoff=cutoff, fewer_than=settings.UNMET_PUBLISH_MIN_CHANGED),
        readers=dual_readers(),
        min_days=settings.UNMET_PUBLISH_MIN_DAYS,
        min_changed=settings.UNMET_PUBLISH_MIN_CHANGED,
    )
    if refusal:
        raise PublicationRefused(refusal)
    publication = Publication.objects.create(
        built_at=now,
        data_cutoff=cutoff,
        method=METHOD,
        trigger=trigger,
        built_by=actor.user,
        built_by_name=actor.username,
        # The unmet table and issue 15's reasons, segments and outcomes tables, protected in one call.
        tables=build_all(cutoff=cutoff),
    )
    _audit_publication(actor=actor, action=AuditAction.PUBLISH, publication=publication.pk)
    return publication


@transaction.atomic
def _audit_publication(*, actor: Actor, action: str, publication: int | None = None, detail: str = "") -> None:
    AuditEvent.objects.create(
        user=actor.user,
        username=actor.username,
        action=action,
        kind=AuditedKind.PUBLICATION,
        object_id=publication,
        ip_address=actor.ip_address,
        path=actor.path[:300],
        detail=detail[: AuditEvent._meta.get_field("detail").max_length],
    )
