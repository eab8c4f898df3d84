"""OSRM road and path networks for car, walk and cycle (pure Python, no Django).

The build runs the osrm-extract and osrm-contract executables that the osrm-bindings wheel
ships, with its own car, foot and bicycle profiles; queries use the in-process
``OSRM(...).Table`` on the contraction hierarchy. Arrays in, arrays out.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import osrm

from .errors import NetworkInputError

OSRM_PACKAGE_DIR = Path(osrm.__file__).resolve().parent
OSRM_BIN_DIR = OSRM_PACKAGE_DIR / "bin"
OSRM_PROFILE_DIR = OSRM_PACKAGE_DIR / "share" / "profiles"

# the project's mode names → the profile osrm-bindings ships for it
OSRM_PROFILES: dict[str, str] = {"car": "car.lua", "walk": "foot.lua", "cycle": "bicycle.lua"}
GRAPH_NAME = "network.osrm"
# OSRM answers a table in one call; bigger blocks only cost memory for the (n, m) answer.
TABLE_BLOCK = 2000


def check_pbf(path: Path) -> None:
    """Raise NetworkInputError unless the file starts like an OSM PBF (a BlobHeader of type OSMHeader)."""
    path = Path(path)
    if not path.is_file():
        raise NetworkInputError([f"{path.name}: file not found"])
    with path.open("rb") as handle:
        head = handle.read(64)
    # 4-byte big-endian header length, then protobuf field 1 (tag 0x0a) = the string "OSMHeader"
    if len(head) < 15 or head[4] != 0x0A or head[6 : 6 + head[5]] != b"OSMHeader":
        raise NetworkInputError([f"{path.name}: not an OpenStreetMap PBF file (no OSMHeader block at the start)"])


def _run_tool(args: list[str], *, cwd: Path, log: Callable[[str], None]) -> None:
    log("$ " + " ".join(Path(args[0]).name if i == 0 else a for i, a in enumerate(args)))
    # the executables osrm-bindings ships, with paths this module chose: no shell, no user text
    completed = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    lines = (completed.stdout + completed.stderr).splitlines()
    for line in lines[-5:]:
        log("  " + line)
    if completed.returncode != 0:
        tail = "\n".join(lines[-20:])
        raise RuntimeError(f"{Path(args[0]).name} failed (exit {completed.returncode}):\n{tail}")


def build_osrm(
    *,
    osm_path: Path,
    out_dir: Path,
    modes: list[str],
    log: Callable[[str], None],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Extract and contract one graph per mode into ``out_dir/<mode>/``; writes nothing outside out_dir."""
    osm_path = Path(osm_path)
    check_pbf(osm_path)
    unknown = [mode for mode in modes if mode not in OSRM_PROFILES]
    if unknown:
        raise NetworkInputError([f"OSRM serves {', '.join(OSRM_PROFILES)}, not {', '.join(unknown)}"])
    for step, mode in enumerate(modes):
        mode_dir = Path(out_dir) / mode
        mode_dir.mkdir(parents=True, exist_ok=True)
        # osrm-extract writes next to its input, so the input is copied into the mode's folder
        pbf = mode_dir / "network.osm.pbf"
        shutil.copyfile(osm_path, pbf)
        profile = OSRM_PROFILE_DIR / OSRM_PROFILES[mode]
        log(f"OSRM {mode}: extracting with {profile.name}")
        _run_tool([str(OSRM_BIN_DIR / "osrm-extract"), "-p", str(profile), pbf.name], cwd=mode_dir, log=log)
        log(f"OSRM {mode}: contracting")
        _run_tool([str(OSRM_BIN_DIR / "osrm-contract"), GRAPH_NAME], cwd=mode_dir, log=log)
        pbf.unlink()
        if progress:
            progress(int(100 * (step + 1) / len(modes)))


def _as_float(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


class OsrmMatrix:
    """Travel minutes and snapping distances on one contracted OSRM graph (one mode)."""

    def __init__(self, build_dir: Path):
        graph = Path(build_dir) / GRAPH_NAME
        if not graph.with_suffix(".osrm.hsgr").exists():
            raise FileNotFoundError(f"no contracted OSRM graph in {build_dir}")
        self._engine = osrm.OSRM(
            storage_config=str(graph), algorithm="CH", use_shared_memory=False, default_radius="unlimited"
        )

    def _table(self, origins: np.ndarray, destinations: np.ndarray):
        coordinates = [(float(lon), float(lat)) for lat, lon in np.concatenate([origins, destinations])]
        n = len(origins)
        params = osrm.TableParameters(
            coordinates=coordinates,
            sources=list(range(n)),
            destinations=list(range(n, n + len(destinations))),
            annotations=["duration"],
        )
        return self._engine.Table(params)

    def minutes_and_snaps(
        self, origins: np.ndarray, destinations: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(n, m) minutes (NaN where no route) and each point's metres to where OSRM snapped it.

        origins (n, 2) and destinations (m, 2) are [lat, lon].
        """
        origins = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
        destinations = np.asarray(destinations, dtype=np.float64).reshape(-1, 2)
        minutes = np.full((len(origins), len(destinations)), np.nan)
        origin_snap = np.full(len(origins), np.nan)
        destination_snap = np.full(len(destinations), np.nan)
        if len(origins) == 0 or len(destinations) == 0:
            return minutes, origin_snap, destination_snap
        for start in range(0, len(destinations), TABLE_BLOCK):
            block = destinations[start : start + TABLE_BLOCK]
            answer = self._table(origins, block)
            minutes[:, start : start + len(block)] = np.array([_as_float(row) for row in answer["durations"]]) / 60.0
            destination_snap[start : start + len(block)] = [w["distance"] for w in answer["destinations"]]
            origin_snap = np.array([w["distance"] for w in answer["sources"]], dtype=np.float64)
        return minutes, origin_snap, destination_snap

    def minutes(self, origins: np.ndarray, destinations: np.ndarray) -> np.ndarray:
        """(n, m) travel minutes from origins to destinations ([lat, lon] rows); NaN where no route."""
        return self.minutes_and_snaps(origins, destinations)[0]

    def snap_distances_m(self, points: np.ndarray) -> np.ndarray:
        """Metres from each [lat, lon] point to the nearest edge this mode can use."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0:
            return np.empty(0)
        return self.minutes_and_snaps(points[:1], points)[2]
