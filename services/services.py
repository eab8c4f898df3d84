"""Writes to the service catalogue. Imports are all-or-nothing and list every problem found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from areas.models import Locality
from choicemap.events import catalogue_changed
from choicemap.imports import ImportFailed, ImportReport, RowReader, run_import, upsert_by_key

from .hours import opening_hours_problem
from .models import (
    MAX_HOME_VISIT_KM,
    MAX_OPENING_HOURS,
    MAX_WAITING_WEEKS,
    Delivery,
    MenuOption,
    OptionCategory,
    Provider,
    ProviderKind,
    SessionFormat,
    Site,
    SiteOffer,
)
from .rules import OFFER_RULE_FIELDS, offer_problems, provider_kind_problem

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
# Matching facts for personal menus: optional on import (a file without a column leaves that fact as it
# is); the export always writes them. Lists are ";"-separated codes, kept in the order given; opening
# hours are OSM opening_hours text, as opening-hours-py reads it.
CATALOGUE_FACT_COLUMNS = ["session_format", "worker_genders", "creche", "languages", "opening_hours"]


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
            catalogue_changed()
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
class OfferRow:
    row: int
    provider: str
    site_code: str
    site_name: str
    provider_kind: str
    lat: float | int | None  # None only on a row with problems, which is never written
    lon: float | int | None
    option_code: str
    delivery: str
    values: dict
    outreach_codes: list[str]


def parse_catalogue_rows(reader: RowReader, *, outreach_sessions: bool = False) -> list[OfferRow]:
    """Rows of the import_catalogue format, every problem recorded on the reader (also the planner's candidates).

    With `outreach_sessions` (the planner's candidates) several rows may hold sessions of one outreach offer.
    """
    parse = reader.parse
    rows: list[OfferRow] = []
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
        facts = _parse_offer_facts(parse, where, row)

        entered = {
            "delivery": delivery,
            # a radius that did not parse is reported by the parser; for the rules it is present
            "home_visit_km": radius if radius is not None else (row["home_visit_km"] or None),
            "outreach_localities": outreach_codes,
            "capacity_per_week": capacity,
            "waiting_weeks": waiting,
            "min_age": min_age,
            "max_age": max_age,
            **facts,
        }
        for field_name, message in offer_problems(entered).items():
            reader.problem(where, field_name, message)
        if len(set(outreach_codes)) != len(outreach_codes):
            reader.problem(where, "outreach_localities", "a locality code is listed twice")

        key = (site_code, option_code, delivery)
        if site_code and option_code and delivery:
            if key in seen_offers and not (outreach_sessions and delivery == Delivery.OUTREACH):
                reader.problem(
                    where,
                    "site_code",
                    f"duplicate offer {site_code}/{option_code}/{delivery} (first on row {seen_offers[key]})",
                )
            seen_offers.setdefault(key, row_number)
        site_facts = (provider, site_name, lat, lon)
        if site_code and None not in site_facts:
            first_row, first_facts = seen_sites.setdefault(site_code, (row_number, site_facts))
            for name, mine, theirs in zip(
                ("provider", "site_name", "lat", "lon"), site_facts, first_facts, strict=True
            ):
                if mine != theirs:
                    reader.problem(
                        where, name, f"site {site_code} has {name} {theirs!r} on row {first_row} but {mine!r} here"
                    )
        rows.append(
            OfferRow(
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
                    **facts,
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


def _codes(cell: str) -> list[str]:
    return [code.strip() for code in cell.split(";") if code.strip()]


def _parse_offer_facts(parse, where: str, row: dict[str, str]) -> dict:
    """The matching-fact columns present in the file (absent columns leave the offer's facts alone)."""
    facts: dict = {}
    if "session_format" in row:
        facts["session_format"] = parse.choice(
            where, "session_format", row["session_format"], SessionFormat.values, required=False
        )
    if "worker_genders" in row:
        facts["worker_genders"] = _codes(row["worker_genders"])
    if "creche" in row:
        facts["creche"] = None if row["creche"] == "" else parse.boolean(where, "creche", row["creche"], default=False)
    if "languages" in row:
        facts["languages"] = _codes(row["languages"])
    if "opening_hours" in row:
        text = parse.text(where, "opening_hours", row["opening_hours"], max_length=MAX_OPENING_HOURS)
        facts["opening_hours"] = parse.checked(where, "opening_hours", text, opening_hours_problem)
    return facts


def check_catalogue_providers(reader: RowReader, rows: list[OfferRow]) -> None:
    """A new provider needs its kind; a known one keeps its kind (import_providers or the admin change it)."""
    kinds = dict(Provider.objects.filter(name__in={r.provider for r in rows}).values_list("name", "kind"))
    new_kinds: dict[str, tuple[str, str]] = {}
    for r in rows:
        if not r.provider:
            continue
        first = new_kinds.get(r.provider)
        problem = provider_kind_problem(
            provider=r.provider, kind=r.provider_kind, known_kind=kinds.get(r.provider), first=first
        )
        if problem:
            reader.problem(f"row {r.row}", "provider_kind", problem)
        elif r.provider not in kinds and first is None:
            new_kinds[r.provider] = (r.provider_kind, f"on row {r.row}")


def import_catalogue(*, path: Path | str, replace: bool = False, dry_run: bool = False) -> ImportReport:
    """Upsert sites and offers (keyed by site_code + option_code + delivery) from one CSV.

    With `replace`, active offers missing from the file are deactivated, never deleted.
    """
    reader = RowReader(path, required=CATALOGUE_COLUMNS, optional=CATALOGUE_OPTIONAL_COLUMNS + CATALOGUE_FACT_COLUMNS)
    rows = parse_catalogue_rows(reader)
    check_catalogue_providers(reader, rows)
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
                site.save(update_fields=["name", "provider", "location", "modified_at"])
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
                if current_localities != wanted_localities:
                    offer.outreach_localities.set(wanted_localities)
                    changed = True
                if changed:
                    SiteOffer.objects.filter(pk=offer.pk).update(**r.values, modified_at=timezone.now())
                report.updated += changed
                report.unchanged += not changed
            kept_offer_ids.add(offer.pk)
        if replace:
            report.deactivated = (
                SiteOffer.objects.filter(active=True)
                .exclude(pk__in=kept_offer_ids)
                .update(active=False, modified_at=timezone.now())
            )
        if report.changed:
            catalogue_changed()
        return report

    return run_import(write, dry_run=dry_run)


# ---------------------------------------------------------------------------------------------
# Single-object writes (the API's catalogue endpoints). Each validates the whole object against
# the model's fields and constraints before saving, and queues one recompute after the commit.
# ---------------------------------------------------------------------------------------------

CatalogueObject = MenuOption | Provider | Site | SiteOffer


def _validate_and_save[Saved: CatalogueObject](instance: Saved) -> Saved:
    instance.full_clean()
    instance.save()
    catalogue_changed()
    return instance


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
        {
            **{name: getattr(offer, name) for name in OFFER_RULE_FIELDS},
            "outreach_localities": localities,
        }
    )
    if problems:
        raise ValidationError({name: [message] for name, message in problems.items()})
    _validate_and_save(offer)
    offer.outreach_localities.set(localities)
    return offer


@transaction.atomic
def delete_catalogue_object(*, instance: CatalogueObject) -> None:
    """Options and providers still in use are protected (ProtectedError): deactivate them instead."""
    instance.delete()
    catalogue_changed()
