"""Equity map benchmark: first paint of the national choropleth for a synthetic England.

Loads ~34k Voronoi localities, 2,000 sites and ~6,000 offers into a database of its own through
the project's import services, computes a reach run, serves the project with `runserver` and
opens /map/ in headless Debian Chromium (Playwright). Prints, per page load, the time from
navigation to the painted choropleth (the page's `choropleth-painted` performance mark) and the
bytes sent until then, split by what was sent. Not a test: figures are printed, nothing asserted.

    DATABASE_URL is ignored; give the benchmark's own database (created if missing):
    .venv/bin/python benchmarks/map_benchmark.py --database-url postgis://postgres@127.0.0.1:5432/choicemap_bench

Target: first paint ≤ 2 s on a 2-core machine. `--reuse` keeps an already loaded database.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAT_RANGE = (50.0, 55.8)
LON_RANGE = (-5.7, 1.8)
KM_PER_DEG_LAT = 111.2
BENCH_PASSWORD = "benchmark-password-1"  # noqa: S105  (the benchmark's own throwaway user)
N_OPTIONS, N_PROVIDERS = 15, 40


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgis://postgres@127.0.0.1:5432/choicemap_bench")
    parser.add_argument("--localities", type=int, default=33755)
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--offers", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loads", type=int, default=5, help="page loads to time (each with an empty browser cache)")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it already holds the localities")
    return parser.parse_args()


# ---- a synthetic England (pure numpy + shapely) ------------------------------------------------


def synthetic_localities(n: int, rng: np.random.Generator) -> dict:
    """Settlement-like points (Pareto-sized towns plus rural scatter) and their Voronoi cells."""
    import shapely

    n_centres = 60
    centre_lat, centre_lon = rng.uniform(50.4, 55.2, n_centres), rng.uniform(-4.5, 1.3, n_centres)
    size = rng.pareto(1.2, n_centres) + 1.0
    size /= size.sum()
    n_rural = round(n * 0.15)
    cluster = rng.choice(n_centres, size=n - n_rural, p=size)
    spread_km = 2.0 + 12.0 * np.sqrt(size / size.max())
    dx, dy = rng.normal(0, spread_km[cluster]), rng.normal(0, spread_km[cluster])
    lat = np.concatenate([centre_lat[cluster] + dy / KM_PER_DEG_LAT, rng.uniform(*LAT_RANGE, n_rural)])
    lon = np.concatenate(
        [
            centre_lon[cluster] + dx / (KM_PER_DEG_LAT * np.cos(np.radians(centre_lat[cluster]))),
            rng.uniform(*LON_RANGE, n_rural),
        ]
    )
    lat, lon = np.clip(lat, *LAT_RANGE), np.clip(lon, *LON_RANGE)
    lat, lon = np.round(lat, 6), np.round(lon, 6)
    relative = np.concatenate([np.hypot(dx, dy) / spread_km[cluster], np.full(n_rural, 99.0)])
    rurality = np.where(
        relative < 0.7,
        "A1",
        np.where(relative < 1.5, "C1", np.where(relative < 2.5, "D1", np.where(rng.random(n) < 0.6, "E1", "E2"))),
    )
    frame = shapely.box(LON_RANGE[0], LAT_RANGE[0], LON_RANGE[1], LAT_RANGE[1])
    points = shapely.points(lon, lat)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True))
    cells = shapely.intersection(cells, frame)
    return {
        "lat": lat,
        "lon": lon,
        "cells": cells,
        "rurality": rurality,
        "population": np.round(rng.lognormal(np.log(1600), 0.25, n)).astype(int),
        "imd": rng.integers(1, 11, n),
        "car_share": np.clip(
            np.select([rurality == "A1", rurality == "C1", rurality == "D1"], [0.55, 0.7, 0.82], 0.9)
            + rng.normal(0, 0.06, n),
            0,
            1,
        ),
    }


def write_inputs(folder: Path, n_localities: int, n_sites: int, n_offers: int, seed: int) -> dict[str, Path]:
    import shapely
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    loc = synthetic_localities(n_localities, rng)
    codes = [f"E0{i:07d}" for i in range(1, n_localities + 1)]
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(cell, indent=None)),
            "properties": {
                "code": codes[i],
                "name": f"Synthetic {i + 1:05d}",
                "population": int(loc["population"][i]),
                "rurality": str(loc["rurality"][i]),
                "imd_decile": int(loc["imd"][i]),
                "car_share": round(float(loc["car_share"][i]), 3),
                "origin_lat": float(loc["lat"][i]),
                "origin_lon": float(loc["lon"][i]),
            },
        }
        for i, cell in enumerate(loc["cells"])
    ]
    paths = {name: folder / name for name in ("localities.geojson", "options.csv", "catalogue.csv")}
    paths["localities.geojson"].write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    option_codes = [f"OPT{k:02d}" for k in range(1, N_OPTIONS + 1)]
    paths["options.csv"].write_text(
        "code,name,category\n" + "".join(f"{code},Synthetic option {code[3:]},other\n" for code in option_codes)
    )

    weights = loc["population"] / loc["population"].sum()
    host = rng.choice(n_localities, size=n_sites, p=weights)
    site_lat = np.round(np.clip(loc["lat"][host] + rng.normal(0, 0.008, n_sites), *LAT_RANGE), 6)
    site_lon = np.round(np.clip(loc["lon"][host] + rng.normal(0, 0.012, n_sites), *LON_RANGE), 6)
    site_provider = rng.integers(0, N_PROVIDERS, n_sites)
    popularity = 1.0 / np.arange(1, N_OPTIONS + 1) ** 0.7
    tree = cKDTree(np.column_stack([loc["lon"], loc["lat"]]))
    rows, seen = (
        [
            "provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
            "min_age,max_age,outreach_localities,home_visit_km,active"
        ],
        set(),
    )
    for _ in range(n_offers):
        s = int(rng.integers(0, n_sites))
        option = option_codes[rng.choice(N_OPTIONS, p=popularity / popularity.sum())]
        delivery = rng.choice(["on_site", "outreach", "home_visit", "remote"], p=[0.8, 0.08, 0.06, 0.06])
        if (s, option, delivery) in seen:
            continue
        seen.add((s, option, delivery))
        venues = ""
        if delivery == "outreach":
            _, near = tree.query([site_lon[s], site_lat[s]], k=int(rng.integers(1, 6)))
            venues = ";".join(codes[i] for i in np.atleast_1d(near))
        radius = f"{rng.uniform(10, 25):.1f}" if delivery == "home_visit" else ""
        wait = "" if rng.random() < 0.15 else f"{rng.uniform(0, 8):.1f}"
        rows.append(
            f"Provider {site_provider[s]:02d},S{s:05d},Site {s:05d},{site_lat[s]},{site_lon[s]},{option},"
            f"{delivery},{int(rng.uniform(5, 60))},{wait},,,{venues},{radius},true"
        )
    paths["catalogue.csv"].write_text("\n".join(rows) + "\n")
    return paths


# ---- the database -------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    server = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()
    database = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=name,
    )
    database.autocommit = True
    database.cursor().execute("CREATE EXTENSION IF NOT EXISTS postgis")
    database.close()


def load(args) -> dict[str, float]:
    from django.core.management import call_command

    from accounts.roles import COMMISSIONER
    from accounts.services import ensure_user
    from areas.models import Locality
    from areas.services import import_localities
    from reach.selectors import current_run
    from reach.services import create_run, ensure_default_profile, execute_run
    from services.services import import_catalogue, import_options

    call_command("migrate", verbosity=0)
    ensure_user(username="commissioner", password=BENCH_PASSWORD, role=COMMISSIONER)
    ensure_default_profile()
    timings = {}
    if not (args.reuse and Locality.objects.count() == args.localities and current_run() is not None):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            paths = write_inputs(Path(folder), args.localities, args.sites, args.offers, args.seed)
            timings["generate_s"] = time.perf_counter() - started
            started = time.perf_counter()
            import_options(path=paths["options.csv"])
            import_localities(path=paths["localities.geojson"])
            timings["import_localities_s"] = time.perf_counter() - started
            started = time.perf_counter()
            import_catalogue(path=paths["catalogue.csv"], replace=True)
            timings["import_catalogue_s"] = time.perf_counter() - started
        started = time.perf_counter()
        run = execute_run(run_id=create_run().pk)
        timings["reach_run_s"] = time.perf_counter() - started
        if run.status != "succeeded":
            raise SystemExit(f"reach run failed: {run.error}")
    return timings


# ---- the browser --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603  (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not start: " + server.stderr.read().decode()[-2000:])


PAINT_FIGURES = """() => {
  const mark = performance.getEntriesByName("choropleth-painted")[0];
  const entries = [performance.getEntriesByType("navigation")[0], ...performance.getEntriesByType("resource")]
    .filter((e) => e.responseEnd <= mark.startTime);
  const marks = Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]));
  return {paint_ms: mark.startTime, shapes: Number(document.documentElement.dataset.mapPainted), marks: marks,
          resources: entries.map((e) => ({name: e.name, transfer: e.transferSize, body: e.encodedBodySize,
                                          decoded: e.decodedBodySize, ms: e.responseEnd - e.startTime,
                                          start: e.startTime, first_byte: e.responseStart, end: e.responseEnd}))};
}"""


def kind_of(url: str) -> str:
    for needle, kind in [
        ("/map/api/shapes/", "geometry"),
        ("/values/", "values"),
        ("/map/api/runs/", "run"),
        ("/static/", "static js/css"),
        ("/map/", "page"),
    ]:
        if needle in url:
            return kind
    return "other"


def measure_page_loads(port: int, loads: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    figures = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-background-networking"]
        )
        login = browser.new_context()
        page = login.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", "commissioner")
        page.fill("input[name=password]", BENCH_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        state = login.storage_state()
        login.close()
        for _ in range(loads):
            context = browser.new_context(storage_state=state, viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/map/")
            page.wait_for_selector("html[data-map-painted]", timeout=60000)
            result = page.evaluate(PAINT_FIGURES)
            page.wait_for_load_state("networkidle")
            result["total_bytes_idle"] = page.evaluate(
                "performance.getEntriesByType('resource').reduce((s, e) => s + e.transferSize, "
                "performance.getEntriesByType('navigation')[0].transferSize)"
            )
            figures.append(result)
            context.close()
        browser.close()
    return figures


def report(timings: dict, figures: list[dict], n_localities: int) -> None:
    print(f"\nEquity map benchmark: {n_localities:,} localities")
    for name, seconds in timings.items():
        print(f"  {name:<22} {seconds:8.2f} s")
    print("\n  load  first paint   shapes   bytes to paint   bytes after idle")
    for i, f in enumerate(figures, 1):
        sent = sum(r["transfer"] for r in f["resources"])
        print(
            f"  {i:>4}  {f['paint_ms'] / 1000:9.2f} s  {f['shapes']:7,}  {sent / 1024:12,.0f} KiB"
            f"  {f['total_bytes_idle'] / 1024:14,.0f} KiB"
        )
    warm = [f["paint_ms"] for f in figures[1:]] or [figures[0]["paint_ms"]]
    print(f"\n  first load (server caches cold): {figures[0]['paint_ms'] / 1000:.2f} s")
    print(f"  median of the others (warm):     {statistics.median(warm) / 1000:.2f} s   (target ≤ 2 s)")
    print("\n  sent before first paint, by kind (last load):")
    by_kind: dict[str, list[float]] = {}
    for r in figures[-1]["resources"]:
        entry = by_kind.setdefault(kind_of(r["name"]), [0, 0, 0])
        entry[0] += r["transfer"]
        entry[1] += r["decoded"]
        entry[2] = max(entry[2], r["ms"])
    for kind, (transfer, decoded, ms) in sorted(by_kind.items()):
        print(
            f"    {kind:<14} {transfer / 1024:9,.0f} KiB on the wire ({decoded / 1024:9,.0f} KiB unpacked),"
            f" slowest {ms:6.0f} ms"
        )


def report_timeline(figures: dict) -> None:
    print("\n  timeline of the last load (ms from navigation):")
    for r in sorted(figures["resources"], key=lambda r: r["start"]):
        print(
            f"    {r['start']:7.0f} → first byte {r['first_byte']:7.0f} → end {r['end']:7.0f}  "
            f"{r['name'].split('//', 1)[-1].split('/', 1)[-1][:70]}"
        )
    for name, at in sorted(figures["marks"].items(), key=lambda kv: kv[1]):
        print(f"    {at:7.0f}  mark {name}")


def main() -> None:
    args = parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "choicemap.settings.local",
        "REACH_AUTO_RECOMPUTE": "false",
        "BASEMAP_TILE_URL": "",
        "DEBUG": "false",
    }
    os.environ.update(env)
    import django

    django.setup()
    ensure_database(args.database_url)
    timings = load(args)
    port = free_port()
    server = start_server(env, port)
    try:
        figures = measure_page_loads(port, args.loads)
    finally:
        server.terminate()
        server.wait(timeout=30)
    report(timings, figures, args.localities)
    report_timeline(figures[-1])


if __name__ == "__main__":
    main()
