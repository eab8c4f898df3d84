"""How long disclosure control of the unmet-preference publication takes, by caseload size.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/unmet_disclosure_benchmark.py [people ...]
        [--spread zipf|even] [--repeat N] [--against GIT_REVISION --against-up-to PEOPLE]

Synthetic latest-choice rows (fixed seed) over 300 localities and 14 options, counted and protected
exactly as the commissioner pages do (`protect`: the sums checked, suppression, rounding); prints
cells, primary and final suppressions and the best of N runs in seconds. `--spread zipf` (the
default) puts people in a few busy towns and a long rural tail, so most localities are pooled;
`--spread even` spreads them evenly, so nearly every locality is published: the hardest case.

`--against` also runs the disclosure module as it was at a git revision (loaded from git, not
installed), for the sizes up to `--against-up-to`, and prints its suppressions and time beside.
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


def synthetic_rows(people: int, spread: str) -> list[dict]:
    from careplans.models import DifferenceReason

    options = [f"OPT{k:02d}" for k in range(OPTIONS)]
    localities = [f"E0{k:07d}" for k in range(LOCALITIES)]
    # zipf: a few busy towns, a long rural tail; even: every locality alike.
    weights = [1 / (1 + k) for k in range(LOCALITIES)] if spread == "zipf" else [1] * LOCALITIES
    rng = random.Random(people)
    rows = []
    for _ in range(people):
        same = rng.random() < 0.7
        rows.append(
            {
                "home_locality__code": rng.choices(localities, weights=weights)[0],
                "preferred_option__code": rng.choice(options),
                "same": 0 if same else 1,
                "difference_reason": "" if same else rng.choice(DifferenceReason.values),
                "preferred_reachable_without_car": rng.random() < 0.6,
            }
        )
    return rows


def module_at(revision: str):
    """careplans/disclosure.py as it was at `revision`, imported under another name."""
    source = subprocess.run(  # noqa: S603  (fixed arguments)
        [shutil.which("git") or "git", "-C", str(ROOT), "show", f"{revision}:careplans/disclosure.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "disclosure_then.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("disclosure_then", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def best_time(protect, counts, sums, repeat: int) -> tuple[float, dict]:
    best, published = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        published = protect(counts, sums)
        best = min(best, time.perf_counter() - started)
    return best, published


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("people", nargs="*", type=int, default=[100, 300, 1000, 3000])
    parser.add_argument("--spread", choices=["zipf", "even"], default="zipf")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best is printed")
    parser.add_argument("--against", help="also run careplans/disclosure.py as at this git revision")
    parser.add_argument("--against-up-to", type=int, default=300, help="largest size for --against")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")
    django.setup()
    from careplans.disclosure import is_primary, protect
    from careplans.unmet import OTHER, publication_sums, tally

    then = module_at(args.against) if args.against else None
    options = [f"OPT{k:02d}" for k in range(OPTIONS)]
    header = f"{'people':>7} {'shown loc.':>10} {'cells':>7} {'primary':>8} {'hidden':>7} {'seconds':>8}"
    print(header + (f" {'hidden then':>12} {'seconds then':>13}" if then else ""))
    for people in args.people:
        counts, shown, pooled = tally(synthetic_rows(people, args.spread), option_codes=options)
        sums = publication_sums(sorted(shown) + ([OTHER] if pooled else []), options)
        seconds, published = best_time(protect, counts, sums, args.repeat)
        hidden = sum(value is None for value in published.values())
        primary = sum(is_primary(value) for value in counts.values())
        line = f"{people:>7} {len(shown):>10} {len(counts):>7} {primary:>8} {hidden:>7} {seconds:>8.3f}"
        if then and people <= args.against_up_to:
            seconds_then, published_then = best_time(then.protect, counts, sums, 1)
            line += f" {sum(value is None for value in published_then.values()):>12} {seconds_then:>13.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
