"""Unmet preference for commissioners: counts per locality and option, under disclosure control.

Each person counts once, by their latest choice recorded before the data cut-off, in the home locality
recorded with it. For the people who preferred an option:
- `preferred`: how many preferred it;
- `agreed_preferred` / `agreed_different`: how many agreed that option / a different one, and the
  different ones by reason (`reason_<code>`);
- `reachable`, `not_reachable`, `reach_unknown`: whether the option was reachable from home
  without a car in the run current when the choice was recorded ("could not reach it" = not_reachable).

Every cell, including the all-localities and all-options totals, goes through one protection
(`disclosure.protect`) together with the publication's other tables (careplans.publication), so no
combination of published figures narrows a hidden count of 1 to 7 to less than 0 to 8. Localities
with 8 to 12 people or more (`show_from`) are shown one by one; every other locality, with people or
not, is counted in OTHER, which is published as figures and a number of localities, never as a list:
nobody can tell a locality with nobody from one with a few. Every menu option is listed,
preferred or not. The figures are built into a `Publication` on a schedule and served unchanged until
the next (careplans.services.publish); there are deliberately no date or run filters: two
overlapping tables would let a reader subtract one from the other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from django.db.models import F
from django.utils.crypto import salted_hmac

from areas.models import Locality
from choicemap import csvsafe
from services.models import MenuOption

from .disclosure import KEY_SPACE, SMALLEST_SHOWN, Sum, cell_key, protect
from .models import CarePlanChoice, DifferenceReason

SHOW_FROM_SPREAD = 5  # a locality is shown from 8 to 12 people on (see show_from)
MOST_IN_OTHER = SMALLEST_SHOWN + SHOW_FROM_SPREAD - 2  # the most people a locality in OTHER can have: 11
METHOD = "suppress 1-7, cell-key round 5, ILP ranges (v4, joint)"  # v4: every table in one protection
TABLE = "unmet"
NOTHING_PUBLISHED = (
    "Nothing has been published yet: the first publication is built on the schedule (the first of each month) "
    "or with manage.py publish_unmet."
)  # this publication's name among a Publication's tables
ALL = "ALL"
OTHER = "OTHER"  # every locality with fewer than 8 people, none included
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
    """Protected values keyed (locality code or ALL, option code or ALL, measure); None = suppressed.

    Stored as one named table of a `Publication` (`as_json` / `from_json`)."""

    localities: list[tuple[str, str]]  # code, name: shown one by one, then OTHER
    options: list[tuple[str, str]]
    values: dict[tuple[str, str, str], int | None]
    other_localities: int  # how many localities OTHER covers (every one not shown, people or not)
    recorded: bool  # whether anything was recorded; the number of people is never shown

    def cell(self, locality: str, option: str) -> dict[str, int | None]:
        return {measure: self.values[(locality, option, measure)] for measure in MEASURES}

    def as_json(self) -> dict:
        return {
            "localities": [list(pair) for pair in self.localities],
            "options": [list(pair) for pair in self.options],
            "values": [[*key, value] for key, value in self.values.items()],
            "other_localities": self.other_localities,
            "recorded": self.recorded,
        }

    @classmethod
    def from_json(cls, data: dict) -> UnmetPublication:
        return cls(
            localities=[tuple(pair) for pair in data["localities"]],
            options=[tuple(pair) for pair in data["options"]],
            values={(loc, opt, measure): value for loc, opt, measure, value in data["values"]},
            other_localities=data["other_localities"],
            recorded=data["recorded"],
        )


@dataclass
class Tally:
    """Counts and ONS cell keys per (locality or OTHER or ALL, option or ALL, measure)."""

    counts: dict[tuple[str, str, str], int]
    cell_keys: dict[tuple[str, str, str], int]
    shown: list[str]  # localities with 8 or more people, published one by one
    others: list[str]  # every other locality, with people (at most 11) or not: counted together as OTHER

    @property
    def columns(self) -> list[str]:
        return self.shown + ([OTHER] if self.others else [])

    def known_bounds(self) -> dict[tuple[str, str, str], tuple[int, int | None]]:
        """The locality floor, which the method itself tells a reader: a locality shown on its own has at
        least 8 people, and each one in OTHER at most 11 (see show_from)."""
        bounds: dict[tuple[str, str, str], tuple[int, int | None]] = {
            (code, ALL, "preferred"): (SMALLEST_SHOWN, None) for code in self.shown
        }
        if self.others:
            bounds[(OTHER, ALL, "preferred")] = (0, MOST_IN_OTHER * len(self.others))
        return bounds


def show_from(locality_key: int) -> int:
    """How many people a locality needs to be shown on its own: 8 to 12, as the key of its people decides.

    With a fixed 8, a locality appearing next to OTHER would say that its count went from 7 to 8, so
    the one new person lives there. With the threshold drawn from the people's keys, a reader only
    knows that a shown locality has 8 or more and one in OTHER at most 11."""
    return SMALLEST_SHOWN + (locality_key * SHOW_FROM_SPREAD) // KEY_SPACE


def record_key(service_user_id: int) -> int:
    """A person's ONS record key: fixed for life, secret (keyed with SECRET_KEY), uniform below KEY_SPACE."""
    digest = salted_hmac("careplans.unmet.record_key", str(service_user_id), algorithm="sha256").digest()
    return int.from_bytes(digest[:8]) % KEY_SPACE


def latest_choices(*, cutoff: datetime):
    """Each person's latest choice recorded before the cut-off: DISTINCT ON the service user, newest
    conversation first."""
    return (
        CarePlanChoice.objects.filter(created_at__lt=cutoff)
        .order_by("service_user_id", "-discussed_on", "-id")
        .distinct("service_user_id")
        .values(
            "service_user_id",
            "home_locality__code",
            "preferred_option__code",
            "difference_reason",
            "preferred_reachable_without_car",
            same=F("agreed_option_id") - F("preferred_option_id"),
        )
    )


def footprints(*, cutoff: datetime, as_of: datetime | None = None) -> dict[int, tuple]:
    """What this table counts of each person, by service user id: the home locality, preferred option,
    outcome and reach of their latest choice recorded before `cutoff`, as the records stood at `as_of`
    (a past publication's build; default now, read from the record history). Two publications differ
    for a reader only in the people whose footprint differs (careplans.services.publish counts them)."""
    source = CarePlanChoice.history.as_of(as_of) if as_of else CarePlanChoice.objects.all()
    latest: dict[int, tuple] = {}
    for person, *order, locality, preferred, agreed, reason, reach in source.filter(created_at__lt=cutoff).values_list(
        "service_user_id",
        "discussed_on",
        "id",
        "home_locality_id",
        "preferred_option_id",
        "agreed_option_id",
        "difference_reason",
        "preferred_reachable_without_car",
    ):
        if person not in latest or tuple(order) > latest[person][0]:
            latest[person] = (tuple(order), (locality, preferred, agreed == preferred, reason, reach))
    return {person: footprint for person, (_, footprint) in latest.items()}


def tally(rows: list[dict], *, option_codes: list[str], locality_codes: list[str]) -> Tally:
    """Pure counting of latest-choice rows (each with its `record_key`) over every locality of the area."""
    people = Counter(row["home_locality__code"] for row in rows)
    keys_by_locality: dict[str, int] = Counter()
    for row in rows:
        keys_by_locality[row["home_locality__code"]] += row["record_key"]
    shown = sorted(code for code, count in people.items() if count >= show_from(cell_key([keys_by_locality[code]])))
    others = sorted((set(locality_codes) | set(people)) - set(shown))
    shown_set = set(shown)
    columns = shown + ([OTHER] if others else [])
    cells = [(loc, opt, m) for loc in [*columns, ALL] for opt in [*option_codes, ALL] for m in MEASURES]
    counts, keys = dict.fromkeys(cells, 0), dict.fromkeys(cells, 0)
    for row in rows:
        measures = ["preferred"]
        if row["same"] == 0:
            measures.append("agreed_preferred")
        else:
            measures += ["agreed_different", f"reason_{row['difference_reason']}"]
        reach = row["preferred_reachable_without_car"]
        measures.append("reach_unknown" if reach is None else "reachable" if reach else "not_reachable")
        home = row["home_locality__code"] if row["home_locality__code"] in shown_set else OTHER
        for loc in (home, ALL):
            for opt in (row["preferred_option__code"], ALL):
                for measure in measures:
                    counts[(loc, opt, measure)] += 1
                    keys[(loc, opt, measure)] += row["record_key"]
    return Tally(
        counts=counts, cell_keys={cell: cell_key([key]) for cell, key in keys.items()}, shown=shown, others=others
    )


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


def protect_tally(counted: Tally, option_codes: list[str]) -> dict[tuple[str, str, str], int | None]:
    """The unmet table protected on its own (its tests and benchmark study it so): every table relation,
    cell key and locality floor given to `protect`. A publication protects it together with the other
    tables (careplans.publication)."""
    sums = publication_sums(counted.columns, option_codes)
    return protect(counted.counts, sums, cell_keys=counted.cell_keys, known=counted.known_bounds())


@dataclass
class UnmetCount:
    """The unmet table counted, before protection: its tally and what is published beside the figures."""

    tally: Tally
    localities: list[tuple[str, str]]  # code, name: shown one by one (by name), then OTHER
    options: list[tuple[str, str]]
    recorded: bool

    @property
    def option_codes(self) -> list[str]:
        return [code for code, _ in self.options]


def count_unmet(*, cutoff: datetime) -> UnmetCount:
    """The counts of the choices recorded before `cutoff`, every locality of the area and every menu option."""
    rows = [{**row, "record_key": record_key(row["service_user_id"])} for row in latest_choices(cutoff=cutoff)]
    localities = dict(Locality.objects.values_list("code", "name"))
    options = list(MenuOption.objects.order_by("display_order", "code").values_list("code", "name"))
    counted = tally(rows, option_codes=[code for code, _ in options], locality_codes=list(localities))
    shown = sorted(((code, localities[code]) for code in counted.shown), key=lambda item: (item[1], item[0]))
    if counted.others:
        shown.append((OTHER, f"Other localities ({len(counted.others)}), too few people to show"))
    return UnmetCount(tally=counted, localities=shown, options=options, recorded=bool(rows))


def unmet_publication(counted: UnmetCount, values: dict[tuple[str, str, str], int | None]) -> UnmetPublication:
    """The table as published, from its protected `values` (one per cell of the tally)."""
    return UnmetPublication(
        localities=counted.localities,
        options=counted.options,
        values=values,
        other_localities=len(counted.tally.others),
        recorded=counted.recorded,
    )


def unmet_of(publication) -> UnmetPublication:
    """The unmet-preference table of a stored `Publication`."""
    return UnmetPublication.from_json(publication.tables[TABLE])


def publication_meta(publication) -> dict:
    """What a reader needs to know of a stored publication besides its figures."""
    return {
        "id": publication.pk,
        "built_at": publication.built_at.isoformat(),
        "data_cutoff": publication.data_cutoff.isoformat(),
        "method": publication.method,
    }


def publication_json(publication: UnmetPublication, *, locality: str | None = None, option: str | None = None) -> dict:
    """The shape the equity map consumes (see the module docstring for the measures)."""
    options = [(code, name) for code, name in publication.options if option in (None, code)]
    option_keys = [code for code, _ in options] + ([ALL] if option is None else [])
    # Any locality not shown on its own answers with OTHER, whether it has a few people or none.
    shown = {code for code, _ in publication.localities}
    wanted = locality if locality is None or locality in shown else OTHER
    localities = [(code, name) for code, name in publication.localities if wanted in (None, code)]
    return {
        "basis": "latest choice per person, in the home locality recorded with it",
        "disclosure": {
            "suppressed": "null",
            "suppressed_range": [1, 7],
            "rounded_to": 5,
            "secondary_suppression": True,
            "rounding": "cell key: to a multiple of 5 either side, the same for the same people",
        },
        "measures": [{"code": m, "label": MEASURE_LABELS[m]} for m in MEASURES],
        "options": [{"code": code, "name": name} for code, name in options],
        "area": {key: publication.cell(ALL, key) for key in option_keys},
        "localities": [
            {"code": code, "name": name, "options": {key: publication.cell(code, key) for key in option_keys}}
            for code, name in localities
        ],
        "other_localities": publication.other_localities,
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
