"""An attacker with integer linear programming (scipy's milp, HiGHS), written apart from the protection.

It knows what the published method tells anyone: every table relation, that counts are whole and
never negative, that a shown 0 is exact and any other shown value v is a count of at least 8 within 4
of v (cell-key rounding to a multiple of 5 either side), and the locality floor (shown localities
have 8 people or more, every other locality 11 or fewer). It knows nothing of the cell keys.

- `hidden_ranges`: on one publication, the least and greatest value of every hidden cell.
- `Differencing`: on two publications a single new record apart, which localities, options and
  outcomes the new record can have. The unknowns are the people themselves, counted per locality,
  option and profile (outcome, reason, reach), in both publications at once. `consistent=True` adds
  what a reader of the method knows of cell keys: a cell whose people did not change keeps its
  figure, so a shown figure that changed holds the new record.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from careplans.models import DifferenceReason
from careplans.unmet import ALL, OTHER

FLOOR = 8
MOST_IN_OTHER = 11  # a locality is shown from 8 to 12 people on, as its people's keys decide


def interval(published: int) -> tuple[float, float]:
    """What a shown value says of its count (re-derived here, not imported from the protection)."""
    return (0, 0) if published == 0 else (max(FLOOR, published - 4), published + 4)


def hidden_ranges(published: dict, sums, known: dict) -> dict:
    """{hidden cell: (least, greatest)} over every whole, non-negative table the publication allows;
    greatest is math.inf when nothing bounds it."""
    return ranges_of(published, sums, known, [key for key, value in published.items() if value is None])


def ranges_of(published: dict, sums, known: dict, cells: list) -> dict:
    """{cell: (least, greatest)} for the given cells, shown or hidden."""
    keys = list(published)
    index = {key: i for i, key in enumerate(keys)}
    rows, columns, data = [], [], []
    for number, relation in enumerate(sums):
        for key in relation.parts:
            rows.append(number)
            columns.append(index[key])
            data.append(1)
        rows.append(number)
        columns.append(index[relation.total])
        data.append(-1)
    matrix = sparse.csr_matrix((data, (rows, columns)), shape=(len(sums), len(keys)), dtype=float)
    low = np.zeros(len(keys))
    high = np.full(len(keys), np.inf)
    for i, key in enumerate(keys):
        if published[key] is not None:
            low[i], high[i] = interval(published[key])
        if key in known:
            low[i] = max(low[i], known[key][0])
            if known[key][1] is not None:
                high[i] = min(high[i], known[key][1])
    ranges = {}
    for key in cells:
        ends = []
        for sign in (1, -1):
            objective = np.zeros(len(keys))
            objective[index[key]] = sign
            result = milp(
                objective,
                constraints=LinearConstraint(matrix, 0, 0),
                bounds=Bounds(low, high),
                integrality=np.ones(len(keys)),
            )
            # Maximising, "infeasible or unbounded" can only be unbounded: the true table is feasible.
            if result.x is None and sign == -1 and "unbounded" in result.message:
                ends.append(math.inf)
                continue
            assert result.x is not None, f"the attacker found no table at all for {key!r}: {result.message}"
            ends.append(round(result.x[index[key]]))
        ranges[key] = (ends[0], ends[1])
    return ranges


# A person's profile: what the published measures say about them, besides locality and option.
PROFILES = [
    (outcome, reach)
    for outcome in ["agreed", *DifferenceReason.values]
    for reach in ["reachable", "not_reachable", "reach_unknown"]
]


def measures_of(profile) -> list[str]:
    outcome, reach = profile
    if outcome == "agreed":
        return ["preferred", "agreed_preferred", reach]
    return ["preferred", "agreed_different", f"reason_{outcome}", reach]


@dataclass
class Published:
    """One publication as the attacker holds it: values, and which localities are shown on their own."""

    values: dict  # (locality or OTHER or ALL, option or ALL, measure) -> int or None
    shown: list[str]


class Differencing:
    """The joint programme of two publications, the second with `batch` unknown new records.

    Variables: the people before, counted per (locality, option, profile) group; the target record (one
    of the new ones) as a 0/1 per group, exactly one of them 1; and the batch's other records, counted per
    group (`batch` - 1 of them). `known`: the groups of the other new records, when the attacker knows
    them (the strongest case: all of the batch but the target)."""

    def __init__(
        self,
        before: Published,
        after: Published,
        localities: list[str],
        options: list[str],
        *,
        batch: int = 1,
        known: list[int] | None = None,
    ):
        self.localities, self.options = localities, options
        self.people = list(itertools.product(range(len(localities)), range(len(options)), range(len(PROFILES))))
        self.n = len(self.people)
        self.before, self.after = before, after
        self.batch, self.known = batch, known
        assert known is None or len(known) == batch - 1
        self.rows: list[tuple[list[int], float, float]] = []  # (columns, low, high)
        self._add_publication(before, with_new=False)
        self._add_publication(after, with_new=True)

    def group_of(self, row: dict) -> int:
        """The (locality, option, profile) group of a latest-choice row."""
        reach = row["preferred_reachable_without_car"]
        profile = (
            "agreed" if row["same"] == 0 else row["difference_reason"],
            "reach_unknown" if reach is None else "reachable" if reach else "not_reachable",
        )
        return self.people.index(
            (
                self.localities.index(row["home_locality__code"]),
                self.options.index(row["preferred_option__code"]),
                PROFILES.index(profile),
            )
        )

    def _columns(self, groups, *, before: bool, new: bool) -> list[int]:
        """Columns of the people before in `groups`, and of the new records (target and the rest) in them."""
        groups = [int(g) for g in groups]
        return (groups if before else []) + (
            [self.n + g for g in groups] + [2 * self.n + g for g in groups] if new else []
        )

    def members(self, publication: Published, cell) -> np.ndarray:
        """The (locality, option, profile) groups a cell counts, as indices."""
        loc, opt, measure = cell
        localities = {
            li
            for li, code in enumerate(self.localities)
            if (loc == ALL)
            or (loc == OTHER and code not in publication.shown)
            or (loc not in (ALL, OTHER) and code == loc)
        }
        return np.array(
            [
                k
                for k, (li, oi, pi) in enumerate(self.people)
                if li in localities and (opt == ALL or self.options[oi] == opt) and measure in measures_of(PROFILES[pi])
            ],
            dtype=int,
        )

    def _add_publication(self, publication: Published, *, with_new: bool) -> None:
        for cell, value in publication.values.items():
            if value is not None:
                self.rows.append(
                    (self._columns(self.members(publication, cell), before=True, new=with_new), *interval(value))
                )
        for li, code in enumerate(self.localities):
            groups = [k for k, person in enumerate(self.people) if person[0] == li]
            low, high = (FLOOR, np.inf) if code in publication.shown else (0, MOST_IN_OTHER)
            self.rows.append((self._columns(groups, before=True, new=with_new), low, high))

    def changed_cells(self) -> list:
        """Cells shown in both, counting the same localities, whose figure changed."""
        same_other = [c for c in self.localities if c not in self.before.shown] == [
            c for c in self.localities if c not in self.after.shown
        ]
        return [
            cell
            for cell, value in self.after.values.items()
            if value is not None
            and self.before.values.get(cell) is not None
            and value != self.before.values[cell]
            and (cell[0] != OTHER or same_other)
        ]

    def _matrix(self, consistent: bool):
        rows = list(self.rows)
        if consistent:
            # Only new records can make a shown figure change (cell keys): each such cell holds one at least.
            rows += [
                (self._columns(self.members(self.after, cell), before=False, new=True), 1, np.inf)
                for cell in self.changed_cells()
            ]
        rows.append((list(range(self.n, 2 * self.n)), 1, 1))  # the target: exactly one group
        rows.append((list(range(2 * self.n, 3 * self.n)), self.batch - 1, self.batch - 1))  # the rest of the batch
        row_index = [number for number, (columns, _, _) in enumerate(rows) for _ in columns]
        column_index = [column for columns, _, _ in rows for column in columns]
        matrix = sparse.csr_matrix((np.ones(len(row_index)), (row_index, column_index)), shape=(len(rows), 3 * self.n))
        return matrix, np.array([r[1] for r in rows], dtype=float), np.array([r[2] for r in rows], dtype=float)

    def feasible(self, allowed: np.ndarray, consistent: bool):
        """A target record within `allowed` groups that fits both publications; None if there is none."""
        matrix, low, high = self._matrix(consistent)
        rest_low, rest_high = np.zeros(self.n), np.full(self.n, np.inf)
        if self.known is not None:
            rest_low = np.bincount(self.known, minlength=self.n).astype(float)
            rest_high = rest_low
        result = milp(
            np.zeros(3 * self.n),
            constraints=LinearConstraint(matrix, low, high),
            bounds=Bounds(
                np.concatenate([np.zeros(self.n), np.zeros(self.n), rest_low]),
                np.concatenate([np.full(self.n, np.inf), allowed.astype(float), rest_high]),
            ),
            integrality=np.ones(3 * self.n),
        )
        if result.x is None:
            assert result.status == 2, result.message
            return None
        return self.people[int(np.argmax(result.x[self.n : 2 * self.n]))]

    def identified(self, consistent: bool = False) -> dict[str, bool]:
        """For locality, option and outcome: whether only one value fits the target (it is singled out).

        One solve finds a target that fits; a second asks for one that differs in that attribute. With a
        batch and nothing known of it, the target is singled out only if every new record shares the value."""
        found = self.feasible(np.ones(self.n), consistent)
        assert found is not None, "the true new records always fit"
        result = {}
        for name, of in ATTRIBUTES:
            other = np.array([of(person) != of(found) for person in self.people], dtype=float)
            result[name] = self.feasible(other, consistent) is None
        return result


ATTRIBUTES = (
    ("locality", lambda person: person[0]),
    ("option", lambda person: person[1]),
    ("outcome", lambda person: PROFILES[person[2]][0]),
)


def synthetic_rows(rng, people: int, localities: list[str], options: list[str], spread: str) -> list[dict]:
    """Latest-choice rows as careplans.unmet.tally takes them, each with a random record key.

    `towns`: most people in the first three localities, a thin tail elsewhere; `even`: every locality
    alike."""
    weights = [12, 8, 5] + [1] * (len(localities) - 3) if spread == "towns" else [1] * len(localities)
    return [new_row(rng, rng.choices(localities, weights=weights)[0], options) for _ in range(people)]


def new_row(rng, locality: str, options: list[str]) -> dict:
    same = rng.random() < 0.6
    reach = rng.random()
    return {
        "home_locality__code": locality,
        "preferred_option__code": rng.choice(options),
        "same": 0 if same else 1,
        "difference_reason": "" if same else rng.choice(DifferenceReason.values),
        "preferred_reachable_without_car": None if reach < 0.1 else reach < 0.6,
        "record_key": rng.randrange(2**32),
    }


def rows_of_people(people: list) -> list[dict]:
    """careplans.publication_tables.Person records as the latest-choice rows careplans.unmet.tally takes: the
    same people for the unmet table as for the other three (a different choice is "not reachable")."""
    return [
        {
            "home_locality__code": person.locality,
            "preferred_option__code": person.preferred,
            "same": 0 if person.got_preferred else 1,
            "difference_reason": "" if person.got_preferred else "not_reachable",
            "preferred_reachable_without_car": person.reachable_without_car,
            "record_key": person.record_key,
        }
        for person in people
    ]
