"""How long disclosure control of the unmet-preference publication takes, by caseload size.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/unmet_disclosure_benchmark.py [people ...]
        [--spread zipf|even] [--repeat N] [--against GIT_REVISION --against-up-to PEOPLE]
        [--ranges-up-to PEOPLE] [--attack TRIALS --batch K --attack-localities N --attack-options N]

Synthetic latest-choice rows (fixed seed) over 300 localities and 14 options, counted and protected
exactly as the commissioner pages do (`protect`: the sums checked, suppression, rounding); prints
cells, primary and final suppressions and the best of N runs in seconds. `--spread zipf` (the
default) puts people in a few busy towns and a long rural tail, so most localities are pooled;
`--spread even` spreads them evenly, so nearly every locality is published: the hardest case.

`--against` also runs the disclosure module as it was at a git revision (loaded from git, not
installed), for the sizes up to `--against-up-to`, and prints its suppressions and time beside.

`--ranges-up-to` runs the test suite's integer-programming attacker (tests/careplans/attacker.py) on
each publication up to that size: how many hidden counts of 1 to 7 it narrows below 0 to 8 (goal 0),
how many hidden cells it pins, and how many shown cells it narrows inside their rounding interval.

`--attack TRIALS` runs the differencing attack instead: for each size, a publication of a smaller
area (`--attack-localities`, `--attack-options`), then TRIALS times `--batch` new people (default 10,
the publication threshold) and the next publication; prints how often one new person's locality,
option and outcome are singled out: by the interval attacker, by one that also uses cell-key
consistency (a changed figure holds a new person), and by that one knowing every other new person.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

LOCALITIES = 300
OPTIONS = 14


def synthetic_rows(people: int, spread: str, localities: int = LOCALITIES, options: int = OPTIONS) -> list[dict]:
    rng = random.Random(people)
    return [synthetic_row(rng, spread, localities, options) for _ in range(people)]


def synthetic_row(rng, spread: str, localities: int = LOCALITIES, options: int = OPTIONS) -> dict:
    from careplans.models import DifferenceReason

    codes = locality_codes(localities)
    # zipf: a few busy towns, a long rural tail; even: every locality alike.
    weights = [1 / (1 + k) for k in range(localities)] if spread == "zipf" else [1] * localities
    same = rng.random() < 0.7
    return {
        "home_locality__code": rng.choices(codes, weights=weights)[0],
        "preferred_option__code": rng.choice(option_codes(options)),
        "same": 0 if same else 1,
        "difference_reason": "" if same else rng.choice(DifferenceReason.values),
        "preferred_reachable_without_car": rng.random() < 0.6,
        "record_key": rng.randrange(2**32),
    }


def locality_codes(count: int = LOCALITIES) -> list[str]:
    return [f"E0{k:07d}" for k in range(count)]


def option_codes(count: int = OPTIONS) -> list[str]:
    return [f"OPT{k:02d}" for k in range(count)]


def module_at(revision: str):
    """careplans/disclosure.py (and the ranges.py it imports) as they were at `revision`, imported as a
    package under another name."""
    package = Path(tempfile.mkdtemp()) / "careplans_then"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("disclosure.py", "ranges.py"):
        shown = subprocess.run(  # noqa: S603  (fixed arguments)
            [shutil.which("git") or "git", "-C", str(ROOT), "show", f"{revision}:careplans/{name}"],
            check=False,
            capture_output=True,
            text=True,
        )
        if shown.returncode == 0:  # revisions before ranges.py have disclosure.py only
            (package / name).write_text(shown.stdout)
    sys.path.insert(0, str(package.parent))
    return importlib.import_module("careplans_then.disclosure")


def best_time(protect, counted, sums, repeat: int) -> tuple[float, dict]:
    best, published = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        published = protect(counted.counts, sums, cell_keys=counted.cell_keys, known=counted.known_bounds())
        best = min(best, time.perf_counter() - started)
    return best, published


def attacker_findings(counted, published, sums) -> str:
    """The integer-programming attacker of the tests on one publication (see the module docstring)."""
    from careplans.disclosure import is_primary, shown_interval
    from careplans.unmet import OTHER
    from tests.careplans.attacker import MOST_IN_OTHER, ranges_of

    ranges = ranges_of(published, sums, counted.known_bounds(), list(published))
    narrowed = sum(
        1
        for key, count in counted.counts.items()
        if is_primary(count)
        and not (
            ranges[key][0] == 0
            and ranges[key][1] >= (min(8, MOST_IN_OTHER * len(counted.others)) if key[0] == OTHER else 8)
        )
    )
    hidden = [key for key, value in published.items() if value is None]
    pinned = sum(1 for key in hidden if ranges[key][0] == ranges[key][1])
    inside = sum(
        1
        for key, value in published.items()
        if value is not None and ranges[key] != shown_interval(value) and value != 0
    )
    return f" {narrowed:>9} {pinned:>7} {inside:>13}"


def differencing(args, people: int) -> None:
    """One publication of a smaller area, then TRIALS times a batch of new people and the next publication."""
    from careplans.unmet import protect_tally, tally
    from tests.careplans.attacker import Differencing, Published

    localities, options = locality_codes(args.attack_localities), option_codes(args.attack_options)
    rows = synthetic_rows(people, args.spread, args.attack_localities, args.attack_options)

    def publish(records):
        counted = tally(records, option_codes=options, locality_codes=localities)
        return Published(values=protect_tally(counted, options), shown=counted.shown)

    before = publish(rows)
    rng = random.Random(people + 1)
    kinds = ("interval", "consistent", "knows rest")
    found = {kind: {"locality": 0, "option": 0, "outcome": 0} for kind in kinds}
    for _ in range(args.attack):
        new = [synthetic_row(rng, args.spread, args.attack_localities, args.attack_options) for _ in range(args.batch)]
        after = publish([*rows, *new])
        attack = Differencing(before, after, localities, options, batch=args.batch)
        # The strongest reader knows every new record but the target (the first).
        knowing = Differencing(
            before, after, localities, options, batch=args.batch, known=[attack.group_of(row) for row in new[1:]]
        )
        for kind, reader, consistent in (
            ("interval", attack, False),
            ("consistent", attack, True),
            ("knows rest", knowing, True),
        ):
            for attribute, singled_out in reader.identified(consistent).items():
                found[kind][attribute] += singled_out
    print(
        f"{people:>7} {len(before.shown):>10} {args.batch:>6} {args.attack:>7} "
        + " ".join(f"{found[kind][a]:>5}" for kind in kinds for a in ("locality", "option", "outcome")),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("people", nargs="*", type=int, default=[100, 300, 1000, 3000])
    parser.add_argument("--spread", choices=["zipf", "even"], default="zipf")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is printed")
    parser.add_argument("--against", help="also run careplans/disclosure.py as at this git revision")
    parser.add_argument("--against-up-to", type=int, default=300, help="largest size for --against")
    parser.add_argument("--ranges-up-to", type=int, default=0, help="largest size for the attacker's ranges")
    parser.add_argument("--attack", type=int, default=0, help="differencing trials per size (instead of timing)")
    parser.add_argument("--attack-localities", type=int, default=20)
    parser.add_argument("--attack-options", type=int, default=5)
    parser.add_argument("--batch", type=int, default=10, help="new records between the two publications")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")
    django.setup()
    from careplans.disclosure import is_primary, protect
    from careplans.unmet import publication_sums, tally

    if args.attack:
        print(
            f"{'people':>7} {'shown loc.':>10} {'batch':>6} {'trials':>7}  interval: loc. opt. outc."
            "  consistent: loc. opt. outc.  knows rest: loc. opt. outc."
        )
        for people in args.people:
            differencing(args, people)
        return
    then = module_at(args.against) if args.against else None
    options = option_codes()
    header = f"{'people':>7} {'shown loc.':>10} {'cells':>7} {'primary':>8} {'hidden':>7} {'seconds':>8}"
    header += f" {'narrowed':>9} {'pinned':>7} {'shown inside':>13}" if args.ranges_up_to else ""
    print(header + (f" {'hidden then':>12} {'seconds then':>13}" if then else ""))
    for people in args.people:
        counted = tally(synthetic_rows(people, args.spread), option_codes=options, locality_codes=locality_codes())
        sums = publication_sums(counted.columns, options)
        seconds, published = best_time(protect, counted, sums, args.repeat)
        hidden = sum(value is None for value in published.values())
        primary = sum(is_primary(value) for value in counted.counts.values())
        line = f"{people:>7} {len(counted.shown):>10} {len(published):>7} {primary:>8} {hidden:>7} {seconds:>8.3f}"
        if args.ranges_up_to:
            line += attacker_findings(counted, published, sums) if people <= args.ranges_up_to else " " * 31
        if then and people <= args.against_up_to:
            started = time.perf_counter()
            published_then = then.protect(counted.counts, sums)
            line += f" {sum(v is None for v in published_then.values()):>12} {time.perf_counter() - started:>13.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
