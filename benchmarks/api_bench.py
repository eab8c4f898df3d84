"""Times the main API and Open Referral UK endpoints, and the ORUK export/import, on the dev database.

Usage (after load_demo and compute_reach --sync, or on a real catalogue):

    DJANGO_SETTINGS_MODULE=choicemap.settings.local .venv/bin/python benchmarks/api_bench.py [--repeat 20]

Prints the median and the slowest time per request. Changes nothing but the audit trail (the import
is a dry run; care-plan reads are audited, through the API as on the pages).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.selectors import has_role  # noqa: E402
from openreferral.selectors import catalogue_document  # noqa: E402
from openreferral.services import import_openreferral  # noqa: E402
from reach.selectors import current_run  # noqa: E402


def timed(call, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    admin = next((u for u in get_user_model().objects.filter(is_active=True) if has_role(u, "admin")), None)
    run = current_run()
    if admin is None or run is None:
        sys.exit("Needs an admin user and a succeeded run: python manage.py load_demo && compute_reach --sync")
    client = Client()
    client.force_login(admin)
    locality = run.results.order_by("locality_code").values_list("locality_code", flat=True).first()
    service = client.get("/openreferral/services?per_page=1").json()["contents"][0]["id"]
    endpoints = [
        "/api/v1/options/",
        "/api/v1/sites/?page_size=500",
        "/api/v1/offers/?page_size=500",
        "/api/v1/localities/?page_size=500",
        f"/api/v1/localities/{locality}/menu/",
        f"/api/v1/runs/{run.pk}/",
        f"/api/v1/runs/{run.pk}/summary/",
        f"/api/v1/runs/{run.pk}/results/?format=csv",
        f"/api/v1/runs/{run.pk}/results/?format=json",
        f"/api/v1/runs/{run.pk}/results/?format=geojson",
        "/openreferral/services?per_page=500",
        f"/openreferral/services/{service}",
        "/openreferral/locations",
        "/api/schema/",
    ]
    print(f"{run.snapshot_counts}, {args.repeat} requests each")
    print(f"{'endpoint':<58} {'median ms':>10} {'max ms':>8} {'bytes':>10}")
    for url in endpoints:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        median, worst = timed(partial(client.get, url), args.repeat)
        print(f"{url:<58} {median * 1000:>10.1f} {worst * 1000:>8.1f} {len(response.content):>10}")
    care_plans(args.repeat)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "oruk.json"
        median, worst = timed(lambda: path.write_text(json.dumps(catalogue_document())), 5)
        print(
            f"{'export_openreferral (document built and written)':<58} {median * 1000:>10.1f} {worst * 1000:>8.1f}"
            f" {path.stat().st_size:>10}"
        )
        median, worst = timed(lambda: import_openreferral(path=path, dry_run=True), 5)
        print(f"{'import_openreferral --dry-run (same document)':<58} {median * 1000:>10.1f} {worst * 1000:>8.1f}")


def care_plans(repeat: int) -> None:
    """A keyworker's caseload and records, and the commissioners' protected unmet-preference table."""
    users = get_user_model().objects.filter(is_active=True)
    keyworker = next((u for u in users.order_by("username") if has_role(u, "keyworker") and u.caseload.exists()), None)
    commissioner = next((u for u in users if has_role(u, "commissioner")), None)
    if keyworker is None or commissioner is None:
        print("(no keyworker with a caseload or no commissioner: care-plan endpoints skipped)")
        return
    person = keyworker.caseload.order_by("pk").first()
    as_keyworker, as_commissioner = Client(), Client()
    as_keyworker.force_login(keyworker)
    as_commissioner.force_login(commissioner)
    timings = [
        (as_keyworker, url, repeat)
        for url in (
            "/api/v1/service-users/",
            "/api/v1/service-users/?page_size=500",
            f"/api/v1/service-users/{person.pk}/",
            f"/api/v1/service-users/{person.pk}/choices/",
        )
    ]
    # The protection is the slow part and the same for both formats: fewer repeats.
    timings += [
        (as_commissioner, url, max(1, repeat // 4))
        for url in ("/api/v1/unmet-preference/", "/api/v1/unmet-preference/?format=csv")
    ]
    for client, url, times in timings:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        median, worst = timed(partial(client.get, url), times)
        print(f"{url:<58} {median * 1000:>10.1f} {worst * 1000:>8.1f} {len(response.content):>10}")


if __name__ == "__main__":
    main()
