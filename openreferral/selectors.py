"""The catalogue as Open Referral UK records: one builder per HSDS object, shared by the open
endpoints and export_openreferral, so both always say the same thing."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.functions import Greatest

from areas.models import Locality
from services.models import MenuOption, OptionCategory, Provider, Site, SiteOffer
from services.rules import LANGUAGES

from . import mapping as m

OFFERS = (
    SiteOffer.objects.select_related("site__provider", "option")
    .prefetch_related(Prefetch("outreach_localities", queryset=Locality.objects.order_by("code")))
    .annotate(
        # A service shows facts of the offer, its site, option and provider: it changed when any of them did.
        last_modified=Greatest("modified_at", "site__modified_at", "option__modified_at", "site__provider__modified_at")
    )
    .order_by("site__code", "option__code", "delivery")
)


def _key(offer: SiteOffer) -> tuple[str, str, str]:
    return m.offer_key(offer.site.code, offer.option.code, offer.delivery)


# --- organizations and locations --------------------------------------------------------------


def providers(*, search: str = "") -> QuerySet[Provider]:
    queryset = Provider.objects.order_by("name")
    return queryset.filter(name__icontains=search) if search else queryset


def organization_record(provider: Provider, *, services: str = "", base_url: str = "") -> dict:
    """An organization; `services` "summary" or "full" adds its services (ORUK's full / full_service)."""
    kind = provider.get_kind_display() if provider.kind else "Treatment"
    record: dict[str, Any] = {
        "id": m.organization_id(provider.name),
        "name": provider.name,
        "description": f"{kind} provider of drug and alcohol treatment.",
        m.EXTENSION: {"kind": provider.kind, "contact": provider.contact},
    }
    if services:
        offers = OFFERS.filter(site__provider=provider)
        record["services"] = [
            service_record(offer, base_url=base_url, nested=True)
            if services == "full"
            else service_summary(offer, base_url=base_url)
            for offer in offers
        ]
    return record


def sites() -> QuerySet[Site]:
    return Site.objects.select_related("provider").order_by("code")


def location_record(site: Site) -> dict:
    record: dict[str, Any] = {
        "id": m.location_id(site.code),
        "location_type": "physical",
        "name": site.name,
        "latitude": round(site.location.y, 6),
        "longitude": round(site.location.x, 6),
        "external_identifier": site.code,
        "external_identifier_type": m.SITE_CODE_TYPE,
        "organization_id": m.organization_id(site.provider.name),
        "addresses": [],
        m.EXTENSION: {"active": site.active},
    }
    if site.address or site.postcode:
        record["addresses"].append(
            {
                "id": m.stable_id("address", site.code),
                "location_id": record["id"],
                "address_1": site.address,
                "city": "",
                "state_province": "",
                "postal_code": site.postcode,
                "country": "GB",
                "address_type": "physical",
            }
        )
    return record


# --- taxonomies ------------------------------------------------------------------------------


def options() -> QuerySet[MenuOption]:
    return MenuOption.objects.order_by("display_order", "code")


def option_term(option: MenuOption) -> dict:
    record = m.term(
        term_id=m.option_term_id(option.code),
        taxonomy=m.MENU_TAXONOMY,
        code=option.code,
        label=option.name,
        description=option.description,
        uri=m.option_uri(option.code),
        parent_id=m.category_term_id(option.category),
    )
    record[m.EXTENSION] = {"active": option.active}
    return record


def taxonomy_terms(
    *, search: str = "", taxonomy_id: str = "", parent_id: str = "", top_only: bool = False
) -> list[dict]:
    """Menu categories, then options in menu order (their order is the menu order), then delivery modes."""
    terms = (
        [m.category_term(category) for category in OptionCategory.values]
        + [option_term(option) for option in options()]
        + [m.delivery_term(delivery) for delivery in m.Delivery.values]
    )
    return [
        t
        for t in terms
        if (not search or search.casefold() in t["name"].casefold())
        and (not taxonomy_id or t["taxonomy_id"] == taxonomy_id)
        and (not parent_id or t.get("parent_id") == parent_id)
        and not (top_only and "parent_id" in t)
    ]


def taxonomies(*, search: str = "") -> list[dict]:
    return [t for t in m.TAXONOMIES if search.casefold() in t["name"].casefold()]


# --- services --------------------------------------------------------------------------------


def timestamp(moment: dt.datetime) -> str:
    """An HSDS date-time: UTC, to the microsecond, so modified_after can take it back exactly."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def service_summary(offer: SiteOffer, *, base_url: str = "") -> dict:
    """The one-to-one fields of a service (what HSDS lists show); unknown optional fields are left out.

    `url` is absolute (HSDS says uri), so it is only there when the caller knows the site's address.
    """
    key = _key(offer)
    sid = m.service_id(key)
    live = offer.active and offer.site.active and offer.option.active
    mode = "" if offer.delivery == m.Delivery.ON_SITE else f" ({offer.get_delivery_display().split(' (')[0].lower()})"
    record: dict[str, Any] = {
        "id": sid,
        "organization_id": m.organization_id(offer.site.provider.name),
        "name": f"{offer.option.name}{mode}, {offer.site.name}",
        "description": offer.option.description,
    }
    if base_url:
        record["url"] = f"{base_url}/openreferral/services/{sid}"
    record["status"] = "active" if live else "inactive"
    if offer.min_age is not None:
        record["minimum_age"] = offer.min_age
    if offer.max_age is not None:
        record["maximum_age"] = offer.max_age
    record["last_modified"] = timestamp(_last_modified(offer))
    return record


def service_minimal(offer: SiteOffer) -> dict:
    """What ORUK's minimal=true asks for: enough to see which services changed."""
    return {"id": m.service_id(_key(offer)), "last_modified": timestamp(_last_modified(offer))}


def _last_modified(offer: SiteOffer) -> dt.datetime:
    """The latest change to the offer, its site or its option: OFFERS annotates it."""
    return offer.last_modified  # type: ignore[attr-defined]


def service_record(offer: SiteOffer, *, base_url: str = "", nested: bool = False) -> dict:
    """A full service; `nested` adds the organization, location and term objects the ids point at."""
    key = _key(offer)
    record = service_summary(offer, base_url=base_url)
    sid = record["id"]
    record["schedules"] = [
        {
            "id": m.stable_id("schedule", *key, str(n)),
            "service_id": sid,
            "freq": "WEEKLY",
            **rule,
            "notes": m.SCHEDULE_TIMEZONE_NOTE,
        }
        for n, rule in enumerate(m.opening_hours_to_rules(offer.opening_hours))
    ]
    if m.full_text_schedule(offer.opening_hours):
        record["schedules"].append(
            {
                "id": m.stable_id("schedule", *key, "text"),
                "service_id": sid,
                "description": offer.opening_hours,
                "notes": f"{m.FULL_TEXT_NOTE} {m.SCHEDULE_TIMEZONE_NOTE}",
            }
        )
    record["service_areas"] = [
        {
            "id": m.stable_id("service_area", *key, loc.code),
            "service_id": sid,
            "name": loc.name,
            "description": f"Outreach sessions are held in {loc.name}.",
            "uri": m.locality_uri(loc.code),
        }
        for loc in offer.outreach_localities.all()
    ]
    sal = {"id": m.service_at_location_id(key), "service_id": sid, "location_id": m.location_id(offer.site.code)}
    if nested:
        sal["location"] = location_record(offer.site)
    record["service_at_locations"] = [sal]
    terms = [option_term(offer.option), m.delivery_term(offer.delivery)]
    record["attributes"] = [
        {
            "id": m.stable_id("attribute", sid, t["id"]),
            "link_id": sid,
            "link_type": "service_type",
            "link_entity": "service",
            "taxonomy_term_id": t["id"],
            **({"taxonomy_term": t} if nested else {}),
        }
        for t in terms
    ]
    record["languages"] = [
        {"id": m.stable_id("language", sid, code), "service_id": sid, "name": LANGUAGES.get(code, code), "code": code}
        for code in offer.languages
    ]
    record[m.EXTENSION] = {
        "active": offer.active,
        "capacity_per_week": offer.capacity_per_week,
        "waiting_weeks": offer.waiting_weeks,
        "home_visit_km": offer.home_visit_km,
        # Matching facts HSDS has no field for (null or empty: not recorded).
        "session_format": offer.session_format or None,
        "worker_genders": list(offer.worker_genders),
        "creche": offer.creche,
    }
    if nested:
        record["organization"] = organization_record(offer.site.provider)
    return record


def service_at_location_record(offer: SiteOffer, *, base_url: str = "", nested: bool = False) -> dict:
    key = _key(offer)
    record: dict[str, Any] = {
        "id": m.service_at_location_id(key),
        "service_id": m.service_id(key),
        "location_id": m.location_id(offer.site.code),
    }
    if nested:
        record["service"] = service_record(offer, base_url=base_url)
        record["location"] = location_record(offer.site)
    return record


@dataclass(frozen=True)
class ServiceFilters:
    """The ORUK list parameters, already checked by the endpoint; empty means no filter."""

    search: str = ""
    term_id: str = ""
    taxonomy_id: str = ""
    organization: str = ""
    minimum_age: int | None = None  # with maximum_age: people aged in this range must be eligible
    maximum_age: int | None = None
    day: str = ""  # MO … SU
    start_time: str = ""  # HH:MM; open from then …
    end_time: str = ""  # … until then
    modified_after: dt.datetime | None = None
    point: Point | None = None  # the postcode's point
    proximity_m: float | None = None  # services whose site is within this many metres of the point


def offers(filters: ServiceFilters = ServiceFilters()) -> QuerySet[SiteOffer]:
    """Offers, filtered as the ORUK list parameters ask; unknown ids match nothing."""
    queryset = OFFERS.all()
    if filters.search:
        search = filters.search
        queryset = queryset.filter(
            Q(option__name__icontains=search)
            | Q(option__description__icontains=search)
            | Q(site__name__icontains=search)
            | Q(site__provider__name__icontains=search)
        )
    if filters.term_id:
        queryset = queryset.filter(_term_filter(filters.term_id))
    if filters.taxonomy_id and filters.taxonomy_id not in {t["id"] for t in m.TAXONOMIES}:
        queryset = queryset.none()  # every offer carries a term of both our taxonomies
    if filters.organization:
        names = [p.name for p in Provider.objects.only("name") if m.organization_id(p.name) == filters.organization]
        queryset = queryset.filter(site__provider__name__in=names)
    if filters.minimum_age is not None:
        queryset = queryset.filter(Q(max_age__isnull=True) | Q(max_age__gte=filters.minimum_age))
    if filters.maximum_age is not None:
        queryset = queryset.filter(Q(min_age__isnull=True) | Q(min_age__lte=filters.maximum_age))
    if filters.modified_after is not None:
        queryset = queryset.filter(last_modified__gte=filters.modified_after)  # "on or after", says ORUK
    if filters.point is not None:
        queryset = _near(queryset, filters.point, filters.proximity_m)
    if filters.day or filters.start_time or filters.end_time:
        queryset = queryset.filter(pk__in=[o.pk for o in queryset if _open(o.opening_hours, filters)])
    return queryset


def _near[Offers: QuerySet[SiteOffer]](queryset: Offers, point: Point, proximity_m: float | None) -> Offers:
    """With a proximity: sites within that distance. Without: offers whose service area covers the
    point (outreach localities containing it, home visits reaching it); the rest have no area."""
    if proximity_m is not None:
        return queryset.filter(site__location__distance_lte=(point, D(m=proximity_m)))
    return queryset.filter(
        Q(delivery__in=[m.Delivery.ON_SITE, m.Delivery.REMOTE])
        | Q(pk__in=SiteOffer.objects.filter(outreach_localities__geometry__contains=point).values("pk"))
        | Q(
            delivery=m.Delivery.HOME_VISIT,
            pk__in=SiteOffer.objects.filter(delivery=m.Delivery.HOME_VISIT)
            .annotate(reach_m=Distance("site__location", point))
            .filter(reach_m__lte=F("home_visit_km") * 1000)
            .values("pk"),
        )
    )


def _open(opening_hours: str, filters: ServiceFilters) -> bool:
    """Open on the day (any day when none is given) for the whole of start_time–end_time."""
    for rule in m.opening_hours_to_rules(opening_hours):
        if filters.day and filters.day not in rule["byday"].split(","):
            continue
        opens, closes = rule["opens_at"], rule["closes_at"]
        if closes <= opens:
            closes = "24:00"  # overnight: open until midnight that day (the early hours belong to the next)
        if filters.start_time and not opens <= filters.start_time < closes:
            continue
        if filters.end_time and not opens < filters.end_time <= closes:
            continue
        return True
    return False


def _term_filter(term_id: str) -> Q:
    for category in OptionCategory.values:
        if m.category_term_id(category) == term_id:
            return Q(option__category=category)
    for delivery in m.Delivery.values:
        if m.delivery_term_id(delivery) == term_id:
            return Q(delivery=delivery)
    codes = [code for code in MenuOption.objects.values_list("code", flat=True) if m.option_term_id(code) == term_id]
    return Q(option__code__in=codes)


# --- look-ups by HSDS id ---------------------------------------------------------------------


def offer_by_service_id(record_id: str, *, at_location: bool = False) -> SiteOffer | None:
    make_id = m.service_at_location_id if at_location else m.service_id
    for offer_pk, site_code, option_code, delivery in SiteOffer.objects.values_list(
        "pk", "site__code", "option__code", "delivery"
    ):
        if make_id((site_code, option_code, delivery)) == record_id:
            return OFFERS.get(pk=offer_pk)
    return None


def provider_by_id(record_id: str) -> Provider | None:
    return next((p for p in providers() if m.organization_id(p.name) == record_id), None)


def site_by_id(record_id: str) -> Site | None:
    codes = [code for code in Site.objects.values_list("code", flat=True) if m.location_id(code) == record_id]
    return sites().filter(code__in=codes).first()


def term_by_id(record_id: str) -> dict | None:
    return next((t for t in taxonomy_terms() if t["id"] == record_id), None)


def catalogue_document(*, base_url: str = "") -> dict:
    """The whole catalogue as one ORUK document: what export_openreferral writes and import reads."""
    return {
        "version": m.HSDS_VERSION,
        "profile": m.PROFILE_URL,
        "organizations": [organization_record(p) for p in providers()],
        "locations": [location_record(s) for s in sites()],
        "taxonomies": m.TAXONOMIES,
        "taxonomy_terms": taxonomy_terms(),
        "services": [service_record(offer, base_url=base_url) for offer in OFFERS.all()],
    }


ORUK_OPENAPI = Path(__file__).with_name("oruk_openapi.json")


def oruk_openapi(*, server_url: str) -> dict:
    """The ORUK 3.0 OpenAPI document (the ORUK validator's copy, its placeholders filled in) for this server."""
    document = json.loads(ORUK_OPENAPI.read_text(encoding="utf-8"))
    document["info"] = {
        "title": "choicemap Open Referral UK",
        "version": m.HSDS_VERSION,
        "summary": "The choicemap treatment catalogue as Open Referral UK (HSDS 3.0, UK profile).",
        "description": "One service per site offer: a treatment menu option at one site in one delivery mode.",
    }
    document["servers"] = [{"url": server_url}]
    return document
