"""Public transport times from Valhalla on OSM + GTFS (pure Python, no Django).

``build_valhalla`` runs Valhalla's own tools (ingest GTFS, convert transit, cut tiles) into
one directory; ``ValhallaMatrix`` answers from it in process with ``valhalla.Actor``.
Valhalla's matrix action does not take multimodal costing, so public transport times
come from one multimodal ``route`` per origin, destination and departure; the travel
time of a pair is a percentile over the departures in a window, the way r5/Conveyal and
the DfT journey time statistics report it. Valhalla's multimodal search walks at most
2,415 m (1.5 miles, pedestrian ``transit_start_end_max_distance``) at each end of a journey,
so a pair further apart than that on foot, with no transit between, has no journey.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from collections import deque
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from reach.networks.errors import NetworkInputError
from reach.networks.gtfs import inspect_gtfs
from reach.travel import haversine_km

CONFIG_NAME = "valhalla.json"
# Valhalla's multimodal route cannot beat this (rail at 200 km/h is the fastest in GTFS
# feeds here); pairs further than max_minutes at this speed are not routed at all.
PT_TOP_SPEED_KMH = 250.0
# Costing used to snap a point for each of the project's modes (public transport is reached
# on foot); Valhalla's own costing names are accepted as they are.
SNAP_COSTING = {
    "walk": "pedestrian",
    "pt": "pedestrian",
    "cycle": "bicycle",
    "car": "auto",
    "pedestrian": "pedestrian",
    "bicycle": "bicycle",
    "auto": "auto",
}
# Valhalla's defaults dislike buses (use_bus 0.3) and transfers, so a walk often wins over a
# faster bus; neutral preferences make the route the quick one a timetable promises.
MULTIMODAL_COSTING_OPTIONS = {"transit": {"use_bus": 1.0, "use_rail": 1.0, "use_transfers": 1.0}}
STDERR_TAIL_LINES = 40
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
PBF_HEADER_MARK = b"OSMHeader"


def build_valhalla(
    *,
    osm_path: Path,
    gtfs_paths: list[Path],
    out_dir: Path,
    log: Callable[[str], None],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Build Valhalla tiles with transit from an OSM extract and GTFS zips into out_dir.

    Checks every input first (NetworkInputError lists each problem, nothing is written);
    a failing Valhalla tool raises RuntimeError with the tail of its output.
    """
    osm_path, out_dir = Path(osm_path), Path(out_dir)
    gtfs_paths = [Path(p) for p in gtfs_paths]
    _check_inputs(osm_path, gtfs_paths)
    report = progress or (lambda _percent: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    tile_dir, transit_dir, feeds_dir = out_dir / "tiles", out_dir / "transit", out_dir / "gtfs"
    for directory in (tile_dir, transit_dir, feeds_dir):
        directory.mkdir(exist_ok=True)
    for index, feed in enumerate(gtfs_paths):
        _unpack_feed(feed, feeds_dir / f"feed{index}")
    config_path = _write_config(out_dir=out_dir, tile_dir=tile_dir, transit_dir=transit_dir, feeds_dir=feeds_dir)
    report(5)
    if gtfs_paths:
        _run_tool("valhalla_ingest_transit", ["-c", str(config_path)], log=log)
        report(25)
        _run_tool("valhalla_convert_transit", ["-c", str(config_path)], log=log)
        report(45)
    _run_tool("valhalla_build_tiles", ["-c", str(config_path), str(osm_path)], log=log)
    report(100)


def _check_inputs(osm_path: Path, gtfs_paths: list[Path]) -> None:
    problems: list[str] = []
    if not osm_path.is_file():
        problems.append(f"{osm_path.name}: file not found")
    else:
        with osm_path.open("rb") as handle:
            head = handle.read(64)
        # A PBF opens with a 4-byte length and a BlobHeader whose type is "OSMHeader".
        if PBF_HEADER_MARK not in head[4:32]:
            problems.append(f"{osm_path.name}: not an OpenStreetMap PBF file (no OSMHeader block at the start)")
    for feed in gtfs_paths:
        try:
            inspect_gtfs(feed)
        except NetworkInputError as error:
            problems.extend(error.problems)
    if problems:
        raise NetworkInputError(problems)


def _unpack_feed(feed: Path, target: Path) -> None:
    """Extract a checked feed's top-level .txt files only (no paths from the zip are trusted)."""
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(feed) as archive:
        for name in archive.namelist():
            if "/" in name or "\\" in name or not name.endswith(".txt"):
                continue
            with archive.open(name) as source, (target / name).open("wb") as sink:
                shutil.copyfileobj(source, sink)


def _write_config(*, out_dir: Path, tile_dir: Path, transit_dir: Path, feeds_dir: Path) -> Path:
    from valhalla import get_config  # noqa: PLC0415 (heavy C++ import, only when building or querying)

    config = get_config(tile_extract="", tile_dir=tile_dir, verbose=False)
    config["mjolnir"].update(
        {
            "transit_dir": str(transit_dir.resolve()),
            "transit_feeds_dir": str(feeds_dir.resolve()),
            # No timezone or admin database: building them downloads data. Without one Valhalla
            # reads both the GTFS times and the request's date_time in one default zone, so
            # timetable times and departure times still line up.
            "timezone": "",
            "admin": "",
            "traffic_extract": "",
            "concurrency": 1,
            "logging": {"type": "std_out", "color": False},
        }
    )
    # Our own process asks for whole chunks of pairs; Valhalla's web-service caps do not apply.
    for costing in ("auto", "pedestrian", "bicycle"):
        config["service_limits"][costing]["max_matrix_location_pairs"] = 1_000_000
        config["service_limits"][costing]["max_matrix_distance"] = 2_000_000.0
    config_path = out_dir / CONFIG_NAME
    config_path.write_text(json.dumps(config, indent=2))
    return config_path


def _run_tool(name: str, args: list[str], *, log: Callable[[str], None]) -> None:
    """Run one of pyvalhalla's console scripts; they find their executables on PATH."""
    venv_bin = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    log(f"{name} {' '.join(args)}")
    with subprocess.Popen(  # noqa: S603 (fixed executable from the installed package, no shell)
        [str(venv_bin / name), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=env,
    ) as process:
        assert process.stdout is not None  # noqa: S101 (stdout=PIPE above)
        for raw in process.stdout:
            line = ANSI_ESCAPE.sub("", raw.rstrip())
            if line:
                tail.append(line)
                log(line)
        returncode = process.wait()
    if returncode != 0:
        raise RuntimeError(f"{name} failed with exit code {returncode}:\n" + "\n".join(tail))


class ValhallaMatrix:
    """Travel times from a Valhalla build directory made by build_valhalla.

    One valhalla.Actor crashes the process when two threads use it at once, so calls on one
    instance take turns; for parallel work use one instance per process (Celery prefork).
    """

    def __init__(self, build_dir: Path):
        from valhalla import Actor  # noqa: PLC0415 (heavy C++ import, only when querying)

        config_path = Path(build_dir) / CONFIG_NAME
        if not config_path.is_file():
            raise FileNotFoundError(f"{config_path}: no Valhalla build here (run build_valhalla first)")
        config = json.loads(config_path.read_text())
        config["mjolnir"]["logging"] = {"type": ""}  # one log line per route would flood the worker log
        config["loki"]["logging"] = {"type": ""}
        config["thor"]["logging"] = {"type": ""}
        config["odin"]["logging"] = {"type": ""}
        self._actor = Actor(config)
        self._lock = threading.Lock()

    def pt_minutes(
        self,
        origins: np.ndarray,
        destinations: np.ndarray,
        *,
        travel_date: date,
        window_start: time,
        window_end: time,
        step_minutes: int,
        percentile: float,
        max_minutes: float,
    ) -> np.ndarray:
        """(n, m) minutes by walk + public transport; NaN where not reachable within max_minutes.

        Departures run from window_start every step_minutes while before window_end. A pair's
        time is the ``percentile`` (0–100, 50 = median) of its departures' door-to-door times,
        taken as the nearest observed value (no interpolation); a departure Valhalla finds no
        journey for counts as infinite, so a bus that runs twice a day fails the median.
        """
        origins, destinations = _points(origins), _points(destinations)
        departures = departure_times(travel_date, window_start, window_end, step_minutes)
        if not 0 <= percentile <= 100:
            raise ValueError(f"percentile must be within 0–100, not {percentile}")
        if not departures:
            raise ValueError(
                f"the departure window {window_start:%H:%M}–{window_end:%H:%M} holds no departure "
                "(it must start before it ends, on the same day)"
            )
        result = np.full((len(origins), len(destinations)), np.nan)
        crow_km = haversine_km(
            origins[:, None, 0], origins[:, None, 1], destinations[None, :, 0], destinations[None, :, 1]
        )
        candidates = crow_km / PT_TOP_SPEED_KMH * 60.0 <= max_minutes
        # The percentile is the rank-th fastest departure (nearest rank, as r5 reports it), so once
        # more than len - rank departures miss max_minutes the pair is out: stop routing it.
        rank = max(1, math.ceil(percentile / 100.0 * len(departures)))
        allowed_misses = len(departures) - rank
        for i, j in zip(*np.nonzero(candidates), strict=True):
            samples: list[float] = []
            misses = 0
            for departure in departures:
                samples.append(self._multimodal_minutes(origins[i], destinations[j], departure))
                misses += samples[-1] > max_minutes
                if misses > allowed_misses:
                    break
            else:
                result[i, j] = sorted(samples)[rank - 1]
        return result

    def _multimodal_minutes(self, origin: np.ndarray, destination: np.ndarray, departure: datetime) -> float:
        request = {
            "locations": [_location(origin), _location(destination)],
            "costing": "multimodal",
            "costing_options": MULTIMODAL_COSTING_OPTIONS,
            "date_time": {"type": 1, "value": departure.strftime("%Y-%m-%dT%H:%M")},
            "directions_type": "none",
        }
        try:
            with self._lock:
                response = self._actor.route(request)
        except RuntimeError:  # Valhalla raises when it finds no path; that departure has no journey
            return float("inf")
        return response["trip"]["summary"]["time"] / 60.0

    def auto_minutes(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """(n, m) driving minutes from Valhalla's own matrix (to compare engines); NaN if no route."""
        origins, destinations = _points(origins), _points(destinations)
        result = np.full((len(origins), len(destinations)), np.nan)
        if not len(origins) or not len(destinations):
            return result
        with self._lock:
            response = self._actor.matrix(
                {
                    "sources": [_location(point) for point in origins],
                    "targets": [_location(point) for point in destinations],
                    "costing": "auto",
                }
            )
        for row in response["sources_to_targets"]:
            for cell in row:
                if cell.get("time") is not None:
                    result[cell["from_index"], cell["to_index"]] = cell["time"] / 60.0
        return result

    def snap_distances_m(self, points: np.ndarray, mode: str) -> np.ndarray:
        """Metres from each point to the nearest edge usable by mode; inf when none is near at all."""
        if mode not in SNAP_COSTING:
            raise ValueError(f"unknown mode {mode!r} (expected one of {', '.join(SNAP_COSTING)})")
        points = _points(points)
        result = np.full(len(points), np.inf)
        if not len(points):
            return result
        with self._lock:
            answers = self._actor.locate(
                {"locations": [_location(point) for point in points], "costing": SNAP_COSTING[mode]}
            )
        for index, answer in enumerate(answers):
            snapped = [(edge["correlated_lat"], edge["correlated_lon"]) for edge in answer.get("edges") or []]
            snapped += [(node["lat"], node["lon"]) for node in answer.get("nodes") or []]
            if snapped:
                lat, lon = np.array(snapped).T
                result[index] = float(np.min(haversine_km(points[index, 0], points[index, 1], lat, lon))) * 1000.0
        return result


def departure_times(travel_date: date, window_start: time, window_end: time, step_minutes: int) -> list[datetime]:
    """Departures from window_start every step_minutes, strictly before window_end."""
    if step_minutes <= 0:
        raise ValueError("step_minutes must be positive")
    first = datetime.combine(travel_date, window_start)
    end = datetime.combine(travel_date, window_end)
    count = max(0, -(-int((end - first).total_seconds()) // (step_minutes * 60)))
    return [first + timedelta(minutes=step_minutes * k) for k in range(count)]


def _points(array: np.ndarray) -> np.ndarray:
    points = np.asarray(array, dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(points)):
        raise ValueError("points must be finite [lat, lon] pairs")
    return points


def _location(point: np.ndarray) -> dict[str, float]:
    return {"lat": float(point[0]), "lon": float(point[1])}
