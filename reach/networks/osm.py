"""Facts about an OpenStreetMap PBF extract: checksum, size, extract date, bounding box (no Django)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import osmium

from .errors import NetworkInputError
from .osrm import check_pbf


@dataclass(frozen=True)
class OsmFileInfo:
    path: Path
    sha256: str
    size: int
    extract_date: date | None
    bbox: tuple[float, float, float, float] | None  # (min_lon, min_lat, max_lon, max_lat)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _ExtractScan(osmium.SimpleHandler):
    """One pass over the file for what its header may leave out: newest timestamp and node extent."""

    def __init__(self) -> None:
        super().__init__()
        self.newest: datetime | None = None
        self.min_lon = self.min_lat = float("inf")
        self.max_lon = self.max_lat = float("-inf")

    def _see(self, obj) -> None:
        stamp = obj.timestamp
        if stamp.year > 1970 and (self.newest is None or stamp > self.newest):
            self.newest = stamp

    def node(self, node) -> None:
        self._see(node)
        if node.location.valid():
            lon, lat = node.location.lon, node.location.lat
            self.min_lon, self.max_lon = min(self.min_lon, lon), max(self.max_lon, lon)
            self.min_lat, self.max_lat = min(self.min_lat, lat), max(self.max_lat, lat)

    way = relation = _see


def _header_date(header) -> date | None:
    for key in ("osmosis_replication_timestamp", "timestamp"):
        value = header.get(key)
        if value:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).date()
    return None


def inspect_osm(path: Path) -> OsmFileInfo:
    """Check the file is a readable PBF and read its facts; NetworkInputError names the file and fault."""
    path = Path(path)
    check_pbf(path)
    try:
        reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
        header = reader.header()
        box = header.box()
        reader.close()
        extract_date = _header_date(header)
        bbox = None
        if box.valid():
            bbox = (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
        if extract_date is None or bbox is None:
            # Geofabrik extracts carry both in the header; a hand-cut file may not
            scan = _ExtractScan()
            scan.apply_file(str(path))
            extract_date = extract_date or (scan.newest.astimezone(UTC).date() if scan.newest else None)
            if bbox is None and scan.min_lon <= scan.max_lon:
                bbox = (scan.min_lon, scan.min_lat, scan.max_lon, scan.max_lat)
    except RuntimeError as exc:
        raise NetworkInputError([f"{path.name}: unreadable OpenStreetMap PBF ({exc})"]) from None
    return OsmFileInfo(
        path=path, sha256=file_sha256(path), size=path.stat().st_size, extract_date=extract_date, bbox=bbox
    )
