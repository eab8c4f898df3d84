"""The rules a care record keeps, in the words a keyworker reads. The pages' forms and the API both check
these, so a record is refused for the same reasons, with the same message, wherever it is entered.

Each function takes what has been entered so far, by field name (missing or None where a field is
missing or invalid), and returns {field name: message} for every rule broken; an empty dict means
the record may be saved.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from services.models import WorkerGender
from services.rules import LANGUAGES

from .models import (
    DAYS_IN_PERIOD,
    GOAL_SCORE,
    LONGEST_JOURNEY_MINUTES,
    TOP_SCORE,
    CaseStatus,
    DifferenceReason,
    Session,
    TravelAccess,
)


def service_user_problems(entered: Mapping[str, Any], *, today: datetime.date | None = None) -> dict[str, str]:
    """`entered`: status and closed_on."""
    today = today or timezone.localdate()
    status, closed_on = entered.get("status"), entered.get("closed_on")
    if status == CaseStatus.CLOSED and closed_on is None:
        return {"closed_on": "Give the date the case closed."}
    if closed_on and closed_on > today:
        return {"closed_on": "The closing date cannot be in the future."}
    return {}


def choice_problems(entered: Mapping[str, Any], *, today: datetime.date | None = None) -> dict[str, str]:
    """`entered`: preferred_option, agreed_option, difference_reason, difference_other, discussed_on, review_on."""
    today = today or timezone.localdate()
    preferred, agreed = entered.get("preferred_option"), entered.get("agreed_option")
    reason, other = entered.get("difference_reason"), (entered.get("difference_other") or "").strip()
    discussed, review = entered.get("discussed_on"), entered.get("review_on")
    problems = {}
    both_chosen = preferred is not None and agreed is not None
    if both_chosen and preferred != agreed and not reason:
        problems["difference_reason"] = "The agreed option differs from the preferred one: say why."
    if both_chosen and preferred == agreed and reason:
        problems["difference_reason"] = "The agreed option is the preferred one: leave the reason empty."
    if reason == DifferenceReason.OTHER and not other:
        problems["difference_other"] = "Say what the other reason is."
    if discussed and discussed > today:
        problems["discussed_on"] = "The conversation cannot be in the future."
    if discussed and review and review < discussed:
        problems["review_on"] = "The review date cannot be before the conversation."
    return problems


def needs_problems(entered: Mapping[str, Any]) -> dict[str, str]:
    """`entered`: the needs fields of a service user (models.ServiceUser); any of them may be empty."""
    problems = {}
    travel = entered.get("travel_access") or ""
    if travel and travel not in TravelAccess.values:
        problems["travel_access"] = f"Choose car, lifts or no car, not {travel!r}."
    minutes = entered.get("longest_journey_minutes")
    low, high = LONGEST_JOURNEY_MINUTES
    if minutes is not None and not low <= minutes <= high:
        problems["longest_journey_minutes"] = f"The longest journey must be between {low} and {high} minutes."
    unknown_sessions = [s for s in entered.get("can_attend") or [] if s not in Session.values]
    if unknown_sessions:
        problems["can_attend"] = f"Unknown session {unknown_sessions[0]!r}: choose from {', '.join(Session.values)}."
    gender = entered.get("worker_gender") or ""
    if gender and gender not in WorkerGender.values:
        problems["worker_gender"] = f"Choose a woman, a man or no preference, not {gender!r}."
    language = entered.get("interpreter_language") or ""
    if language and language not in LANGUAGES:
        problems["interpreter_language"] = f"Unknown language code {language!r}: choose a language from the list."
    return problems


def review_problems(entered: Mapping[str, Any], *, today: datetime.date | None = None) -> dict[str, str]:
    """`entered`: reviewed_on, goal_1..3 with goal_1_score..3, psychological_health, physical_health,
    quality_of_life, days_of_use. A goal's score needs the goal in the person's words."""
    today = today or timezone.localdate()
    problems = {}
    reviewed = entered.get("reviewed_on")
    if reviewed and reviewed > today:
        problems["reviewed_on"] = "The review cannot be in the future."
    for n in (1, 2, 3):
        goal, score = (entered.get(f"goal_{n}") or "").strip(), entered.get(f"goal_{n}_score")
        if score is not None and not GOAL_SCORE[0] <= score <= GOAL_SCORE[1]:
            problems[f"goal_{n}_score"] = f"Rate the goal from {GOAL_SCORE[0]} to {GOAL_SCORE[1]}."
        elif score is not None and not goal:
            problems[f"goal_{n}"] = "Write the goal in the person's words before rating it."
    for name, label in (
        ("psychological_health", "Psychological health"),
        ("physical_health", "Physical health"),
        ("quality_of_life", "Quality of life"),
    ):
        value = entered.get(name)
        if value is not None and not TOP_SCORE[0] <= value <= TOP_SCORE[1]:
            problems[name] = f"{label} is scored from {TOP_SCORE[0]} to {TOP_SCORE[1]}."
    days = entered.get("days_of_use")
    if days is not None and not 0 <= days <= DAYS_IN_PERIOD:
        problems["days_of_use"] = f"Days of use in the last {DAYS_IN_PERIOD} days are from 0 to {DAYS_IN_PERIOD}."
    return problems


@dataclass(frozen=True)
class DualReader:
    """An active account that reads both some care records and the publications (accounts.rules.AccessState
    .dual_access): its name, roles (keyworker first) and the service users whose records it reads now."""

    username: str
    roles: tuple[str, ...]
    readable: frozenset[int]


def publication_refusal(
    *,
    forced: bool,
    by_superuser: bool,
    username: str,
    since_last: datetime.timedelta | None,
    changed: Mapping[int, frozenset[int]],
    readers: Sequence[DualReader],
    min_days: int,
    min_changed: int,
) -> str:
    """Why a publication may not be built now, or "" when it may (careplans.services.publish).

    `since_last`: the time since the last publication was built (None: there is none). `changed`: {past
    publication number: the service users counted differently between it and the new one}. Forcing skips
    only the minimum interval. The batch threshold and the insider rule hold for every trigger: two
    publications a few people apart, put side by side, single those people out (docs/disclosure.md).
    """
    if forced and not by_superuser:
        return f"only a superuser may force a publication; {username} is not one"
    if not forced and since_last is not None and since_last < datetime.timedelta(days=min_days):
        return f"the last publication is younger than {min_days} days; a superuser may force one"
    if changed:
        number, people = min(changed.items(), key=lambda past: len(past[1]))
        if len(people) < min_changed:
            return (
                f"only {len(people)} {'person is' if len(people) == 1 else 'people are'} counted differently "
                f"from publication number {number}; a new publication needs at least {min_changed} "
                f"(UNMET_PUBLISH_MIN_CHANGED), forced or not"
            )
    return insider_refusal(changed=changed, readers=readers, min_changed=min_changed)


def insider_refusal(*, changed: Mapping[int, frozenset[int]], readers: Sequence[DualReader], min_changed: int) -> str:
    """The batch threshold for readers who know part of the batch: for every account that reads both care
    records and publications and every past publication, the people counted differently whose records it
    cannot read must number 0 (it learns nothing it could not read) or at least `min_changed`. Between
    the two, subtracting what it knows leaves a batch too small to hide in. "" when no reader is in
    between. Separated duties (no commissioner or admin a keyworker) leave no reader: nothing to check.
    """
    for reader in readers:
        for number, people in changed.items():
            unknown = len(people - reader.readable)
            if 0 < unknown < min_changed:
                return (
                    f"{'-'.join(reader.roles)} {reader.username} can read the care records of all but {unknown} "
                    f"of the {len(people)} people counted differently from publication number {number}: a "
                    f"reader who knows the rest could single {'that one' if unknown == 1 else 'those'} out; a "
                    f"new publication needs 0 or at least {min_changed} unknown to every account that reads "
                    f"both care records and publications"
                )
    return ""
