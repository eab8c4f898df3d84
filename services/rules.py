"""The rules a site offer keeps, in one place. Every door checks them: the catalogue import, the
admin form, the API serializers and the catalogue services (and the scenario editor, once built), so an
offer is refused for the same reason, in the same words, wherever it is entered. The database
constraints and triggers stay behind them as the last line.

`offer_problems` takes what has been entered so far, by field name (missing or None where a field
is empty or did not parse), and returns {field name: message} for every rule broken; an empty
dict means the offer may be saved. Messages follow the field name they are reported against
("home_visit_km: is required for a home_visit offer").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard

from django.conf.locale import LANG_INFO

from .models import Delivery, ProviderKind, WorkerGender

# Languages, for offers and for a person's interpreter: the ISO 639 codes Django itself names.
LANGUAGES: dict[str, str] = {code: info["name"] for code, info in LANG_INFO.items() if "name" in info}

AGE_LIMIT = 130
# The offer's own fields the rules read; outreach_localities comes from the many-to-many.
OFFER_RULE_FIELDS = [
    "delivery",
    "home_visit_km",
    "capacity_per_week",
    "waiting_weeks",
    "min_age",
    "max_age",
    "worker_genders",
    "languages",
]


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def offer_problems(entered: Mapping[str, Any]) -> dict[str, str]:
    """`entered`: delivery, home_visit_km, outreach_localities (codes or objects), capacity_per_week,
    waiting_weeks, min_age, max_age, worker_genders and languages (lists of codes). A value that is
    present but could not be read (e.g. the raw text of a bad number) counts as present and is not
    checked further."""
    delivery = entered.get("delivery")
    radius = entered.get("home_visit_km")
    localities = entered.get("outreach_localities") or []
    problems: dict[str, str] = {}
    if delivery:
        if delivery == Delivery.HOME_VISIT and radius is None:
            problems["home_visit_km"] = "is required for a home_visit offer"
        elif delivery != Delivery.HOME_VISIT and radius is not None:
            problems["home_visit_km"] = f"only home_visit offers have a radius, not {delivery}"
        if delivery == Delivery.OUTREACH and not localities:
            problems["outreach_localities"] = "an outreach offer needs at least one locality code"
        elif delivery != Delivery.OUTREACH and localities:
            problems["outreach_localities"] = f"only outreach offers list localities, not {delivery}"
    if "home_visit_km" not in problems and _number(radius) and radius <= 0:
        problems["home_visit_km"] = "a home visit radius must be more than 0 km"
    for name in ("capacity_per_week", "waiting_weeks"):
        value = entered.get(name)
        if _number(value) and value < 0:
            problems[name] = "cannot be negative"
    min_age, max_age = entered.get("min_age"), entered.get("max_age")
    for name, value in (("min_age", min_age), ("max_age", max_age)):
        if _number(value) and not 0 <= value <= AGE_LIMIT:
            problems[name] = f"must be from 0 to {AGE_LIMIT}"
    if _number(min_age) and _number(max_age) and "min_age" not in problems and min_age > max_age:
        problems["min_age"] = f"min_age {min_age} is above max_age {max_age}"
    problems.update(_listed_problems(entered))
    return problems


def _listed_problems(entered: Mapping[str, Any]) -> dict[str, str]:
    problems = {}
    genders = list(entered.get("worker_genders") or [])
    if unknown := [g for g in genders if g not in WorkerGender.values]:
        problems["worker_genders"] = f"{unknown[0]!r} is not one of: {', '.join(WorkerGender.values)}"
    elif len(set(genders)) != len(genders):
        problems["worker_genders"] = "a gender is listed twice"
    languages = list(entered.get("languages") or [])
    if unknown := [code for code in languages if code not in LANGUAGES]:
        problems["languages"] = f"unknown language code {unknown[0]!r} (use codes such as en, pl, ur)"
    elif len(set(languages)) != len(languages):
        problems["languages"] = "a language is listed twice"
    return problems


def provider_kind_problem(*, provider: str, kind: str, known_kind: str | None, first: tuple[str, str] | None) -> str:
    """The rule for a provider's kind wherever a site names its provider (the catalogue import, a
    scenario's add_site): a new provider is never created without a kind, and a known one keeps its kind.

    `known_kind`: the catalogue's kind for a provider it has (None when it has not); `first`: (kind,
    where) of an earlier mention of a provider new to the catalogue, e.g. ("nhs", "on row 2"). An empty
    string means no problem.
    """
    if known_kind is not None:
        if kind and kind != known_kind:
            return (
                f"provider {provider!r} is {known_kind or 'blank'} in the catalogue, not {kind}: "
                "change it with import_providers or in the admin"
            )
        return ""
    if not kind:
        return (
            f"provider {provider!r} is not in the catalogue: give its provider_kind "
            f"({', '.join(ProviderKind.values)}) or import it first with import_providers"
        )
    if first is not None and first[0] != kind:
        return f"provider {provider!r} is {first[0]} {first[1]} but {kind} here"
    return ""
