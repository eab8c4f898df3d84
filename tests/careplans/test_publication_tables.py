"""Issue 15's commissioner tables: unmet preference by reason, segments and outcomes, in the same
publication as unmet, counted right against independent counts and protected against the exact solver and
the integer-programming attacker."""

import datetime
import itertools
import random

import numpy as np
import pytest
from django.utils import timezone
from scipy import stats

from careplans.disclosure import SMALLEST_SHOWN, is_primary, shown_interval
from careplans.publication_tables import (
    ALL,
    ANY,
    DIMENSIONS,
    GROUPS,
    OTHER,
    OUTCOME_COUNTS,
    OUTCOME_MEASURES,
    OUTCOMES_TABLE,
    PARTITIONS,
    REASONS_TABLE,
    SEGMENTS_TABLE,
    Person,
    count_tables,
    locality_floor,
    mean_interval,
    outcome_means,
    protect_tables,
    stored_table,
)
from careplans.services import Needs, create_service_user, record_choice, record_review, update_needs
from careplans.unmet import UnmetPublication
from tests.careplans.attacker import ranges_of
from tests.careplans.disclosure_oracle import exactly_recoverable
from tests.careplans.records import actor, choice_fields
from tests.careplans.test_unmet import published

pytestmark = pytest.mark.django_db

REASONS = ["too_far", "not_open_when_available", "wait_over_limit", "format_not_acceptable", "not_eligible"]


# --- hand-built population, through the services --------------------------------------------------


def person(world, users, locality, preferred, *, agreed=None, needs=None, reviews=()):
    kw = users["keyworker"]
    su = create_service_user(actor=actor(kw), keyworker=kw, age_band="25_34", home_locality=world[locality])
    if needs:
        update_needs(actor=actor(kw), service_user=su, needs=Needs(**needs))
    record_choice(
        actor=actor(kw), service_user=su, fields=choice_fields(world[preferred], world[agreed] if agreed else None)
    )
    for day, outcomes in enumerate(reviews, start=1):
        record_review(
            actor=actor(kw), service_user=su, outcomes={"reviewed_on": datetime.date(2025, day, 1), **outcomes}
        )
    return su


@pytest.fixture
def population(world, users):
    """12 town people with no needs who prefer and get OST (reachable); 9 village people with no car who
    prefer OST (too far without one) and agree NSP; 3 village people who prefer NSP (no provider).
    Reviews: the town people and the NSP three, psychological health up by 1 to 12 and 2, 4, 6."""
    town = [
        person(world, users, "town", "ost", reviews=[{"psychological_health": 5}, {"psychological_health": 5 + n}])
        for n in range(1, 13)
    ]
    village = [
        person(world, users, "village", "ost", agreed="nsp", needs={"travel_access": "no_car"}) for _ in range(9)
    ]
    nsp = [
        person(world, users, "village", "nsp", reviews=[{"psychological_health": 10}, {"psychological_health": 10 + n}])
        for n in (2, 4, 6)
    ]
    return {"town": town, "village": village, "nsp": nsp}


def test_every_table_is_in_the_same_publication_and_counts_the_hand_built_people(population, users):
    stored = published(users)
    assert {"unmet", REASONS_TABLE, SEGMENTS_TABLE, OUTCOMES_TABLE} <= set(stored.tables)
    reasons = stored_table(stored, REASONS_TABLE).values
    # 9 too far: shown as a multiple of 5 within 4 of 9, or hidden; the 3 with no provider never shown.
    for cell, true in [(("VILL", "OST", "too_far"), 9), (("VILL", "OST", "not_reached"), 9)]:
        assert reasons[cell] is None or shown_interval(reasons[cell])[0] <= true <= shown_interval(reasons[cell])[1]
    assert reasons[("VILL", "NSP", "no_provider")] is None
    assert reasons[("TOWN", ALL, "not_reached")] == 0  # all town people reach OST: an exact zero
    segments = stored_table(stored, SEGMENTS_TABLE).values
    assert segments[("TOWN", "no_car", ANY, ANY, "people")] == 0
    assert segments[("TOWN", "not_asked", "not_asked", "not_asked", "people")] in (10, 15, None)
    outcomes = stored_table(stored, OUTCOMES_TABLE)
    # 15 people with two reviews, all got their preferred option; 3 of them could not reach it without a car.
    assert outcomes.values[("not_preferred", "people")] == 0
    assert outcomes.values[("not_reachable_without_car", "people")] is None
    assert outcomes.data["means"]["not_reachable_without_car"]["psychological_health"] is None
    # The 3 are hidden, so everyone (15) and the reachable 12 are never both shown with their means.
    shown = [outcomes.data["means"][g]["psychological_health"] is not None for g in (ALL, "reachable_without_car")]
    assert not all(shown)


def test_needs_are_read_as_at_the_cutoff(population, users, world):
    cutoff = timezone.now()
    for su in population["village"]:
        update_needs(actor=actor(users["keyworker"]), service_user=su, needs=Needs(travel_access="lifts"))
    stored = published(users, cutoff=cutoff)
    counted = count_tables(
        _people_at(cutoff),
        columns=[code for code, _ in stored_table(stored, SEGMENTS_TABLE).unmet.localities],
        options=["OST", "NSP"],
    )
    assert counted.counts[(SEGMENTS_TABLE, "VILL", "no_car", ANY, ANY, "people")] == 9
    assert counted.counts[(SEGMENTS_TABLE, "VILL", "lifts", ANY, ANY, "people")] == 0
    later = count_tables(_people_at(timezone.now()), columns=["TOWN", "VILL"], options=["OST", "NSP"])
    assert later.counts[(SEGMENTS_TABLE, "VILL", "lifts", ANY, ANY, "people")] == 9


def _people_at(cutoff):
    from careplans.publication_tables import people_at  # noqa: PLC0415

    return people_at(cutoff=cutoff)


def test_hand_built_counts_and_reasons(population):
    counted = count_tables(_people_at(timezone.now()), columns=["TOWN", "VILL"], options=["OST", "NSP"])
    c = counted.counts
    assert c[(REASONS_TABLE, "VILL", "OST", "too_far")] == 9
    assert c[(REASONS_TABLE, "VILL", "NSP", "no_provider")] == 3
    assert c[(REASONS_TABLE, ALL, ALL, "not_reached")] == 12
    assert c[(REASONS_TABLE, "TOWN", ALL, "not_reached")] == 0
    assert c[(SEGMENTS_TABLE, ALL, ANY, ANY, ANY, "people")] == 24
    assert c[(SEGMENTS_TABLE, "VILL", "no_car", "not_asked", "not_asked", "people")] == 9
    assert c[(OUTCOMES_TABLE, ALL, "people")] == 15 and c[(OUTCOMES_TABLE, "got_preferred", "people")] == 15
    assert c[(OUTCOMES_TABLE, "reachable_without_car", "psychological_health")] == 12
    assert c[(OUTCOMES_TABLE, ALL, "goals")] == 0


def test_outcome_means_and_t_intervals_by_hand(population):
    people = _people_at(timezone.now())
    every_size_shown = dict.fromkeys([(OUTCOMES_TABLE, g, m) for g in GROUPS for m in OUTCOME_COUNTS], 15)
    means = outcome_means(people, every_size_shown)
    everyone = np.array([*range(1, 13), 2, 4, 6])  # the town people +1 to +12, the NSP three +2, +4, +6
    low, high = stats.t.interval(0.95, len(everyone) - 1, loc=everyone.mean(), scale=stats.sem(everyone))
    assert means[ALL]["psychological_health"] == {
        "mean": round(everyone.mean(), 1),
        "low": round(low, 1),
        "high": round(high, 1),
    }
    assert mean_interval([float(n) for n in range(1, 13)]) == {"mean": 6.5, "low": 4.2, "high": 8.8}  # ±2.201×1.041
    # 12 could reach it without a car and 3 could not: with everyone's mean shown, the reachable 12's would
    # give away the 3's, so it is hidden although 12 is enough people; the 3's is never shown.
    assert means["reachable_without_car"]["psychological_health"] is None
    assert means["not_reachable_without_car"]["psychological_health"] is None
    assert means["got_preferred"]["psychological_health"] is not None  # all 15: the same people as everyone


def test_mean_interval_of_a_constant_change_is_a_point():
    assert mean_interval([3.0] * 9) == {"mean": 3.0, "low": 3.0, "high": 3.0}


# --- pure: independent counts, and the protection against the solver and the attacker --------------


OPTIONS = ["O1", "O2", "O3"]
LOCALITIES = ["A", "B", "C", "D", "E"]


def synthetic_people(seed: int, n: int, spread: str) -> list[Person]:
    rng = random.Random(seed)
    weights = [1] * len(LOCALITIES) if spread == "even" else [8, 4, 2, 1, 1]
    people = []
    for _ in range(n):
        menu = {o: rng.choice(["reachable", "reachable", *REASONS, "no_provider"]) for o in OPTIONS}
        people.append(
            Person(
                record_key=rng.randrange(2**32),
                locality=rng.choices(LOCALITIES, weights)[0],
                preferred=rng.choice(OPTIONS),
                got_preferred=rng.random() < 0.6,
                reachable_without_car=rng.choice([True, False, None]),
                menu=menu if rng.random() < 0.9 else None,
                travel=rng.choice(list(DIMENSIONS["travel"])),
                sessions=rng.choice(list(DIMENSIONS["sessions"])),
                formats=rng.choice(list(DIMENSIONS["formats"])),
                changes={m: rng.randint(-6, 6) for m in OUTCOME_MEASURES if rng.random() < 0.8}
                if rng.random() < 0.7
                else None,
            )
        )
    return people


def brute_force(people: list[Person], cell: tuple, shown: set[str]) -> int:
    """One cell counted on its own, straight from its definition."""
    table, *rest = cell

    def home(p):
        return p.locality if p.locality in shown else OTHER

    if table == REASONS_TABLE:
        loc, opt, m = rest
        return sum(
            1
            for p in people
            if p.menu is not None
            and p.menu[p.preferred] != "reachable"
            and loc in (ALL, home(p))
            and opt in (ALL, p.preferred)
            and m in ("not_reached", p.menu[p.preferred])
        )
    if table == SEGMENTS_TABLE:
        loc, t, s, f, m = rest
        return sum(
            1
            for p in people
            if p.menu is not None
            and (m == "people" or (set(p.menu.values()) == {"reachable"}) == (m == "reach_all"))
            and loc in (ALL, home(p))
            and t in (ANY, p.travel)
            and s in (ANY, p.sessions)
            and f in (ANY, p.formats)
        )
    group, m = rest
    reach = {True: "reachable_without_car", False: "not_reachable_without_car", None: "reach_unknown"}
    return sum(
        1
        for p in people
        if p.changes is not None
        and group in (ALL, "got_preferred" if p.got_preferred else "not_preferred", reach[p.reachable_without_car])
        and (m == "people" or m in p.changes)
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_equal_an_independent_count_of_every_cell(seed):
    people = synthetic_people(seed, 150, "zipf")
    counted = count_tables(people, columns=["A", "B", OTHER], options=OPTIONS)
    for cell, value in counted.counts.items():
        assert value == brute_force(people, cell, {"A", "B"}), cell
    for relation in counted.sums:
        assert counted.counts[relation.total] == sum(counted.counts[part] for part in relation.parts)


def unmet_for(columns: list[str], others: int) -> UnmetPublication:
    return UnmetPublication(
        localities=[(code, code) for code in columns],
        options=[(o, o) for o in OPTIONS],
        values={},
        other_localities=others,
        recorded=True,
    )


@pytest.mark.parametrize(("spread", "seed"), [("zipf", 3), ("even", 4)])
def test_protection_holds_against_the_exact_solver_and_the_attacker(spread, seed):
    people = synthetic_people(seed, 80, spread)
    columns = ["A", "B", OTHER]
    counted = count_tables(people, columns=columns, options=OPTIONS)
    unmet = unmet_for(columns, others=3)
    published = protect_tables(counted, people, unmet)
    hidden = {cell for cell, value in published.items() if value is None}
    for cell, value in counted.counts.items():
        if is_primary(value):
            assert cell in hidden, cell
        elif cell not in hidden:
            low, high = shown_interval(published[cell])
            assert low <= value <= high, cell
    # The exact solver: no hidden cell follows from the shown ones and the relations.
    assert not exactly_recoverable(counted.counts, counted.sums, hidden)
    # The attacker: every hidden count of 1 to 7 can still be 0 and 8.
    small = [cell for cell in hidden if is_primary(counted.counts[cell])]
    known = locality_floor(counted, people, unmet, 3)
    for cell, (least, most) in ranges_of(published, counted.sums, known, small).items():
        assert least == 0 and most >= SMALLEST_SHOWN, (cell, counted.counts[cell], least, most)


def test_no_outcome_group_under_8_is_shown_and_no_complement_gives_one_away():
    people = synthetic_people(5, 60, "zipf")
    counted = count_tables(people, columns=["A", "B", OTHER], options=OPTIONS)
    published = protect_tables(counted, people, unmet_for(["A", "B", OTHER], 3))
    means = outcome_means(people, published)
    for group in GROUPS:
        for m in OUTCOME_MEASURES:
            size = counted.counts[(OUTCOMES_TABLE, group, m)]
            if means[group][m] is not None:
                assert size >= SMALLEST_SHOWN and published[(OUTCOMES_TABLE, group, m)]
    for m in OUTCOME_COUNTS:
        for partition in PARTITIONS:
            members = [ALL, *partition]
            hidden = [g for g in members if published[(OUTCOMES_TABLE, g, m)] is None]
            assert len(hidden) != 1, (m, partition, hidden)  # one hidden alone would follow from the rest
    # Brute force over what a reader can add and subtract: no combination of the two partitions' sums, with
    # the shown means' groups known, weighs between 1 and 7 people.
    for m in OUTCOME_MEASURES:
        shown = {g for g in GROUPS if means[g][m] is not None}
        reach = {True: "reachable_without_car", False: "not_reachable_without_car", None: "reach_unknown"}
        with_change = [p for p in people if p.changes is not None and m in p.changes]
        for a, b in itertools.product(range(-3, 4), repeat=2):
            weights = []
            for p in with_change:
                got = "got_preferred" if p.got_preferred else "not_preferred"
                hidden_all = ALL not in shown
                weight = a * (hidden_all - (got not in shown)) + b * (
                    hidden_all - (reach[p.reachable_without_car] not in shown)
                )
                weights.append(weight)
            people_weighed = sum(w != 0 for w in weights)
            assert people_weighed == 0 or people_weighed >= SMALLEST_SHOWN, (m, a, b, people_weighed)
