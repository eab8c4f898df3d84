"""How long the one protection of issue 15's reasons, segments and outcomes tables takes, by caseload size.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/commissioner_tables_benchmark.py [people ...]
        [--spread zipf|even] [--attack-up-to PEOPLE]

Synthetic people (fixed seed) over 300 localities and 14 options, each with a personal menu, needs and
outcome changes, grouped into the localities the unmet table would show (its own key-drawn threshold) and
OTHER, counted and protected exactly as `publish` does (`count_tables`, `protect_tables`, one `protect`
call for all three tables). Prints cells, counts of 1 to 7, hidden cells and seconds. `--attack-up-to`
runs the test suite's integer-programming attacker on the hidden counts of 1 to 7 up to that size and
prints how many it narrows below 0 to 8 (goal 0).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

LOCALITIES = 300
OPTIONS = 14
REASONS = ["too_far", "not_open_when_available", "wait_over_limit", "format_not_acceptable", "not_eligible"]


def synthetic_people(people: int, spread: str) -> list:
    from careplans.publication_tables import DIMENSIONS, OUTCOME_MEASURES, Person

    rng = random.Random(people)
    codes = [f"L{k:03d}" for k in range(LOCALITIES)]
    options = [f"O{k:02d}" for k in range(OPTIONS)]
    weights = [1 / (1 + k) for k in range(LOCALITIES)] if spread == "zipf" else [1] * LOCALITIES
    result = []
    for _ in range(people):
        menu = {o: rng.choice(["reachable"] * 6 + REASONS + ["no_provider"]) for o in options}
        result.append(
            Person(
                record_key=rng.randrange(2**32),
                locality=rng.choices(codes, weights)[0],
                preferred=rng.choice(options),
                got_preferred=rng.random() < 0.7,
                reachable_without_car=rng.choice([True, True, False, None]),
                menu=menu,
                travel=rng.choice(list(DIMENSIONS["travel"])),
                sessions=rng.choice(list(DIMENSIONS["sessions"])),
                formats=rng.choice(list(DIMENSIONS["formats"])),
                changes={m: rng.randint(-6, 8) for m in OUTCOME_MEASURES} if rng.random() < 0.6 else None,
            )
        )
    return result


def locality_groups(people: list) -> tuple[list[str], int]:
    """The unmet table's shown localities (8 to 12 people, as their keys decide), then OTHER."""
    from careplans.disclosure import cell_key
    from careplans.unmet import OTHER, show_from

    count, keys = Counter(p.locality for p in people), Counter()
    for p in people:
        keys[p.locality] += p.record_key
    shown = sorted(code for code, n in count.items() if n >= show_from(cell_key([keys[code]])))
    return [*shown, OTHER], LOCALITIES - len(shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("people", nargs="*", type=int, default=[100, 300, 1000])
    parser.add_argument("--spread", choices=["zipf", "even"], default="zipf")
    parser.add_argument("--attack-up-to", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")
    django.setup()
    from careplans.disclosure import is_primary
    from careplans.publication_tables import count_tables, locality_floor, protect_tables
    from careplans.unmet import UnmetPublication

    print(f"spread={args.spread} localities={LOCALITIES} options={OPTIONS}")
    print("people  groups  cells  small  hidden  seconds  narrowed")
    for n in args.people:
        people = synthetic_people(n, args.spread)
        columns, others = locality_groups(people)
        options = [f"O{k:02d}" for k in range(OPTIONS)]
        unmet = UnmetPublication(
            localities=[(c, c) for c in columns],
            options=[(o, o) for o in options],
            values={},
            other_localities=others,
            recorded=True,
        )
        started = time.perf_counter()
        counted = count_tables(people, columns=columns, options=options)
        published = protect_tables(counted, people, unmet)
        seconds = time.perf_counter() - started
        small = [cell for cell, value in counted.counts.items() if is_primary(value)]
        hidden = sum(value is None for value in published.values())
        narrowed = "-"
        if n <= args.attack_up_to:
            from tests.careplans.attacker import ranges_of

            known = locality_floor(counted, people, unmet, others)
            ranges = ranges_of(published, counted.sums, known, [c for c in small if published[c] is None])
            narrowed = str(sum(1 for least, most in ranges.values() if least > 0 or most < 8))
        figures = [n, len(columns), len(counted.counts), len(small), hidden]
        print("  ".join(f"{value:>6}" for value in figures), f"{seconds:>7.1f}", narrowed)


if __name__ == "__main__":
    main()
