"""Helpers for tests that record care plans through the services (not fixtures: those live in conftest.py)."""

import datetime

from careplans.services import Actor, ChoiceFields, create_service_user, record_choice

PASSWORD = "a-long-password-1"


def actor(user) -> Actor:
    return Actor(user=user, path="/test", ip_address="192.0.2.1")


def choice_fields(preferred, agreed=None, **overrides) -> ChoiceFields:
    today = datetime.date(2025, 3, 10)
    values = dict(
        discussed_on=today,
        options_discussed=[],
        preferred_option=preferred,
        agreed_option=agreed or preferred,
        joint_decision=True,
        review_on=today + datetime.timedelta(weeks=6),
    )
    if agreed is not None and agreed != preferred:
        values["difference_reason"] = "not_reachable"
    values.update(overrides)
    return ChoiceFields(**values)


def people(world, users, locality, count, preferred, *, agreed=None):
    for _ in range(count):
        su = create_service_user(
            actor=actor(users["keyworker"]),
            keyworker=users["keyworker"],
            age_band="25_34",
            home_locality=world[locality],
        )
        record_choice(
            actor=actor(users["keyworker"]),
            service_user=su,
            fields=choice_fields(world[preferred], world[agreed] if agreed else None),
        )
