"""The fast disclosure control's shortcuts, each checked against the exact-fraction solver of test_disclosure."""

import random

import pytest

from careplans import disclosure
from careplans.disclosure import Sum, is_primary, protect, recoverable_cells
from careplans.models import DifferenceReason
from careplans.unmet import publication_sums, tally
from tests.careplans.disclosure_oracle import check_publication, exactly_recoverable, two_way


def random_table(rng, rows, columns, counts=(0, 0, 0, 1, 2, 3, 5, 8, 9, 12, 20, 40)):
    return two_way([[rng.choice(counts) for _ in range(columns)] for _ in range(rows)])


def linked_tables(rng, people, localities=4, options=3):
    """A small unmet-preference publication: per locality and option, every measure, all linked by totals."""
    codes = [f"L{k}" for k in range(localities)]
    option_codes = [f"O{k}" for k in range(options)]
    rows = []
    for _ in range(people):
        same = rng.random() < 0.6
        rows.append(
            {
                "home_locality__code": rng.choice(codes),
                "preferred_option__code": rng.choice(option_codes),
                "same": 0 if same else 1,
                "difference_reason": "" if same else rng.choice(DifferenceReason.values),
                "preferred_reachable_without_car": rng.choice([True, False, None]),
                "record_key": rng.randrange(2**32),
            }
        )
    counted = tally(rows, option_codes=option_codes, locality_codes=codes)
    return counted.counts, publication_sums(counted.columns, option_codes)


def random_hidden(rng, values, share):
    return {key for key in values if rng.random() < share}


def publications(rng):
    yield from (random_table(rng, rng.randint(2, 6), rng.randint(2, 6)) for _ in range(25))
    yield from (linked_tables(rng, rng.randint(20, 60), localities=rng.randint(2, 3), options=2) for _ in range(6))


def system_of(values, sums):
    system = disclosure._System(values, sums)
    return system, (lambda keys: {system.index[key] for key in keys}), (lambda cells: {system.keys[c] for c in cells})


def test_recoverable_cells_agree_with_the_exact_solver_on_random_patterns():
    rng = random.Random(11)
    for values, sums in publications(rng):
        for share in (0.2, 0.5, 0.8):
            hidden = random_hidden(rng, values, share)
            assert set(recoverable_cells(hidden, sums)) == exactly_recoverable(values, sums, hidden)


def test_cells_peeled_off_single_unknown_sums_are_recoverable():
    rng = random.Random(12)
    for values, sums in publications(rng):
        hidden = random_hidden(rng, values, 0.4)
        system, cells, keys = system_of(values, sums)
        assert keys(system.peeled(cells(hidden))) <= exactly_recoverable(values, sums, hidden)


def test_cells_in_series_and_showing_them_again_agree_with_the_exact_solver():
    rng = random.Random(13)
    checked = 0
    for values, sums in publications(rng):
        hidden = {key for key, value in protect(values, sums).items() if value is None}
        system, cells, keys = system_of(values, sums)
        pool = disclosure._Pool(system.analyse(cells(hidden)), width=32)
        for key in rng.sample(sorted(hidden, key=repr), min(len(hidden), 12)):
            # Shown alone, a cell gives away exactly the cells in series with it.
            series = keys(pool.series(system.index[key]))
            assert series - {key} == exactly_recoverable(values, sums, hidden - {key}), key
            assert pool.can_show({system.index[key]}) == (series == {key})
            if len(series) > 1:
                assert pool.can_show(cells(series)) == (not exactly_recoverable(values, sums, hidden - series))
            checked += 1
    assert checked > 150


def test_each_candidate_set_frees_what_it_claims_and_is_itself_safe():
    rng = random.Random(14)
    claims = 0
    for values, sums in publications(rng):
        primary = {key for key, value in values.items() if is_primary(value)}
        system, cells, keys = system_of(values, sums)
        analysis = system.analyse(cells(primary))
        exposed = analysis.exposed()
        assert keys(exposed) == exactly_recoverable(values, sums, primary)
        if not exposed:
            continue
        analysis = system.analyse(cells(primary), system.neighbours(exposed) - cells(primary))
        for tier, support, freed in analysis.circuits(exposed, system.tier):
            after = exactly_recoverable(values, sums, primary | keys(support))
            assert not keys(freed) & after and not keys(support) & after
            assert tier == max(system.tier(cell) for cell in support)
            claims += 1
    assert claims > 20


def test_the_certificate_catches_a_search_that_was_misled(monkeypatch):
    """Were the modular search to miss every recoverable cell, the certificate still hides more until safe."""
    original = disclosure._Analysis.exposed
    monkeypatch.setattr(disclosure._Analysis, "exposed", lambda self: set() if self.modulus else original(self))
    rng = random.Random(15)
    for values, sums in publications(rng):
        check_publication(values, sums)


def test_the_exact_fallback_decides_when_no_integer_witness_is_found(monkeypatch):
    monkeypatch.setattr(disclosure._Analysis, "integer_witnesses", lambda self, count: None)
    rng = random.Random(16)
    for values, sums in publications(rng):
        hidden = random_hidden(rng, values, 0.5)
        assert set(recoverable_cells(hidden, sums)) == exactly_recoverable(values, sums, hidden)


def test_a_forty_by_fourteen_table_is_protected():
    rng = random.Random(17)
    values, sums = random_table(rng, 40, 14, counts=(0, 0, 2, 5, 9, 12, 15, 20, 30, 45, 60, 80))
    hidden = check_publication(values, sums)
    assert len(hidden) > sum(is_primary(value) for value in values.values())  # secondary suppression happened


def test_a_linked_publication_of_a_hundred_and_fifty_people_is_protected():
    values, sums = linked_tables(random.Random(18), 150, localities=6, options=4)
    check_publication(values, sums)


def test_the_same_figures_always_get_the_same_pattern():
    """Two different safe patterns of the same figures, side by side, could give hidden cells away."""
    values, sums = linked_tables(random.Random(19), 120, localities=5, options=3)
    first = protect(values, sums)
    assert all(protect(values, sums) == first for _ in range(3))


@pytest.mark.parametrize("modulus", [disclosure._PRIME, None])
def test_elimination_over_the_rationals_and_modulo_the_prime_agree(modulus):
    rng = random.Random(20)
    for values, sums in publications(rng):
        hidden = random_hidden(rng, values, 0.5)
        system, cells, keys = system_of(values, sums)
        assert keys(system.analyse(cells(hidden), modulus=modulus).exposed()) == exactly_recoverable(
            values, sums, hidden
        )


def test_a_sum_with_a_cell_counted_twice_is_handled():
    values = {"a": 4, "b": 2, "t": 10}
    sums = [Sum("t", ("a", "a", "b"))]
    assert set(recoverable_cells({"a", "b"}, sums)) == exactly_recoverable(values, sums, {"a", "b"})
    assert set(recoverable_cells({"a"}, sums)) == {"a"}
