"""Times the scenario pages and the planner page (which plans within the request) on the dev database.

Usage (after load_demo and compute_reach --sync, or on a real catalogue):

    DJANGO_SETTINGS_MODULE=choicemap.settings.local .venv/bin/python benchmarks/scenario_pages_bench.py [--repeat 10]

Creates one scenario of new sites (one per locality lacking an option without a car, up to --sites),
computes its run in-process, then prints the median and slowest time of each page, and of a plan on
generated new-site candidates (all options) posted to the planner page. Leaves the scenario and its
run behind (named "benchmark: …"); delete them in the admin if they are in the way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.selectors import has_role  # noqa: E402
from reach.models import RunStatus  # noqa: E402
from reach.plan_services import new_site_candidates  # noqa: E402
from reach.scenario_services import add_change, create_scenario  # noqa: E402
from reach.selectors import current_run  # noqa: E402
from reach.services import create_run, execute_run  # noqa: E402


def timed(call, repeat: int) -> tuple[float, float, int]:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - started)
        if response.status_code >= 300:
            sys.exit(f"{response.status_code}: {response.content[:300]!r}")
        size = len(response.content)
    return statistics.median(times), max(times), size


def scenario_of_new_sites(*, owner, run, n_sites: int):
    """New sites where the run shows an option out of reach without a car (the planner's generator)."""
    rows = new_site_candidates(run=run, option_codes=list(run.option_codes), provider="Benchmark trust", cost=1)
    scenario = create_scenario(name=f"benchmark: {n_sites} new sites", owner=owner)
    sites: set[str] = set()
    for row in rows:
        if row["site_code"] not in sites and len(sites) == n_sites:
            continue
        if row["site_code"] not in sites:
            site = {key: row[key] for key in ("provider", "lat", "lon")}
            site |= {"code": row["site_code"], "name": row["site_name"], "provider_kind": "voluntary"}
            add_change(scenario=scenario, kind="add_site", values=site)
            sites.add(row["site_code"])
        offer = {"site_code": row["site_code"], "option_code": row["option_code"], "delivery": "on_site"}
        add_change(scenario=scenario, kind="add_offer", values=offer)
    return scenario


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--sites", type=int, default=5)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    admin = next((u for u in get_user_model().objects.filter(is_active=True) if has_role(u, "admin")), None)
    run = current_run()
    if admin is None or run is None:
        sys.exit("Needs an admin user and a succeeded run: python manage.py load_demo && compute_reach --sync")
    scenario = scenario_of_new_sites(owner=admin, run=run, n_sites=args.sites)
    started = time.perf_counter()
    scenario_run = execute_run(run_id=create_run(profile=run.profile, scenario=scenario).pk)
    run_seconds = time.perf_counter() - started
    if scenario_run.status != RunStatus.SUCCEEDED:
        sys.exit(scenario_run.error)
    client = Client()
    client.force_login(admin)
    pk = scenario.pk
    locality = run.results.order_by("locality_code").values_list("locality_code", flat=True).first()
    pages = [
        reverse("maps:scenarios"),
        reverse("maps:scenario", args=[pk]),
        reverse("maps:scenario", args=[pk]) + "?kind=add_offer",
        reverse("maps:scenario-compare", args=[pk]),
        reverse("maps:scenario-compare", args=[pk]) + "?sort=expected_menu_change&dir=desc",
        reverse("maps:scenario-compare-csv", args=[pk]),
        reverse("maps:scenario-locality", args=[pk]) + f"?locality={locality}",
    ]
    print(f"{run.snapshot_counts}; scenario {pk}: {scenario.changes.count()} changes ({args.sites} new sites)")
    print(f"scenario run (in-process, execute_run): {run_seconds:.2f} s")
    print(f"{'page':<64} {'median ms':>10} {'max ms':>8} {'bytes':>10}")
    for url in pages:
        median, slowest, size = timed(lambda url=url: client.get(url), args.repeat)
        print(f"{url:<64} {median * 1000:>10.0f} {slowest * 1000:>8.0f} {size:>10}")
    plan = {
        "source": "generate",
        "generate_options": list(run.option_codes),
        "generate_provider": "Benchmark trust",
        "generate_provider_kind": "voluntary",
        "generate_cost": "1",
        "budget": "5",
        "objective": "expected_menu",
        "min_options": "1",
        "weight": "none",
    }
    candidates = len(new_site_candidates(run=run, option_codes=list(run.option_codes), provider="-", cost=1))
    median, slowest, size = timed(lambda: client.post(reverse("maps:planner"), plan), max(1, args.repeat // 2))
    label = f"POST planner: {candidates} generated candidates, budget 5"
    print(f"{label:<64} {median * 1000:>10.0f} {slowest * 1000:>8.0f} {size:>10}")


if __name__ == "__main__":
    main()
