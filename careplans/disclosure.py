"""Disclosure control for counts that commissioners see: pure functions, no Django.

The rules:
- primary suppression: a count of 1 to 7 people is never shown;
- secondary suppression: more cells are hidden until no hidden cell can be worked out exactly from
  the shown cells and the totals they add up to (the attacker knows every shown value exactly and
  every "these cells add up to that total" relation, so the rule holds even before rounding);
- every shown count is rounded to the nearest 5 (0 stays 0).

A publication is a set of cells (any hashable keys) and sums, each saying "these parts add up to this
total". Tables that share totals (two breakdowns of the same people, an all-options table and the
per-option ones) are protected together by passing all their sums at once.

Why a hidden cell is safe: write the hidden cells as unknowns; each sum whose other cells are shown
is a linear equation in them. A hidden cell can be recovered exactly when its unit vector lies in the
row space of those equations, i.e. when every solution of the homogeneous system leaves it at zero.
So a cell is safe when some null-space vector moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence

import numpy as np

SMALLEST_SHOWN = 8  # counts 1..7 are suppressed
ROUND_TO = 5
_TOLERANCE = 1e-9
_NULL_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Sum:
    """`parts` add up to `total` (all of them cells of the publication)."""

    total: Hashable
    parts: tuple[Hashable, ...]

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


def round_count(value: int) -> int:
    """The nearest multiple of 5 (integers never fall halfway)."""
    return ROUND_TO * ((value + ROUND_TO // 2) // ROUND_TO)


def is_primary(value: int) -> bool:
    return 1 <= value < SMALLEST_SHOWN


def protect(values: Mapping[Hashable, int], sums: Sequence[Sum]) -> dict[Hashable, int | None]:
    """Each cell's published value: None when suppressed, else its count rounded to the nearest 5."""
    check_sums(values, sums)
    hidden = suppressed_cells(values, sums)
    return {key: None if key in hidden else round_count(value) for key, value in values.items()}


def check_sums(values: Mapping[Hashable, int], sums: Sequence[Sum]) -> None:
    """A sum that does not add up is a bug in the caller, and would make the protection meaningless."""
    for relation in sums:
        missing = [key for key in relation.cells if key not in values]
        if missing:
            raise ValueError(f"sum refers to unknown cells {missing!r}")
        if sum(values[key] for key in relation.parts) != values[relation.total]:
            raise ValueError(f"parts of {relation.total!r} do not add up to it")
    negative = [key for key, value in values.items() if value < 0]
    if negative:
        raise ValueError(f"negative counts in {negative!r}")


def suppressed_cells(values: Mapping[Hashable, int], sums: Sequence[Sum]) -> set[Hashable]:
    """Primary suppression, then secondary suppression until nothing hidden is recoverable."""
    algebra = _Algebra(values, sums)
    primary = {key for key, value in values.items() if is_primary(value)}
    hidden = set(primary)

    def cost(key) -> tuple:
        # Hide the smallest count first: it loses least. Zeros count as the smallest: in sparse
        # linked tables, refusing them spreads suppression over far more real counts.
        return (values[key], algebra.order[key])

    while True:
        exposed = algebra.recoverable(hidden)
        if not exposed:
            return _without_needless(hidden, primary, algebra, cost)
        # Candidates: shown cells sharing a sum with an exposed cell; failing that, with any hidden cell.
        candidates = algebra.neighbours(exposed) - hidden or algebra.neighbours(hidden) - hidden
        if not candidates:
            raise RuntimeError(f"cannot protect {exposed!r}")
        # Greedy: the cell that leaves fewest cells exposed, the cheapest among equals.
        left = algebra.exposed_after_adding(hidden, sorted(candidates, key=cost))
        hidden.add(min(left, key=lambda key: (left[key], cost(key))))


def _without_needless(hidden: set, primary: set, algebra: "_Algebra", cost) -> set:
    """Greedy choices can overshoot: show again any secondary cell, dearest first, that is not needed."""
    for key in sorted(hidden - primary, key=cost, reverse=True):
        trial = hidden - {key}
        if not algebra.recoverable(algebra.component(algebra.neighbours({key}) & trial, trial)):
            hidden = trial
    return hidden


def recoverable_cells(hidden: Iterable[Hashable], sums: Sequence[Sum]) -> list[Hashable]:
    """Hidden cells that the shown cells and the sums determine exactly."""
    hidden = set(hidden)
    cells = {key: 0 for relation in sums for key in relation.cells} | {key: 0 for key in hidden}
    return _Algebra(cells, sums).recoverable(hidden)


class _Algebra:
    """The sums as equations over hidden cells.

    The null space comes from the eigenvectors of AᵀA (A: equations × hidden cells): far cheaper than
    an SVD of A when there are many more equations than hidden cells, and exact enough for 0/±1 rows.
    """

    def __init__(self, values: Mapping[Hashable, int], sums: Sequence[Sum]):
        self.order = {key: i for i, key in enumerate(values)}
        self.sums = list(sums)
        self.sums_of: dict[Hashable, list[int]] = {}
        for index, relation in enumerate(self.sums):
            for key in relation.cells:
                self.sums_of.setdefault(key, []).append(index)

    def neighbours(self, cells: Iterable[Hashable]) -> set:
        return {key for cell in cells for index in self.sums_of.get(cell, ()) for key in self.sums[index].cells}

    def component(self, seeds: Iterable[Hashable], hidden: set) -> set:
        """The hidden cells linked to the seeds through sums holding hidden cells."""
        found, frontier = set(seeds) & hidden, list(set(seeds) & hidden)
        while frontier:
            cell = frontier.pop()
            for index in self.sums_of.get(cell, ()):
                for key in self.sums[index].cells:
                    if key in hidden and key not in found:
                        found.add(key)
                        frontier.append(key)
        return found

    def _matrix(self, rows: list[int], cells: list[Hashable]) -> np.ndarray:
        column = {key: i for i, key in enumerate(cells)}
        matrix = np.zeros((len(rows), len(cells)))
        for row, index in enumerate(rows):
            relation = self.sums[index]
            for key in relation.parts:
                if key in column:
                    matrix[row, column[key]] += 1
            if relation.total in column:
                matrix[row, column[relation.total]] -= 1
        return matrix

    def _rows(self, cells: Iterable[Hashable]) -> list[int]:
        return sorted({index for cell in cells for index in self.sums_of.get(cell, ())})

    @staticmethod
    def _spectrum(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(range basis with its eigenvalues, null basis) of AᵀA."""
        eigenvalues, vectors = np.linalg.eigh(matrix.T @ matrix)
        nonzero = eigenvalues > _TOLERANCE * max(1.0, eigenvalues.max(initial=0.0))
        return (vectors[:, nonzero], eigenvalues[nonzero]), vectors[:, ~nonzero]

    def recoverable(self, hidden: Iterable[Hashable]) -> list[Hashable]:
        cells = sorted(hidden, key=self.order.__getitem__)
        rows = self._rows(cells)
        if not cells or not rows:
            return []
        _, null = self._spectrum(self._matrix(rows, cells))
        moves = np.abs(null).max(axis=1) if null.size else np.zeros(len(cells))
        return [key for key, move in zip(cells, moves) if move < _NULL_TOLERANCE]

    def exposed_after_adding(self, hidden: set, candidates: list[Hashable]) -> dict[Hashable, int]:
        """For each candidate, how many cells would be recoverable were it hidden too.

        With A the current equations and a the candidate's column: when a = Ay has a solution, hiding
        the candidate adds the free direction (−y, 1), which frees every recoverable cell i with
        yᵢ ≠ 0 (yᵢ is the same for every solution y when cell i is recoverable). When it has none,
        the candidate itself is recoverable and nothing is freed.
        """
        cells = sorted(hidden, key=self.order.__getitem__)
        rows = self._rows([*cells, *candidates])
        matrix, added = self._matrix(rows, cells), self._matrix(rows, candidates)
        (basis, eigenvalues), null = self._spectrum(matrix)
        moves = np.abs(null).max(axis=1) if null.size else np.zeros(len(cells))
        exposed = moves < _NULL_TOLERANCE
        solution = basis @ ((basis.T @ (matrix.T @ added)) / eigenvalues[:, None])  # least squares, min norm
        residual = np.abs(matrix @ solution - added).max(axis=0)
        left = {}
        for j, key in enumerate(candidates):
            if residual[j] > _NULL_TOLERANCE:
                left[key] = int(exposed.sum()) + 1
            else:
                left[key] = int((exposed & (np.abs(solution[:, j]) < _NULL_TOLERANCE)).sum())
        return left


def table_sums(row_keys: Sequence[Hashable], column_keys: Sequence[Hashable], *, cell, row_total,
               column_total, grand_total) -> list[Sum]:
    """The sums of a two-way table with its margins; the key functions name each cell."""
    sums = [Sum(row_total(r), tuple(cell(r, c) for c in column_keys)) for r in row_keys]
    sums += [Sum(column_total(c), tuple(cell(r, c) for r in row_keys)) for c in column_keys]
    sums.append(Sum(grand_total, tuple(row_total(r) for r in row_keys)))
    sums.append(Sum(grand_total, tuple(column_total(c) for c in column_keys)))
    return sums
