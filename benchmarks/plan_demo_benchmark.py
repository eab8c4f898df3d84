"""The planner on the Dorset demo: 500 generated candidates, budget 5, every objective, end to end.

Needs a database holding the demo and its current run (`manage.py load_demo`). Candidates come from
`plan_candidates`' own generators on that run: new sites at locality origins and outreach from sites
within --radius-km, the first half of each kind. Each plan is timed from the candidate file to the
plan's JSON (`reach.plan_services.make_plan`: read and check the file, the engine's coverage,
HiGHS, the description). Prints figures; asserts nothing.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/cm_planner_bench \\
        .venv/bin/python benchmarks/plan_demo_benchmark.py [--candidates 500] [--budget 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--budget", type=float, default=5)
    parser.add_argument("--radius-km", type=float, default=15)
    parser.add_argument("--min-options", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")
    import django

    django.setup()
    from reach.plan_services import make_plan, new_site_candidates, outreach_candidates, write_candidates
    from reach.selectors import current_run

    run = current_run()
    if run is None:
        sys.exit("No current run: load the demo (manage.py load_demo) and compute reach first.")
    codes = list(run.option_codes)
    half = args.candidates // 2
    new_sites = new_site_candidates(
        run=run, option_codes=codes, provider="Planned clinics", provider_kind="nhs", cost=1.0
    )
    outreach = outreach_candidates(run=run, option_codes=codes, radius_km=args.radius_km, cost=1.0)
    rows = new_sites[:half] + outreach[: args.candidates - half]
    print(
        f"run {run.pk}: {len(new_sites)} new-site and {len(outreach)} outreach candidates generated; "
        f"planning with {len(rows)} ({min(half, len(new_sites))} new-site), budget {args.budget:g}"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "candidates.csv"
        with path.open("w", encoding="utf-8", newline="") as output:
            write_candidates(rows=rows, output=output)
        for objective in ("expected_menu", "real_choice", "min_menu"):
            started = time.perf_counter()
            plan, _ = make_plan(path=path, budget=args.budget, objective=objective, min_options=args.min_options)
            total = time.perf_counter() - started
            proof = "optimal" if plan["optimal"] else f"gap {plan['gap']}"
            print(
                f"{objective}: {plan['value_before']:,.1f} → {plan['value_after']:,.1f} ({proof}, {plan['method']}), "
                f"solver {plan['seconds']:.2f} s, end to end {total:.2f} s"
            )


if __name__ == "__main__":
    main()
