"""import_openreferral: Open Referral UK (HSDS 3.0) into the catalogue.

Reads every shape feeds.py accepts (its own export, one service, an array of services, a list page,
a live feed) and nested organizations, locations and terms. Menu options and delivery modes come
from choicemap's own taxonomy terms or, for other directories' taxonomies, from a --map CSV.

All-or-nothing: every problem is collected with the item it is in ("services[3] (id …)", or
"services[0].service_at_locations[0].location (id …)") and the field, and nothing is written unless
there are none. Upserts like import_catalogue: providers by name, options by code, sites by code,
offers by site + option + delivery.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.geos import Point
from django.utils import timezone

from areas.models import Locality
from choicemap.events import catalogue_changed
from choicemap.imports import (
    FieldParser,
    ImportFailed,
    ImportProblem,
    ImportReport,
    Problems,
    RowReader,
    read_import_text,
    run_import,
)
from services.hours import opening_hours_problem
from services.models import (
    MAX_OPENING_HOURS,
    Delivery,
    MenuOption,
    OptionCategory,
    Provider,
    ProviderKind,
    SessionFormat,
    Site,
    SiteOffer,
)
from services.rules import LANGUAGES, offer_problems

from . import feeds
from . import mapping as m

MAP_COLUMNS = ["taxonomy", "term", "option_code", "delivery"]


@dataclass
class _Parsed:
    providers: dict[str, dict] = field(default_factory=dict)  # by organization id
    options: dict[str, dict] = field(default_factory=dict)  # by option term id, in menu order
    sites: dict[str, dict] = field(default_factory=dict)  # by location id
    offers: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # services with no menu option, with --skip-unmapped
    whole_menu: bool = False  # the document lists taxonomy_terms itself, not only nested in services
    nested_only: set[str] = field(default_factory=set)  # organization and location ids met only inside services


class _Reader:
    """Typed access to JSON items, recording a problem (item + field) instead of raising."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[ImportProblem] = Problems()
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

    def items(self, gathered: feeds.Items, section: str) -> list[tuple[str, dict]]:
        """(where, item) for each object with an id; "where" names the id too."""
        found = []
        for where, item in gathered.sections[section]:
            if isinstance(item.get("id"), str) and item["id"]:
                found.append((f"{where} (id {item['id']})", item))
            else:
                self.problem(where, "id", "is required")
        return found


def _ref(value) -> str | None:
    """An id reference, or None for anything that is not a string (so look-ups never meet a list)."""
    return value if isinstance(value, str) else None


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


def _parse_organizations(reader: _Reader, gathered: feeds.Items, parsed: _Parsed) -> None:
    names: dict = {}
    ids: dict = {}
    for where, item in reader.items(gathered, "organizations"):
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
            if not where.startswith("organizations["):
                parsed.nested_only.add(item["id"])


@dataclass
class _Terms:
    deliveries: dict[str, str] = field(default_factory=dict)  # delivery mode by choicemap term id
    others: dict[str, dict] = field(default_factory=dict)  # other directories' terms by id


def _term_name(reader: _Reader, where: str, item: dict) -> str:
    """HSDS 3.0 says name; older feeds (and choicemap before it conformed) said term."""
    key = "name" if "name" in item else "term"
    return reader.text(where, item, key, required=True, max_length=200) if key in item else _required(reader, where)


def _required(reader: _Reader, where: str) -> str:
    reader.problem(where, "name", "is required")
    return ""


def _parse_terms(reader: _Reader, gathered: feeds.Items, parsed: _Parsed) -> _Terms:
    """Options from choicemap's menu-option terms, delivery modes from its delivery terms; the rest kept for --map."""
    terms = reader.items(gathered, "taxonomy_terms")
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
    found = _Terms()
    codes: dict = {}
    known_categories = dict(MenuOption.objects.values_list("code", "category"))
    for where, item in terms:
        uri = item.get("term_uri")
        delivery = m.code_from_uri(uri, m.DELIVERY_URI)
        if delivery is not None:
            if delivery in Delivery.values:
                found.deliveries[item["id"]] = delivery
            else:
                reader.problem(where, "term_uri", f"unknown delivery mode {delivery!r}")
            continue
        code = m.code_from_uri(uri, m.OPTION_URI)
        if code is None:
            if m.code_from_uri(uri, m.CATEGORY_URI) is None:
                found.others[item["id"]] = item
            continue
        reader.parse.text(where, "term_uri", code, max_length=40)
        # A service fetched alone nests its option's term but not the category above it: then the
        # option already in the catalogue keeps its category.
        category = categories.get(_ref(item.get("parent_id"))) or known_categories.get(code)
        if category is None:
            reader.problem(
                where,
                "parent_id",
                "must be the id of a menu category term in this file (or the option must already be in the catalogue)",
            )
        extension = _extension(item)
        description = item.get("description", extension.get("description", ""))
        values = {
            "code": code,
            "name": _term_name(reader, where, item),
            "category": category,
            "description": reader.text(where, {"description": description}, "description"),
            "active": _boolean(reader, where, extension, "active", True),
        }
        if _unique(reader, codes, code, where=where, field_name="term_uri", what="menu option"):
            parsed.options[item["id"]] = values
    return found


def site_code_for(location_id: str) -> str:
    """A stable site code for a location without a choicemap one: its id, or a UUIDv5 of a long id."""
    return location_id if len(location_id) <= 40 else str(uuid.uuid5(m.NAMESPACE, f"site/{location_id}"))


def _location_organizations(gathered: feeds.Items) -> dict[str, str]:
    """Location id → the organization of the first service held there (for locations that do not say)."""
    found: dict[str, str] = {}
    for _, service in gathered.sections["services"]:
        organization_id = _organization_id(service)
        for location_id in _location_ids(service):
            if location_id and organization_id:
                found.setdefault(location_id, organization_id)
    return found


def _parse_locations(reader: _Reader, gathered: feeds.Items, parsed: _Parsed) -> None:
    codes: dict = {}
    held_by = _location_organizations(gathered)
    for where, item in reader.items(gathered, "locations"):
        if item.get("external_identifier_type") == m.SITE_CODE_TYPE:
            code = reader.text(where, item, "external_identifier", required=True, max_length=40)
        else:
            code = site_code_for(item["id"])
        addresses = item.get("addresses") or []
        address = addresses[0] if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict) else {}
        street = ", ".join(
            part.strip()
            for part in (address.get(k) for k in ("address_1", "address_2", "city"))
            if isinstance(part, str) and part.strip()
        )
        name = reader.text(where, item, "name", max_length=200) or street[:200]
        if not name:
            reader.problem(where, "name", "is required (or an address to name the site by)")
        lat = reader.parse.number(where, "latitude", item.get("latitude"), required=True, minimum=-90, maximum=90)
        lon = reader.parse.number(where, "longitude", item.get("longitude"), required=True, minimum=-180, maximum=180)
        organization_id = _ref(item.get("organization_id")) or held_by.get(item["id"])
        provider = parsed.providers.get(organization_id) if organization_id is not None else None
        if provider is None:
            reader.problem(
                where, "organization_id", "must be the id of an organization in this file (a site needs a provider)"
            )
        values = {
            "code": code,
            "name": name,
            "lat": lat,
            "lon": lon,
            "provider": provider,
            "organization_id": organization_id,
            "address": reader.parse.text(where, "addresses[0].address_1", street, max_length=300),
            "postcode": reader.text(where, address, "postal_code", max_length=10),
            "active": _boolean(reader, where, _extension(item), "active", True),
        }
        if code and _unique(reader, codes, code, where=where, field_name="external_identifier", what="site code"):
            parsed.sites[item["id"]] = values
            if not where.startswith("locations["):
                parsed.nested_only.add(item["id"])


def _term_ids(item: dict) -> list:
    attributes = item.get("attributes")
    if not isinstance(attributes, list):
        return []
    return [
        _ref(a.get("taxonomy_term_id")) or _nested_id(a, "taxonomy_term") for a in attributes if isinstance(a, dict)
    ]


def _nested_id(item: dict, name: str) -> str | None:
    """The id of a nested object: feeds that nest it often leave the *_id beside it out."""
    nested = item.get(name)
    return _ref(nested.get("id")) if isinstance(nested, dict) else None


def _organization_id(service: dict) -> str | None:
    return _ref(service.get("organization_id")) or _nested_id(service, "organization")


def _location_ids(service: dict) -> list[str | None]:
    links = service.get("service_at_locations")
    if not isinstance(links, list):
        return []
    return [_ref(link.get("location_id")) or _nested_id(link, "location") for link in links if isinstance(link, dict)]


@dataclass
class _Context:
    """What every service is read against."""

    terms: _Terms
    term_map: TermMap
    skip_unmapped: bool
    localities: _Localities


def _parse_services(reader: _Reader, gathered: feeds.Items, parsed: _Parsed, context: _Context) -> None:
    keys: dict = {}
    for where, item in reader.items(gathered, "services"):
        term_ids = [t for t in _term_ids(item) if t]
        options, modes = _options_and_modes(term_ids, parsed, context)
        if not options:
            unmapped = _unmapped_reason(item, term_ids, context.terms)
            if context.skip_unmapped:
                parsed.skipped.append(f"{where} {item.get('name')!r}: {unmapped}")
                continue
            reader.problem(where, "attributes", unmapped + " (give --map FILE.csv, or --skip-unmapped)")
        if len(options) > 1:
            reader.problem(
                where,
                "attributes",
                f"maps to {len(options)} menu options ({', '.join(sorted(options))}); a service must be one option",
            )
        if len(modes) > 1:
            reader.problem(where, "attributes", f"maps to {len(modes)} delivery modes ({', '.join(sorted(modes))})")
        delivery = modes.pop() if len(modes) == 1 else Delivery.ON_SITE
        sites = _service_sites(reader, where, item, parsed)
        values = _offer_values(reader, where, item)
        outreach = _outreach_codes(reader, where, item, delivery=delivery, sites=sites, localities=context.localities)
        for name, message in offer_problems({**values, "delivery": delivery, "outreach_localities": outreach}).items():
            reader.problem(where, name, message)
        if len(options) != 1:
            continue
        option = options.pop()
        for site in sites:
            key = (site["code"], option, delivery)
            if _unique(reader, keys, key, where=where, field_name="id", what="offer (site, option, delivery)"):
                parsed.offers.append(
                    {
                        "site": site["code"],
                        "option": option,
                        "delivery": delivery,
                        "values": values,
                        "outreach": outreach,
                    }
                )


def _options_and_modes(term_ids: list[str], parsed: _Parsed, context: _Context) -> tuple[set[str], set[str]]:
    """Option codes and delivery modes a service's terms give: choicemap's own terms, then --map rows."""
    options = {parsed.options[t]["code"] for t in term_ids if t in parsed.options}
    modes = {context.terms.deliveries[t] for t in term_ids if t in context.terms.deliveries}
    for term_id in term_ids:
        if term_id in context.terms.others:
            option, delivery = context.term_map.lookup(context.terms.others[term_id])
            options |= {option} - {""}
            modes |= {delivery} - {""}
    return options, modes


def _unmapped_reason(item: dict, term_ids: list[str], terms: _Terms) -> str:
    labels = [
        str(terms.others[t].get("name") or terms.others[t].get("term") or t) for t in term_ids if t in terms.others
    ]
    if not labels:
        return "has no taxonomy term that gives a menu option"
    return f"no menu option for its taxonomy terms ({', '.join(repr(label) for label in labels)})"


def _service_sites(reader: _Reader, where: str, item: dict, parsed: _Parsed) -> list[dict]:
    """The sites of the service's locations: choicemap has one offer per site."""
    sites = [parsed.sites.get(ref) if ref is not None else None for ref in _location_ids(item)]
    found = [site for site in sites if site]
    if not sites or len(found) != len(sites):
        reader.problem(
            where,
            "service_at_locations",
            "needs at least one service_at_location whose location_id is a location in this file "
            "(choicemap offers are held at sites)",
        )
        return found
    organization_id = _organization_id(item)
    for site in found:
        if organization_id is not None and organization_id != site["organization_id"]:
            reader.problem(
                where,
                "organization_id",
                f"must be the organization of the service's location {site['code']!r} "
                "(a choicemap site has one provider)",
            )
    return found


def _offer_values(reader: _Reader, where: str, item: dict) -> dict:
    extension = _extension(item)
    ext = f"{m.EXTENSION}."
    return {
        "capacity_per_week": reader.parse.number(
            where,
            ext + "capacity_per_week",
            extension.get("capacity_per_week"),
            minimum=0,
            maximum=2_147_483_647,
            integer=True,
        ),
        "waiting_weeks": reader.parse.number(where, ext + "waiting_weeks", extension.get("waiting_weeks"), minimum=0),
        "home_visit_km": reader.parse.number(
            where, ext + "home_visit_km", extension.get("home_visit_km"), minimum=0, exclusive_minimum=True
        ),
        "min_age": reader.parse.number(
            where, "minimum_age", item.get("minimum_age"), minimum=0, maximum=130, integer=True
        ),
        "max_age": reader.parse.number(
            where, "maximum_age", item.get("maximum_age"), minimum=0, maximum=130, integer=True
        ),
        "active": _boolean(reader, where, extension, "active", item.get("status") == "active"),
        "opening_hours": _opening_hours(reader, where, item),
        **_matching_facts(reader, where, item, extension),
    }


def _matching_facts(reader: _Reader, where: str, item: dict, extension: dict) -> dict:
    """HSDS languages (by their ISO 639 code) and the extension's session format, worker genders and
    creche; the offer rules check the codes afterwards."""
    ext = f"{m.EXTENSION}."
    languages = item.get("languages") or []
    codes = []
    by_name = {name.casefold(): code for code, name in LANGUAGES.items()}
    for index, entry in enumerate(languages if isinstance(languages, list) else []):
        language = entry if isinstance(entry, dict) else {}
        code, name = language.get("code"), language.get("name")
        if isinstance(code, str) and code:
            codes.append(code)
        elif isinstance(name, str) and name:
            if name.casefold() in by_name:
                codes.append(by_name[name.casefold()])
            else:
                reader.problem(
                    where, f"languages[{index}].code", f"is needed: the name {name!r} is not a language choicemap knows"
                )
        # A language object with neither code nor name (as in the UK profile's examples) says nothing to keep.
    if not isinstance(languages, list):
        reader.problem(where, "languages", "must be a list")
    session_format = extension.get("session_format") or ""
    if session_format not in ["", *SessionFormat.values]:
        reader.problem(
            where, ext + "session_format", f"{session_format!r} is not one of: {', '.join(SessionFormat.values)}"
        )
        session_format = ""
    genders = extension.get("worker_genders") or []
    if not isinstance(genders, list) or not all(isinstance(g, str) for g in genders):
        reader.problem(where, ext + "worker_genders", "must be a list of codes")
        genders = []
    creche = extension.get("creche")
    if creche is not None and not isinstance(creche, bool):
        reader.problem(where, ext + "creche", f"{creche!r} is not true, false or null")
        creche = None
    return {"languages": codes, "session_format": session_format, "worker_genders": genders, "creche": creche}


def _opening_hours(reader: _Reader, where: str, item: dict) -> str:
    """The whole text from a schedule that carries it (no weekly rule, the text as its description), or
    else the weekly schedules joined; either way it must be what opening-hours-py reads."""
    schedules = item.get("schedules") or []
    if not isinstance(schedules, list):
        reader.problem(where, "schedules", "must be a list")
        return ""
    for index, schedule in enumerate(schedules):
        if isinstance(schedule, dict) and _full_text(schedule):
            text = schedule["description"]
            _check_opening_hours(reader, where, f"schedules[{index}].description", text)
            return text
    rules = []
    for index, schedule in enumerate(schedules):
        problem = m.schedule_problem(schedule) if isinstance(schedule, dict) else ("", "is not an object")
        if problem:
            reader.problem(where, f"schedules[{index}].{problem[0]}".rstrip("."), problem[1])
        else:
            rules.append((schedule["byday"], schedule["opens_at"], schedule["closes_at"]))
    opening_hours = m.rules_to_opening_hours(rules) if rules else ""
    _check_opening_hours(reader, where, "schedules", opening_hours)
    return opening_hours


def _full_text(schedule: dict) -> bool:
    description = schedule.get("description")
    return not schedule.get("freq") and not schedule.get("byday") and isinstance(description, str)


def _check_opening_hours(reader: _Reader, where: str, field: str, text: str) -> None:
    if problem := opening_hours_problem(text):
        reader.problem(where, field, problem)
    if len(text) > MAX_OPENING_HOURS:
        reader.problem(where, field, f"the opening hours are longer than {MAX_OPENING_HOURS} characters")


class _Localities:
    """Localities by code and by name, and by the point inside them: what service areas are matched to."""

    def __init__(self):
        self.codes = set(Locality.objects.values_list("code", flat=True))
        self.by_name: dict[str, list[str]] = {}
        for code, name in Locality.objects.values_list("code", "name"):
            self.by_name.setdefault(name.casefold(), []).append(code)

    def containing(self, lat: float, lon: float) -> str | None:
        point = Point(lon, lat, srid=4326)
        return Locality.objects.filter(geometry__contains=point).values_list("code", flat=True).first()


def _outreach_codes(
    reader: _Reader, where: str, item: dict, *, delivery: str, sites: list[dict], localities: _Localities
) -> list[str]:
    """Outreach localities from service areas: choicemap's locality URN, a locality code or name, else the
    locality the service's location lies in. Other directories' areas on other deliveries are coverage
    choicemap does not keep; its own URNs there are reported (only outreach lists localities)."""
    areas = (
        [a for a in (item.get("service_areas") or []) if isinstance(a, dict)]
        if isinstance(item.get("service_areas"), list)
        else []
    )
    own = [m.code_from_uri(a.get("uri"), m.LOCALITY_URI) for a in areas]
    if delivery != Delivery.OUTREACH and not any(own):
        return []
    codes: list[str] = []
    for index, (area, own_code) in enumerate(zip(areas, own, strict=True)):
        field_name = f"service_areas[{index}]"
        code = own_code if own_code is not None else _match_area(area, sites, localities)
        if code is None:
            reader.problem(
                where,
                field_name,
                f"no locality matches {area.get('name') or area.get('uri')!r} by code, name or the location's point",
            )
        elif code not in localities.codes:
            reader.problem(where, field_name + ".uri", f"unknown locality code {code!r}")
        elif code in codes:
            reader.problem(where, field_name, f"locality {code!r} is listed twice")
        else:
            codes.append(code)
    return codes


def _match_area(area: dict, sites: list[dict], localities: _Localities) -> str | None:
    for label in (area.get("uri"), area.get("name")):
        if isinstance(label, str) and label.strip():
            if label.strip() in localities.codes:
                return label.strip()
            named = localities.by_name.get(label.strip().casefold(), [])
            if len(named) == 1:
                return named[0]
    points = [(site["lat"], site["lon"]) for site in sites if site["lat"] is not None and site["lon"] is not None]
    return localities.containing(*points[0]) if points else None


# --- --map FILE.csv: other directories' taxonomy terms → menu options and delivery modes -------


@dataclass
class TermMap:
    """Rows `taxonomy,term,option_code,delivery`; taxonomy and term may be names or ids."""

    rows: list[dict] = field(default_factory=list)

    def lookup(self, term: dict) -> tuple[str, str]:
        """(option code, delivery) the first matching row gives, blanks when none does."""
        term_keys = {
            str(term.get(k)).casefold() for k in ("id", "name", "term", "code") if term.get(k) not in (None, "")
        }
        taxonomy_keys = {
            str(term.get(k)).casefold() for k in ("taxonomy_id", "taxonomy") if term.get(k) not in (None, "")
        }
        detail = term.get("taxonomy_detail")
        if isinstance(detail, dict):
            taxonomy_keys |= {str(detail.get(k)).casefold() for k in ("id", "name") if detail.get(k)}
        option = delivery = ""
        for row in self.rows:
            if row["term"].casefold() in term_keys and (
                not row["taxonomy"] or row["taxonomy"].casefold() in taxonomy_keys
            ):
                option = option or row["option_code"]
                delivery = delivery or row["delivery"]
        return option, delivery


def read_term_map(path: Path | str, *, known_options: set[str]) -> TermMap:
    reader = RowReader(path, required=MAP_COLUMNS)
    parse = reader.parse
    found = TermMap()
    for row_number, row in reader.rows():
        where = f"row {row_number}"
        parse.text(where, "term", row["term"], required=True)
        if row["option_code"] and row["option_code"] not in known_options:
            reader.problem(where, "option_code", f"unknown option code {row['option_code']!r} (import_options first)")
        parse.choice(where, "delivery", row["delivery"], Delivery.values, required=False)
        if not row["option_code"] and not row["delivery"]:
            reader.problem(where, "option_code", "give an option_code, a delivery, or both")
        found.rows.append(row)
    if reader.problems:
        raise ImportFailed(reader.problems)
    return found


# --- reading and writing ----------------------------------------------------------------------


def read_document(document: dict, *, source: str, term_map: TermMap, skip_unmapped: bool) -> tuple[_Reader, _Parsed]:
    reader = _Reader(source)
    parsed = _Parsed(whole_menu=isinstance(document.get("taxonomy_terms"), list))
    gathered = feeds.gather(document)
    for where in gathered.not_objects:
        reader.problem(where, "", "is not an object" if "[" in where else "must be a list")
    _parse_organizations(reader, gathered, parsed)
    terms = _parse_terms(reader, gathered, parsed)
    _parse_locations(reader, gathered, parsed)
    context = _Context(terms=terms, term_map=term_map, skip_unmapped=skip_unmapped, localities=_Localities())
    _parse_services(reader, gathered, parsed, context)
    if parsed.skipped:
        _drop_what_only_skipped_services_held(parsed)
    return reader, parsed


def import_openreferral(
    *,
    path: Path | str | None = None,
    url: str = "",
    map_path: Path | str | None = None,
    skip_unmapped: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import a file (path) or a live feed (url, its base such as https://directory.example/openreferral)."""
    source = url or Path(path or "").name
    try:
        if url:
            problem = feeds.check_url(url)
            if problem:
                raise feeds.FeedUnreadable(problem)
            document = feeds.read_url(url)
        else:
            # UTF-8, within IMPORT_MAX_MB, no NUL byte: anything else is named as a file problem.
            document = feeds.as_document(json.loads(read_import_text(Path(path or ""))))
    except FileNotFoundError:
        raise ImportFailed([ImportProblem(source, "file", "", "file not found")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFailed([ImportProblem(source, "file", "", f"not JSON ({exc})")]) from None
    except feeds.FeedUnreadable as exc:
        raise ImportFailed([ImportProblem(source, "file" if not url else "feed", "", str(exc))]) from None
    return import_openreferral_document(
        document=document, source=source, map_path=map_path, skip_unmapped=skip_unmapped, dry_run=dry_run
    )


def import_openreferral_document(
    *,
    document: dict,
    source: str,
    map_path: Path | str | None = None,
    skip_unmapped: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import a document already read (feeds.as_document / feeds.read_url)."""
    term_map = TermMap()
    if map_path:
        term_map = read_term_map(map_path, known_options=_known_option_codes(document))
    reader, parsed = read_document(document, source=source, term_map=term_map, skip_unmapped=skip_unmapped)
    if reader.problems:
        raise ImportFailed(reader.problems)

    def write() -> ImportReport:
        report = ImportReport(file=source, dry_run=dry_run)
        _write(report, parsed)
        if parsed.skipped:
            report.notes.append(f"Skipped {len(parsed.skipped)} service(s) with no menu option:")
            report.notes += [f"  {line}" for line in parsed.skipped]
        if report.changed:
            catalogue_changed()
        return report

    return run_import(write, dry_run=dry_run)


def _known_option_codes(document: dict) -> set[str]:
    in_file = {
        code
        for _, item in feeds.gather(document).sections["taxonomy_terms"]
        if (code := m.code_from_uri(item.get("term_uri"), m.OPTION_URI))
    }
    return in_file | set(MenuOption.objects.values_list("code", flat=True))


def _write(report: ImportReport, parsed: _Parsed) -> None:
    providers = {}
    for values in parsed.providers.values():
        providers[values["name"]] = _upsert(report, Provider, {"name": values["name"]}, values)
    _write_options(report, parsed)
    sites = {}
    for values in parsed.sites.values():
        site_values = {k: v for k, v in values.items() if k not in ("lat", "lon", "provider", "organization_id")}
        site_values["provider"] = providers[values["provider"]["name"]]
        site_values["location"] = Point(values["lon"], values["lat"], srid=4326)
        sites[values["code"]] = _upsert(report, Site, {"code": values["code"]}, site_values)
    options = {o.code: o for o in MenuOption.objects.all()}
    localities = dict(Locality.objects.values_list("code", "id"))
    for offer in parsed.offers:
        lookup = {"site": sites[offer["site"]], "option": options[offer["option"]], "delivery": offer["delivery"]}
        created = not SiteOffer.objects.filter(**lookup).exists()
        before = report.updated
        saved = _upsert(report, SiteOffer, lookup, offer["values"])
        wanted = {localities[code] for code in offer["outreach"]}
        if set(saved.outreach_localities.values_list("id", flat=True)) != wanted:
            saved.outreach_localities.set(wanted)
            if not created and report.updated == before:  # only the localities changed: still a change
                SiteOffer.objects.filter(pk=saved.pk).update(modified_at=timezone.now())
                report.updated += 1
                report.unchanged -= 1


def _drop_what_only_skipped_services_held(parsed: _Parsed) -> None:
    """Organizations and locations met only nested in skipped services are skipped with them."""
    used_sites = {offer["site"] for offer in parsed.offers}
    for location_id, site in list(parsed.sites.items()):
        if location_id in parsed.nested_only and site["code"] not in used_sites:
            del parsed.sites[location_id]
    used_organizations = {site["organization_id"] for site in parsed.sites.values()}
    for organization_id in list(parsed.providers):
        if organization_id in parsed.nested_only and organization_id not in used_organizations:
            del parsed.providers[organization_id]


def _write_options(report: ImportReport, parsed: _Parsed) -> None:
    """A whole menu (taxonomy_terms listed at the top) sets the menu order when it differs from it;
    options met only nested in services keep their place, and new ones go to the end of the menu."""
    file_order = [values["code"] for values in parsed.options.values()]
    menu_order = list(MenuOption.objects.filter(code__in=file_order).values_list("code", flat=True))
    renumber = parsed.whole_menu and menu_order != file_order
    last = MenuOption.objects.order_by("-display_order").values_list("display_order", flat=True).first() or 0
    for order, values in enumerate(parsed.options.values(), start=1):
        written = dict(values)
        if renumber:
            written["display_order"] = order * 10
        elif values["code"] not in menu_order:
            last += 10
            written["display_order"] = last
        _upsert(report, MenuOption, {"code": values["code"]}, written)


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
