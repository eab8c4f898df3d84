"""How long disclosure control of the unmet-preference publication takes, by caseload size.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/unmet_disclosure_benchmark.py [people ...]

Synthetic latest-choice rows (fixed seed) over 300 localities and 14 options, counted and protected
exactly as the commissioner pages do; prints cells, primary and final suppressions and seconds.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import django  # noqa: E402



def main(sizes: list[int]) -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")
    django.setup()
    from careplans.disclosure import is_primary, suppressed_cells
    from careplans.models import DifferenceReason
    from careplans.unmet import OTHER, publication_sums, tally

    options = [f"OPT{k:02d}" for k in range(14)]
    localities = [f"E0{k:07d}" for k in range(300)]
    weights = [1 / (1 + k) for k in range(len(localities))]  # a few busy towns, a long rural tail
    print(f"{'people':>7} {'cells':>7} {'primary':>8} {'hidden':>7} {'seconds':>8}")
    for people in sizes:
        rng = random.Random(people)
        rows = []
        for _ in range(people):
            same = rng.random() < 0.7
            rows.append({"home_locality__code": rng.choices(localities, weights=weights)[0],
                         "preferred_option__code": rng.choice(options), "same": 0 if same else 1,
                         "difference_reason": "" if same else rng.choice(DifferenceReason.values),
                         "preferred_reachable_without_car": rng.random() < 0.6})
        counts, shown, pooled = tally(rows, option_codes=options)
        sums = publication_sums(sorted(shown) + ([OTHER] if pooled else []), options)
        started = time.perf_counter()
        hidden = suppressed_cells(counts, sums)
        seconds = time.perf_counter() - started
        primary = sum(is_primary(v) for v in counts.values())
        print(f"{people:>7} {len(counts):>7} {primary:>8} {len(hidden):>7} {seconds:>8.2f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [100, 300, 1000])
