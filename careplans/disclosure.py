"""Disclosure control for counts that commissioners see: pure functions, no Django.

The rules:
- primary suppression: a count of 1 to 7 people is never shown;
- secondary suppression: more cells are hidden until no hidden cell can be worked out exactly from
  the shown cells and the totals they add up to (the attacker knows every shown value exactly and
  every "these cells add up to that total" relation, so the rule holds even before rounding);
- every shown count is rounded to a multiple of 5 by its cell key (`cell_key_round`; 0 stays 0);
- then `ranges.protect_ranges` checks the pattern against a reader with integer programming (counts are
  whole and never negative, shown values are rounding intervals) and hides more where a count of 1 to
  7 could not be anything from 0 to 8. Zeros a zero total pins are never hidden as secondary cells.

A publication is a set of cells (any hashable keys) and sums, each saying "these parts add up to this
total". Tables that share totals (two breakdowns of the same people, an all-options table and the
per-option ones) are protected together by passing all their sums at once.

Why a hidden cell is safe: write the hidden cells as unknowns; each sum is a linear equation in them
once the shown cells are moved to the right-hand side. A hidden cell can be recovered exactly when
every solution of the homogeneous system leaves it at zero, so it is safe when some solution (a
"witness": a way to change the hidden cells that keeps every sum true) moves it. What makes this fast
enough to run per request:

- Sparse elimination. The sums are short (a cell's breakdown, a locality's row) or few (the
  all-localities columns), so eliminating them shortest first fills in little; solutions are then
  read off by back-substitution, a handful of sparse matrix products, for many random directions at
  once. The working arithmetic is modulo a prime: exact, no rounding tolerance.
- Monotonicity. Hiding more never makes a safe cell recoverable. Shown cells next to the recoverable
  ones ride along the elimination as candidates; the sets of candidates that, hidden together, free
  recoverable cells (and are safe themselves) all come out of one more small elimination, cheapest
  first, so a round hides many at once and later rounds update the elimination instead of redoing it.
  A count of 16 or more is hidden only where no set of smaller counts would do, so large counts
  and totals stay shown wherever smaller ones can protect.
- Series pairs. A secondary cell can be shown again exactly when no other hidden cell moves in
  proportion to it in every solution; random solutions test that for all cells at once.
- A certificate. The final pattern is checked apart from the search: integer witnesses are read off
  the elimination and every sum is verified on them in exact integer arithmetic; a hidden cell moved
  by a verified witness cannot be recovered, whatever the search did. Should verification fail, an
  elimination over fractions decides, and more cells are hidden until the pattern passes.

The search is randomised with a fixed seed, so the same data always gets the same pattern: two
different safe patterns of the same figures, put side by side, could reveal what each one hides.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import sparse

SMALLEST_SHOWN = 8  # counts 1..7 are suppressed
ROUND_TO = 5
_PRIME = 33_554_393  # largest prime below 2**25: a product of two residues times 4,096 terms fits in int64
_LONGEST_TERMS = 4_096  # the most terms a back-substitution product sums before reducing
_SEED = 5
_SHORT = 32  # sums up to this long count as near (a locality's row of options, a cell's breakdowns)
_CHEAP_BELOW = 16  # hiding any number of counts below this beats hiding one count above it
_DIRECTIONS = 4  # random solutions used to tell recoverable cells from safe ones
_POOL = 32  # random solutions kept while showing cells again; each cell shown uses one up
_WITNESSES = 16  # integer witnesses for the certificate
_WITNESS_LIMIT = 2**50  # beyond this an integer witness might overflow: decide exactly instead
KEY_SPACE = 2**32  # record and cell keys are integers below this


@dataclass(frozen=True)
class Sum:
    """`parts` add up to `total` (all of them cells of the publication)."""

    total: Hashable
    parts: tuple[Hashable, ...]

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return (self.total, *self.parts)


def cell_key_round(value: int, cell_key: int) -> int:
    """One of the two multiples of 5 around `value`: the upper one with chance (value mod 5) / 5, as the
    cell key decides (unbiased; multiples of 5, and 0, stay as they are).

    The cell key comes from the people counted in the cell (see `cell_key`), so the same people always
    get the same figure, in every publication: publishing again never lets a reader average the noise
    away. One person more gives a fresh key, so whether the figure moves is a coin toss, not a step at
    a multiple of 5 that the reader can place.
    """
    below = value - value % ROUND_TO
    return below + ROUND_TO if ROUND_TO * (cell_key % KEY_SPACE) < (value % ROUND_TO) * KEY_SPACE else below


def cell_key(record_keys: Iterable[int]) -> int:
    """ONS's cell key: the sum of the record keys of the people in the cell, modulo the key space."""
    return sum(record_keys) % KEY_SPACE


def default_cell_key(cell: Hashable) -> int:
    """For tables given without record keys: a fixed key per cell name (the same figures, the same output)."""
    return int.from_bytes(hashlib.blake2b(repr(cell).encode(), digest_size=4).digest())


def shown_interval(published: int) -> tuple[int, int]:
    """What a reader knows of a count from its published value: 0 is exact; any other shown value is
    within 4 of the count (the rounding) and the count is at least 8 (smaller ones are suppressed)."""
    if published == 0:
        return 0, 0
    return max(SMALLEST_SHOWN, published - ROUND_TO + 1), published + ROUND_TO - 1


def is_primary(value: int) -> bool:
    return 1 <= value < SMALLEST_SHOWN


def protect[K: Hashable](
    values: Mapping[K, int],
    sums: Sequence[Sum],
    *,
    cell_keys: Mapping[K, int] | None = None,
    known: Mapping[K, tuple[int, int | None]] | None = None,
) -> dict[K, int | None]:
    """Each cell's published value: None when suppressed, else its count rounded by its cell key.

    `cell_keys` (see `cell_key`) default to a fixed key per cell; `known` are bounds (low, high or None)
    a reader knows from the method, such as "a locality published on its own has at least 8 people".
    The linear protection below, then `ranges.protect_ranges`: every count of 1 to 7 can be anything
    from 0 to 8 for an integer-programming reader who knows all of that and every rounding interval;
    then `ranges.protect_margins`: no shown value can be narrowed inside its rounding interval.
    """
    from .ranges import protect_margins, protect_ranges  # noqa: PLC0415 (ranges builds on this module)

    check_sums(values, sums)
    hidden = suppressed_cells(values, sums)
    keys = cell_keys or {}
    rounded = {key: cell_key_round(value, keys.get(key, default_cell_key(key))) for key, value in values.items()}
    added = protect_ranges(values, sums, hidden=hidden, rounded=rounded, known=known or {})
    added |= protect_margins(values, sums, hidden=hidden | added, rounded=rounded, known=known or {})
    if added:
        # A cell hidden for an integer reader moves within the rounding of the shown cells; with the
        # shown counts known exactly it might not, so the linear certificate runs again.
        hidden = certified(values, sums, hidden | added)
    return {key: None if key in hidden else rounded[key] for key in values}


def check_sums(values: Mapping[Any, int], sums: Sequence[Sum]) -> None:
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


def suppressed_cells(values: Mapping[Any, int], sums: Sequence[Sum]) -> set[Hashable]:
    """Primary suppression, then secondary suppression until nothing hidden is recoverable."""
    system = _System(values, sums)
    primary = {cell for cell, value in enumerate(system.values) if is_primary(value)}
    hidden, analysis = _add_until_safe(system, set(primary))
    shown_again = _needless(system, hidden, primary, analysis)
    hidden = _add_until_certified(system, hidden - shown_again, None if shown_again else analysis)
    return {system.keys[cell] for cell in hidden}


def certified(values: Mapping[Any, int], sums: Sequence[Sum], hidden: set[Hashable]) -> set[Hashable]:
    """`hidden`, and more cells, until no hidden cell follows from the sums alone: the same search as
    secondary suppression (sets of cheap cells that free many at once), then the certificate."""
    system = _System(values, sums)
    cells, analysis = _add_until_safe(system, {system.index[key] for key in hidden})
    cells = _add_until_certified(system, cells, analysis)
    return {system.keys[cell] for cell in cells}


def recoverable_cells(hidden: Iterable[Hashable], sums: Sequence[Sum]) -> list[Hashable]:
    """Hidden cells that the shown cells and the sums determine exactly."""
    hidden = list(hidden)
    cells = {key: 0 for relation in sums for key in relation.cells} | {key: 0 for key in hidden}
    system = _System(cells, sums)
    recoverable = system.uncertified({system.index[key] for key in hidden})
    return [system.keys[cell] for cell in sorted(recoverable)]


def _add_until_safe(system: _System, hidden: set[int]) -> tuple[set[int], _Analysis]:
    """Greedy secondary suppression, from an elimination that later rounds update rather than redo.

    Candidates (shown cells sharing a sum with a recoverable cell, and one step further out for a
    recoverable cell that only sets holding counts of 16 or more would free) ride along the elimination.
    Each round scores every set of candidates that would free recoverable cells (see `circuits`) and
    hides the sets of the lowest tier of value, least value per recoverable cell freed, until all
    are freed or none frees more. When none frees anything, the cheapest candidate next to a
    recoverable cell is hidden and the next round goes on from there.
    """
    exposed = system.peeled(hidden)  # most recoverable cells, found without algebra
    analysis = system.analyse(hidden, system.neighbours(exposed) - hidden)
    widened: set[int] = set()
    while exposed := analysis.exposed():
        riding = analysis.candidates()
        circuits = analysis.circuits(exposed, system.tier)
        missing = system.neighbours(exposed) - hidden - riding
        # Cells only sets holding a count of 16 or more would free: look one step further for smaller.
        dear = exposed - {cell for tier, _, freed in circuits if tier == 0 for cell in freed} - widened
        if missing or dear:
            widened |= dear
            analysis = system.analyse(hidden, riding | missing | system.around(dear, hidden))
            continue
        remaining, picked = set(exposed), set[int]()

        def price(circuit, picked: set, remaining: set) -> tuple:
            # Lowest tier first, then fewest cells hidden per cell freed, then least value per cell freed.
            tier, support, freed = circuit
            added, count = support - picked, len(freed & remaining)
            return tier, len(added) / count, sum(system.values[cell] for cell in added) / count

        # Lazy greedy: a set's price only worsens as others are picked, bar sharing cells with them.
        queue = [(price(circuit, picked, remaining), number) for number, circuit in enumerate(circuits)]
        heapq.heapify(queue)
        while remaining and queue:
            _, number = heapq.heappop(queue)
            if not circuits[number][2] & remaining:
                continue
            fresh = price(circuits[number], picked, remaining)
            if queue and fresh > queue[0][0]:
                heapq.heappush(queue, (fresh, number))
                continue
            picked |= circuits[number][1]
            remaining -= circuits[number][2]
        if not picked:
            # Nothing frees a recoverable cell: hide the cheapest neighbour and go on from there.
            nearby = system.neighbours(exposed) - hidden or system.neighbours(hidden) - hidden
            if not nearby:
                raise RuntimeError(f"cannot protect {[system.keys[cell] for cell in exposed]!r}")
            picked = {min(nearby, key=system.cost)}
        hidden |= picked
        if picked <= analysis.candidates():
            analysis.hide(picked)
        else:  # a cell further out than the candidates: start again from the pattern
            analysis = system.analyse(hidden)
    return hidden, analysis


def _needless(system: _System, hidden: set[int], primary: set[int], analysis: _Analysis) -> set[int]:
    """Greedy choices can overshoot: the secondary cells, dearest first, that can be shown again.

    Showing a cell again is safe unless another hidden cell is in series with it (moves in proportion
    to it in every solution: shown, it would give that one away). When all the cells in series with
    it are secondary too, they may be shown together instead. Random solutions of the current pattern
    answer both for every cell at once; showing a cell keeps the solutions that leave it still, which
    uses up one random solution, so the pool is refilled from a fresh elimination.
    """
    secondary = hidden - primary
    pool, shown = _Pool(analysis, width=_POOL), set[int]()
    for cell in sorted(secondary, key=system.cost, reverse=True):
        if cell in shown:
            continue
        group = pool.series(cell)
        if pool.width < len(group) + 3:
            pool = _Pool(system.analyse(hidden - shown), width=_POOL)
            group = pool.series(cell)
        if group <= secondary and pool.can_show(group):
            pool.show(group)
            shown |= group
    return shown


def _add_until_certified(system: _System, hidden: set[int], analysis: _Analysis | None) -> set[int]:
    """The independent check: hide more, cheapest neighbour first, while any hidden cell lacks a witness.

    The search above uses arithmetic modulo a prime and random solutions; this loop only ever runs if
    that search was misled, which has never been seen, and is slow but exact.
    """
    while uncertified := system.uncertified(hidden, analysis):
        candidates = system.neighbours(uncertified) - hidden or system.neighbours(hidden) - hidden
        if not candidates:
            raise RuntimeError(f"cannot protect {[system.keys[cell] for cell in uncertified]!r}")
        hidden, analysis = hidden | {min(candidates, key=system.cost)}, None
    return hidden


class _System:
    """The publication as integer-indexed cells and sums (each sum as {cell: coefficient})."""

    def __init__(self, values: Mapping[Any, int], sums: Sequence[Sum]):
        self.keys = list(values)
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.values = [values[key] for key in self.keys]
        self.rows: list[dict[int, int]] = []
        for relation in sums:
            row: dict[int, int] = {}
            for key in relation.parts:
                row[self.index[key]] = row.get(self.index[key], 0) + 1
            row[self.index[relation.total]] = row.get(self.index[relation.total], 0) - 1
            if row := {cell: coefficient for cell, coefficient in row.items() if coefficient}:
                self.rows.append(row)
        self.rows_of: list[list[int]] = [[] for _ in self.keys]
        for number, row in enumerate(self.rows):
            for cell in row:
                self.rows_of[cell].append(number)
        # Zeros in a sum whose total is 0 are never hidden as secondary cells: counts cannot be negative,
        # so a zero total pins every part (and zero parts pin the total), whatever the linear algebra says.
        self.pinned = {
            cell
            for relation in sums
            if values[relation.total] == 0
            for cell in (self.index[key] for key in relation.cells)
        }
        # The same sums as a sparse matrix, by cell: equations for any set of cells are a column slice.
        lengths = [len(row) for row in self.rows]
        self.by_cell = sparse.csr_matrix(
            (
                np.fromiter((c for row in self.rows for c in row.values()), dtype=np.int64, count=sum(lengths)),
                (
                    np.repeat(np.arange(len(self.rows)), lengths),
                    np.fromiter((cell for row in self.rows for cell in row), dtype=np.int64, count=sum(lengths)),
                ),
            ),
            shape=(len(self.rows), len(self.keys)),
        ).tocsc()

    def tier(self, cell: int) -> int:
        """Counts up to 15 are all cheap to hide; above that, the largest count hidden is kept smallest."""
        return 0 if self.values[cell] < _CHEAP_BELOW else self.values[cell]

    def cost(self, cell: int) -> tuple[int, int]:
        # Hide the smallest count first: it loses least. Zeros count as the smallest: in sparse
        # linked tables, refusing them spreads suppression over far more real counts.
        return self.values[cell], cell

    def neighbours(self, cells: Iterable[int]) -> set[int]:
        """Cells sharing a sum with `cells` that could be hidden to protect them (pinned zeros could not)."""
        return {other for cell in cells for number in self.rows_of[cell] for other in self.rows[number]} - self.pinned

    def around(self, cells: set[int], hidden: set[int]) -> set[int]:
        """Shown cells within two sums of `cells`, the second a short one: where sets freeing them are
        looked for (a long sum, such as a total over every locality, would bring in half the table)."""
        near = self.neighbours(cells) - hidden
        return (
            near
            | {
                other
                for cell in near
                for number in self.rows_of[cell]
                if len(self.rows[number]) <= _SHORT
                for other in self.rows[number]
            }
            - hidden
            - self.pinned
        )

    def peeled(self, hidden: set[int]) -> set[int]:
        """Hidden cells given away by a chain of sums each with one hidden cell left (no algebra needed)."""
        unknown = [sum(cell in hidden for cell in row) for row in self.rows]
        found: set[int] = set()
        queue = [number for number, count in enumerate(unknown) if count == 1]
        while queue:
            number = queue.pop()
            if unknown[number] != 1:
                continue
            cell = next(cell for cell in self.rows[number] if cell in hidden and cell not in found)
            found.add(cell)
            for other in self.rows_of[cell]:
                unknown[other] -= 1
                if unknown[other] == 1:
                    queue.append(other)
        return found

    def analyse(self, hidden: set[int], candidates: Iterable[int] = (), modulus: int | None = _PRIME) -> _Analysis:
        """The sums restricted to the hidden cells and candidates, eliminated."""
        variables = sorted(hidden) + sorted(set(candidates) - hidden, key=self.cost)
        return _Analysis(
            variables, [i < len(hidden) for i in range(len(variables))], self.equations(variables), modulus
        )

    def equations(self, cells: list[int]) -> list[dict[int, int]]:
        """The sums restricted to `cells`, over their positions in that list (sums without any left out)."""
        matrix = self.by_cell[:, cells].tocsr()
        pointers, columns, data = matrix.indptr, matrix.indices.tolist(), matrix.data.tolist()
        return [
            dict(zip(columns[start:end], data[start:end], strict=True))
            for start, end in zip(pointers[:-1].tolist(), pointers[1:].tolist(), strict=True)
            if end > start
        ]

    def uncertified(self, hidden: set[int], analysis: _Analysis | None = None) -> set[int]:
        """Hidden cells that no verified integer witness moves: exactly the recoverable ones."""
        if not hidden:
            return set()
        analysis = analysis or self.analyse(hidden)
        rows = analysis.hidden_rows()
        witnesses = analysis.integer_witnesses(_WITNESSES)
        if witnesses is not None:
            witnesses = witnesses[rows]
            cells = [analysis.variables[i] for i in rows]
            if self._verified(cells, witnesses) and witnesses.any(axis=1).all():
                return set()
        # A witness failed to verify or missed a cell: decide exactly, over the rationals.
        return self.analyse(hidden, modulus=None).exposed()

    def _verified(self, cells: list[int], witnesses: np.ndarray) -> bool:
        """Every sum holds on every witness (shown cells stay still), in exact integer arithmetic."""
        return not np.any(self.by_cell[:, cells] @ witnesses)


class _Analysis:
    """The sums over the hidden cells, eliminated shortest first, candidates riding along unpivoted.

    Afterwards every pivot is a combination of free variables and candidates (`pivots`, in
    elimination order: back-substitution runs it backwards, level by level), and `leftovers` are the
    sums left holding only candidates: a candidate they touch cannot be hidden alone without being
    recoverable. Hiding candidates later only needs their leftovers eliminated (`hide`).
    With `modulus` None the arithmetic is over the rationals (slow, exact: the certificate's fallback).
    """

    def __init__(
        self,
        variables: list,
        hidden: list[bool],
        equations: list[dict],
        modulus: int | None,
        preference: Sequence[int] | None = None,
    ):
        self.modulus = modulus
        self.variables = variables
        self.position = {cell: i for i, cell in enumerate(variables)}
        self.hidden = hidden
        self.preference = preference
        self.pivots, self.leftovers = self._eliminate(equations)
        self._matrices: dict[bool, list] = {}

    def hide(self, cells: Iterable) -> None:
        """Candidates become hidden: free variables, or pivots of the leftover sums they are in."""
        newly = {self.position[cell] for cell in cells}
        for variable in newly:
            self.hidden[variable] = True
        # Only the leftover sums holding a newly hidden cell change.
        touched = [equation for equation in self.leftovers if not newly.isdisjoint(equation)]
        pivots, leftovers = self._eliminate(touched)
        self.leftovers = [equation for equation in self.leftovers if newly.isdisjoint(equation)] + leftovers
        self.pivots += pivots  # they only use candidates, so back-substitution sets them first
        self._matrices = {}

    def candidates(self) -> set:
        return {cell for cell, hidden in zip(self.variables, self.hidden, strict=True) if not hidden}

    def hidden_rows(self) -> list[int]:
        return [i for i, hidden in enumerate(self.hidden) if hidden]

    def _reduce(self, value):
        return value % self.modulus if self.modulus else value

    def _inverse(self, value):
        return pow(value, -1, self.modulus) if self.modulus else 1 / Fraction(value)

    def _eliminate(self, equations: list[dict]) -> tuple[list[tuple[int, dict]], list[dict]]:
        modulus, hidden, preference = self.modulus, self.hidden, self.preference
        units = (1, -1) if modulus is None else (1, modulus - 1)
        occurs: dict[int, set[int]] = {}
        live: dict[int, dict] = {}
        for number, given in enumerate(equations):
            if modulus:
                equation = {v: c % modulus for v, c in given.items() if c % modulus}
            else:
                equation = {v: c for v, c in given.items() if c}
            if equation:
                live[number] = equation
                for variable in equation:
                    occurs.setdefault(variable, set()).add(number)
        if preference is not None:
            return self._eliminate_in_order(live, occurs, preference), []
        heap = [(len(equation), number) for number, equation in live.items()]
        heapq.heapify(heap)
        pivots: list[tuple[int, dict]] = []
        leftovers: list[dict] = []
        while heap:
            length, number = heapq.heappop(heap)
            current = live.get(number)
            if current is None or len(current) != length:
                continue  # an out-of-date heap entry
            del live[number]
            for variable in current:
                occurs[variable].discard(number)
            choices = [v for v in current if hidden[v]]
            if not choices:
                leftovers.append(current)
                continue
            # A unit pivot keeps the back-substitution integral; few occurrences keep the fill low.
            pivot = min(choices, key=lambda v: (current[v] not in units, len(occurs[v]), v))
            pivots.append(self._pivot(pivot, current, live, occurs, heap))
        return pivots, leftovers

    def _eliminate_in_order(
        self, live: dict[int, dict], occurs: dict[int, set[int]], preference: Sequence[int]
    ) -> list[tuple[int, dict]]:
        """Pivot on the variables in order of preference, each in the shortest equation holding it: the
        pivots are then the cheapest basis, and every fundamental solution moves only variables
        preferred to its free one. Variables an equation pins alone are zero in every solution: they
        are set aside first, which keeps them out of the substitutions."""
        pivots: list[tuple[int, dict]] = []
        pinned = [number for number, equation in live.items() if len(equation) == 1]
        while pinned:
            equation = live.pop(pinned.pop(), None)
            if equation is None:
                continue
            (variable,) = equation
            pivots.append((variable, {}))
            for number in occurs.pop(variable):
                if number in live:
                    del live[number][variable]
                    if len(live[number]) == 1:
                        pinned.append(number)
                    elif not live[number]:
                        del live[number]
        for pivot in sorted(occurs, key=preference.__getitem__):
            if occurs.get(pivot):
                number = min(occurs[pivot], key=lambda n: (len(live[n]), n))
                equation = live.pop(number)
                for variable in equation:
                    occurs[variable].discard(number)
                pivots.append(self._pivot(pivot, equation, live, occurs, None))
        return pivots

    def _pivot(
        self, pivot: int, equation: dict, live: dict[int, dict], occurs: dict[int, set[int]], heap: list | None
    ) -> tuple[int, dict]:
        """Solve `equation` (already out of `live`) for `pivot` and substitute it into the live equations."""
        modulus = self.modulus
        factor = -self._inverse(equation.pop(pivot))
        expression = {v: self._reduce(c * factor) for v, c in equation.items()}
        terms = list(expression.items())
        for other in occurs.pop(pivot):
            target = live[other]
            weight = target.pop(pivot)
            for variable, coefficient in terms:
                if variable in target:
                    value = target[variable] + weight * coefficient
                    if modulus:
                        value %= modulus
                    if value:
                        target[variable] = value
                    else:
                        del target[variable]
                        occurs[variable].discard(other)
                else:
                    target[variable] = weight * coefficient % modulus if modulus else weight * coefficient
                    occurs[variable].add(other)
            if not target:
                del live[other]
            elif heap is not None:
                heapq.heappush(heap, (len(target), other))
        return pivot, expression

    def _level_matrices(self, lift: bool) -> list[tuple[list[int], sparse.csr_matrix]]:
        """Pivots grouped so each group needs only earlier groups, free variables and candidates,
        with each group's expressions as a sparse matrix."""
        if lift not in self._matrices:
            level = [0] * len(self.variables)
            groups: list[list[int]] = []
            for index in range(len(self.pivots) - 1, -1, -1):
                pivot, expression = self.pivots[index]
                level[pivot] = 1 + max((level[v] for v in expression), default=0)
                while len(groups) < level[pivot]:
                    groups.append([])
                groups[level[pivot] - 1].append(index)
            matrices = []
            for group in groups:
                rows: list[int] = []
                columns: list[int] = []
                data: list[int] = []
                for row, index in enumerate(group):
                    expression = self.pivots[index][1]
                    rows += [row] * len(expression)
                    columns += expression.keys()
                    data += map(self._lift, expression.values()) if lift else expression.values()
                matrix = sparse.csr_matrix(
                    (np.array(data, dtype=np.int64), (rows, columns)), shape=(len(group), len(self.variables))
                )
                matrices.append(([self.pivots[index][0] for index in group], matrix))
            self._matrices[lift] = matrices
        return self._matrices[lift]

    def _substitute(self, seeds: np.ndarray, lift: bool = False) -> np.ndarray:
        """Back-substitution: every variable's value, given the free variables' and candidates' (`seeds`)."""
        values = seeds.copy()
        for targets, matrix in self._level_matrices(lift):
            if lift:
                bound = abs(matrix).astype(float) @ np.abs(values).astype(float)
                if bound.max(initial=0) >= _WITNESS_LIMIT:
                    raise OverflowError
                values[targets] = matrix @ values
            elif np.diff(matrix.indptr).max(initial=0) <= _LONGEST_TERMS:
                values[targets] = (matrix @ values) % self.modulus
            else:
                total = np.zeros((len(targets), values.shape[1]), dtype=np.int64)
                for start in range(0, matrix.shape[1], _LONGEST_TERMS):
                    end = start + _LONGEST_TERMS
                    total = (total + matrix[:, start:end] @ values[start:end]) % self.modulus
                values[targets] = total
        return values

    def _lift(self, coefficient: int) -> int:
        if self.modulus is None:
            raise ValueError("only residues modulo a prime are lifted")
        return coefficient - self.modulus if coefficient > self.modulus // 2 else coefficient

    def _free(self) -> list[int]:
        pivoted = {pivot for pivot, _ in self.pivots}
        return [v for v, hidden in enumerate(self.hidden) if hidden and v not in pivoted]

    def random_solutions(self, count: int) -> np.ndarray:
        """`count` random solutions (candidates held still), one per column, a row per variable."""
        rng = np.random.default_rng(_SEED)
        seeds = np.zeros((len(self.variables), count), dtype=np.int64)
        free = self._free()
        seeds[free] = rng.integers(1, self.modulus, size=(len(free), count))
        return self._substitute(seeds)

    def exposed(self) -> set:
        """Hidden cells that no solution moves: the recoverable ones."""
        if self.modulus is None:
            return self._exposed_exactly()
        moved = np.asarray(self.random_solutions(_DIRECTIONS).any(axis=1))
        return {self.variables[i] for i in self.hidden_rows() if not moved[i]}

    def circuits(self, exposed: set, tier) -> list[tuple[int, set, set]]:
        """Sets of candidates that, hidden together, free recoverable cells: (tier, candidates, freed cells).

        Hiding candidates S adds the solutions where only S and the hidden cells move: the solutions
        of the leftover sums supported on S. Their fundamental solutions over the cheapest basis are
        small, cheap sets, none dearer than its one free candidate; each frees the recoverable cells it
        moves (monotonicity keeps them freed whatever else is hidden later). If any set within a
        tier of value frees a cell, one of these does: so a large count or a total is hidden only
        when no set of smaller counts would do.
        """
        candidates = [i for i, hidden in enumerate(self.hidden) if not hidden]  # cheapest first
        rows = [i for i in self.hidden_rows() if self.variables[i] in exposed]
        # How each recoverable cell moves with each candidate, all else still.
        moves = self.pull_back(
            sparse.csr_matrix(
                (np.ones(len(rows), dtype=np.int64), (range(len(rows)), rows)), shape=(len(rows), len(self.variables))
            )
        )
        position = {i: k for k, i in enumerate(candidates)}
        leftovers = [{position[v]: c for v, c in equation.items()} for equation in self.leftovers]
        kernel = _Analysis(
            candidates, [True] * len(candidates), leftovers, self.modulus, preference=range(len(candidates))
        )
        # Recoverable cells × fundamental solutions (one per free candidate).
        freeing = kernel.pull_back(moves[:, candidates]).tocsc()
        useful = [f for f in kernel._free() if freeing.indptr[f + 1] > freeing.indptr[f]]
        # Each fundamental solution moves its free candidate and the (cheaper) pivots depending on it.
        pivots = [pivot for pivot, _ in kernel.pivots]
        depends = kernel.pull_back(
            sparse.csr_matrix(
                (np.ones(len(pivots), dtype=np.int64), (range(len(pivots)), pivots)),
                shape=(len(pivots), len(candidates)),
            )
        ).tocsc()
        result = []
        for free in useful:
            freed = freeing.indices[freeing.indptr[free] : freeing.indptr[free + 1]]
            support = [candidates[free]] + [
                candidates[pivots[i]] for i in depends.indices[depends.indptr[free] : depends.indptr[free + 1]]
            ]
            result.append(
                (
                    tier(self.variables[candidates[free]]),
                    {self.variables[i] for i in support},
                    {self.variables[rows[i]] for i in freed},
                )
            )
        return result

    def pull_back(self, weights: sparse.csr_matrix) -> sparse.csr_matrix:
        """Combinations of the variables (rows of `weights`) rewritten over free variables and candidates."""
        weights = weights.tocsr()
        for targets, matrix in reversed(self._level_matrices(False)):
            part = weights[:, targets]
            if not part.nnz:
                continue
            keep = np.ones(len(self.variables), dtype=np.int64)
            keep[targets] = 0
            weights = weights @ sparse.diags(keep, dtype=np.int64)
            for start in range(0, len(targets), _LONGEST_TERMS):
                weights = weights + part[:, start : start + _LONGEST_TERMS] @ matrix[start : start + _LONGEST_TERMS]
                weights.data %= self.modulus
            weights.eliminate_zeros()
        return weights.tocsr()

    def integer_witnesses(self, count: int) -> np.ndarray | None:
        """Integer solutions with small random free values, read off the modular elimination (to verify)."""
        rng = np.random.default_rng(_SEED + 1)
        seeds = np.zeros((len(self.variables), count), dtype=np.int64)
        free = self._free()
        seeds[free] = rng.choice(np.array([-2, -1, 1, 2]), size=(len(free), count))
        try:
            return self._substitute(seeds, lift=True)
        except OverflowError:
            return None

    def _exposed_exactly(self) -> set:
        """Over the rationals: a cell is recoverable when its expression in the free variables is zero."""
        expressions: dict[int, dict[int, Fraction]] = {v: {v: Fraction(1)} for v in self._free()}
        for pivot, expression in reversed(self.pivots):
            combined: dict[int, Fraction] = {}
            for variable, coefficient in expression.items():
                for free, weight in expressions.get(variable, {}).items():
                    combined[free] = combined.get(free, 0) + coefficient * weight
            expressions[pivot] = {free: weight for free, weight in combined.items() if weight}
        return {self.variables[v] for v in self.hidden_rows() if not expressions.get(v)}


class _Pool:
    """Random solutions of a safe pattern, kept up to date while secondary cells are shown again."""

    def __init__(self, analysis: _Analysis, width: int):
        if analysis.modulus is None:
            raise ValueError("random solutions are drawn modulo a prime")
        self.modulus: int = analysis.modulus
        rows = analysis.hidden_rows()
        self.cells = [analysis.variables[i] for i in rows]
        self.row = {cell: k for k, cell in enumerate(self.cells)}
        self.solutions = analysis.random_solutions(width)[rows]
        self.active = np.ones(len(rows), dtype=bool)
        self._project()

    @property
    def width(self) -> int:
        return self.solutions.shape[1]

    def _project(self) -> None:
        # Two pairs of random combinations: rows in proportion stay in proportion in each pair.
        weights = np.random.default_rng(_SEED + self.width).integers(1, self.modulus, size=(self.width, 4))
        self.projections = (self.solutions @ weights) % self.modulus  # under 2**55 before reducing

    def series(self, cell: int) -> set:
        """The hidden cells moving in proportion to this one in every solution (itself included):
        shown alone, it would give them away."""
        i = self.row[cell]
        p = self.projections
        series = self.active.copy()
        for a, b in ((0, 1), (2, 3)):
            cross = (p[:, a] * p[i, b] - p[:, b] * p[i, a]) % self.modulus
            series &= cross == 0
        return {self.cells[k] for k in np.flatnonzero(series)} | {cell}

    def can_show(self, cells: set) -> bool:
        """Every other hidden cell still moves once `cells` are shown (are held still)."""
        if len(cells) == 1:
            return self.series(next(iter(cells))) == cells
        if self.width < len(cells) + 3:
            return False
        solutions = self.solutions
        for cell in sorted(cells):
            solutions = self._still(solutions, self.row[cell])
        rest = self.active.copy()
        rest[[self.row[cell] for cell in cells]] = False
        return bool(solutions[rest].any(axis=1).all())

    def show(self, cells: set) -> None:
        """Keep the solutions that leave `cells` still (one fewer for each)."""
        for cell in sorted(cells):
            self.active[self.row[cell]] = False
            self.solutions = self._still(self.solutions, self.row[cell])
        self._project()

    def _still(self, solutions: np.ndarray, i: int) -> np.ndarray:
        """The combinations of `solutions` that leave row i at zero: one column fewer, if any moved it."""
        if not solutions[i].any():
            return solutions
        column = int(np.flatnonzero(solutions[i])[0])
        inverse = pow(int(solutions[i, column]), -1, self.modulus)
        pivot_column = (solutions[:, column] * inverse) % self.modulus
        update = (pivot_column[:, None] * solutions[i][None, :]) % self.modulus
        return np.delete((solutions - update) % self.modulus, column, axis=1)


def table_sums(
    row_keys: Sequence[Hashable], column_keys: Sequence[Hashable], *, cell, row_total, column_total, grand_total
) -> list[Sum]:
    """The sums of a two-way table with its margins; the key functions name each cell."""
    sums = [Sum(row_total(r), tuple(cell(r, c) for c in column_keys)) for r in row_keys]
    sums += [Sum(column_total(c), tuple(cell(r, c) for r in row_keys)) for c in column_keys]
    sums.append(Sum(grand_total, tuple(row_total(r) for r in row_keys)))
    sums.append(Sum(grand_total, tuple(column_total(c) for c in column_keys)))
    return sums
