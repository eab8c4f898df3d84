"""Synthetic care-plan records for the demo: two keyworkers' caseloads, generated from a fixed seed.

References read DEMO-0001 and so on, so nobody mistakes them for real people. Loaded through the same
services keyworkers use, so every record carries its reach snapshot, change history and audit rows.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from areas.models import Locality
from careplans.models import AgeBand, CaseStatus, DifferenceReason, ServiceUser, Session, Team, TravelAccess
from careplans.selectors import preferred_reach_snapshot, reference_run
from careplans.services import (
    Actor,
    ChoiceFields,
    Needs,
    create_service_user,
    record_choice,
    update_needs,
    update_service_user,
)
from reach.services import create_run, ensure_default_profile, execute_run
from services.models import MenuOption

DEMO_PEOPLE = 80
DEMO_TEAM = "Bournemouth and Poole team"
# Preferences lean the way treatment populations do: opioid substitution, alcohol and talking therapy first.
PREFERENCE_WEIGHTS = {
    "OST-METH": 8,
    "OST-BUP": 5,
    "ALCOHOL": 9,
    "PSYCHO": 6,
    "DEPOT-BUP": 3,
    "DETOX-COMM": 3,
    "DETOX-INP": 2,
    "RESI-REHAB": 3,
    "PEER": 3,
    "NSP": 1,
    "FAMILY": 1,
    "EMPLOY": 1,
}
OTHER_REASONS = [
    DifferenceReason.WAITING_LIST,
    DifferenceReason.CLINICAL_ADVICE,
    DifferenceReason.CHANGED_MIND,
    DifferenceReason.NO_CAPACITY,
    DifferenceReason.NOT_ELIGIBLE,
]


def ensure_reach_run() -> None:
    """Choices record reachability at save, so the demo needs a run of the default profile first."""
    if reference_run() is None:
        execute_run(run_id=create_run(profile=ensure_default_profile()).pk)


@transaction.atomic
def load_demo_careplans(*, keyworkers: list, today: datetime.date | None = None) -> int:
    """Idempotent: people already loaded (by reference) are left as they are. Returns how many were added."""
    today = today or timezone.localdate()
    ensure_reach_run()
    team, _ = Team.objects.get_or_create(name=DEMO_TEAM)
    team.members.add(*keyworkers)
    actor = Actor(user=None, path="command:load_demo")
    rng = random.Random(5)  # noqa: S311  (reproducible synthetic records, not secrets)
    localities = list(Locality.objects.order_by("code"))
    weights = [loc.population for loc in localities]
    options = {option.code: option for option in MenuOption.objects.filter(active=True)}
    preferences = [code for code in PREFERENCE_WEIGHTS if code in options]
    added = 0
    for n in range(1, DEMO_PEOPLE + 1):
        # Draw everything for person n whether or not it exists, so person n is always the same person.
        reference = f"DEMO-{n:04d}"
        keyworker = keyworkers[n % len(keyworkers)]
        in_team = n % len(keyworkers) == 1 and n % 3 == 0
        home = rng.choices(localities, weights=weights)[0]
        age_band = rng.choice(AgeBand.values[1:])
        conversations = rng.randint(1, 3)
        first_day = today - datetime.timedelta(days=rng.randint(30, 420))
        closed_years_ago = 9 if n == DEMO_PEOPLE else (1 if n % 11 == 0 else None)
        plans = [
            (
                rng.choices(preferences, weights=[PREFERENCE_WEIGHTS[c] for c in preferences])[0],
                rng.random(),
                rng.random(),
                rng.sample(list(options), 2),
                rng.randint(4, 12),
            )
            for _ in range(conversations)
        ]
        if ServiceUser.objects.filter(reference=reference).exists():
            continue
        if closed_years_ago:
            first_day = today.replace(year=today.year - closed_years_ago) - datetime.timedelta(days=200)
        service_user = create_service_user(
            actor=actor,
            keyworker=keyworker,
            age_band=age_band,
            home_locality=home,
            team=team if in_team else None,
            reference=reference,
        )
        update_needs(actor=actor, service_user=service_user, needs=_demo_needs(random.Random(15_000 + n)))  # noqa: S311 (synthetic data)
        day = first_day
        for preferred_code, agree_draw, reason_draw, extra, review_weeks in plans:
            if day > today:  # a review still to come is not a conversation yet (careplans/rules.py)
                break
            fields = _demo_choice(
                options,
                home,
                preferred_code=preferred_code,
                agree_draw=agree_draw,
                reason_draw=reason_draw,
                extra=extra,
                day=day,
                review_weeks=review_weeks,
            )
            record_choice(actor=actor, service_user=service_user, fields=fields)
            day = fields.review_on
        if closed_years_ago:
            update_service_user(
                actor=actor,
                service_user=service_user,
                age_band=age_band,
                home_locality=home,
                team=service_user.team,
                status=CaseStatus.CLOSED,
                closed_on=min(day, today),
            )
        added += 1
    return added


def _demo_needs(rng: random.Random) -> Needs:
    """Synthetic needs, drawn from their own generator so the people themselves stay as they were.
    About a third are not asked at all; the rest mostly lack a car, as many people in treatment do."""
    if rng.random() < 0.33:
        return Needs()
    sessions = [s for s in Session.values if rng.random() < 0.5] or [Session.WEEKDAY_AFTERNOON.value]

    def maybe() -> bool | None:
        return rng.choice([None, True, True, False])

    return Needs(
        travel_access=rng.choices(TravelAccess.values, weights=[3, 2, 5])[0],
        walking_limited=rng.random() < 0.15,
        longest_journey_minutes=rng.choice([None, 30, 45, 60]),
        can_attend=sessions,
        accepts_remote=maybe(),
        accepts_home_visits=maybe(),
        accepts_groups=maybe(),
        worker_gender=rng.choice(["", "", "", "female", "male"]),
        needs_childcare=rng.random() < 0.1,
    )


def _demo_choice(options, home, *, preferred_code, agree_draw, reason_draw, extra, day, review_weeks) -> ChoiceFields:
    preferred = options[preferred_code]
    reachable = preferred_reach_snapshot(locality=home, option=preferred).reachable_without_car
    agreed, reason, other = preferred, "", ""
    if reachable is False and agree_draw < 0.6:
        agreed, reason = options["PSYCHO" if preferred_code != "PSYCHO" else "PEER"], DifferenceReason.NOT_REACHABLE
    elif agree_draw < 0.2:
        agreed = options["PEER" if preferred_code != "PEER" else "PSYCHO"]
        reason = OTHER_REASONS[int(reason_draw * len(OTHER_REASONS))]
    elif agree_draw > 0.97:
        agreed, reason, other = options["NALOXONE"], DifferenceReason.OTHER, "Wants harm reduction first (demo)"
    discussed = [options[code] for code in extra]
    return ChoiceFields(
        discussed_on=day,
        options_discussed=discussed,
        preferred_option=preferred,
        agreed_option=agreed,
        joint_decision=agree_draw > 0.1,
        review_on=day + datetime.timedelta(weeks=review_weeks),
        difference_reason=reason,
        difference_other=other,
    )
