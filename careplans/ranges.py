"""Protection against a reader with integer programming: pure numpy and scipy (HiGHS), no Django.

`disclosure.suppressed_cells` makes sure no hidden cell follows from the sums alone. A reader knows
more than the sums: counts are whole and never negative, a shown value only says its count lies in
its rounding interval (`disclosure.shown_interval`), and the method gives bounds of its own (a
locality published on its own has at least 8 people). Put together as an integer programme, those
can narrow a hidden count of 1 to 7 to, say, [0, 4] or [6, 14]: as good as given away.

The guarantee here is τ-ARGUS's protection interval: every hidden count of 1 to 7 can, for that
reader, be anything from 0 to 8 (or up to the most the method allows it, when that is less: OTHER
made of a single locality holds at most 7). Some whole, non-negative table consistent with everything published
has it at 0, and another at 8 or more. Each is a witness found by HiGHS (`scipy.optimize.milp`), and
one solve usually witnesses many cells at once. Where no witness exists, a second programme finds
the cheapest shown cells whose hiding would make one: the witness may leave a shown cell's interval
at a cost per unit, smallest counts cheapest. Those cells are hidden and the search goes on. Hiding
more only loosens the programme, so a witness once found stays good; and a cell hidden this way is
moved by its witness, so it is not recoverable either.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from .disclosure import SMALLEST_SHOWN, Sum, is_primary, shown_interval

_DEAR_FROM = 16  # hiding any number of counts below this is preferred to one count above it
_SECONDS = 600.0  # per programme; a publication is built in the background, not per request
_BLOCK = 1_000  # the most cells in a block: the cells the shortest sums tie together (a locality's row)
_NEARBY = 3  # other blocks freed, the most room first, when a witness is first looked for near a cell


class IntegerReader:
    """Everything a reader can know of a publication, as an integer programme over its cells."""

    def __init__(
        self,
        values: Mapping[Hashable, int],
        sums: Sequence[Sum],
        known: Mapping[Hashable, tuple[int, int | None]],
    ):
        self.keys = list(values)
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.values = np.array([values[key] for key in self.keys], dtype=float)
        rows, columns, data = [], [], []
        for number, relation in enumerate(sums):
            cells = [self.index[key] for key in relation.parts] + [self.index[relation.total]]
            rows += [number] * len(cells)
            columns += cells
            data += [1.0] * len(relation.parts) + [-1.0]
        # Duplicate entries add up: a cell counted twice in a sum has coefficient 2.
        self.sums = sparse.csr_matrix((data, (rows, columns)), shape=(len(sums), len(self.keys)))
        # No count exceeds the largest one: a cap that keeps every programme bounded and the truth feasible.
        cap = 2 * float(self.values.max(initial=0)) + 2 * SMALLEST_SHOWN
        self.blocks = _blocks(self.sums)
        # Sums by cell, for the sums that cross a block (some of their cells inside it, some not).
        self._crossing = abs(self.sums).astype(bool).astype(float).tocsr()
        self.known_low = np.zeros(len(self.keys))
        self.known_high = np.full(len(self.keys), cap)
        for key, (low, high) in known.items():
            i = self.index[key]
            self.known_low[i] = max(self.known_low[i], low)
            if high is not None:
                self.known_high[i] = min(self.known_high[i], high)

    def bounds(self, rounded: Mapping[Hashable, int], hidden: set[int]) -> tuple[np.ndarray, np.ndarray]:
        """Each cell's range before the sums: its rounding interval if shown, the known bounds always."""
        low, high = self.known_low.copy(), self.known_high.copy()
        for i, key in enumerate(self.keys):
            if i not in hidden:
                interval = shown_interval(rounded[key])
                low[i], high[i] = max(low[i], interval[0]), min(high[i], interval[1])
        return low, high

    def solve(
        self, objective: np.ndarray, low: np.ndarray, high: np.ndarray, *, near: int | None = None
    ) -> np.ndarray | None:
        """A whole table meeting every sum within the bounds, best for `objective`; None when there is none.

        With `near`, the table is first looked for with only the cells around that one free and every
        other cell at its true count (which meets every sum and bound): a small programme, and any
        table it finds is a whole table too. Only when there is none there is the whole table solved.
        """
        if near is not None:
            for rings in (0, 1):
                free = self.around(near, high - low, _NEARBY, rings)
                table = self._solve_within(free, objective, low, high)
                if table is not None or len(free) == len(self.keys):
                    return table
        return self._solve_within(np.arange(len(self.keys)), objective, low, high)

    def _solve_within(
        self, free: np.ndarray, objective: np.ndarray, low: np.ndarray, high: np.ndarray
    ) -> np.ndarray | None:
        sums, total = self._sums_within(free)
        result = milp(
            objective[free],
            constraints=LinearConstraint(sums, total, total),
            bounds=Bounds(low[free], high[free]),
            integrality=np.ones(len(free)),
            options={"time_limit": _SECONDS},
        )
        if result.x is None:
            if result.status == 2:  # infeasible
                return None
            raise RuntimeError(f"the integer reader did not finish: {result.message}")
        table = self.values.copy()
        table[free] = np.round(result.x)
        return table

    def _sums_within(self, free: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
        """The sums that involve `free` cells, over those cells, and what those cells must add up to
        with every other cell at its true count."""
        sums = self.sums[:, free].tocsr()
        sums = sums[np.flatnonzero(np.diff(sums.indptr))]
        return sums, sums @ self.values[free]

    def around(self, cell: int, room: np.ndarray, nearby: int, rings: int = 0) -> np.ndarray:
        """The cells a witness for `cell` is first looked for among: its block, the blocks holding the
        totals its block adds up to, and the `nearby` other blocks with the most room (width of their
        bounds, a hidden cell's most of all) in the sums that cross its block: where a change in it is
        most easily made up for; then `rings` times every block sharing a sum with those."""
        if self.blocks.max() == 0:
            return np.arange(len(self.keys))
        block = self.blocks == self.blocks[cell]
        touching = np.flatnonzero(self._crossing @ block)
        crossing = self.sums[touching]
        # Room in the sums that hold the cell itself counts most: that is where its change goes first.
        own = np.repeat(self._crossing[touching, cell].toarray().ravel() > 0, np.diff(crossing.indptr))
        totals = crossing.indices[crossing.data < 0]
        wanted = {int(self.blocks[cell])} | {int(b) for b in self.blocks[totals[~block[totals]]]}
        outside = (crossing.data > 0) & ~block[crossing.indices]
        parts = crossing.indices[outside]
        if nearby and len(parts):
            weights = np.minimum(room[parts], _DEAR_FROM) * np.where(own[outside], 100.0, 1.0)
            gathered = np.bincount(self.blocks[parts], weights=weights, minlength=self.blocks.max() + 1)
            gathered[list(wanted)] = 0
            wanted |= {int(b) for b in np.argsort(-gathered)[:nearby] if gathered[b] > 0}
        for _ in range(rings):
            inside = np.isin(self.blocks, list(wanted))
            wanted |= {int(b) for b in self.blocks[self.sums[np.flatnonzero(self._crossing @ inside)].indices]}
        return np.flatnonzero(np.isin(self.blocks, list(wanted)))

    def method_ceiling(self, cell: int) -> int:
        """The most a cell can hold by the sums and the known bounds alone, whatever is published."""
        objective = np.zeros(len(self.keys))
        objective[cell] = -1
        table = self.solve(objective, self.known_low, self.known_high)
        if table is None:
            raise RuntimeError("the sums and the known bounds rule out the true table: a bug in the caller")
        return int(table[cell])

    def cheapest_opening(
        self, low: np.ndarray, high: np.ndarray, shown: list[int], *, near: int | None = None
    ) -> tuple[set[int], np.ndarray] | None:
        """The shown cells to hide so that a table within `low`/`high` exists once they are free, cheapest
        first, with that table. Shown cells may leave their interval at a price per unit moved.

        With `near`, first among the cells around that one only (as in `solve`); the cheapest there may
        cost more than the cheapest over the whole table, and buys a small programme.
        """
        if near is not None:
            for nearby, rings in ((0, 0), (_NEARBY, 0), (_NEARBY, 1), (_NEARBY, 2)):
                free = self.around(near, high - low, nearby, rings)
                opening = self._opening_within(free, low, high, shown)
                if opening is not None or len(free) == len(self.keys):
                    return opening
        return self._opening_within(np.arange(len(self.keys)), low, high, shown)

    def _opening_within(
        self, free: np.ndarray, low: np.ndarray, high: np.ndarray, shown: list[int]
    ) -> tuple[set[int], np.ndarray] | None:
        n = len(free)
        position = np.full(len(self.keys), -1)
        position[free] = np.arange(n)
        movable = np.array([cell for cell in shown if position[cell] >= 0], dtype=int)
        m = len(movable)
        sums, total = self._sums_within(free)
        pick = sparse.csr_matrix((np.ones(m), (np.arange(m), position[movable])), shape=(m, n))
        slack = sparse.identity(m, format="csr")
        zeros = sparse.csr_matrix((sums.shape[0], m))
        constraints = [
            LinearConstraint(sparse.hstack([sums, zeros, zeros]), total, total),
            LinearConstraint(sparse.hstack([pick, -slack, sparse.csr_matrix((m, m))]), -np.inf, high[movable]),
            LinearConstraint(sparse.hstack([pick, sparse.csr_matrix((m, m)), slack]), low[movable], np.inf),
        ]
        # Hidden cells keep their bounds (the target among them); shown ones only the known bounds.
        free_low, free_high = low.copy(), high.copy()
        free_low[movable], free_high[movable] = self.known_low[movable], self.known_high[movable]
        price = np.where(self.values[movable] < _DEAR_FROM, 1.0, self.values[movable])
        result = milp(
            np.concatenate([np.zeros(n), price, price]),
            constraints=constraints,
            bounds=Bounds(
                np.concatenate([free_low[free], np.zeros(2 * m)]),
                np.concatenate([free_high[free], np.full(2 * m, np.inf)]),
            ),
            integrality=np.concatenate([np.ones(n), np.zeros(2 * m)]),
            options={"time_limit": _SECONDS},
        )
        if result.x is None:
            if result.status == 2:  # infeasible
                return None
            raise RuntimeError(f"the cheapest opening did not finish: {result.message}")
        moved = result.x[n : n + m] + result.x[n + m :]
        table = self.values.copy()
        table[free] = np.round(result.x[:n])
        return {int(movable[k]) for k in np.flatnonzero(moved > 0.5)}, table


def _blocks(sums: sparse.csr_matrix) -> np.ndarray:
    """Each cell's block: the cells tied together by the shortest sums, taken from the shortest up for as
    long as no block grows past `_BLOCK` cells (in the unmet table, a locality's row of options)."""
    cells = sums.shape[1]
    if cells <= _BLOCK:
        return np.zeros(cells, dtype=int)  # small enough to be looked at whole
    sums = sums.tocsr()
    lengths = np.diff(sums.indptr)
    blocks = np.arange(cells)
    for length in np.unique(lengths):
        rows = sums[lengths <= length]
        incidence = sparse.bmat([[None, rows], [rows.T, None]]).tocsr()
        _, labels = connected_components(incidence, directed=False)
        candidate = labels[rows.shape[0] :]
        if np.bincount(candidate).max() > _BLOCK:
            break
        blocks = candidate
    return blocks


def protect_ranges(
    values: Mapping[Any, int],
    sums: Sequence[Sum],
    *,
    hidden: set[Hashable],
    rounded: Mapping[Any, int],
    known: Mapping[Any, tuple[int, int | None]],
) -> set[Hashable]:
    """The cells to hide as well, so that every hidden count of 1 to 7 could be 0 and could be 8."""
    reader = IntegerReader(values, sums, known)
    hidden_cells = {reader.index[key] for key in hidden}
    primary = [i for i, key in enumerate(reader.keys) if is_primary(values[key])]
    needs_zero, needs_eight = set(primary), set(primary)
    added: set[int] = set()
    low, high = reader.bounds(rounded, hidden_cells)
    ceilings: dict[int, int] = {}
    first = True
    while needs_zero or needs_eight:
        cell = min(needs_zero | needs_eight)
        target_low, target_high = low.copy(), high.copy()
        if cell in needs_eight:
            target_low[cell] = ceilings.get(cell, SMALLEST_SHOWN)
        else:
            target_high[cell] = 0
        # Push every cell still lacking a witness towards the side it lacks: one solve witnesses many.
        objective = np.zeros(len(reader.keys))
        objective[list(needs_eight)] -= 1
        objective[list(needs_zero)] += 1
        # The first programme is the whole table (one solve witnesses most cells); the rest near each cell.
        table = reader.solve(objective, target_low, target_high, near=None if first else cell)
        first = False
        if table is None and cell in needs_eight and cell not in ceilings:
            # A cell the method itself caps below 8 (a pool of one locality holds at most 7) is protected
            # when it could be anything up to that cap.
            ceilings[cell] = min(SMALLEST_SHOWN, reader.method_ceiling(cell))
            if ceilings[cell] < SMALLEST_SHOWN:
                continue
        if table is None:
            shown = sorted(set(range(len(reader.keys))) - hidden_cells)
            opening = reader.cheapest_opening(target_low, target_high, shown, near=cell)
            if opening is None:
                raise RuntimeError(f"cannot protect {reader.keys[cell]!r}: no table has it at its target")
            opened, table = opening
            hidden_cells |= opened
            added |= opened
            low, high = reader.bounds(rounded, hidden_cells)
        needs_eight -= {i for i in needs_eight if table[i] >= ceilings.get(i, SMALLEST_SHOWN)}
        needs_zero -= {i for i in needs_zero if table[i] <= 0}
    return {reader.keys[i] for i in added}


def protect_margins(
    values: Mapping[Any, int],
    sums: Sequence[Sum],
    *,
    hidden: set[Hashable],
    rounded: Mapping[Any, int],
    known: Mapping[Any, tuple[int, int | None]],
) -> set[Hashable]:
    """The shown cells to hide as well, so that no shown value can be narrowed inside its rounding interval.

    Cell-key rounding rounds a total and its parts apart, so the parts' intervals can cut the total's
    (parts shown 10 and 10, total shown 15: the total is 16 to 19, not 11 to 19). Controlled rounding
    would pick rounded values that add up; this is the check instead: every shown value other than 0 must
    reach both ends of its interval (within the method's known bounds) in some whole, non-negative table
    consistent with everything published. Where one cannot, the cheapest other shown cells whose hiding
    lets it are hidden (as in `protect_ranges`: counts below 16 cheap), or the cell itself when nothing
    else would do: its figure would say more than the method claims. Hiding only loosens the programme,
    so witnesses found earlier stay good.
    """
    reader = IntegerReader(values, sums, known)
    hidden_cells = {reader.index[key] for key in hidden}
    added: set[int] = set()
    low, high = reader.bounds(rounded, hidden_cells)
    shown = [i for i, key in enumerate(reader.keys) if i not in hidden_cells and rounded[key] != 0]
    for direction in (-1, 1):  # the low ends, then the high ends
        pending = {i for i in shown if i not in added}
        while pending:
            cell = min(pending)
            end = low if direction < 0 else high
            target_low, target_high = low.copy(), high.copy()
            target_low[cell] = target_high[cell] = end[cell]
            # Push every cell still lacking a witness towards the same end: one solve witnesses many.
            objective = np.zeros(len(reader.keys))
            objective[list(pending)] = -direction
            table = reader.solve(objective, target_low, target_high, near=cell)
            if table is None:
                # Free the cheapest other shown cells that let it reach its end (small parts rather than a
                # large total); failing that, hide the cell itself.
                others = sorted(set(range(len(reader.keys))) - hidden_cells - {cell})
                opening = reader.cheapest_opening(target_low, target_high, others, near=cell)
                opened, table = opening if opening is not None else ({cell}, None)
                hidden_cells |= opened
                added |= opened
                pending -= opened
                low, high = reader.bounds(rounded, hidden_cells)
                if table is None:
                    continue
            pending -= {i for i in pending if table[i] == end[i]}
    return {reader.keys[i] for i in added}
