"""Disclosure control: exhaustive small tables checked by exact arithmetic, independent of the module."""

import itertools
import math
import random

import pytest

from careplans.disclosure import Sum, cell_key_round, protect, suppressed_cells
from tests.careplans.disclosure_oracle import check_publication, exactly_recoverable, two_way


def test_rounding_by_cell_key_goes_to_a_multiple_of_five_either_side():
    # The key decides: below (value mod 5) / 5 of the key space, up; otherwise down.
    assert [cell_key_round(v, 0) for v in (0, 8, 9, 10, 12, 13, 102)] == [0, 10, 10, 10, 15, 15, 105]
    assert [cell_key_round(v, 2**32 - 1) for v in (0, 8, 9, 10, 12, 13, 102)] == [0, 5, 5, 10, 10, 10, 100]
    assert cell_key_round(12, 2**32 * 2 // 5) == 15 and cell_key_round(12, 2**32 * 2 // 5 + 1) == 10


def test_counts_one_to_seven_are_suppressed_and_zero_and_eight_are_shown():
    values = {"a": 0, "b": 1, "c": 7, "d": 8, "e": 20}
    published = protect(values, [])
    assert published["a"] == 0 and published["b"] is None and published["c"] is None
    assert published["d"] in (5, 10) and published["e"] == 20


def test_single_small_cell_forces_a_rectangle_of_suppressions():
    values, sums = two_way([[3, 10], [10, 10]])
    published = protect(values, sums)
    # The 3 alone could be read off its row total, so three more cells go. The column totals (shown 10
    # and 20) would tell a reader the grand total (shown 35) is at most 38 and the second column at
    # least 17, inside their rounding intervals: they go too (ranges.protect_margins), the rows stay.
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), ("T", 0), ("T", 1)}
    assert {k for k, v in published.items() if v is None} == hidden
    assert published[(0, "T")] in (10, 15) and published[("T", "T")] == 35


def test_the_checker_catches_a_lone_suppression():
    values, sums = two_way([[3, 10], [10, 10]])
    assert exactly_recoverable(values, sums, {(0, 0)}) == {(0, 0)}
    assert exactly_recoverable(values, sums, {(0, 0), (0, 1), (1, 0), (1, 1)}) == set()
    # Two rectangles joined by one cell: every line has two hidden cells, yet the bridge is recoverable.
    big, big_sums = two_way([[9, 9, 0, 0], [9, 9, 9, 0], [0, 0, 9, 9], [0, 0, 9, 9]])
    cells = {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (3, 3)}
    assert (1, 2) in exactly_recoverable(big, big_sums, cells)


@pytest.mark.parametrize(
    "shape,domain", [((1, 3), (0, 1, 8, 12)), ((2, 2), (0, 1, 7, 8, 13)), ((2, 3), (0, 3, 8, 11)), ((3, 2), (0, 5, 9))]
)
def test_every_small_table_is_protected(shape, domain):
    """Every table of the shape over the domain, up to the order of its rows and of its columns: a table and
    its reorderings have the same sums, so each pattern of counts is checked once (in its least order)."""
    n_rows, n_cols = shape
    seen = set()
    for flat in itertools.product(domain, repeat=n_rows * n_cols):
        rows = [flat[r * n_cols : (r + 1) * n_cols] for r in range(n_rows)]
        least = min(
            tuple(sorted(tuple(row[c] for c in columns) for row in rows))
            for columns in itertools.permutations(range(n_cols))
        )
        if least in seen:
            continue
        seen.add(least)
        check_publication(*two_way([list(row) for row in least]))
    assert len(seen) > len(domain) ** (n_rows * n_cols) // (math.factorial(n_rows) * math.factorial(n_cols))


def test_random_larger_sparse_tables_are_protected():
    rng = random.Random(4)
    for _ in range(60):
        n_rows, n_cols = rng.randint(2, 5), rng.randint(2, 5)
        rows = [[rng.choice([0, 0, 1, 2, 5, 8, 9, 14, 30]) for _ in range(n_cols)] for _ in range(n_rows)]
        check_publication(*two_way(rows))


def test_two_breakdowns_sharing_their_totals_are_protected_together():
    """Outcome and reach both split the same row totals: neither table alone is the whole story."""
    rng = random.Random(9)
    for _ in range(80):
        rows = rng.randint(1, 3)
        values, sums = {}, []
        for r in range(rows):
            outcome = [rng.choice([0, 2, 6, 9, 12]) for _ in range(2)]
            total = sum(outcome)
            reach_a = rng.randint(0, total)
            for name, parts in (("o", outcome), ("r", [reach_a, total - reach_a])):
                for c, v in enumerate(parts):
                    values[(r, name, c)] = v
                sums.append(Sum((r, "T"), tuple((r, name, c) for c in range(2))))
            values[(r, "T")] = total
        for name in ("o", "r"):
            for c in range(2):
                values[("T", name, c)] = sum(values[(r, name, c)] for r in range(rows))
                sums.append(Sum(("T", name, c), tuple((r, name, c) for r in range(rows))))
            sums.append(Sum(("T", "T"), tuple(("T", name, c) for c in range(2))))
        values[("T", "T")] = sum(values[(r, "T")] for r in range(rows))
        sums.append(Sum(("T", "T"), tuple((r, "T") for r in range(rows))))
        check_publication(values, sums)


def test_secondary_suppression_hides_inner_cells_before_totals():
    values, sums = two_way([[2, 40, 9], [50, 60, 70]])
    hidden = suppressed_cells(values, sums)
    assert all("T" not in key for key in hidden)  # every total stays shown
    assert not exactly_recoverable(values, sums, hidden)
    values, sums = two_way([[2, 0, 9], [50, 0, 70]])
    hidden = suppressed_cells(values, sums)
    # Zeros lose least, but not these: their column total is a shown 0, which pins them whatever is hidden.
    assert hidden == {(0, 0), (0, 2), (1, 0), (1, 2)}


def test_sums_that_do_not_add_up_are_refused():
    with pytest.raises(ValueError, match="do not add up"):
        protect({"a": 1, "b": 2, "t": 4}, [Sum("t", ("a", "b"))])
    with pytest.raises(ValueError, match="negative"):
        protect({"a": -1}, [])
