"""The exact-arithmetic oracle for disclosure control, shared by the disclosure tests: independent of the module."""

from fractions import Fraction

from careplans.disclosure import cell_key_round, default_cell_key, protect, table_sums


def two_way(rows):
    """A table with its row, column and grand totals, keyed (r, c) with "T" for totals."""
    n_rows, n_cols = len(rows), len(rows[0])
    values = {}
    for r in range(n_rows):
        for c in range(n_cols):
            values[(r, c)] = rows[r][c]
        values[(r, "T")] = sum(rows[r])
    for c in range(n_cols):
        values[("T", c)] = sum(rows[r][c] for r in range(n_rows))
    values[("T", "T")] = sum(map(sum, rows))
    sums = table_sums(
        range(n_rows),
        range(n_cols),
        cell=lambda r, c: (r, c),
        row_total=lambda r: (r, "T"),
        column_total=lambda c: ("T", c),
        grand_total=("T", "T"),
    )
    return values, sums


def exactly_recoverable(values, sums, hidden):
    """Hidden cells a reader could solve for exactly, by Gauss-Jordan elimination over the rationals."""
    unknowns = sorted(hidden, key=repr)
    index = {key: i for i, key in enumerate(unknowns)}
    equations = []
    for relation in sums:
        row = [Fraction(0)] * (len(unknowns) + 1)
        for key, sign in [(k, 1) for k in relation.parts] + [(relation.total, -1)]:
            if key in index:
                row[index[key]] += sign
            else:
                row[-1] -= sign * values[key]  # shown: moves to the right-hand side
        if any(row[:-1]):
            equations.append(row)
    pivots, r = [], 0
    for col in range(len(unknowns)):
        pivot = next((i for i in range(r, len(equations)) if equations[i][col] != 0), None)
        if pivot is None:
            continue
        equations[r], equations[pivot] = equations[pivot], equations[r]
        lead = equations[r][col]
        equations[r] = [v / lead for v in equations[r]]
        for i in range(len(equations)):
            if i != r and equations[i][col] != 0:
                factor = equations[i][col]
                equations[i] = [a - factor * b for a, b in zip(equations[i], equations[r], strict=True)]
        pivots.append(col)
        r += 1
    solved = set()
    for i, col in enumerate(pivots):
        if sum(1 for v in equations[i][:-1] if v != 0) == 1:
            solved.add(unknowns[col])
            assert equations[i][-1] == values[unknowns[col]]  # the reader would get the true count
    return solved


def check_publication(values, sums):
    published = protect(values, sums)
    hidden = {key for key, value in published.items() if value is None}
    for key, value in values.items():
        if 1 <= value <= 7:
            assert key in hidden, f"{key}={value} shown"
        if key not in hidden:
            assert published[key] == cell_key_round(value, default_cell_key(key))
            assert published[key] % 5 == 0 and abs(published[key] - value) <= 4
            assert (published[key] == 0) == (value == 0)
    assert not exactly_recoverable(values, sums, hidden), (values, hidden)
    return hidden
