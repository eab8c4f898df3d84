"""import_openreferral: an ORUK document (as export_openreferral writes it) into the catalogue.

All-or-nothing: every problem is collected with the item it is in ("services[3]", with the id),
and nothing is written unless there are none. Upserts like import_catalogue: providers by name,
options by code, sites by code, offers by site + option + delivery.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError

from areas.models import Locality
from choicemap.events import catalogue_changed
from choicemap.imports import FieldParser, ImportFailed, ImportProblem, ImportReport, run_import
from services.models import (
    Delivery,
    MenuOption,
    OptionCategory,
    Provider,
    ProviderKind,
    Site,
    SiteOffer,
    opening_hours_validator,
)
from services.rules import offer_problems

from . import mapping as m

SECTIONS = ["organizations", "locations", "taxonomy_terms", "services"]


@dataclass
class _Parsed:
    providers: dict[str, dict] = field(default_factory=dict)  # by organization id
    options: dict[str, dict] = field(default_factory=dict)  # by option term id, in menu order
    sites: dict[str, dict] = field(default_factory=dict)  # by location id
    offers: list[dict] = field(default_factory=list)


class _Reader:
    """Typed access to JSON items, recording a problem (item + field) instead of raising."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[ImportProblem] = []
        self.parse = FieldParser(file, self.problems)

    def problem(self, where: str, field_name: str, reason: str) -> None:
        self.problems.append(ImportProblem(self.file, where, field_name, reason))

    def text(
        self,
        where: str,
        item: dict,
        name: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        default: str = "",
    ) -> str:
        value = item.get(name, default)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.problem(where, name, f"{value!r} is not text")
            return ""
        return self.parse.text(where, name, value.strip(), required=required, max_length=max_length)

    def items(self, document: dict, section: str) -> list[tuple[str, dict]]:
        values = document.get(section, [])
        if not isinstance(values, list):
            self.problem("file", section, "must be a list")
            return []
        found = []
        for index, item in enumerate(values):
            where = f"{section}[{index}]"
            if not isinstance(item, dict):
                self.problem(where, "", "is not an object")
                continue
            if isinstance(item.get("id"), str) and item["id"]:
                where += f" (id {item['id']})"
            else:
                self.problem(where, "id", "is required")
                continue
            found.append((where, item))
        return found


def _ref(value) -> str | None:
    """An id reference, or None for anything that is not a string (so look-ups never meet a list)."""
    return value if isinstance(value, str) else None


def _referenced[Found](by_id: dict[str, Found], value) -> Found | None:
    """What an id reference points at; None for a missing id or one that is not a string."""
    ref = _ref(value)
    return None if ref is None else by_id.get(ref)


def _extension(item: dict) -> dict:
    value = item.get(m.EXTENSION)
    return value if isinstance(value, dict) else {}


def _boolean(reader: _Reader, where: str, values: dict, name: str, default: bool) -> bool:
    value = values.get(name, default)
    if not isinstance(value, bool):
        reader.problem(where, f"{m.EXTENSION}.{name}", f"{value!r} is not true or false")
        return default
    return value


def _unique(reader: _Reader, seen: dict, key, *, where: str, field_name: str, what: str) -> bool:
    if key in seen:
        reader.problem(where, field_name, f"duplicate {what} {key!r} (first in {seen[key]})")
        return False
    seen[key] = where
    return True


def _parse_organizations(reader: _Reader, document: dict, parsed: _Parsed) -> None:
    names: dict = {}
    ids: dict = {}
    for where, item in reader.items(document, "organizations"):
        extension = _extension(item)
        name = reader.text(where, item, "name", required=True, max_length=200)
        kind = reader.text(where, extension, "kind")
        if kind and kind not in ProviderKind.values:
            reader.problem(where, f"{m.EXTENSION}.kind", f"{kind!r} is not one of: {', '.join(ProviderKind.values)}")
        contact = reader.text(where, extension, "contact", max_length=300)
        if (
            name
            and _unique(reader, names, name, where=where, field_name="name", what="organization name")
            and _unique(reader, ids, item["id"], where=where, field_name="id", what="id")
        ):
            parsed.providers[item["id"]] = {"name": name, "kind": kind, "contact": contact}


def _parse_terms(reader: _Reader, document: dict, parsed: _Parsed) -> dict[str, str]:
    """Options from menu-option terms; returns delivery mode by term id. Other taxonomies are skipped."""
    terms = reader.items(document, "taxonomy_terms")
    categories = {}
    for where, item in terms:
        category = m.code_from_uri(item.get("term_uri"), m.CATEGORY_URI)
        if category is not None:
            if category in OptionCategory.values:
                categories[item["id"]] = category
            else:
                reader.problem(
                    where, "term_uri", f"unknown menu category {category!r} (known: {', '.join(OptionCategory.values)})"
                )
    deliveries = {}
    codes: dict = {}
    for where, item in terms:
        uri = item.get("term_uri")
        delivery = m.code_from_uri(uri, m.DELIVERY_URI)
        if delivery is not None:
            if delivery in Delivery.values:
                deliveries[item["id"]] = delivery
            else:
                reader.problem(where, "term_uri", f"unknown delivery mode {delivery!r}")
            continue
        code = m.code_from_uri(uri, m.OPTION_URI)
        if code is None:
            continue
        reader.parse.text(where, "term_uri", code, max_length=40)
        name = reader.text(where, item, "term", required=True, max_length=200)
        category = categories.get(_ref(item.get("parent_id")))
        if category is None:
            reader.problem(where, "parent_id", "must be the id of a menu category term in this file")
        extension = _extension(item)
        values = {
            "code": code,
            "name": name,
            "category": category,
            "description": reader.text(where, extension, "description"),
            "active": _boolean(reader, where, extension, "active", True),
        }
        if _unique(reader, codes, code, where=where, field_name="term_uri", what="menu option"):
            parsed.options[item["id"]] = values
    return deliveries


def _parse_locations(reader: _Reader, document: dict, parsed: _Parsed) -> None:
    codes: dict = {}
    for where, item in reader.items(document, "locations"):
        code = reader.text(where, item, "external_identifier", required=True, max_length=40)
        if item.get("external_identifier_type") != m.SITE_CODE_TYPE:
            reader.problem(
                where,
                "external_identifier_type",
                f"must be {m.SITE_CODE_TYPE!r}: the site code is the location's external identifier",
            )
        name = reader.text(where, item, "name", required=True, max_length=200)
        lat = reader.parse.number(where, "latitude", item.get("latitude"), required=True, minimum=-90, maximum=90)
        lon = reader.parse.number(where, "longitude", item.get("longitude"), required=True, minimum=-180, maximum=180)
        provider = _referenced(parsed.providers, item.get("organization_id"))
        if provider is None:
            reader.problem(where, "organization_id", "must be the id of an organization in this file")
        addresses = item.get("addresses") or []
        address = addresses[0] if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict) else {}
        values = {
            "code": code,
            "name": name,
            "lat": lat,
            "lon": lon,
            "provider": provider,
            "organization_id": item.get("organization_id"),
            "address": reader.text(where, address, "address_1", max_length=300),
            "postcode": reader.text(where, address, "postal_code", max_length=10),
            "active": _boolean(reader, where, _extension(item), "active", True),
        }
        if code and _unique(reader, codes, code, where=where, field_name="external_identifier", what="site code"):
            parsed.sites[item["id"]] = values


def _term_ids(item: dict) -> list:
    attributes = item.get("attributes")
    if not isinstance(attributes, list):
        return []
    return [_ref(a.get("taxonomy_term_id")) for a in attributes if isinstance(a, dict)]


def _parse_services(reader: _Reader, document: dict, parsed: _Parsed, deliveries: dict[str, str]) -> None:
    keys: dict = {}
    locality_codes = set(Locality.objects.values_list("code", flat=True))
    for where, item in reader.items(document, "services"):
        term_ids = _term_ids(item)
        options = [parsed.options[t] for t in term_ids if t in parsed.options]
        modes = [deliveries[t] for t in term_ids if t in deliveries]
        if len(options) != 1:
            reader.problem(where, "attributes", f"needs exactly one menu-option taxonomy term, found {len(options)}")
        if len(modes) != 1:
            reader.problem(where, "attributes", f"needs exactly one delivery-mode taxonomy term, found {len(modes)}")
        links = item.get("service_at_locations")
        sites = (
            [_referenced(parsed.sites, sal.get("location_id")) for sal in links if isinstance(sal, dict)]
            if isinstance(links, list)
            else []
        )
        if len(sites) != 1 or sites[0] is None:
            reader.problem(
                where,
                "service_at_locations",
                "needs exactly one service_at_location whose location_id is a location in this file",
            )
            sites = [None]
        site = sites[0]
        if site and item.get("organization_id") not in (None, site["organization_id"]):
            reader.problem(where, "organization_id", "must be the organization of the service's location")

        min_age = reader.parse.number(
            where, "minimum_age", item.get("minimum_age"), minimum=0, maximum=130, integer=True
        )
        max_age = reader.parse.number(
            where, "maximum_age", item.get("maximum_age"), minimum=0, maximum=130, integer=True
        )
        extension = _extension(item)
        ext = f"{m.EXTENSION}."
        values = {
            "capacity_per_week": reader.parse.number(
                where,
                ext + "capacity_per_week",
                extension.get("capacity_per_week"),
                minimum=0,
                maximum=2_147_483_647,
                integer=True,
            ),
            "waiting_weeks": reader.parse.number(
                where, ext + "waiting_weeks", extension.get("waiting_weeks"), minimum=0
            ),
            "home_visit_km": reader.parse.number(
                where, ext + "home_visit_km", extension.get("home_visit_km"), minimum=0, exclusive_minimum=True
            ),
            "min_age": min_age,
            "max_age": max_age,
            "active": _boolean(reader, where, extension, "active", item.get("status") == "active"),
            "opening_hours": _opening_hours(reader, where, item),
        }
        outreach = _outreach_codes(reader, where, item, locality_codes)
        if len(options) == 1 and len(modes) == 1 and site:
            delivery = modes[0]
            entered = {**values, "delivery": delivery, "outreach_localities": outreach}
            for name, message in offer_problems(entered).items():
                reader.problem(where, name, message)
            key = (site["code"], options[0]["code"], delivery)
            if _unique(reader, keys, key, where=where, field_name="id", what="offer (site, option, delivery)"):
                parsed.offers.append(
                    {
                        "site": site["code"],
                        "option": options[0]["code"],
                        "delivery": delivery,
                        "values": values,
                        "outreach": outreach,
                    }
                )


def _opening_hours(reader: _Reader, where: str, item: dict) -> str:
    schedules = item.get("schedules") or []
    if not isinstance(schedules, list):
        reader.problem(where, "schedules", "must be a list")
        return ""
    rules = []
    for index, schedule in enumerate(schedules):
        problem = m.schedule_problem(schedule) if isinstance(schedule, dict) else ("", "is not an object")
        if problem:
            reader.problem(where, f"schedules[{index}].{problem[0]}".rstrip("."), problem[1])
        else:
            rules.append((schedule["byday"], schedule["opens_at"], schedule["closes_at"]))
    opening_hours = m.rules_to_opening_hours(rules) if rules else ""
    try:
        if opening_hours:
            opening_hours_validator(opening_hours)
    except ValidationError:
        reader.problem(where, "schedules", f"gives opening hours {opening_hours!r}, which are not valid")
    if len(opening_hours) > 200:
        reader.problem(where, "schedules", "too many schedules: the opening hours are longer than 200 characters")
    return opening_hours


def _outreach_codes(reader: _Reader, where: str, item: dict, known: set[str]) -> list[str]:
    areas = item.get("service_areas") or []
    codes = []
    for index, area in enumerate(areas if isinstance(areas, list) else []):
        code = m.code_from_uri(area.get("uri") if isinstance(area, dict) else None, m.LOCALITY_URI)
        if code is None:
            reader.problem(where, f"service_areas[{index}].uri", f"must be {m.LOCALITY_URI}<locality code>")
        elif code not in known:
            reader.problem(where, f"service_areas[{index}].uri", f"unknown locality code {code!r}")
        elif code in codes:
            reader.problem(where, f"service_areas[{index}].uri", f"locality {code!r} is listed twice")
        else:
            codes.append(code)
    return codes


def read_document(path: Path) -> tuple[_Reader, _Parsed]:
    reader = _Reader(path.name)
    parsed = _Parsed()
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        reader.problem("file", "", "file not found")
        return reader, parsed
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        reader.problem("file", "", f"not JSON ({exc})")
        return reader, parsed
    if not isinstance(document, dict) or not any(section in document for section in SECTIONS):
        reader.problem("file", "", f"not an Open Referral document: expected an object with {', '.join(SECTIONS)}")
        return reader, parsed
    _parse_organizations(reader, document, parsed)
    deliveries = _parse_terms(reader, document, parsed)
    _parse_locations(reader, document, parsed)
    _parse_services(reader, document, parsed, deliveries)
    return reader, parsed


def import_openreferral(*, path: Path | str, dry_run: bool = False) -> ImportReport:
    reader, parsed = read_document(Path(path))
    if reader.problems:
        raise ImportFailed(reader.problems)

    def write() -> ImportReport:
        report = ImportReport(file=reader.file, dry_run=dry_run)
        providers = {}
        for values in parsed.providers.values():
            providers[values["name"]] = _upsert(report, Provider, {"name": values["name"]}, values)
        for order, values in enumerate(parsed.options.values(), start=1):
            _upsert(report, MenuOption, {"code": values["code"]}, {**values, "display_order": order * 10})
        sites = {}
        for parsed_site in parsed.sites.values():
            lat, lon, provider = parsed_site.pop("lat"), parsed_site.pop("lon"), parsed_site.pop("provider")
            del parsed_site["organization_id"]
            values = {**parsed_site, "provider": providers[provider["name"]], "location": Point(lon, lat, srid=4326)}
            sites[values["code"]] = _upsert(report, Site, {"code": values["code"]}, values)
        options = {o.code: o for o in MenuOption.objects.all()}
        localities = dict(Locality.objects.values_list("code", "id"))
        for offer in parsed.offers:
            saved = _upsert(
                report,
                SiteOffer,
                {"site": sites[offer["site"]], "option": options[offer["option"]], "delivery": offer["delivery"]},
                offer["values"],
            )
            wanted = {localities[code] for code in offer["outreach"]}
            if set(saved.outreach_localities.values_list("id", flat=True)) != wanted:
                saved.outreach_localities.set(wanted)
        if report.changed:
            catalogue_changed()
        return report

    return run_import(write, dry_run=dry_run)


def _upsert(report: ImportReport, model, lookup: dict, values: dict):
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        report.created += 1
        return model.objects.create(**{**lookup, **values})
    if any(getattr(instance, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(instance, name, value)
        instance.save()
        report.updated += 1
    else:
        report.unchanged += 1
    return instance
