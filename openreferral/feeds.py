"""Where Open Referral documents come from and the shapes they take, made into one shape.

Accepted: a whole document (what export_openreferral writes: organizations, locations, taxonomy_terms,
services); one HSDS service as /services/{id} returns it; a JSON array of such services; an ORUK list
page ({"contents": [...]}); or a live ORUK feed, read page by page over HTTP. Whatever the shape,
nested organizations, locations and taxonomy terms are gathered next to the top-level ones, each
remembered with where it was found, so a problem can name it.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

SECTIONS = ["organizations", "locations", "taxonomy_terms", "services"]
PAGE_SIZE = 100
TIMEOUT_S = 30
MAX_PAGES = 10_000


class FeedUnreadable(Exception):
    """The source cannot be read as Open Referral at all; the message says why."""


@dataclass
class Items:
    """A document's objects by section, each as (where it is, the object)."""

    sections: dict[str, list[tuple[str, dict]]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    not_objects: list[str] = field(default_factory=list)  # places holding something other than an object


def as_document(value) -> dict:
    """Any accepted shape as a document with sections; FeedUnreadable for anything else."""
    if isinstance(value, dict) and any(section in value for section in SECTIONS):
        return value
    if isinstance(value, dict) and isinstance(value.get("contents"), list):
        return {"services": value["contents"]}
    if isinstance(value, dict) and "id" in value and ("name" in value or "status" in value):
        return {"services": [value]}
    if isinstance(value, list) and value:
        return {"services": value}
    raise FeedUnreadable(
        "not an Open Referral document: expected an object with organizations, locations, taxonomy_terms and "
        "services, one service, a JSON array of services, or an ORUK list page with contents"
    )


def gather(document: dict) -> Items:
    """Top-level objects first, then nested copies of objects not listed at the top (by id)."""
    items = Items()
    for section in SECTIONS:
        values = document.get(section, [])
        if not isinstance(values, list):
            items.not_objects.append(section)
            continue
        for index, item in enumerate(values):
            where = f"{section}[{index}]"
            if isinstance(item, dict):
                items.sections[section].append((where, item))
            else:
                items.not_objects.append(where)
    seen = {s: {_id(item) for _, item in items.sections[s]} for s in SECTIONS}
    for where, service in list(items.sections["services"]):
        for nested_where, section, item in _nested(where, service):
            if _id(item) is not None and _id(item) not in seen[section]:
                seen[section].add(_id(item))
                items.sections[section].append((nested_where, item))
    return items


def _id(item: dict) -> str | None:
    value = item.get("id")
    return value if isinstance(value, str) and value else None


def _nested(where: str, service: dict) -> Iterator[tuple[str, str, dict]]:
    if isinstance(service.get("organization"), dict):
        yield f"{where}.organization", "organizations", service["organization"]
    for index, link in enumerate(_list(service.get("service_at_locations"))):
        if isinstance(link, dict) and isinstance(link.get("location"), dict):
            yield f"{where}.service_at_locations[{index}].location", "locations", link["location"]
    for index, attribute in enumerate(_list(service.get("attributes"))):
        if isinstance(attribute, dict) and isinstance(attribute.get("taxonomy_term"), dict):
            yield f"{where}.attributes[{index}].taxonomy_term", "taxonomy_terms", attribute["taxonomy_term"]


def _list(value) -> list:
    return value if isinstance(value, list) else []


def read_url(base_url: str, *, per_page: int = PAGE_SIZE) -> dict:
    """Every service of a live ORUK feed, fully nested: /services page by page, then /services/{id} each."""
    base = base_url.rstrip("/")
    services = []
    page, pages = 1, 1
    while page <= pages:
        listing = _get_json(f"{base}/services?{urllib.parse.urlencode({'page': page, 'per_page': per_page})}")
        contents = listing.get("contents") if isinstance(listing, dict) else None
        if not isinstance(contents, list):
            raise FeedUnreadable(f"{base}/services: not an ORUK list page (no contents)")
        pages = min(_page_count(listing, len(contents)), MAX_PAGES)
        for summary in contents:
            if not isinstance(summary, dict) or not isinstance(summary.get("id"), str):
                raise FeedUnreadable(f"{base}/services?page={page}: an item without an id")
            services.append(_get_json(f"{base}/services/{urllib.parse.quote(summary['id'], safe='')}"))
        page += 1
    return {"services": services}


def _page_count(listing: dict, size: int) -> int:
    total_pages = listing.get("total_pages")
    if isinstance(total_pages, int) and total_pages >= 0:
        return total_pages
    total_items = listing.get("total_items")
    if isinstance(total_items, int) and size:
        return math.ceil(total_items / size)
    return 1


def _get_json(url: str):
    # check_url() let only http(s) addresses through.
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            return json.loads(response.read().decode("utf-8-sig"))
    except urllib.error.HTTPError as exc:
        raise FeedUnreadable(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FeedUnreadable(f"{url}: cannot be reached ({getattr(exc, 'reason', exc)})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedUnreadable(f"{url}: not JSON ({exc})") from None


def check_url(base_url: str) -> str | None:
    """Why a --url value cannot be used, or None."""
    parsed = urllib.parse.urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"{base_url!r} is not an http(s) address such as https://directory.example/openreferral"
    return None
