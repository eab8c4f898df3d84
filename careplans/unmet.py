"""Unmet preference for commissioners: counts per locality and option, under disclosure control.

Each person counts once, by their latest recorded choice, in the home locality recorded with it.
For the people who preferred an option:
- `preferred`: how many preferred it;
- `agreed_preferred` / `agreed_different`: how many agreed that option / a different one, and the
  different ones by reason (`reason_<code>`);
- `reachable`, `not_reachable`, `reach_unknown`: whether the option was reachable from home
  without a car in the run current when the choice was recorded ("could not reach it" = not_reachable).

Every cell, including the all-localities and all-options totals, goes through one protection, so
no combination of published figures recovers a hidden one. Localities with fewer than 8 people in all
are pooled as OTHER before protection: each of their figures would be suppressed anyway, and pooling
keeps the protection small enough to compute. There are deliberately no date or run
filters: two overlapping filtered tables would let a reader subtract one from the other.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import TextIO

from django.core.cache import cache
from django.db.models import Count, F, Max

from areas.models import Locality
from choicemap import csvsafe
from services.models import MenuOption

from .disclosure import SMALLEST_SHOWN, Sum, protect
from .models import CarePlanChoice, DifferenceReason

CACHE_SECONDS = 24 * 3600
PROTECTION_VERSION = 2  # part of the cache key: publications protected by an earlier method are not reused
ALL = "ALL"
OTHER = "OTHER"  # localities with fewer than 8 people, pooled
REASONS = [f"reason_{code}" for code in DifferenceReason.values]
OUTCOMES = ["agreed_preferred", "agreed_different"]
REACH = ["reachable", "not_reachable", "reach_unknown"]
MEASURES = ["preferred", *OUTCOMES, *REASONS, *REACH]
MEASURE_LABELS = {
    "preferred": "Preferred it",
    "agreed_preferred": "Agreed it",
    "agreed_different": "Agreed another option",
    **{f"reason_{code}": f"… because: {label}" for code, label in DifferenceReason.choices},
    "reachable": "Could reach it without a car",
    "not_reachable": "Could not reach it without a car",
    "reach_unknown": "Reach not known (no run)",
}


@dataclass
class UnmetPublication:
    """Protected values keyed (locality code or ALL, option code or ALL, measure); None = suppressed."""

    localities: list[tuple[str, str]]  # code, name: shown one by one
    pooled: list[tuple[str, str]]  # localities counted in OTHER
    options: list[tuple[str, str]]
    values: dict[tuple[str, str, str], int | None]
    people: int  # only to say whether anything was recorded; never shown as a number

    def cell(self, locality: str, option: str) -> dict[str, int | None]:
        return {measure: self.values[(locality, option, measure)] for measure in MEASURES}


def latest_choices():
    """Each person's latest choice: DISTINCT ON the service user, newest conversation first."""
    return (
        CarePlanChoice.objects.order_by("service_user_id", "-discussed_on", "-id")
        .distinct("service_user_id")
        .values(
            "home_locality__code",
            "preferred_option__code",
            "difference_reason",
            "preferred_reachable_without_car",
            same=F("agreed_option_id") - F("preferred_option_id"),
        )
    )


def raw_counts() -> tuple[
    dict[tuple[str, str, str], int], list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]], int
]:
    """(counts, shown localities, pooled localities, options, people)."""
    rows = list(latest_choices())
    names = dict(
        Locality.objects.filter(code__in={row["home_locality__code"] for row in rows}).values_list("code", "name")
    )
    option_codes = {row["preferred_option__code"] for row in rows}
    options = list(
        MenuOption.objects.filter(code__in=option_codes).order_by("display_order", "code").values_list("code", "name")
    )
    counts, shown, pooled = tally(rows, option_codes=[code for code, _ in options])
    by_name = sorted(names.items(), key=lambda item: (item[1], item[0]))
    localities = [(code, name) for code, name in by_name if code in shown]
    return counts, localities, [(code, name) for code, name in by_name if code in pooled], options, len(rows)


def tally(rows: list[dict], *, option_codes: list[str]) -> tuple[dict[tuple[str, str, str], int], set, set]:
    """Pure counting of latest-choice rows: (counts, shown locality codes, pooled locality codes)."""
    people = Counter(row["home_locality__code"] for row in rows)
    pooled = {code for code, count in people.items() if count < SMALLEST_SHOWN}
    locality_codes = sorted(set(people) - pooled) + ([OTHER] if pooled else [])
    counts = {(loc, opt, m): 0 for loc in [*locality_codes, ALL] for opt in [*option_codes, ALL] for m in MEASURES}
    for row in rows:
        measures = ["preferred"]
        if row["same"] == 0:
            measures.append("agreed_preferred")
        else:
            measures += ["agreed_different", f"reason_{row['difference_reason']}"]
        reach = row["preferred_reachable_without_car"]
        measures.append("reach_unknown" if reach is None else "reachable" if reach else "not_reachable")
        home = OTHER if row["home_locality__code"] in pooled else row["home_locality__code"]
        for loc in (home, ALL):
            for opt in (row["preferred_option__code"], ALL):
                for measure in measures:
                    counts[(loc, opt, measure)] += 1
    return counts, set(people) - pooled, pooled


def publication_sums(locality_codes: list[str], option_codes: list[str]) -> list[Sum]:
    """How the cells add up: the breakdowns within a cell, and every measure across localities and options."""
    sums = []
    for loc in [*locality_codes, ALL]:
        for opt in [*option_codes, ALL]:
            sums.append(Sum((loc, opt, "preferred"), tuple((loc, opt, m) for m in OUTCOMES)))
            sums.append(Sum((loc, opt, "agreed_different"), tuple((loc, opt, m) for m in REASONS)))
            sums.append(Sum((loc, opt, "preferred"), tuple((loc, opt, m) for m in REACH)))
    for measure in MEASURES:
        for loc in [*locality_codes, ALL]:
            sums.append(Sum((loc, ALL, measure), tuple((loc, opt, measure) for opt in option_codes)))
        for opt in [*option_codes, ALL]:
            sums.append(Sum((ALL, opt, measure), tuple((loc, opt, measure) for loc in locality_codes)))
    return sums


def unmet_publication() -> UnmetPublication:
    """The protected publication, computed once per version of the data it is built from.

    The cache key is that version, so any care-plan write (or a renamed locality or option) leads to a
    fresh computation, and figures of different data never share a key. A publication whose data
    changed while it was computed is returned but not kept.
    """
    version = data_version()
    key = f"careplans:unmet:{version}"
    publication = cache.get(key)
    if publication is None:
        publication = protected_publication()
        if data_version() == version:
            cache.set(key, publication, timeout=CACHE_SECONDS)
    return publication


def data_version() -> str:
    """Changes with every write the publication depends on: care-plan choices, localities, options."""
    choices = CarePlanChoice.objects.aggregate(n=Count("id"), top=Max("id"), last=Max("updated_at"))
    places = Locality.objects.aggregate(n=Count("id"), top=Max("id"), last=Max("updated_at"))
    options = list(MenuOption.objects.order_by("id").values_list("id", "code", "name", "display_order"))
    raw = repr((PROTECTION_VERSION, sorted(choices.items()), sorted(places.items()), options))
    return hashlib.sha256(raw.encode()).hexdigest()


def protected_publication() -> UnmetPublication:
    counts, localities, pooled, options, people = raw_counts()
    if pooled:
        localities = [*localities, (OTHER, f"Other localities ({len(pooled)}), pooled")]
    sums = publication_sums([code for code, _ in localities], [code for code, _ in options])
    return UnmetPublication(
        localities=localities, pooled=pooled, options=options, values=protect(counts, sums), people=people
    )


def publication_json(publication: UnmetPublication, *, locality: str | None = None, option: str | None = None) -> dict:
    """The shape the equity map consumes (see the module docstring for the measures)."""
    options = [(code, name) for code, name in publication.options if option in (None, code)]
    option_keys = [code for code, _ in options] + ([ALL] if option is None else [])
    # A pooled locality's figures are those of OTHER, the pool it is counted in.
    wanted = OTHER if locality in {code for code, _ in publication.pooled} else locality
    localities = [(code, name) for code, name in publication.localities if wanted in (None, code)]
    return {
        "basis": "latest choice per person, in the home locality recorded with it",
        "disclosure": {
            "suppressed": "null",
            "suppressed_range": [1, 7],
            "rounded_to": 5,
            "secondary_suppression": True,
        },
        "measures": [{"code": m, "label": MEASURE_LABELS[m]} for m in MEASURES],
        "options": [{"code": code, "name": name} for code, name in options],
        "area": {key: publication.cell(ALL, key) for key in option_keys},
        "localities": [
            {"code": code, "name": name, "options": {key: publication.cell(code, key) for key in option_keys}}
            for code, name in localities
        ],
        "pooled_localities": [
            {"code": code, "name": name} for code, name in publication.pooled if locality in (None, code, OTHER)
        ],
    }


CSV_COLUMNS = ["locality_code", "locality_name", "option_code", "option_name", *MEASURES]


def write_unmet_csv(publication: UnmetPublication, output: TextIO) -> None:
    """One row per locality and option (ALL for the totals); suppressed cells read `suppressed`."""
    writer = csvsafe.writer(output)
    writer.writerow(CSV_COLUMNS)
    option_rows = [*publication.options, (ALL, "All options")]
    for loc_code, loc_name in [*publication.localities, (ALL, "All localities")]:
        for opt_code, opt_name in option_rows:
            values = publication.cell(loc_code, opt_code)
            writer.writerow(
                [
                    loc_code,
                    loc_name,
                    opt_code,
                    opt_name,
                    *("suppressed" if values[m] is None else values[m] for m in MEASURES),
                ]
            )
