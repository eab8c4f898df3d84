"""How choicemap's catalogue maps onto Open Referral UK (HSDS 3.0 UK profile): ids and vocabularies.

Pure functions, no database. docs/openreferral.md describes the mapping for people.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote, unquote

from services.hours import DAY_MINUTES, weekly_spans
from services.models import Delivery, OptionCategory

HSDS_VERSION = "HSDS-UK-3.0"  # the form the ORUK validator reads from the root endpoint
PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
EXTENSION = "choicemap"  # the one object that carries facts ORUK has no field for
SITE_CODE_TYPE = "choicemap_site_code"

# Ids are UUIDv5 of the choicemap keys: stable across exports, databases and machines.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:choicemap:openreferral")


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def organization_id(provider_name: str) -> str:
    return stable_id("organization", provider_name)


def location_id(site_code: str) -> str:
    return stable_id("location", site_code)


def offer_key(site_code: str, option_code: str, delivery: str) -> tuple[str, str, str]:
    return (site_code, option_code, delivery)


def service_id(key: tuple[str, str, str]) -> str:
    return stable_id("service", *key)


def service_at_location_id(key: tuple[str, str, str]) -> str:
    return stable_id("service_at_location", *key)


# --- taxonomies: the treatment menu (categories → options) and delivery modes ------------------

MENU_TAXONOMY = {
    "id": stable_id("taxonomy", "menu"),
    "name": "choicemap treatment menu",
    "description": "The drug and alcohol treatment menu: categories of intervention, and under each the "
    "menu options a site can offer.",
    "uri": "urn:choicemap:taxonomy:treatment-menu",
    "version": "1",
}
DELIVERY_TAXONOMY = {
    "id": stable_id("taxonomy", "delivery"),
    "name": "choicemap delivery mode",
    "description": "How an offer reaches people: on site, outreach sessions in named localities, home visits "
    "within a radius, or remote.",
    "uri": "urn:choicemap:taxonomy:delivery-mode",
    "version": "1",
}
TAXONOMIES = [MENU_TAXONOMY, DELIVERY_TAXONOMY]

CATEGORY_URI = "urn:choicemap:menu-category:"
OPTION_URI = "urn:choicemap:menu-option:"
DELIVERY_URI = "urn:choicemap:delivery:"
LOCALITY_URI = "urn:choicemap:locality:"


def category_term_id(category: str) -> str:
    return stable_id("taxonomy_term", "menu-category", category)


def option_term_id(option_code: str) -> str:
    return stable_id("taxonomy_term", "menu-option", option_code)


def delivery_term_id(delivery: str) -> str:
    return stable_id("taxonomy_term", "delivery", delivery)


def term(
    *, term_id: str, taxonomy: dict, code: str, label: str, description: str, uri: str, parent_id: str | None = None
) -> dict:
    """An HSDS taxonomy_term; optional fields are left out rather than sent as null."""
    record = {
        "id": term_id,
        "code": code,
        "name": label,
        "description": description,
        "taxonomy": taxonomy["name"],
        "taxonomy_id": taxonomy["id"],
        "term_uri": uri,
    }
    if parent_id:
        record["parent_id"] = parent_id
    return record


def category_term(category: str) -> dict:
    label = OptionCategory(category).label
    return term(
        term_id=category_term_id(category),
        taxonomy=MENU_TAXONOMY,
        code=category,
        label=label,
        description=f"{label}: a category of the treatment menu.",
        uri=CATEGORY_URI + category,
    )


def delivery_term(delivery: str) -> dict:
    label = Delivery(delivery).label
    return term(
        term_id=delivery_term_id(delivery),
        taxonomy=DELIVERY_TAXONOMY,
        code=delivery,
        label=label.split(" (")[0],
        description=DELIVERY_DESCRIPTIONS[Delivery(delivery)],
        uri=DELIVERY_URI + delivery,
    )


DELIVERY_DESCRIPTIONS = {
    Delivery.ON_SITE: "Offered at the site itself.",
    Delivery.OUTREACH: "Sessions held in named localities away from the site.",
    Delivery.HOME_VISIT: "Home visits within a radius of the site.",
    Delivery.REMOTE: "Offered remotely (telephone or online).",
}


def option_uri(option_code: str) -> str:
    return OPTION_URI + quote(option_code, safe="")


def locality_uri(locality_code: str) -> str:
    return LOCALITY_URI + quote(locality_code, safe="")


def code_from_uri(uri: object, prefix: str) -> str | None:
    """The choicemap code in one of our URNs, or None when the URI is not of that kind."""
    if isinstance(uri, str) and uri.startswith(prefix) and len(uri) > len(prefix):
        return unquote(uri[len(prefix) :])
    return None


# --- opening hours (OSM opening_hours text, read by opening-hours-py) ↔ HSDS weekly schedules ------

# HSDS asks for times with their timezone, but its only field for one is a fixed UTC offset, and UK
# local time moves between +00:00 and +01:00 within a weekly rule: say it in words instead.
SCHEDULE_TIMEZONE_NOTE = "Opening times are UK local time (Europe/London)."
# A schedule with no weekly rule whose description is the whole text, when weekly rules cannot hold it.
FULL_TEXT_NOTE = "The description is the opening hours in full, as OSM opening_hours text."

OSM_DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
ICAL_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _compress_days(days: list[int]) -> str:
    """[0, 1, 2, 5] → 'Mo-We,Sa'."""
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(OSM_DAYS[r[0]] if len(r) == 1 else f"{OSM_DAYS[r[0]]}-{OSM_DAYS[r[-1]]}" for r in runs)


def _clock(minutes: int) -> str:
    """Minutes from midnight as HH:MM; past midnight (an overnight span's close) from the next midnight."""
    if minutes > DAY_MINUTES:
        minutes -= DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def opening_hours_to_rules(opening_hours: str) -> list[dict]:
    """A valid opening-hours text as weekly rules {byday, opens_at, closes_at, description}, from the times
    opening-hours-py reads in it, the days that share a time span together; an overnight span closes
    before it opens (Fr 22:00-02:00). [] when the text is not the same every week (see full_text_schedule)."""
    days_by_span: dict[tuple[int, int], list[int]] = {}
    for day, opens, closes in weekly_spans(opening_hours) or ():
        days_by_span.setdefault((opens, closes), []).append(day)
    rules = []
    for (opens, closes), days in sorted(days_by_span.items(), key=lambda item: (min(item[1]), item[0])):
        opens_at, closes_at = _clock(opens), _clock(closes)
        rules.append(
            {
                "byday": ",".join(ICAL_DAYS[d] for d in sorted(days)),
                "opens_at": opens_at,
                "closes_at": closes_at,
                "description": f"{_compress_days(days)} {opens_at}-{closes_at}",
            }
        )
    return rules


def full_text_schedule(opening_hours: str) -> bool:
    """Whether the weekly rules miss something of the text (public holidays, months, dates, comments, or a
    form of its own), so that the text itself must travel as a schedule's description."""
    rules = [(r["byday"], r["opens_at"], r["closes_at"]) for r in opening_hours_to_rules(opening_hours)]
    return bool(opening_hours.strip()) and rules_to_opening_hours(rules) != opening_hours


_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)(:00)?$")


def rules_to_opening_hours(rules: list[tuple[str, str, str]]) -> str:
    """(byday, opens_at, closes_at) triples, already checked with schedule_problem(), as one string."""
    grouped: dict[str, list[str]] = {}
    for byday, opens, closes in rules:
        days = _compress_days([ICAL_DAYS.index(d.strip()) for d in byday.split(",")])
        grouped.setdefault(days, []).append(f"{opens[:5]}-{closes[:5]}")
    return "; ".join(f"{days} {','.join(spans)}" for days, spans in grouped.items())


def schedule_problem(schedule: dict) -> tuple[str, str] | None:
    """(field, reason) when a schedule is not a plain weekly rule that opening hours can hold."""
    if schedule.get("freq", "WEEKLY") != "WEEKLY":
        return "freq", f"{schedule.get('freq')!r}: only WEEKLY schedules can be imported"
    if schedule.get("interval") not in (None, 1, "1"):
        return "interval", "only every-week schedules (interval 1) can be imported"
    byday = schedule.get("byday")
    if not isinstance(byday, str) or not byday.strip() or any(d.strip() not in ICAL_DAYS for d in byday.split(",")):
        return "byday", f"{byday!r} is not a comma-separated list of MO, TU, WE, TH, FR, SA, SU"
    for name in ("opens_at", "closes_at"):
        value = schedule.get(name)
        if not isinstance(value, str) or not _TIME.match(value):
            return name, f"{value!r} is not a local time HH:MM"
    return None
