"""The commissioners' tables of issue 15, published with the unmet table in the same `Publication`.

Three more named tables of the people counted in `careplans.unmet` (each person once, by their latest
choice recorded before the data cut-off, in the home locality recorded with it), grouped by the unmet
table's own localities (shown alone, or OTHER):

- `unmet_reasons`: per locality group and option, the people who preferred it and could not reach it
  on their personal menu (the snapshot kept with the choice), by reason code, with totals;
- `segments`: people by their needs at the cut-off (travel, when they can attend, remote sessions), a
  full cube with every "any" margin, per locality group; per cell the people and how many of them
  reach all, half or more, or fewer than half of the options on their personal menu. A commissioner's
  segment form only reads this cube: no count is ever made from the database on demand;
- `outcomes`: change from the first to the latest review (mean goal rating, the three TOP scores, days
  of use), for everyone and for people who did or did not get their preferred option, and whose
  preferred option was or was not reachable without a car. Group sizes are counts.

Every count of the three tables goes through ONE `disclosure.protect` call with the unmet table's,
with every relation (margins, totals and the figures two tables share) and the people's cell keys, so
no table can be set against another to narrow a hidden count (careplans.publication). A mean is shown
only where its group's size is shown: sums, sums of squares and sizes follow the same relations, so a
hidden size that the counts cannot recover leaves its sum and its mean unrecoverable too (a group, its
complement and the total are never all shown when one is small).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from scipy import stats

from choicemap import csvsafe

from .disclosure import SMALLEST_SHOWN, Sum
from .models import CarePlanChoice, Review, ServiceUser
from .selectors import catalogue_personal_menus
from .unmet import ALL, OTHER, UnmetPublication, latest_choices, record_key

REASONS_TABLE, SEGMENTS_TABLE, OUTCOMES_TABLE = "unmet_reasons", "segments", "outcomes"
# Why a preferred option was out of reach on the person's own menu (reach/personal.py's codes).
REASON_CODES = [
    "too_far",
    "not_open_when_available",
    "wait_over_limit",
    "format_not_acceptable",
    "not_eligible",
    "no_provider",
]
REASON_LABELS = {
    "not_reached": "Could not reach it (all reasons)",
    "too_far": "Too far by the ways they can travel",
    "not_open_when_available": "Not open when they can attend",
    "wait_over_limit": "The wait is over the limit",
    "format_not_acceptable": "Not offered in a way they accept",
    "not_eligible": "Not eligible at their age",
    "no_provider": "No provider offers it",
}
REASON_MEASURES = ["not_reached", *REASON_CODES]

ANY = "ANY"
NOT_ASKED = "not_asked"
DIMENSIONS: dict[str, dict[str, str]] = {
    "travel": {"car": "Car in the household", "lifts": "Can get lifts", "no_car": "No car", NOT_ASKED: "Not asked"},
    "sessions": {
        "weekday_daytime": "Can come on weekday mornings or afternoons",
        "evenings_weekends": "Evenings or weekends only",
        NOT_ASKED: "Not asked (any time)",
    },
    "formats": {
        "remote_ok": "Accepts remote sessions",
        "face_to_face": "Face to face only",
        NOT_ASKED: "Not asked",
    },
}
# People = those who reach every option on their own menu + those who do not: published as a sum, so the
# protection and a reader both know that neither part exceeds the people.
SEGMENT_MEASURES = ["people", "reach_all", "reach_not_all"]
SEGMENT_LABELS = {
    "people": "People in the segment",
    "reach_all": "… who could reach every option",
    "reach_not_all": "… who could not reach them all",
}

GROUPS = {
    ALL: "Everyone with two reviews or more",
    "got_preferred": "Got their preferred option",
    "not_preferred": "Did not get their preferred option",
    "reachable_without_car": "Preferred option reachable without a car",
    "not_reachable_without_car": "Preferred option not reachable without a car",
    "reach_unknown": "Reachability not known",
}
PARTITIONS = [
    ["got_preferred", "not_preferred"],
    ["reachable_without_car", "not_reachable_without_car", "reach_unknown"],
]
OUTCOME_MEASURES = {
    "goals": "Mean goal rating (0–10)",
    "psychological_health": "TOP psychological health (0–20)",
    "physical_health": "TOP physical health (0–20)",
    "quality_of_life": "TOP quality of life (0–20)",
    "days_of_use": "Days of use in the last 28",
}
OUTCOME_COUNTS = ["people", *OUTCOME_MEASURES]
UNMET_FIELDS = (
    "service_user_id",
    "home_locality__code",
    "preferred_option__code",
    "preferred_reachable_without_car",
    "same",
)
FEWER_THAN = f"fewer than {SMALLEST_SHOWN} people"
CONFIDENCE = 0.95
METHOD_NOTE = (
    "Each person counts once, by their latest care-plan choice before the data cut-off, in the home locality "
    "recorded with it. Counts of 1 to 7 are suppressed, the rest rounded to a multiple of 5 by cell key (the "
    "same people always give the same figure); further counts are suppressed where the totals, read with what "
    "counts can be, would narrow a hidden count. The unmet-preference, reasons, segments and outcomes counts "
    "are protected together, so no table can be set against another."
)


@dataclass
class Person:
    """What the tables need of one person (pure: built from the database by `people_at`)."""

    record_key: int
    locality: str  # the home locality code recorded with the latest choice
    preferred: str  # option code
    got_preferred: bool
    reachable_without_car: bool | None
    menu: dict[str, str] | None  # option code -> reason code, from the choice's snapshot; None if none kept
    travel: str = NOT_ASKED
    sessions: str = NOT_ASKED
    formats: str = NOT_ASKED
    changes: dict[str, float] | None = None  # outcome measure -> latest minus first review; None: < 2 reviews


# --- the people -------------------------------------------------------------------------------


def sessions_segment(can_attend: Iterable[str]) -> str:
    sessions = set(can_attend)
    if not sessions:
        return NOT_ASKED
    return "weekday_daytime" if sessions & {"weekday_morning", "weekday_afternoon"} else "evenings_weekends"


def formats_segment(accepts_remote: bool | None) -> str:
    return NOT_ASKED if accepts_remote is None else "remote_ok" if accepts_remote else "face_to_face"


def goal_rating(review: Review) -> float | None:
    scores = [s for s in (review.goal_1_score, review.goal_2_score, review.goal_3_score) if s is not None]
    return sum(scores) / len(scores) if scores else None


def outcome_changes(reviews: list[Review]) -> dict[str, float] | None:
    """Latest minus first review, per measure recorded at both; None with fewer than two reviews."""
    if len(reviews) < 2:
        return None
    first, latest = reviews[0], reviews[-1]
    changes = {}
    for measure in OUTCOME_MEASURES:
        read = goal_rating if measure == "goals" else (lambda review, name=measure: getattr(review, name))
        before, after = read(first), read(latest)
        if before is not None and after is not None:
            changes[measure] = float(after - before)
    return changes


def people_at(*, cutoff: datetime) -> list[Person]:
    """Everyone the unmet table counts, with their needs as at the cut-off (from the record's history) and
    their reviews recorded before it."""
    # The unmet table's people, and the personal menu kept with each one's latest choice.
    choices = list(latest_choices(cutoff=cutoff).values(*UNMET_FIELDS, "personal_menu"))
    ids = [row["service_user_id"] for row in choices]
    needs = {su.id: su for su in ServiceUser.history.as_of(cutoff).filter(id__in=ids)}
    reviews: dict[int, list[Review]] = {}
    for review in Review.objects.filter(service_user_id__in=ids, created_at__lt=cutoff).order_by("reviewed_on", "id"):
        reviews.setdefault(review.service_user_id, []).append(review)
    people = []
    for row in choices:
        su = needs.get(row["service_user_id"])
        snapshot = row["personal_menu"]
        people.append(
            Person(
                record_key=record_key(row["service_user_id"]),
                locality=row["home_locality__code"],
                preferred=row["preferred_option__code"],
                got_preferred=row["same"] == 0,
                reachable_without_car=row["preferred_reachable_without_car"],
                menu=None if snapshot is None else {entry["option"]: entry["reason"] for entry in snapshot},
                travel=(su.travel_access or NOT_ASKED) if su else NOT_ASKED,
                sessions=sessions_segment(su.can_attend) if su else NOT_ASKED,
                formats=formats_segment(su.accepts_remote) if su else NOT_ASKED,
                changes=outcome_changes(reviews.get(row["service_user_id"], [])),
            )
        )
    return people


def footprints(*, cutoff: datetime, as_of: datetime | None = None) -> dict[int, tuple]:
    """What these tables count of each person beyond the unmet table's footprint (see unmet.footprints):
    the reasons kept with their latest choice before `cutoff` (as the records stood at `as_of`), their
    needs' segments at the cut-off, and their outcome changes from reviews recorded before it."""
    source = CarePlanChoice.history.as_of(as_of) if as_of else CarePlanChoice.objects.all()
    latest: dict[int, tuple] = {}
    for person, *order, menu in source.filter(created_at__lt=cutoff).values_list(
        "service_user_id", "discussed_on", "id", "personal_menu"
    ):
        if person not in latest or tuple(order) > latest[person][0]:
            reasons = () if menu is None else tuple(sorted((entry["option"], entry["reason"]) for entry in menu))
            latest[person] = (tuple(order), reasons)
    needs = {su.id: su for su in ServiceUser.history.as_of(cutoff).filter(id__in=list(latest))}
    reviews: dict[int, list[Review]] = {}
    for review in Review.objects.filter(service_user_id__in=list(latest), created_at__lt=cutoff).order_by(
        "reviewed_on", "id"
    ):
        reviews.setdefault(review.service_user_id, []).append(review)
    prints = {}
    for person, (_, reasons) in latest.items():
        su = needs.get(person)
        segments = (
            (su.travel_access or NOT_ASKED, sessions_segment(su.can_attend), formats_segment(su.accepts_remote))
            if su
            else (NOT_ASKED,) * 3
        )
        changes = outcome_changes(reviews.get(person, []))
        prints[person] = (reasons, segments, None if changes is None else tuple(sorted(changes.items())))
    return prints


# --- counting (pure) --------------------------------------------------------------------------


@dataclass
class Counted:
    """Counts and cell keys of the three tables, keyed (table, ...), with their relations."""

    counts: dict[tuple, int]
    keys: dict[tuple, int]
    sums: list[Sum]
    columns: list[str]  # locality groups: the unmet table's shown localities, then OTHER if it has one

    def add(self, cells: Iterable[tuple], person: Person) -> None:
        for cell in cells:
            self.counts[cell] += 1
            self.keys[cell] += person.record_key


def segment_cells(columns: list[str]) -> list[tuple]:
    levels = [[*values, ANY] for values in DIMENSIONS.values()]
    return [
        (SEGMENTS_TABLE, loc, t, s, f, m)
        for loc in [*columns, ALL]
        for t in levels[0]
        for s in levels[1]
        for f in levels[2]
        for m in SEGMENT_MEASURES
    ]


def reason_sums(columns: list[str], options: list[str]) -> list[Sum]:
    def cell(loc, opt, m):
        return (REASONS_TABLE, loc, opt, m)

    sums = [
        Sum(cell(loc, opt, "not_reached"), tuple(cell(loc, opt, m) for m in REASON_CODES))
        for loc in [*columns, ALL]
        for opt in [*options, ALL]
    ]
    for m in REASON_MEASURES:
        sums += [Sum(cell(loc, ALL, m), tuple(cell(loc, opt, m) for opt in options)) for loc in [*columns, ALL]]
        sums += [Sum(cell(ALL, opt, m), tuple(cell(loc, opt, m) for loc in columns)) for opt in [*options, ALL]]
    return sums


def segment_sums(columns: list[str]) -> list[Sum]:
    """Every margin of the cube: each need's ANY is the sum of its values, whatever the others are, ALL
    localities is the sum of the groups, and the people of a cell are the sum of its two reach measures."""
    names = list(DIMENSIONS)
    levels = {name: [*values, ANY] for name, values in DIMENSIONS.items()}
    sums = []
    for cell in segment_cells(columns):
        _, loc, *needs, m = cell
        if m == "people":
            sums.append(Sum(cell, tuple((SEGMENTS_TABLE, loc, *needs, part) for part in SEGMENT_MEASURES[1:])))
        if loc == ALL:
            sums.append(Sum(cell, tuple((SEGMENTS_TABLE, col, *needs, m) for col in columns)))
        for position, name in enumerate(names):
            if needs[position] == ANY:
                parts = []
                for value in levels[name][:-1]:
                    changed = list(needs)
                    changed[position] = value
                    parts.append((SEGMENTS_TABLE, loc, *changed, m))
                sums.append(Sum(cell, tuple(parts)))
    return sums


def outcome_sums() -> list[Sum]:
    return [
        Sum((OUTCOMES_TABLE, ALL, m), tuple((OUTCOMES_TABLE, group, m) for group in partition))
        for m in OUTCOME_COUNTS
        for partition in PARTITIONS
    ]


def reachable_count(menu: dict[str, str]) -> int:
    return sum(reason == "reachable" for reason in menu.values())


def segment_keys(person: Person, home: str) -> list[tuple]:
    """The cube cells a person counts in: their own needs and every ANY, at home and in ALL; among those who
    reach every option on their own menu too, if they do."""
    menu = person.menu or {}
    measures = ["people", "reach_all" if reachable_count(menu) == len(menu) else "reach_not_all"]
    return [
        (SEGMENTS_TABLE, loc, t, s, f, m)
        for m in measures
        for loc in (home, ALL)
        for t in (person.travel, ANY)
        for s in (person.sessions, ANY)
        for f in (person.formats, ANY)
    ]


def outcome_groups(person: Person) -> list[str]:
    reach = person.reachable_without_car
    return [
        ALL,
        "got_preferred" if person.got_preferred else "not_preferred",
        "reach_unknown" if reach is None else "reachable_without_car" if reach else "not_reachable_without_car",
    ]


def count_tables(people: list[Person], *, columns: list[str], options: list[str]) -> Counted:
    """Pure counting of the three tables over the unmet table's locality groups."""
    cells: list[tuple] = [
        (REASONS_TABLE, loc, opt, m) for loc in [*columns, ALL] for opt in [*options, ALL] for m in REASON_MEASURES
    ]
    cells += segment_cells(columns)
    cells += [(OUTCOMES_TABLE, group, m) for group in GROUPS for m in OUTCOME_COUNTS]
    counted = Counted(
        counts=dict.fromkeys(cells, 0),
        keys=dict.fromkeys(cells, 0),
        sums=reason_sums(columns, options) + segment_sums(columns) + outcome_sums(),
        columns=columns,
    )
    shown = set(columns) - {OTHER}
    for person in people:
        home = person.locality if person.locality in shown else OTHER
        if person.menu is not None:
            reason = person.menu.get(person.preferred, "reachable")
            if reason != "reachable":
                counted.add(
                    [
                        (REASONS_TABLE, loc, opt, m)
                        for loc in (home, ALL)
                        for opt in (person.preferred, ALL)
                        for m in ("not_reached", reason)
                    ],
                    person,
                )
            counted.add(segment_keys(person, home), person)
        if person.changes is not None:
            measures = ["people", *person.changes]
            counted.add([(OUTCOMES_TABLE, g, m) for g in outcome_groups(person) for m in measures], person)
    return counted


# --- protection and building ------------------------------------------------------------------


def mean_interval(changes: list[float]) -> dict[str, float]:
    """Mean change with a two-sided 95% Student's t interval (n - 1 degrees of freedom), to 1 decimal."""
    n = len(changes)
    mean = sum(changes) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in changes) / (n - 1))
    half = float(stats.t.ppf((1 + CONFIDENCE) / 2, n - 1)) * sd / math.sqrt(n)
    return {"mean": round(mean, 1), "low": round(mean - half, 1), "high": round(mean + half, 1)}


# How a reader can combine the two partitions' sums (everyone = got + did not; everyone = reachable + not +
# unknown): each alone, their difference and their sum; a person's weight in any other combination is never 0.
_COMBINATIONS = [(1, 0), (0, 1), (1, -1), (1, 1)]


def mean_groups(people: list[Person], measure: str, published: dict[tuple, int | None]) -> set[str]:
    """The groups whose mean change in `measure` may be shown.

    A group's mean needs its size shown (so 8 or more people). Then, since a group's sum of changes follows
    the partitions, a reader who knows the shown groups' sums can work out any combination of the hidden
    groups' sums that the partitions allow. If such a combination weighs between 1 and 7 people (a group
    and its total shown, the small rest hidden), the smallest shown group it involves is hidden too."""
    counted = [outcome_groups(p) for p in people if p.changes is not None and measure in p.changes]
    size = {group: sum(group in groups for groups in counted) for group in GROUPS}
    shown = {g for g in GROUPS if published[(OUTCOMES_TABLE, g, measure)] and size[g] >= SMALLEST_SHOWN}
    while True:
        unsafe = None
        hidden = {g: int(g not in shown) for g in GROUPS}
        for a, b in _COMBINATIONS:
            weighed = sum(
                a * (hidden[ALL] - hidden[first]) + b * (hidden[ALL] - hidden[second]) != 0
                for _, first, second in counted
            )
            if 1 <= weighed < SMALLEST_SHOWN:
                involved = [ALL, *(PARTITIONS[0] if a else []), *(PARTITIONS[1] if b else [])]
                unsafe = min((g for g in involved if g in shown), key=size.__getitem__, default=None)
                break
        if unsafe is None:
            return shown
        shown.discard(unsafe)


def outcome_means(people: list[Person], published: dict[tuple, int | None]) -> dict[str, dict[str, dict | None]]:
    """{group: {measure: mean change and interval, or None}}, shown only for `mean_groups`."""
    means: dict[str, dict[str, dict | None]] = {group: {} for group in GROUPS}
    for measure in OUTCOME_MEASURES:
        showable = mean_groups(people, measure, published)
        for group in GROUPS:
            changes = [
                p.changes[measure]
                for p in people
                if p.changes is not None and measure in p.changes and group in outcome_groups(p)
            ]
            means[group][measure] = mean_interval(changes) if group in showable else None
    return means


def tables_json(published: dict[tuple, int | None], *, people: list[Person], menu_size: int) -> dict[str, dict]:
    """The three tables as stored in a `Publication`, from their protected counts (careplans.publication)."""

    def values_of(table: str) -> list[list]:
        return [[*cell[1:], value] for cell, value in published.items() if cell[0] == table]

    return {
        REASONS_TABLE: {"values": values_of(REASONS_TABLE)},
        SEGMENTS_TABLE: {"values": values_of(SEGMENTS_TABLE), "menu_size": menu_size},
        OUTCOMES_TABLE: {"values": values_of(OUTCOMES_TABLE), "means": outcome_means(people, published)},
    }


# --- reading a stored publication ---------------------------------------------------------------


class NotInPublication(LookupError):
    """The publication was built before this table existed."""


@dataclass
class StoredTables:
    """One of these tables of a stored publication, with its unmet table (for localities and options)."""

    unmet: UnmetPublication
    values: dict[tuple, int | None]
    data: dict


def stored_table(publication, table: str) -> StoredTables:
    if table not in publication.tables:
        raise NotInPublication(f"Publication {publication.pk} was built before this table existed.")
    data = publication.tables[table]
    return StoredTables(
        unmet=UnmetPublication.from_json(publication.tables["unmet"]),
        values={tuple(row[:-1]): row[-1] for row in data["values"]},
        data=data,
    )


def reasons_json(stored: StoredTables) -> dict:
    options = [*stored.unmet.options, (ALL, "All options")]
    localities = [*stored.unmet.localities, (ALL, "All localities")]
    return {
        "measures": [{"code": m, "label": REASON_LABELS[m]} for m in REASON_MEASURES],
        "localities": [
            {
                "code": loc,
                "name": name,
                "options": {opt: {m: stored.values[(loc, opt, m)] for m in REASON_MEASURES} for opt, _ in options},
            }
            for loc, name in localities
        ],
        "other_localities": stored.unmet.other_localities,
    }


@dataclass(frozen=True)
class Segment:
    travel: str = ANY
    sessions: str = ANY
    formats: str = ANY

    @classmethod
    def from_query(cls, query) -> Segment:
        """The segment a form asked for; anything not offered reads as ANY."""
        return cls(
            **{name: query.get(name) if query.get(name) in values else ANY for name, values in DIMENSIONS.items()}
        )

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.travel, self.sessions, self.formats)


def segment_rows(stored: StoredTables, segment: Segment) -> list[dict]:
    """One segment's published figures per locality group, then all localities."""
    return [
        {
            "code": loc,
            "name": name,
            **{m: stored.values[(loc, *segment.key, m)] for m in SEGMENT_MEASURES},
        }
        for loc, name in [*stored.unmet.localities, (ALL, "All localities")]
    ]


def segments_json(stored: StoredTables, segment: Segment | None = None) -> dict:
    levels = [[*values, ANY] for values in DIMENSIONS.values()]
    wanted = [segment.key] if segment else list(itertools.product(*levels))
    return {
        "dimensions": {name: [*values, ANY] for name, values in DIMENSIONS.items()},
        "menu_size": stored.data["menu_size"],
        "segments": [
            {
                "travel": t,
                "sessions": s,
                "formats": f,
                "localities": segment_rows(stored, Segment(t, s, f)),
            }
            for t, s, f in wanted
        ],
        "other_localities": stored.unmet.other_localities,
    }


def outcomes_json(stored: StoredTables) -> dict:
    return {
        "confidence_interval": "95%, two-sided Student's t with n - 1 degrees of freedom",
        "smallest_group_shown": SMALLEST_SHOWN,
        "measures": [{"code": m, "label": label} for m, label in OUTCOME_MEASURES.items()],
        "groups": [
            {
                "code": group,
                "label": label,
                "people": stored.values[(group, "people")],
                "outcomes": {
                    m: {"people": stored.values[(group, m)], "change": stored.data["means"][group][m]}
                    for m in OUTCOME_MEASURES
                },
            }
            for group, label in GROUPS.items()
        ],
    }


def _shown(value: int | None) -> int | str:
    return "suppressed" if value is None else value


def write_reasons_csv(stored: StoredTables, output: TextIO) -> None:
    writer = csvsafe.writer(output)
    writer.writerow(["locality_code", "locality_name", "option_code", "option_name", *REASON_MEASURES])
    for loc, loc_name in [*stored.unmet.localities, (ALL, "All localities")]:
        for opt, opt_name in [*stored.unmet.options, (ALL, "All options")]:
            row = [_shown(stored.values[(loc, opt, m)]) for m in REASON_MEASURES]
            writer.writerow([loc, loc_name, opt, opt_name, *row])


def write_segments_csv(stored: StoredTables, output: TextIO) -> None:
    writer = csvsafe.writer(output)
    writer.writerow(["locality_code", "locality_name", *DIMENSIONS, *SEGMENT_MEASURES])
    for entry in segments_json(stored)["segments"]:
        for row in entry["localities"]:
            needs = [entry[name] for name in DIMENSIONS]
            writer.writerow([row["code"], row["name"], *needs, *(_shown(row[m]) for m in SEGMENT_MEASURES)])


def write_outcomes_csv(stored: StoredTables, output: TextIO) -> None:
    writer = csvsafe.writer(output)
    writer.writerow(["group", "measure", "people", "mean_change", "ci95_low", "ci95_high"])
    for group in GROUPS:
        writer.writerow([group, "people", _shown(stored.values[(group, "people")]), "", "", ""])
        for m in OUTCOME_MEASURES:
            change = stored.data["means"][group][m]
            figures = [change["mean"], change["low"], change["high"]] if change else [FEWER_THAN, "", ""]
            writer.writerow([group, m, _shown(stored.values[(group, m)]), *figures])


# --- the catalogue figure for a hypothetical person (no people, so no disclosure control) ------------

HYPOTHETICAL_SESSIONS = {
    "weekday_daytime": ("weekday_morning", "weekday_afternoon"),
    "evenings_weekends": ("weekday_evening", "weekend"),
}
HYPOTHETICAL_REMOTE = {"remote_ok": True, "face_to_face": False}


def hypothetical_needs(segment: Segment) -> dict[str, object]:
    """A person with only the segment's needs: ANY or "not asked" rules nothing out; no age is assumed."""
    return {
        "travel_access": "" if segment.travel in (ANY, NOT_ASKED) else segment.travel,
        "can_attend": list(HYPOTHETICAL_SESSIONS.get(segment.sessions, ())),
        "accepts_remote": HYPOTHETICAL_REMOTE.get(segment.formats),
    }


@dataclass(frozen=True)
class CatalogueFigure:
    code: str
    name: str
    least: int  # options reachable; for OTHER the least and most over its localities
    most: int
    localities: int


def catalogue_reach(segment: Segment, *, localities: list[tuple[str, str]]) -> list[CatalogueFigure]:
    """How many options a person with the segment's needs reaches from each shown locality, and the range
    over OTHER's localities: reach/personal.py on today's catalogue and the default profile, as the
    keyworkers' personal menus."""
    reached = catalogue_personal_menus(needs=hypothetical_needs(segment))
    shown = {code for code, _ in localities}
    figures = []
    for code, name in localities:
        if code == OTHER:
            pooled = [count for loc, count in reached.items() if loc not in shown]
            if pooled:
                figures.append(CatalogueFigure(code, name, min(pooled), max(pooled), len(pooled)))
        elif code in reached:
            figures.append(CatalogueFigure(code, name, reached[code], reached[code], 1))
    return figures


TABLE_FORMATS = {  # table: (its CSV writer, its JSON)
    REASONS_TABLE: (write_reasons_csv, reasons_json),
    SEGMENTS_TABLE: (write_segments_csv, segments_json),
    OUTCOMES_TABLE: (write_outcomes_csv, outcomes_json),
}
