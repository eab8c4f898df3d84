"""Writes to the service catalogue. Imports are all-or-nothing and list every problem found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction

from areas.models import Locality
from choicemap.imports import ImportFailed, ImportReport, RowReader, run_import, upsert_by_key
from reach.services import schedule_default_recompute

from .models import (
    MAX_HOME_VISIT_KM,
    MAX_WAITING_WEEKS,
    Delivery,
    MenuOption,
    OptionCategory,
    Provider,
    ProviderKind,
    Site,
    SiteOffer,
)

OPTION_COLUMNS = ["code", "name", "category"]
PROVIDER_COLUMNS = ["name", "kind"]
CATALOGUE_COLUMNS = [
    "provider",
    "site_code",
    "site_name",
    "lat",
    "lon",
    "option_code",
    "delivery",
    "capacity_per_week",
    "waiting_weeks",
    "min_age",
    "max_age",
    "outreach_localities",
    "home_visit_km",
    "active",
]
# Needed only for a provider the catalogue does not have yet: a new provider is never created without a kind.
CATALOGUE_OPTIONAL_COLUMNS = ["provider_kind"]


def import_options(*, path: Path | str, dry_run: bool = False) -> ImportReport:
    """Upsert menu options by code from `code,name,category[,description]`."""
    reader = RowReader(path, required=OPTION_COLUMNS, optional=["description"])
    parse = reader.parse
    parsed: dict[str, dict] = {}
    for row_number, row in reader.rows():
        where = f"row {row_number}"
        code = parse.text(where, "code", row["code"], required=True, max_length=40)
        values = {
            "name": parse.text(where, "name", row["name"], required=True, max_length=200),
            "category": parse.choice(where, "category", row["category"], OptionCategory.values),
            "description": row.get("description", ""),
        }
        if code in parsed:
            reader.problem(where, "code", f"duplicate code {code!r} (first on row {parsed[code]['row']})")
        elif code:
            parsed[code] = {"row": row_number, **values}
    if reader.problems:
        raise ImportFailed(reader.problems)

    def write() -> ImportReport:
        report = ImportReport(file=reader.file, dry_run=dry_run)
        last_order = MenuOption.objects.order_by("-display_order").values_list("display_order", flat=True).first()
        new_orders = iter(range((last_order or 0) + 10, 10**9, 10))  # new options go to the end of the menu
        rows = {code: {k: v for k, v in values.items() if k != "row"} for code, values in parsed.items()}
        upsert_by_key(
            model=MenuOption,
            key="code",
            rows=rows,
            report=report,
            new_row_defaults=lambda: {"display_order": next(new_orders)},
        )
        if report.changed:
            schedule_default_recompute()
        return report

    return run_import(write, dry_run=dry_run)


def import_providers(*, path: Path | str, dry_run: bool = False) -> ImportReport:
    """Upsert providers by name from `name,kind[,contact]`."""
    reader = RowReader(path, required=PROVIDER_COLUMNS, optional=["contact"])
    parse = reader.parse
    parsed: dict[str, dict] = {}
    for row_number, row in reader.rows():
        where = f"row {row_number}"
        name = parse.text(where, "name", row["name"], required=True, max_length=200)
        kind = parse.choice(where, "kind", row["kind"], ProviderKind.values, required=False)
        contact = parse.text(where, "contact", row.get("contact", ""), max_length=300)
        if name in parsed:
            reader.problem(where, "name", f"duplicate provider {name!r}")
        elif name:
            parsed[name] = {"kind": kind, "contact": contact}
    if reader.problems:
        raise ImportFailed(reader.problems)

    def write() -> ImportReport:
        report = ImportReport(file=reader.file, dry_run=dry_run)
        upsert_by_key(model=Provider, key="name", rows=parsed, report=report)
        return report

    return run_import(write, dry_run=dry_run)


@dataclass(slots=True)  # half a million of these for a large file
class _OfferRow:
    row: int
    provider: str
    site_code: str
    site_name: str
    provider_kind: str
    lat: float
    lon: float
    option_code: str
    delivery: str
    values: dict
    outreach_codes: list[str]


def _parse_catalogue(reader: RowReader) -> list[_OfferRow]:
    parse = reader.parse
    rows: list[_OfferRow] = []
    seen_offers: dict[tuple[str, str, str], int] = {}
    seen_sites: dict[str, tuple[int, tuple]] = {}
    for row_number, row in reader.rows():
        where = f"row {row_number}"
        provider = parse.text(where, "provider", row["provider"], required=True, max_length=200)
        site_code = parse.text(where, "site_code", row["site_code"], required=True, max_length=40)
        site_name = parse.text(where, "site_name", row["site_name"], required=True, max_length=200)
        lat = parse.number(where, "lat", row["lat"], required=True, minimum=-90, maximum=90)
        lon = parse.number(where, "lon", row["lon"], required=True, minimum=-180, maximum=180)
        option_code = parse.text(where, "option_code", row["option_code"], required=True)
        delivery = parse.choice(where, "delivery", row["delivery"], Delivery.values)
        capacity = parse.number(where, "capacity_per_week", row["capacity_per_week"], minimum=0, integer=True)
        waiting = parse.number(where, "waiting_weeks", row["waiting_weeks"], minimum=0, maximum=MAX_WAITING_WEEKS)
        min_age = parse.number(where, "min_age", row["min_age"], minimum=0, maximum=130, integer=True)
        max_age = parse.number(where, "max_age", row["max_age"], minimum=0, maximum=130, integer=True)
        radius = parse.number(
            where, "home_visit_km", row["home_visit_km"], minimum=0, maximum=MAX_HOME_VISIT_KM, exclusive_minimum=True
        )
        active = parse.boolean(where, "active", row["active"], default=True)
        outreach_codes = [c.strip() for c in row["outreach_localities"].split(";") if c.strip()]

        if min_age is not None and max_age is not None and min_age > max_age:
            reader.problem(where, "min_age", f"min_age {min_age} is above max_age {max_age}")
        if delivery == Delivery.HOME_VISIT and row["home_visit_km"] == "":
            reader.problem(where, "home_visit_km", "is required for a home_visit offer")
        if delivery and delivery != Delivery.HOME_VISIT and row["home_visit_km"] != "":
            reader.problem(where, "home_visit_km", f"only home_visit offers have a radius, not {delivery}")
        if delivery == Delivery.OUTREACH and not outreach_codes:
            reader.problem(where, "outreach_localities", "an outreach offer needs at least one locality code")
        if delivery and delivery != Delivery.OUTREACH and outreach_codes:
            reader.problem(where, "outreach_localities", f"only outreach offers list localities, not {delivery}")
        if len(set(outreach_codes)) != len(outreach_codes):
            reader.problem(where, "outreach_localities", "a locality code is listed twice")

        key = (site_code, option_code, delivery)
        if site_code and option_code and delivery:
            if key in seen_offers:
                reader.problem(
                    where,
                    "site_code",
                    f"duplicate offer {site_code}/{option_code}/{delivery} (first on row {seen_offers[key]})",
                )
            seen_offers.setdefault(key, row_number)
        site_facts = (provider, site_name, lat, lon)
        if site_code and None not in site_facts:
            first_row, first_facts = seen_sites.setdefault(site_code, (row_number, site_facts))
            for name, mine, theirs in zip(("provider", "site_name", "lat", "lon"), site_facts, first_facts):
                if mine != theirs:
                    reader.problem(
                        where, name, f"site {site_code} has {name} {theirs!r} on row {first_row} but {mine!r} here"
                    )
        rows.append(
            _OfferRow(
                row=row_number,
                provider=provider,
                site_code=site_code,
                site_name=site_name,
                provider_kind=parse.choice(
                    where, "provider_kind", row.get("provider_kind", ""), ProviderKind.values, required=False
                ),
                lat=lat,
                lon=lon,
                option_code=option_code,
                delivery=delivery,
                outreach_codes=outreach_codes,
                # Once a problem is found nothing is written: keep only what the checks across rows read.
                values={}
                if reader.problems
                else {
                    "capacity_per_week": capacity,
                    "waiting_weeks": waiting,
                    "min_age": min_age,
                    "max_age": max_age,
                    "home_visit_km": radius,
                    "active": active,
                },
            )
        )

    option_ids = dict(MenuOption.objects.filter(code__in={r.option_code for r in rows}).values_list("code", "id"))
    locality_codes = {c for r in rows for c in r.outreach_codes}
    known_localities = set(Locality.objects.filter(code__in=locality_codes).values_list("code", flat=True))
    for r in rows:
        if r.option_code and r.option_code not in option_ids:
            reader.problem(f"row {r.row}", "option_code", f"unknown option code {r.option_code!r}")
        unknown = [c for c in r.outreach_codes if c not in known_localities]
        if unknown:
            reader.problem(f"row {r.row}", "outreach_localities", "unknown locality code(s): " + ", ".join(unknown))
    return rows


def _check_providers(reader: RowReader, rows: list[_OfferRow]) -> None:
    """A new provider needs its kind; a known one keeps its kind (import_providers or the admin change it)."""
    kinds = dict(Provider.objects.filter(name__in={r.provider for r in rows}).values_list("name", "kind"))
    new_kinds: dict[str, tuple[str, int]] = {}
    for r in rows:
        where = f"row {r.row}"
        if r.provider in kinds:
            if r.provider_kind and r.provider_kind != kinds[r.provider]:
                known = kinds[r.provider] or "blank"
                reader.problem(
                    where,
                    "provider_kind",
                    f"provider {r.provider!r} is {known} in the catalogue, not {r.provider_kind}: "
                    "change it with import_providers or in the admin",
                )
        elif r.provider and not r.provider_kind:
            reader.problem(
                where,
                "provider_kind",
                f"provider {r.provider!r} is not in the catalogue: give its provider_kind "
                f"({', '.join(ProviderKind.values)}) or import it first with import_providers",
            )
        elif r.provider:
            first_kind, first_row = new_kinds.setdefault(r.provider, (r.provider_kind, r.row))
            if first_kind != r.provider_kind:
                reader.problem(
                    where,
                    "provider_kind",
                    f"provider {r.provider!r} is {first_kind} on row {first_row} but {r.provider_kind} here",
                )


def import_catalogue(*, path: Path | str, replace: bool = False, dry_run: bool = False) -> ImportReport:
    """Upsert sites and offers (keyed by site_code + option_code + delivery) from one CSV.

    With `replace`, active offers missing from the file are deactivated, never deleted.
    """
    reader = RowReader(path, required=CATALOGUE_COLUMNS, optional=CATALOGUE_OPTIONAL_COLUMNS)
    rows = _parse_catalogue(reader)
    _check_providers(reader, rows)
    if reader.problems:
        raise ImportFailed(reader.problems)

    def write() -> ImportReport:
        report = ImportReport(file=reader.file, dry_run=dry_run)
        providers = {p.name: p for p in Provider.objects.all()}
        sites = {s.code: s for s in Site.objects.select_related("provider")}
        options = {o.code: o for o in MenuOption.objects.all()}
        localities = dict(
            Locality.objects.filter(code__in={c for r in rows for c in r.outreach_codes}).values_list("code", "id")
        )
        offers = {
            (o.site.code, o.option.code, o.delivery): o
            for o in SiteOffer.objects.select_related("site", "option").prefetch_related("outreach_localities")
        }
        kept_offer_ids = set()
        for r in rows:
            provider = providers.get(r.provider)
            if provider is None:
                provider = providers[r.provider] = Provider.objects.create(name=r.provider, kind=r.provider_kind)
            location = Point(r.lon, r.lat, srid=4326)
            site = sites.get(r.site_code)
            if site is None:
                site = sites[r.site_code] = Site.objects.create(
                    code=r.site_code, name=r.site_name, provider=provider, location=location
                )
            elif (site.name, site.provider_id, site.location.coords) != (r.site_name, provider.pk, location.coords):
                site.name, site.provider, site.location = r.site_name, provider, location
                site.save(update_fields=["name", "provider", "location"])
            offer = offers.get((r.site_code, r.option_code, r.delivery))
            wanted_localities = {localities[c] for c in r.outreach_codes}
            if offer is None:
                offer = SiteOffer.objects.create(
                    site=site, option=options[r.option_code], delivery=r.delivery, **r.values
                )
                offer.outreach_localities.set(wanted_localities)
                report.created += 1
            else:
                current_localities = {loc.id for loc in offer.outreach_localities.all()}
                changed = any(getattr(offer, k) != v for k, v in r.values.items())
                if changed:
                    SiteOffer.objects.filter(pk=offer.pk).update(**r.values)
                if current_localities != wanted_localities:
                    offer.outreach_localities.set(wanted_localities)
                    changed = True
                report.updated += changed
                report.unchanged += not changed
            kept_offer_ids.add(offer.pk)
        if replace:
            report.deactivated = (
                SiteOffer.objects.filter(active=True).exclude(pk__in=kept_offer_ids).update(active=False)
            )
        if report.changed:
            schedule_default_recompute()
        return report

    return run_import(write, dry_run=dry_run)


# ---------------------------------------------------------------------------------------------
# Single-object writes (the API's catalogue endpoints). Each validates the whole object against
# the model's fields and constraints before saving, and queues one recompute after the commit.
# ---------------------------------------------------------------------------------------------

CatalogueObject = MenuOption | Provider | Site | SiteOffer


def _validate_and_save(instance: CatalogueObject) -> CatalogueObject:
    instance.full_clean()
    instance.save()
    schedule_default_recompute()
    return instance


def offer_problems(*, delivery: str, home_visit_km, outreach_localities, min_age, max_age) -> dict[str, list[str]]:
    """The rules that span several offer fields, reported against the field to change."""
    problems: dict[str, list[str]] = {}
    if delivery == Delivery.HOME_VISIT and home_visit_km is None:
        problems["home_visit_km"] = ["A home visit offer needs a radius in km."]
    if delivery != Delivery.HOME_VISIT and home_visit_km is not None:
        problems["home_visit_km"] = [f"Only home visit offers have a radius, not {delivery}."]
    if delivery == Delivery.OUTREACH and not outreach_localities:
        problems["outreach_localities"] = ["Choose the localities where the outreach sessions are held."]
    if delivery != Delivery.OUTREACH and outreach_localities:
        problems["outreach_localities"] = [f"Only outreach offers list localities, not {delivery}."]
    if min_age is not None and max_age is not None and min_age > max_age:
        problems["min_age"] = [f"Minimum age {min_age} is above maximum age {max_age}."]
    return problems


@transaction.atomic
def create_option(
    *, code: str, name: str, category: str, description: str = "", active: bool = True, display_order: int | None = None
) -> MenuOption:
    """A new menu option; without a display order it goes to the end of the menu."""
    if display_order is None:
        last = MenuOption.objects.order_by("-display_order").values_list("display_order", flat=True).first()
        display_order = (last or 0) + 10
    return _validate_and_save(
        MenuOption(
            code=code, name=name, category=category, description=description, active=active, display_order=display_order
        )
    )


@transaction.atomic
def create_provider(*, name: str, kind: str = "", contact: str = "") -> Provider:
    return _validate_and_save(Provider(name=name, kind=kind, contact=contact))


@transaction.atomic
def create_site(
    *,
    code: str,
    name: str,
    provider: Provider,
    location: Point,
    address: str = "",
    postcode: str = "",
    active: bool = True,
) -> Site:
    return _validate_and_save(
        Site(
            code=code,
            name=name,
            provider=provider,
            location=location,
            address=address,
            postcode=postcode,
            active=active,
        )
    )


@transaction.atomic
def update_catalogue_object(*, instance: MenuOption | Provider | Site, changes: dict) -> CatalogueObject:
    """Change fields of an option, provider or site; nothing is saved unless the result is valid."""
    for field_name, value in changes.items():
        setattr(instance, field_name, value)
    return _validate_and_save(instance)


@transaction.atomic
def save_offer(*, offer: SiteOffer | None = None, changes: dict) -> SiteOffer:
    """Create (offer=None) or change an offer; `outreach_localities` in changes replaces the list."""
    offer = offer or SiteOffer()
    localities = changes.pop("outreach_localities", None)
    for field_name, value in changes.items():
        setattr(offer, field_name, value)
    if localities is None:
        localities = list(offer.outreach_localities.all()) if offer.pk else []
    problems = offer_problems(
        delivery=offer.delivery,
        home_visit_km=offer.home_visit_km,
        outreach_localities=localities,
        min_age=offer.min_age,
        max_age=offer.max_age,
    )
    if problems:
        raise ValidationError(problems)
    _validate_and_save(offer)
    offer.outreach_localities.set(localities)
    return offer


@transaction.atomic
def delete_catalogue_object(*, instance: CatalogueObject) -> None:
    """Options and providers still in use are protected (ProtectedError): deactivate them instead."""
    instance.delete()
    schedule_default_recompute()
