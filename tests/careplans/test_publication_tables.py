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

from careplans.disclosure import SMALLEST_SHOWN, Sum, cell_key, cell_key_round, is_primary, shown_interval
from careplans.publication import Joint
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
    mean_interval,
    outcome_means,
    people_at,
    stored_table,
)
from careplans.services import Needs, create_service_user, record_choice, record_review, update_needs
from careplans.unmet import MEASURES, latest_choices, record_key, tally, unmet_of
from tests.careplans.attacker import interval, ranges_of, rows_of_people
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


def unmet_members(rows: list[dict], cell: tuple, shown: set[str]) -> list[dict]:
    """The latest-choice rows one unmet cell counts, straight from its definition."""
    loc, opt, measure = cell
    reach = {True: "reachable", False: "not_reachable", None: "reach_unknown"}
    return [
        row
        for row in rows
        if loc in (ALL, row["home_locality__code"] if row["home_locality__code"] in shown else OTHER)
        and opt in (ALL, row["preferred_option__code"])
        and (
            measure == "preferred"
            or measure == reach[row["preferred_reachable_without_car"]]
            or measure == ("agreed_preferred" if row["same"] == 0 else "agreed_different")
            or (row["same"] != 0 and measure == f"reason_{row['difference_reason']}")
        )
    ]


def test_publish_stores_four_tables_whose_shown_figures_are_a_brute_force_count_rounded(population, users):
    stored = published(users)
    unmet = unmet_of(stored)
    shown = {code for code, _ in unmet.localities} - {OTHER}
    rows = list(latest_choices(cutoff=stored.data_cutoff))
    people = people_at(cutoff=stored.data_cutoff)
    tables = {"unmet": unmet.values} | {
        table: stored_table(stored, table).values for table in (REASONS_TABLE, SEGMENTS_TABLE, OUTCOMES_TABLE)
    }
    assert len(unmet.values) == (len(shown) + 1) * 3 * len(MEASURES)  # TOWN, VILL and ALL by OST, NSP and ALL
    checked = 0
    for table, values in tables.items():
        for cell, value in values.items():
            if table == "unmet":
                keys = [record_key(row["service_user_id"]) for row in unmet_members(rows, cell, shown)]
            else:
                keys = [p.record_key for p in members(people, (table, *cell), shown)]
            if is_primary(len(keys)):
                assert value is None, (table, cell)
            if value is not None:
                assert value == cell_key_round(len(keys), cell_key(keys)), (table, cell, len(keys))
                checked += 1
    assert checked > 100


def test_shared_figures_count_the_same_people_under_the_same_key_and_are_published_alike(population, users):
    """Everyone here has a personal menu kept, so each segments' locality total counts the people of the unmet
    table's (locality, ALL, preferred): computed apart, the two keys agree, and the figures are one."""
    stored = published(users)
    rows = [
        {**row, "record_key": record_key(row["service_user_id"])} for row in latest_choices(cutoff=stored.data_cutoff)
    ]
    unmet = tally(rows, option_codes=["OST", "NSP"], locality_codes=["TOWN", "VILL"])
    tables = count_tables(people_at(cutoff=stored.data_cutoff), columns=unmet.columns, options=["OST", "NSP"])
    segments = stored_table(stored, SEGMENTS_TABLE).values
    for loc in [*unmet.columns, ALL]:
        everyone = (SEGMENTS_TABLE, loc, ANY, ANY, ANY, "people")
        assert tables.counts[everyone] == unmet.counts[(loc, ALL, "preferred")]
        assert cell_key([tables.keys[everyone]]) == unmet.cell_keys[(loc, ALL, "preferred")]
        assert segments[everyone[1:]] == unmet_of(stored).values[(loc, ALL, "preferred")], loc


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


def members(people: list[Person], cell: tuple, shown: set[str]) -> list[Person]:
    """The people one cell of the three tables counts, straight from its definition."""
    table, *rest = cell

    def home(p):
        return p.locality if p.locality in shown else OTHER

    if table == REASONS_TABLE:
        loc, opt, m = rest
        return [
            p
            for p in people
            if p.menu is not None
            and p.menu[p.preferred] != "reachable"
            and loc in (ALL, home(p))
            and opt in (ALL, p.preferred)
            and m in ("not_reached", p.menu[p.preferred])
        ]
    if table == SEGMENTS_TABLE:
        loc, t, s, f, m = rest
        return [
            p
            for p in people
            if p.menu is not None
            and (m == "people" or (set(p.menu.values()) == {"reachable"}) == (m == "reach_all"))
            and loc in (ALL, home(p))
            and t in (ANY, p.travel)
            and s in (ANY, p.sessions)
            and f in (ANY, p.formats)
        ]
    group, m = rest
    reach = {True: "reachable_without_car", False: "not_reachable_without_car", None: "reach_unknown"}
    return [
        p
        for p in people
        if p.changes is not None
        and group in (ALL, "got_preferred" if p.got_preferred else "not_preferred", reach[p.reachable_without_car])
        and (m == "people" or m in p.changes)
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_equal_an_independent_count_of_every_cell(seed):
    people = synthetic_people(seed, 150, "zipf")
    counted = count_tables(people, columns=["A", "B", OTHER], options=OPTIONS)
    for cell, value in counted.counts.items():
        assert value == len(members(people, cell, {"A", "B"})), cell
    for relation in counted.sums:
        assert counted.counts[relation.total] == sum(counted.counts[part] for part in relation.parts)


def joint_of(people: list[Person], rows: list[dict] | None = None) -> Joint:
    """All four tables of the people, counted over the unmet table's locality groups, as publish protects them."""
    counted = tally(rows or rows_of_people(people), option_codes=OPTIONS, locality_codes=LOCALITIES)
    return Joint(counted, count_tables(people, columns=counted.columns, options=OPTIONS), OPTIONS)


def assert_small_counts_range_over_0_to_8(joint: Joint, published: dict) -> None:
    """The attacker over the joint sums and bounds: every hidden count of 1 to 7, in any of the four tables,
    can be 0 and 8 (every OTHER here covers at least one locality, so its cap, 11 a locality, is above 8)."""
    small = [cell for cell, value in joint.values.items() if is_primary(value)]
    assert all(published[cell] is None for cell in small)
    for cell, (least, most) in ranges_of(published, joint.sums, joint.known, small).items():
        assert least == 0 and most >= SMALLEST_SHOWN, (cell, joint.values[cell], least, most)


@pytest.mark.parametrize(("spread", "seed", "exact"), [("zipf", 3, True), ("even", 4, False)])
def test_protection_of_all_four_tables_holds_against_the_exact_solver_and_the_attacker(spread, seed, exact):
    joint = joint_of(synthetic_people(seed, 80, spread))
    published = joint.protect()
    hidden = {cell for cell, value in published.items() if value is None}
    for cell, value in joint.values.items():
        if cell not in hidden:
            low, high = shown_interval(published[cell])
            assert low <= value <= high, cell
    # The exact solver (over fractions: about a minute here, so on one population): no hidden cell follows
    # from the shown ones and the relations of all four tables.
    assert not exact or not exactly_recoverable(joint.values, joint.sums, hidden)
    assert_small_counts_range_over_0_to_8(joint, published)


def table_of(cell: tuple) -> str:
    return cell[0] if cell[0] in (REASONS_TABLE, SEGMENTS_TABLE, OUTCOMES_TABLE) else "unmet"


def hand_built_people() -> list[Person]:
    """A: 14 people, B: 13, C: 3 (D and E have nobody: OTHER is C, D and E), all with a personal menu, so the segments'
    locality totals count the unmet table's people. Alternately O1 (reachable) and O2 (too far on odd
    turns); a third did not get it; reach without a car by turns; every other person has two reviews."""
    rng = random.Random(0)
    return [
        Person(
            record_key=rng.randrange(2**32),
            locality=locality,
            preferred=OPTIONS[k % 2],
            got_preferred=k % 3 != 0,
            reachable_without_car=[True, False, None][k % 3],
            menu={"O1": "reachable", "O2": "too_far" if k % 2 else "reachable", "O3": "no_provider"},
            travel=["car", "no_car"][k % 2],
            changes={"goals": 1.0} if k % 2 == 0 else None,
        )
        for locality, people in (("A", 14), ("B", 13), ("C", 3))
        for k in range(people)
    ]


def test_a_locality_total_the_unmet_table_hides_is_hidden_in_every_table_and_the_attacker_narrows_nothing():
    people = hand_built_people()
    joint = joint_of(people)
    published = joint.protect()
    # The pattern this test is about: the unmet table hides a locality total of 8 or more (a secondary cell).
    hidden_totals = [
        loc
        for loc in ["A", "B", OTHER, ALL]
        if published[(loc, ALL, "preferred")] is None and joint.values[(loc, ALL, "preferred")] >= SMALLEST_SHOWN
    ]
    assert hidden_totals
    for loc in hidden_totals:
        assert published[(SEGMENTS_TABLE, loc, ANY, ANY, ANY, "people")] is None
    # Every shared figure is published alike in both tables: both hidden, or the same rounded value.
    assert Sum(("B", ALL, "preferred"), ((SEGMENTS_TABLE, "B", ANY, ANY, ANY, "people"),)) in joint.links
    for link in joint.links:
        assert published[link.total] == published[link.parts[0]], link
    # Small counts in each of the four tables, and none narrowed below 0 to 8 by the attacker.
    small_in = {table_of(cell) for cell, value in joint.values.items() if is_primary(value)}
    assert small_in == {"unmet", REASONS_TABLE, SEGMENTS_TABLE, OUTCOMES_TABLE}
    assert_small_counts_range_over_0_to_8(joint, published)
    # No shown value other than 0 can be narrowed inside its rounding interval (cut only by the method's bounds).
    shown = [cell for cell, value in published.items() if value]
    for cell, (least, most) in ranges_of(published, joint.sums, joint.known, shown).items():
        low, high = interval(published[cell])
        known_low, known_high = joint.known.get(cell, (0, None))
        assert (least, most) == (max(low, known_low), high if known_high is None else min(high, known_high)), cell


def test_cells_named_alike_or_shared_figures_keyed_apart_are_refused():
    people = hand_built_people()
    counted = tally(rows_of_people(people), option_codes=OPTIONS, locality_codes=LOCALITIES)
    tables = count_tables(people, columns=counted.columns, options=OPTIONS)
    clash = (ALL, ALL, "preferred")
    tables.counts[clash], tables.keys[clash] = counted.counts[clash], 0
    with pytest.raises(ValueError, match="named alike"):
        Joint(counted, tables, OPTIONS)
    # One person keyed differently in the unmet rows: the same count, but not provably the same people.
    rows = rows_of_people(people)
    rows[0]["record_key"] += 1
    with pytest.raises(ValueError, match="same people under different keys"):
        joint_of(people, rows)


def test_no_outcome_group_under_8_is_shown_and_no_complement_gives_one_away():
    people = synthetic_people(5, 60, "zipf")
    joint = joint_of(people)
    published = joint.protect()
    counted = joint.values
    means = outcome_means(people, published)
    for group in GROUPS:
        for m in OUTCOME_MEASURES:
            size = counted[(OUTCOMES_TABLE, group, m)]
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
