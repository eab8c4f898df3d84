"""Reads of the service catalogue."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet

from areas.models import Locality

from .models import SiteOffer


def _blank_if_none(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def offers_for_export() -> QuerySet[SiteOffer]:
    return (
        SiteOffer.objects.select_related("site__provider", "option")
        .prefetch_related(Prefetch("outreach_localities", queryset=Locality.objects.only("code").order_by("code")))
        .order_by("site__code", "option__code", "delivery")
    )


def catalogue_rows() -> Iterator[dict[str, str]]:
    """Every offer as a row in the import_catalogue format, so an export imports back unchanged."""
    for offer in offers_for_export():
        site = offer.site
        row = {
            "provider": site.provider.name,
            "site_code": site.code,
            "site_name": site.name,
            "lat": f"{site.location.y:.6f}",
            "lon": f"{site.location.x:.6f}",
            "option_code": offer.option.code,
            "delivery": offer.delivery,
            "capacity_per_week": _blank_if_none(offer.capacity_per_week),
            "waiting_weeks": _blank_if_none(offer.waiting_weeks),
            "min_age": _blank_if_none(offer.min_age),
            "max_age": _blank_if_none(offer.max_age),
            "outreach_localities": ";".join(loc.code for loc in offer.outreach_localities.all()),
            "home_visit_km": _blank_if_none(offer.home_visit_km),
            "active": "true" if offer.active else "false",
            "provider_kind": site.provider.kind,
            "session_format": offer.session_format,
            "worker_genders": ";".join(offer.worker_genders),
            "creche": "" if offer.creche is None else ("true" if offer.creche else "false"),
            "languages": ";".join(offer.languages),
            "opening_hours": offer.opening_hours,
        }
        yield row
