"""The catalogue as Open Referral UK records: one builder per HSDS object, shared by the open
endpoints and export_openreferral, so both always say the same thing."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from areas.models import Locality
from services.models import MenuOption, OptionCategory, Provider, Site, SiteOffer

from . import mapping as m

OFFERS = (
    SiteOffer.objects.select_related("site__provider", "option")
    .prefetch_related(Prefetch("outreach_localities", queryset=Locality.objects.order_by("code")))
    .order_by("site__code", "option__code", "delivery")
)


def _key(offer: SiteOffer) -> tuple[str, str, str]:
    return m.offer_key(offer.site.code, offer.option.code, offer.delivery)


# --- organizations and locations --------------------------------------------------------------


def providers() -> QuerySet[Provider]:
    return Provider.objects.order_by("name")


def organization_record(provider: Provider) -> dict:
    kind = provider.get_kind_display() if provider.kind else "Treatment"
    return {
        "id": m.organization_id(provider.name),
        "name": provider.name,
        "description": f"{kind} provider of drug and alcohol treatment.",
        m.EXTENSION: {"kind": provider.kind, "contact": provider.contact},
    }


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
        label=option.name,
        uri=m.option_uri(option.code),
        parent_id=m.category_term_id(option.category),
    )
    record[m.EXTENSION] = {"description": option.description, "active": option.active}
    return record


def taxonomy_terms() -> list[dict]:
    """Menu categories, then options in menu order (their order is the menu order), then delivery modes."""
    return (
        [m.category_term(category) for category in OptionCategory.values]
        + [option_term(option) for option in options()]
        + [m.delivery_term(delivery) for delivery in m.Delivery.values]
    )


# --- services --------------------------------------------------------------------------------


def service_summary(offer: SiteOffer, *, base_url: str = "") -> dict:
    """The one-to-one fields of a service (what HSDS lists show)."""
    key = _key(offer)
    sid = m.service_id(key)
    live = offer.active and offer.site.active and offer.option.active
    mode = "" if offer.delivery == m.Delivery.ON_SITE else f" ({offer.get_delivery_display().split(' (')[0].lower()})"
    return {
        "id": sid,
        "organization_id": m.organization_id(offer.site.provider.name),
        "name": f"{offer.option.name}{mode}, {offer.site.name}",
        "description": offer.option.description,
        "url": f"{base_url}/openreferral/services/{sid}",
        "status": "active" if live else "inactive",
        "minimum_age": offer.min_age,
        "maximum_age": offer.max_age,
    }


def service_record(offer: SiteOffer, *, base_url: str = "", nested: bool = False) -> dict:
    """A full service; `nested` adds the organization, location and term objects the ids point at."""
    key = _key(offer)
    record = service_summary(offer, base_url=base_url)
    sid = record["id"]
    record["schedules"] = [
        {"id": m.stable_id("schedule", *key, str(n)), "service_id": sid, "freq": "WEEKLY", **rule}
        for n, rule in enumerate(m.opening_hours_to_rules(offer.opening_hours))
    ]
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
    record[m.EXTENSION] = {
        "active": offer.active,
        "capacity_per_week": offer.capacity_per_week,
        "waiting_weeks": offer.waiting_weeks,
        "home_visit_km": offer.home_visit_km,
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


def offers(
    *, search: str = "", term_id: str = "", taxonomy_id: str = "", organization: str = ""
) -> QuerySet[SiteOffer]:
    """Offers, filtered as the ORUK list parameters ask; unknown ids match nothing."""
    queryset = OFFERS.all()
    if search:
        queryset = queryset.filter(
            Q(option__name__icontains=search)
            | Q(option__description__icontains=search)
            | Q(site__name__icontains=search)
            | Q(site__provider__name__icontains=search)
        )
    if term_id:
        queryset = queryset.filter(_term_filter(term_id))
    if taxonomy_id and taxonomy_id not in {t["id"] for t in m.TAXONOMIES}:
        queryset = queryset.none()  # every offer carries a term of both our taxonomies
    if organization:
        names = [p.name for p in Provider.objects.only("name") if m.organization_id(p.name) == organization]
        queryset = queryset.filter(site__provider__name__in=names)
    return queryset


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


def catalogue_document() -> dict:
    """The whole catalogue as one ORUK document: what export_openreferral writes and import reads."""
    return {
        "version": m.HSDS_VERSION,
        "profile": m.PROFILE_URL,
        "organizations": [organization_record(p) for p in providers()],
        "locations": [location_record(s) for s in sites()],
        "taxonomies": m.TAXONOMIES,
        "taxonomy_terms": taxonomy_terms(),
        "services": [service_record(offer) for offer in OFFERS.all()],
    }
