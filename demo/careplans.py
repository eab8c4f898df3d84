"""Synthetic care-plan records for the demo: two keyworkers' caseloads, generated from a fixed seed,
living mostly in a few towns and villages, each with needs, choices and reviews.

References read DEMO-0001 and so on, so nobody mistakes them for real people. Loaded through the same
services keyworkers use, so every record carries its reach snapshot, change history and audit rows.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from areas.models import Locality
from careplans.models import (
    DAYS_IN_PERIOD,
    GOAL_SCORE,
    TOP_SCORE,
    AgeBand,
    CaseStatus,
    DifferenceReason,
    ServiceUser,
    Session,
    Team,
    TravelAccess,
)
from careplans.selectors import personal_menu, reference_run
from careplans.services import (
    Actor,
    ChoiceFields,
    Needs,
    create_service_user,
    record_choice,
    record_review,
    update_needs,
    update_service_user,
)
from reach.personal_selectors import catalogue_unchanged
from reach.services import create_run, ensure_default_profile, execute_run
from services.models import MenuOption

DEMO_TEAM = "Bournemouth and Poole team"
# Most people in treatment live in a few places, so the demo's towns and villages each have enough
# people to be published on their own (8 to 12 or more: careplans.unmet.show_from). Locality names as
# in localities.geojson; everyone else is spread over the county by population and pooled as OTHER.
DEMO_PLACES = {
    "Weymouth 02": 16,
    "Weymouth 04": 15,
    "Poole 09": 16,
    "Bridport 01": 14,
    "Maiden Newton": 13,
    "Wool": 13,
}
DEMO_SPREAD = 33
DEMO_PEOPLE = sum(DEMO_PLACES.values()) + DEMO_SPREAD
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
# Goals in the person's own words (synthetic), three at most per person.
DEMO_GOALS = [
    "Have the kids at weekends again",
    "Stay off heroin",
    "Only drink at weekends",
    "Get back to work",
    "Sort out my housing",
    "Sleep through the night",
    "Walk the dog every day",
    "Be sober at my daughter's wedding",
    "Stop using on my own",
    "Cook proper meals",
    "See my mum more",
    "Keep my tenancy",
]
# The interpreters the demo's people need, when they need one (codes as services.rules.LANGUAGES has them).
DEMO_INTERPRETER_LANGUAGES = ["pl", "ro", "pt", "lt", "ar"]
# How outcomes move from review to review: steady improvement, no change, or getting worse.
TRAJECTORIES = {"improving": 2.0, "stable": 0.0, "worsening": -1.5}


def ensure_reach_run() -> None:
    """Choices record reachability at save, so the demo needs a run of the default profile first."""
    if reference_run() is None:
        execute_run(run_id=create_run(profile=ensure_default_profile()).pk)


def demo_homes(rng: random.Random) -> list[Locality]:
    """Where the demo's people live, person 1 first: the places' people shuffled in with the spread."""
    by_name = {loc.name: loc for loc in Locality.objects.filter(name__in=DEMO_PLACES)}
    missing = sorted(set(DEMO_PLACES) - set(by_name))
    if missing:
        raise ValueError(f"the demo's places are not among its localities: {', '.join(missing)}")
    elsewhere = list(Locality.objects.exclude(name__in=DEMO_PLACES).order_by("code"))
    homes = [by_name[name] for name, count in DEMO_PLACES.items() for _ in range(count)]
    homes += rng.choices(elsewhere, weights=[loc.population for loc in elsewhere], k=DEMO_SPREAD)
    rng.shuffle(homes)
    return homes


@transaction.atomic
def load_demo_careplans(*, keyworkers: list, today: datetime.date | None = None) -> int:
    """Idempotent: people already loaded (by reference) are left as they are. Returns how many were added.

    Every person gets needs, one to three conversations recorded through record_choice (so each keeps
    the person's own menu with its reasons) and two or three reviews with outcomes over time.
    """
    today = today or timezone.localdate()
    ensure_reach_run()
    team, _ = Team.objects.get_or_create(name=DEMO_TEAM)
    team.members.add(*keyworkers)
    actor = Actor(user=None, path="command:load_demo")
    rng = random.Random(5)  # noqa: S311  (reproducible synthetic records, not secrets)
    homes = demo_homes(rng)
    options = {option.code: option for option in MenuOption.objects.filter(active=True)}
    preferences = [code for code in PREFERENCE_WEIGHTS if code in options]
    added = 0
    # Nothing below writes the catalogue: every person's menu is built from one catalogue.
    with catalogue_unchanged():
        for n, home in enumerate(homes, start=1):
            # Draw everything for person n whether or not it exists, so person n is always the same person.
            reference = f"DEMO-{n:04d}"
            keyworker = keyworkers[n % len(keyworkers)]
            in_team = n % len(keyworkers) == 1 and n % 3 == 0
            age_band = rng.choice(AgeBand.values[1:])
            conversations = rng.randint(1, 3)
            first_day = today - datetime.timedelta(days=rng.randint(120, 420))
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
            own_menu = {
                row.option.code: row.reason for row in personal_menu(service_user=service_user, today=today).rows
            }
            day = first_day
            got_preferred = True
            for preferred_code, agree_draw, reason_draw, extra, review_weeks in plans:
                if day > today:  # a review still to come is not a conversation yet (careplans/rules.py)
                    break
                fields = _demo_choice(
                    options,
                    own_menu,
                    preferred_code=preferred_code,
                    agree_draw=agree_draw,
                    reason_draw=reason_draw,
                    extra=extra,
                    day=day,
                    review_weeks=review_weeks,
                )
                record_choice(actor=actor, service_user=service_user, fields=fields)
                got_preferred = fields.agreed_option == fields.preferred_option
                day = fields.review_on
            last_day = min(day, today)
            review_rng = random.Random(25_000 + n)  # noqa: S311 (synthetic data)
            for outcomes in _demo_reviews(
                review_rng, first_day=first_day, last_day=last_day, got_preferred=got_preferred
            ):
                record_review(actor=actor, service_user=service_user, outcomes=outcomes)
            if closed_years_ago:
                update_service_user(
                    actor=actor,
                    service_user=service_user,
                    age_band=age_band,
                    home_locality=home,
                    team=service_user.team,
                    status=CaseStatus.CLOSED,
                    closed_on=last_day,
                )
            added += 1
    return added


def _demo_needs(rng: random.Random) -> Needs:
    """Synthetic needs, drawn from their own generator so the people themselves stay as they were. Most
    lack a car, as many people in treatment do; some work and can come only in the evenings."""
    pattern = rng.random()
    if pattern < 0.15:
        sessions = [Session.WEEKDAY_EVENING.value]  # working days: evenings only
    elif pattern < 0.25:
        sessions = [Session.WEEKDAY_EVENING.value, Session.WEEKEND.value]
    else:
        sessions = [s for s in Session.values if rng.random() < 0.6] or [Session.WEEKDAY_AFTERNOON.value]

    def maybe() -> bool | None:
        return rng.choice([None, True, True, False])

    return Needs(
        travel_access=rng.choices(TravelAccess.values, weights=[3, 2, 5])[0],
        walking_limited=rng.random() < 0.15,
        longest_journey_minutes=rng.choice([None, 30, 45, 60, 90]),
        can_attend=sessions,
        accepts_remote=maybe(),
        accepts_home_visits=maybe(),
        accepts_groups=maybe(),
        worker_gender=rng.choice(["", "", "", "female", "male"]),
        needs_childcare=rng.random() < 0.1,
        interpreter_language=rng.choice(DEMO_INTERPRETER_LANGUAGES) if rng.random() < 0.06 else "",
    )


def _demo_reviews(
    rng: random.Random, *, first_day: datetime.date, last_day: datetime.date, got_preferred: bool
) -> list[dict]:
    """Two or three reviews between the first conversation and the last, with outcomes that move along a
    trajectory: people who got the option they preferred improve more often (the demo's story, not data)."""
    count = rng.choice([2, 3])
    improving = 0.7 if got_preferred else 0.4
    trajectory = rng.choices(list(TRAJECTORIES), weights=[improving, 0.2, 0.8 - improving])[0]
    step = TRAJECTORIES[trajectory]
    span = max((last_day - first_day).days, count - 1)
    goals = rng.sample(DEMO_GOALS, rng.randint(1, 3))
    start = {
        "psychological_health": rng.randint(4, 12),
        "physical_health": rng.randint(5, 13),
        "quality_of_life": rng.randint(3, 11),
        "days_of_use": rng.randint(10, 26),
        **{f"goal_{n}_score": rng.randint(1, 5) for n in range(1, len(goals) + 1)},
    }

    def moved(value: int, k: int, scale: float, low: int, high: int) -> int:
        return max(low, min(high, round(value + k * scale * step + rng.gauss(0, 1))))

    reviews = []
    for k in range(count):
        outcomes: dict = {
            "reviewed_on": first_day + datetime.timedelta(days=span * k // (count - 1)),
            "psychological_health": moved(start["psychological_health"], k, 1.0, *TOP_SCORE),
            "physical_health": moved(start["physical_health"], k, 0.6, *TOP_SCORE),
            "quality_of_life": moved(start["quality_of_life"], k, 1.0, *TOP_SCORE),
            "days_of_use": moved(start["days_of_use"], k, -3.0, 0, DAYS_IN_PERIOD),
        }
        for n, goal in enumerate(goals, start=1):
            outcomes[f"goal_{n}"] = goal
            outcomes[f"goal_{n}_score"] = moved(start[f"goal_{n}_score"], k, 1.0, *GOAL_SCORE)
        reviews.append(outcomes)
    return reviews


# Why the agreed option differs, when the person's own menu says the preferred one is out of reach.
REASON_FOR_OUT_OF_REACH = {
    "wait_over_limit": DifferenceReason.WAITING_LIST,
    "not_eligible": DifferenceReason.NOT_ELIGIBLE,
}


def _demo_choice(
    options, own_menu: dict[str, str], *, preferred_code, agree_draw, reason_draw, extra, day, review_weeks
) -> ChoiceFields:
    """A conversation that follows the person's own menu: an option out of their reach is mostly not
    agreed, for the reason the menu gives; otherwise now and then another option, for another reason."""
    preferred = options[preferred_code]
    out_of_reach = own_menu.get(preferred_code, "reachable") != "reachable"
    within_reach = [code for code in ("PSYCHO", "PEER", "NALOXONE") if own_menu.get(code) == "reachable"]
    fallback = next(
        (code for code in within_reach if code != preferred_code), "PSYCHO" if preferred_code != "PSYCHO" else "PEER"
    )
    agreed, reason, other = preferred, "", ""
    if out_of_reach and agree_draw < 0.6:
        agreed = options[fallback]
        reason = REASON_FOR_OUT_OF_REACH.get(own_menu[preferred_code], DifferenceReason.NOT_REACHABLE)
    elif agree_draw < 0.2:
        agreed = options[fallback]
        reason = OTHER_REASONS[int(reason_draw * len(OTHER_REASONS))]
    elif agree_draw > 0.97 and preferred_code != "NALOXONE":
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
