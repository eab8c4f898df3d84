"""Whole-run benchmark at England scale: import, load from PostGIS, compute, store every row.

Uses a database of its own (default `choicemap_bench`, dropped and recreated), so it never touches
the demo. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/run_benchmark.py [--localities 33755] [--sites 2000] [--offers 6000]

With ``--scenario-sites 5`` it then runs a scenario adding that many sites (one offer each), by
crow-fly, and on cached network columns: a stand-in network build whose walking columns for every
catalogue site are cached first, so the scenario run routes only its new sites. No OSRM graph of
England exists here, so the new columns are "routed" by crow-fly minutes in place of OSRM
(``chunk_minutes`` replaced in this process); what is measured is the run around them: the cache
lookup, reading the cached columns, the engine and the store.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic_england import make_england  # noqa: E402
from reach.engine import HOME_VISIT, ON_SITE, OUTREACH, REMOTE  # noqa: E402

DELIVERY_NAMES = {ON_SITE: "on_site", OUTREACH: "outreach", HOME_VISIT: "home_visit", REMOTE: "remote"}
# The generator's settlement classes, as ONS 2011 rural-urban classes.
ONS_CLASS = {
    "urban_conurbation": "A1",
    "urban_city_town": "C1",
    "rural_town_fringe": "D1",
    "rural_village": "E1",
    "rural_dispersed": "E2",
    "": "",
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_inputs(folder: Path, *, n_localities: int, n_sites: int, n_offers: int) -> dict[str, Path]:
    england = make_england(n_localities=n_localities, n_sites=n_sites, n_offers=n_offers)
    loc, sites, offers = england.localities, england.sites, england.offers
    points = shapely.points(loc.lon, loc.lat)
    # Voronoi cells in input order, clipped to England's box: a boundary file of the real size.
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), ordered=True))
    box = shapely.box(-5.8, 49.9, 1.9, 55.9)
    cells = shapely.intersection(cells, box)
    codes = [f"E0{i + 1:07d}" for i in range(loc.n)]
    features = []
    for i, cell in enumerate(cells):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": codes[i],
                    "name": f"Synthetic {i + 1:05d}",
                    "population": int(loc.population[i]),
                    "rurality": ONS_CLASS[loc.rurality[i]],
                    "imd_decile": int(loc.imd_decile[i]) or None,
                    "car_share": None if np.isnan(loc.car_share[i]) else round(float(loc.car_share[i]), 3),
                    "origin_lat": round(float(loc.lat[i]), 6),
                    "origin_lon": round(float(loc.lon[i]), 6),
                },
                "geometry": json.loads(shapely.to_geojson(shapely.set_precision(cell, 1e-6))),
            }
        )
    paths = {
        "localities": folder / "england.geojson",
        "providers": folder / "providers.csv",
        "options": folder / "options.csv",
        "catalogue": folder / "catalogue.csv",
    }
    # the catalogue names its providers without a kind, so they are imported first
    paths["providers"].write_text(
        "name,kind,contact\n" + "".join(f"Provider {p:02d},voluntary,\n" for p in range(england.n_providers))
    )
    paths["localities"].write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with paths["options"].open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "category"])
        for k in range(england.n_options):
            writer.writerow([f"OPT{k:02d}", f"Option {k}", "other"])
    # A site has one provider in the catalogue model: the provider of its first offer.
    site_provider = {}
    for s, p in zip(offers.site_idx.tolist(), offers.provider_idx.tolist(), strict=True):
        site_provider.setdefault(s, p)
    venues: dict[int, list[str]] = {}
    for offer, locality in zip(offers.outreach_offer_idx.tolist(), offers.outreach_locality_idx.tolist(), strict=True):
        venues.setdefault(offer, []).append(codes[locality])
    seen = set()
    with paths["catalogue"].open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            [
                "provider",
                "site_code",
                "site_name",
                "lat",
                "lon",
                "option_code",
                "delivery",
                "capacity_per_week",
                "waiting_weeks",
                "min_age",
                "max_age",
                "outreach_localities",
                "home_visit_km",
                "active",
            ]
        )
        for j in range(offers.n):
            s = int(offers.site_idx[j])
            key = (s, int(offers.option_idx[j]), int(offers.delivery[j]))
            if key in seen:
                continue
            seen.add(key)
            delivery = int(offers.delivery[j])
            writer.writerow(
                [
                    f"Provider {site_provider[s]:02d}",
                    f"S{s:05d}",
                    f"Site {s}",
                    f"{sites.lat[s]:.6f}",
                    f"{sites.lon[s]:.6f}",
                    f"OPT{offers.option_idx[j]:02d}",
                    DELIVERY_NAMES[delivery],
                    "" if np.isnan(offers.capacity_per_week[j]) else int(offers.capacity_per_week[j]),
                    "" if np.isnan(offers.waiting_weeks[j]) else f"{offers.waiting_weeks[j]:g}",
                    "",
                    "",
                    ";".join(sorted(set(venues.get(j, [])))) if delivery == OUTREACH else "",
                    f"{offers.home_visit_km[j]:g}" if delivery == HOME_VISIT else "",
                    "true" if offers.active[j] else "false",
                ]
            )
    return paths


def fresh_database(name: str) -> str:
    import psycopg2

    base = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    url = base.rsplit("/", 1)[0] + "/" + name
    conn = psycopg2.connect(url)
    conn.autocommit = True
    conn.cursor().execute("CREATE EXTENSION IF NOT EXISTS postgis")
    conn.close()
    return "postgis" + url[url.index(":") :]


def add_england_arguments(parser: argparse.ArgumentParser, *, database: str) -> None:
    """The synthetic England's size, and the database the benchmark drops and recreates."""
    parser.add_argument("--localities", type=int, default=33755)
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--offers", type=int, default=6000)
    parser.add_argument("--database", default=database)


def django_on_fresh_database(name: str, *, fresh: bool = True) -> None:
    """Django set up on a new, empty database of that name (or, not `fresh`, the one already there), with
    no automatic recomputes."""
    if fresh:
        os.environ["DATABASE_URL"] = fresh_database(name)
    else:
        base = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        os.environ["DATABASE_URL"] = "postgis" + base[base.index(":") :].rsplit("/", 1)[0] + "/" + name
    os.environ["REACH_AUTO_RECOMPUTE"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "choicemap.settings.local")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_england_arguments(parser, database="choicemap_bench")
    parser.add_argument("--scenario-sites", type=int, default=0, help="then time a scenario adding this many sites")
    args = parser.parse_args()
    django_on_fresh_database(args.database)
    from django.core.management import call_command

    from areas.services import import_localities
    from reach.models import LocalityResult
    from reach.services import create_run, execute_run
    from services.services import import_catalogue, import_options, import_providers

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        paths = write_inputs(Path(folder), n_localities=args.localities, n_sites=args.sites, n_offers=args.offers)
        print(
            f"synthetic inputs written: {time.perf_counter() - started:.1f} s "
            f"(boundary file {paths['localities'].stat().st_size / 1e6:.0f} MB)"
        )
        started = time.perf_counter()
        import_localities(path=paths["localities"])
        print(f"import_localities: {args.localities} polygons in {time.perf_counter() - started:.1f} s")
        import_providers(path=paths["providers"])
        import_options(path=paths["options"])
        started = time.perf_counter()
        report = import_catalogue(path=paths["catalogue"])
        print(f"import_catalogue: {report.created} offers in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    run = execute_run(run_id=create_run().pk)
    total = time.perf_counter() - started
    print(
        f"whole run {run.pk}: {run.status} in {total:.2f} s "
        f"(load {run.timings.get('load_seconds')} s, compute {run.timings.get('compute_seconds')} s, "
        f"store {run.timings.get('store_seconds')} s); {LocalityResult.objects.filter(run=run).count()} rows; "
        f"counts {run.snapshot_counts}"
    )
    print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    print(
        f"mean expected menu {run.summary['mean']['expected_menu']:.2f} of {run.summary['n_options']}, "
        f"Gini {run.summary.get('gini_expected_menu')}"
    )
    if args.scenario_sites:
        scenario_figures(args.scenario_sites)


def _crowfly_walk_minutes(origins: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """(origins × sites) walking minutes by crow-fly with the default profile: the stand-in for OSRM."""
    from reach.engine import ReachParams
    from reach.travel import haversine_km

    params = ReachParams()
    km = haversine_km(origins[:, :1], origins[:, 1:], sites[:, 0][None, :], sites[:, 1][None, :])
    return (km * params.detour_factor / params.walk_kmh * 60 + params.walk_access_minutes).astype(np.float32)


def scenario_figures(n_sites: int) -> None:
    from django.utils import timezone

    from reach import network_services
    from reach.models import MatrixJob, NetworkBuild, TravelNetwork, TravelTimeColumn
    from reach.network_services import _float_bytes, _key, origins_key, settings_for_mode, site_key
    from reach.scenario_services import add_change, create_scenario
    from reach.selectors import load_snapshot
    from reach.services import create_run, execute_run
    from services.models import MenuOption, Provider

    snapshot = load_snapshot()
    rng = np.random.default_rng(7)
    population = snapshot.localities.population
    hosts = rng.choice(snapshot.locality_ids.size, size=n_sites, replace=False, p=population / population.sum())
    scenario = create_scenario(name=f"{n_sites} new sites", owner=None)
    provider = Provider.objects.order_by("name").first().name
    option = MenuOption.objects.order_by("display_order", "code").first().code
    for k, i in enumerate(hosts.tolist()):
        code = f"SCEN-{k}"
        lat, lon = round(float(snapshot.localities.lat[i]), 6), round(float(snapshot.localities.lon[i]), 6)
        add_change(
            scenario=scenario,
            kind="add_site",
            values={"code": code, "name": f"New site {k}", "provider": provider, "lat": lat, "lon": lon},
        )
        add_change(
            scenario=scenario,
            kind="add_offer",
            values={"site_code": code, "option_code": option, "delivery": "on_site"},
        )

    def timed_run(label: str, overrides: dict) -> None:
        started = time.perf_counter()
        run = execute_run(run_id=create_run(scenario=scenario, overrides=overrides).pk)
        total = time.perf_counter() - started
        print(f"scenario run adding {n_sites} sites, {label}: {run.status} in {total:.2f} s; timings {run.timings}")

    timed_run("crow-fly", {})

    # a stand-in network whose walking columns for every catalogue site are cached already
    network = TravelNetwork.objects.create(name="bench")
    build = NetworkBuild.objects.create(
        network=network, modes=["walk"], status="ready", osm_file="none", osm_sha256="0" * 64, osm_size=0,
        built_at=timezone.now(),
    )  # fmt: skip
    TravelNetwork.objects.filter(pk=network.pk).update(current_build=build)
    origins = np.column_stack([snapshot.localities.lat, snapshot.localities.lon]).astype(np.float64)
    chosen = settings_for_mode(mode="walk", params={}, build=build)
    skey, okey = _key({"mode": "walk", **chosen}), origins_key(origins)
    sites = np.column_stack([snapshot.sites.lat, snapshot.sites.lon])
    started = time.perf_counter()
    for start in range(0, len(sites), 200):
        part = sites[start : start + 200]
        minutes = _crowfly_walk_minutes(origins, part)
        TravelTimeColumn.objects.bulk_create(
            [
                TravelTimeColumn(
                    build=build, mode="walk", settings_key=skey, origins_key=okey, site_key=site_key(a, b),
                    minutes=_float_bytes(minutes[:, j], np.float32),
                )
                for j, (a, b) in enumerate(part.tolist())
            ],
            ignore_conflicts=True,
        )  # fmt: skip
    print(f"cached {TravelTimeColumn.objects.count()} walking columns first in {time.perf_counter() - started:.1f} s")

    def stand_in(*, build, mode, chosen, origins, sites):
        return _crowfly_walk_minutes(origins, sites), np.zeros(len(origins)), np.zeros(len(sites))

    network_services.chunk_minutes = stand_in
    timed_run("walking from the network cache", {"walk_source": "network", "network": "bench"})
    routed = [len(job.site_keys) for job in MatrixJob.objects.all()]
    cached = TravelTimeColumn.objects.count()
    print(f"columns routed for the scenario run: {sum(routed)} (jobs {routed}); cached now {cached}")


if __name__ == "__main__":
    main()
