"""How long the one protection of a publication's four tables takes, by caseload size.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/commissioner_tables_benchmark.py [people ...]
        [--spread zipf|even] [--attack-up-to PEOPLE]

Synthetic people (fixed seed) over 300 localities and 14 options, each with a personal menu, needs and
outcome changes, counted and protected exactly as `publish` does: the unmet table (`unmet.tally`, which
draws the localities shown, the rest OTHER), issue 15's reasons, segments and outcomes tables over its
locality groups (`count_tables`), and one `protect` call for all four (`publication.Joint`). Prints
cells, counts of 1 to 7, hidden cells, shared figures linked and seconds (counting and protection).
`--attack-up-to` runs the test suite's integer-programming attacker, over the joint sums, on the hidden
counts of 1 to 7 up to that size and prints how many it narrows below 0 to 8 (goal 0).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("people", nargs="*", type=int, default=[100, 300, 1000])
    parser.add_argument("--spread", choices=["zipf", "even"], default="zipf")
    parser.add_argument("--attack-up-to", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")
    django.setup()
    from careplans.disclosure import is_primary
    from careplans.publication import Joint
    from careplans.publication_tables import count_tables
    from careplans.unmet import tally
    from tests.careplans.attacker import ranges_of, rows_of_people

    codes = [f"L{k:03d}" for k in range(LOCALITIES)]
    options = [f"O{k:02d}" for k in range(OPTIONS)]
    print(f"spread={args.spread} localities={LOCALITIES} options={OPTIONS}")
    print("people  groups  cells  small  hidden  linked  seconds  narrowed")
    for n in args.people:
        people = synthetic_people(n, args.spread)
        started = time.perf_counter()
        unmet = tally(rows_of_people(people), option_codes=options, locality_codes=codes)
        joint = Joint(unmet, count_tables(people, columns=unmet.columns, options=options), options)
        published = joint.protect()
        seconds = time.perf_counter() - started
        small = [cell for cell, value in joint.values.items() if is_primary(value)]
        hidden = sum(value is None for value in published.values())
        narrowed = "-"
        if n <= args.attack_up_to:
            ranges = ranges_of(published, joint.sums, joint.known, small)
            narrowed = str(sum(1 for least, most in ranges.values() if least > 0 or most < 8))
        figures = [n, len(unmet.columns), len(joint.values), len(small), hidden, len(joint.links)]
        print("  ".join(f"{value:>6}" for value in figures), f"{seconds:>7.1f}", narrowed)


if __name__ == "__main__":
    main()
