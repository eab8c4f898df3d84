"""One publication's four tables, counted first and protected in ONE `disclosure.protect` call.

The unmet table (careplans.unmet) and the reasons, segments and outcomes tables
(careplans.publication_tables) count the same people. Protected apart, a figure hidden in one table
could be read in another, or two tables' sums set against each other. So every cell of the four tables,
every relation of each, the figures they share, the people's cell keys and the bounds the method tells a
reader go to `protect` at once, and the result is split into the four stored tables.

Shared figures. The segments' locality totals and the outcome group sizes count those of an unmet
figure's people that the table takes in at all (with a personal menu kept; with two reviews). When
everyone is taken in, which a reader may well know (every choice keeps its menu), the two count the
very same people: one figure, published twice. So each pair whose counts are equal (`containing_cells`)
is linked as an equality, `Sum(outer, (inner,))`: both copies are hidden or both shown, and the same
people have the same cell key, so a shown pair is the same rounded value. Unequal pairs are not linked:
the inner count is then at most the outer one, which the protection does not model (docs/disclosure.md).
"""

from __future__ import annotations

from datetime import datetime

from .disclosure import SMALLEST_SHOWN, Sum, cell_key, protect
from .publication_tables import (
    ANY,
    OUTCOME_COUNTS,
    OUTCOMES_TABLE,
    SEGMENTS_TABLE,
    Counted,
    count_tables,
    people_at,
    tables_json,
)
from .unmet import ALL, MOST_IN_OTHER, OTHER, TABLE, Tally, count_unmet, publication_sums, unmet_publication

# The unmet measure (at all localities and options) that counts the same kind of people as each outcome group.
UNMET_MEASURE_OF_GROUP = {
    ALL: "preferred",
    "got_preferred": "agreed_preferred",
    "not_preferred": "agreed_different",
    "reachable_without_car": "reachable",
    "not_reachable_without_car": "not_reachable",
    "reach_unknown": "reach_unknown",
}


def containing_cells(columns: list[str]) -> list[tuple[tuple, tuple]]:
    """(inner, outer) cells of two tables where the inner counts those of the outer's people that a table
    takes in at all, so the two are one figure whenever everyone is taken in:

    - segments' people of a locality group (or ALL): the people of unmet's (loc, ALL, preferred) with a
      personal menu kept with their choice;
    - outcomes' counts of a group: the people of unmet's matching all-localities figure with two reviews
      or more (and the measure at both).

    The reasons table is linked to nothing: it counts only those who could not reach the option on their
    own menu, so it equals an unmet figure only when, by chance, nobody could.
    """
    pairs: list[tuple[tuple, tuple]] = [
        ((SEGMENTS_TABLE, loc, ANY, ANY, ANY, "people"), (loc, ALL, "preferred")) for loc in [*columns, ALL]
    ]
    for group, measure in UNMET_MEASURE_OF_GROUP.items():
        pairs += [((OUTCOMES_TABLE, group, count), (ALL, ALL, measure)) for count in OUTCOME_COUNTS]
    return pairs


def shared_figures(counts: dict, cell_keys: dict, pairs: list[tuple[tuple, tuple]]) -> list[Sum]:
    """The pairs that count the same people (equal counts, one a subset of the other), as equalities."""
    links = [Sum(outer, (inner,)) for inner, outer in pairs if counts[inner] == counts[outer]]
    for link in links:
        if cell_keys[link.total] != cell_keys[link.parts[0]]:
            # Equal figures must round alike, or 15 in one table and 20 in the other says 16 to 19.
            raise ValueError(f"{link.parts[0]!r} and {link.total!r} count the same people under different keys")
    return links


def segments_floor(tables: Counted, links: list[Sum], others: int) -> dict[tuple, tuple[int, int | None]]:
    """What the method tells a reader of the segments' locality totals: OTHER's at most 11 people per
    locality (a subset of OTHER's people); a shown locality's at least 8 where it counts all its people."""
    linked = {link.parts[0] for link in links}
    known: dict[tuple, tuple[int, int | None]] = {}
    for loc in tables.columns:
        cell = (SEGMENTS_TABLE, loc, ANY, ANY, ANY, "people")
        if loc == OTHER:
            known[cell] = (0, MOST_IN_OTHER * others)
        elif cell in linked:
            known[cell] = (SMALLEST_SHOWN, None)
    return known


class Joint:
    """Everything `protect` is given for a publication: all four tables' counts, relations, keys and bounds."""

    def __init__(self, unmet: Tally, tables: Counted, options: list[str]):
        clash = unmet.counts.keys() & tables.counts.keys()
        if clash:
            raise ValueError(f"cells named alike in the unmet table and another: {sorted(clash, key=repr)[:5]!r}")
        self.values: dict[tuple, int] = {**unmet.counts, **tables.counts}
        self.cell_keys: dict[tuple, int] = {
            **unmet.cell_keys,
            **{cell: cell_key([key]) for cell, key in tables.keys.items()},
        }
        self.links = shared_figures(self.values, self.cell_keys, containing_cells(tables.columns))
        self.sums: list[Sum] = [*publication_sums(unmet.columns, options), *tables.sums, *self.links]
        self.known: dict[tuple, tuple[int, int | None]] = {
            **unmet.known_bounds(),
            **segments_floor(tables, self.links, len(unmet.others)),
        }

    def protect(self) -> dict[tuple, int | None]:
        return protect(self.values, self.sums, cell_keys=self.cell_keys, known=self.known)


def build_all(*, cutoff: datetime) -> dict[str, dict]:
    """The four protected tables of the choices recorded before `cutoff`, as a `Publication` stores them
    (slow: run by careplans.services.publish)."""
    unmet = count_unmet(cutoff=cutoff)
    people = people_at(cutoff=cutoff)
    tables = count_tables(people, columns=unmet.tally.columns, options=unmet.option_codes)
    published = Joint(unmet.tally, tables, unmet.option_codes).protect()
    return {
        TABLE: unmet_publication(unmet, {cell: published[cell] for cell in unmet.tally.counts}).as_json(),
        **tables_json({cell: published[cell] for cell in tables.counts}, people=people, menu_size=len(unmet.options)),
    }
