"""Travel-time providers for the reach engine (pure numpy/scipy, no Django).

A provider turns locality origins and site points into sparse travel times: for each
mode a COO triple ``(locality_idx, site_idx, minutes)``. A missing pair means "not
reachable by that mode". Pairs are kept canonical (sorted by locality then site, no
duplicates) so the engine can build CSR matrices without sorting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

MODES: tuple[str, ...] = ("walk", "pt", "car", "cycle")
MODE_INDEX: dict[str, int] = {mode: i for i, mode in enumerate(MODES)}

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

PairTriple = tuple[np.ndarray, np.ndarray, np.ndarray]


def haversine_km(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    phi1, lam1, phi2, lam2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lat1, lon1, lat2, lon2))
    h = np.sin((phi2 - phi1) / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2
    # clip guards against h marginally above 1 from rounding on antipodal points
    distance: np.ndarray = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return distance


def unit_sphere_xyz_km(lat: npt.ArrayLike, lon: npt.ArrayLike) -> np.ndarray:
    """3D points on a sphere of the earth's radius; their chord distance is 2R·sin(θ/2)."""
    lat_r = np.radians(np.asarray(lat, dtype=np.float64))
    lon_r = np.radians(np.asarray(lon, dtype=np.float64))
    cos_lat = np.cos(lat_r)
    return EARTH_RADIUS_KM * np.column_stack((cos_lat * np.cos(lon_r), cos_lat * np.sin(lon_r), np.sin(lat_r)))


def chord_for_arc_km(arc_km: float) -> float:
    """Chord length for a great-circle distance; chord ≤ arc, so it bounds a KD-tree search."""
    arc_km = min(max(arc_km, 0.0), np.pi * EARTH_RADIUS_KM)
    return float(2.0 * EARTH_RADIUS_KM * np.sin(arc_km / (2.0 * EARTH_RADIUS_KM)))


def _empty_triple() -> PairTriple:
    return (np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.float32))


def _canonical(loc: np.ndarray, site: np.ndarray, minutes: np.ndarray, n_sites: int) -> PairTriple:
    """Sort pairs by (locality, site) and keep the minimum minutes of duplicates."""
    loc = np.asarray(loc, dtype=np.int64)
    site = np.asarray(site, dtype=np.int64)
    minutes = np.asarray(minutes, dtype=np.float32) + np.float32(0.0)  # turns -0.0 into +0.0
    key = loc * max(n_sites, 1) + site
    if key.size > 1 and not np.all(key[1:] > key[:-1]):
        # lexsort: by key, then minutes, so the first of each key group is the minimum
        order = np.lexsort((minutes, key))
        key, minutes = key[order], minutes[order]
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        key, minutes = key[first], minutes[first]
        loc, site = np.divmod(key, max(n_sites, 1))
    return (loc.astype(np.int32), site.astype(np.int32), minutes.astype(np.float32))


@dataclass(frozen=True)
class TravelTimes:
    """Sparse travel minutes per mode.

    ``pairs[mode] = (locality_idx int32, site_idx int32, minutes float32)``; every mode in
    ``MODES`` is present (possibly empty). On construction pairs are validated and made
    canonical: sorted by (locality, site), duplicates reduced to their minimum, NaN dropped.
    """

    pairs: dict[str, PairTriple]
    n_localities: int
    n_sites: int

    def __post_init__(self) -> None:
        clean: dict[str, PairTriple] = {}
        for mode in MODES:
            triple = self.pairs.get(mode)
            if triple is None:
                clean[mode] = _empty_triple()
                continue
            loc, site, minutes = (np.asarray(a) for a in triple)
            if not (loc.shape == site.shape == minutes.shape and loc.ndim == 1):
                raise ValueError(f"{mode}: locality_idx, site_idx and minutes must be 1-D and equal length")
            keep = np.isfinite(minutes)
            if not keep.all():
                loc, site, minutes = loc[keep], site[keep], minutes[keep]
            if loc.size:
                if loc.min() < 0 or loc.max() >= self.n_localities:
                    raise ValueError(f"{mode}: locality_idx out of range")
                if site.min() < 0 or site.max() >= self.n_sites:
                    raise ValueError(f"{mode}: site_idx out of range")
                if minutes.min() < 0:
                    raise ValueError(f"{mode}: negative minutes")
            clean[mode] = _canonical(loc, site, minutes, self.n_sites)
        unknown = set(self.pairs) - set(MODES)
        if unknown:
            raise ValueError(f"unknown modes: {sorted(unknown)}")
        object.__setattr__(self, "pairs", clean)

    def n_pairs(self) -> dict[str, int]:
        return {mode: int(triple[0].size) for mode, triple in self.pairs.items()}


class TravelTimeProvider(Protocol):
    """Anything that can produce travel times for a set of localities and sites.

    Road or transit network providers (r5py, OSRM tables, ...) implement this later.
    """

    def travel_times(
        self, *, locality_lat: np.ndarray, locality_lon: np.ndarray, site_lat: np.ndarray, site_lon: np.ndarray
    ) -> TravelTimes: ...


def crowfly_pairs_within_km(
    *,
    locality_lat: np.ndarray,
    locality_lon: np.ndarray,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    max_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (locality, site, haversine km) pairs with distance ≤ max_km, via a KD-tree.

    Points with non-finite coordinates never pair. Output is sorted by (locality, site).
    """
    loc_lat = np.asarray(locality_lat, dtype=np.float64)
    loc_lon = np.asarray(locality_lon, dtype=np.float64)
    s_lat = np.asarray(site_lat, dtype=np.float64)
    s_lon = np.asarray(site_lon, dtype=np.float64)
    loc_ok = np.flatnonzero(np.isfinite(loc_lat) & np.isfinite(loc_lon))
    site_ok = np.flatnonzero(np.isfinite(s_lat) & np.isfinite(s_lon))
    if max_km < 0 or loc_ok.size == 0 or site_ok.size == 0:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.float64)

    loc_tree = cKDTree(unit_sphere_xyz_km(loc_lat[loc_ok], loc_lon[loc_ok]))
    site_tree = cKDTree(unit_sphere_xyz_km(s_lat[site_ok], s_lon[site_ok]))
    # small slack so rounding in the chord never drops a pair the exact haversine keeps
    radius = chord_for_arc_km(max_km) * (1.0 + 1e-9) + 1e-9
    found = loc_tree.sparse_distance_matrix(site_tree, radius, output_type="ndarray")
    # sort candidate keys (unique, so a plain sort suffices) for canonical (locality, site) order
    key = np.sort(loc_ok[found["i"]].astype(np.int64) * s_lat.size + site_ok[found["j"]])
    loc_idx, site_idx = np.divmod(key, s_lat.size)
    km = haversine_km(loc_lat[loc_idx], loc_lon[loc_idx], s_lat[site_idx], s_lon[site_idx])
    keep = km <= max_km
    return loc_idx[keep].astype(np.int32), site_idx[keep].astype(np.int32), km[keep]


def crowfly_travel_times(
    *,
    locality_lat: np.ndarray,
    locality_lon: np.ndarray,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    speeds_kmh: Mapping[str, float],
    access_minutes: Mapping[str, float],
    detour_factor: float,
    max_minutes: Mapping[str, float],
) -> TravelTimes:
    """Crow-fly minutes = haversine km × detour ÷ speed × 60 + access minutes.

    Only pairs with minutes ≤ max_minutes[mode] are kept, so each mode's search radius is
    (max − access) / 60 × speed / detour km; a mode with max < access gets no pairs.
    The KD-tree search runs once at the largest radius; each mode then filters it.
    """
    if detour_factor <= 0:
        raise ValueError("detour_factor must be positive")
    n_loc, n_sites = int(np.size(locality_lat)), int(np.size(site_lat))
    radius_km: dict[str, float] = {}
    for mode in MODES:
        if not (mode in speeds_kmh and mode in access_minutes and mode in max_minutes):
            continue  # a caller that gives a mode no speed, access time or limit gets no pairs for it
        speed = float(speeds_kmh[mode])
        spare = float(max_minutes[mode]) - float(access_minutes[mode])
        if speed > 0 and spare >= 0:
            radius_km[mode] = spare / 60.0 * speed / detour_factor
    if not radius_km:
        return TravelTimes(pairs={}, n_localities=n_loc, n_sites=n_sites)

    loc_idx, site_idx, km = crowfly_pairs_within_km(
        locality_lat=locality_lat,
        locality_lon=locality_lon,
        site_lat=site_lat,
        site_lon=site_lon,
        max_km=max(radius_km.values()),
    )
    pairs: dict[str, PairTriple] = {}
    for mode in radius_km:
        minutes = km * detour_factor / float(speeds_kmh[mode]) * 60.0 + float(access_minutes[mode])
        keep = minutes <= float(max_minutes[mode])  # exact test on minutes, not on the radius
        pairs[mode] = (loc_idx[keep], site_idx[keep], minutes[keep].astype(np.float32))
    return TravelTimes(pairs=pairs, n_localities=n_loc, n_sites=n_sites)


def _mode_codes(mode_idx: np.ndarray | Sequence[str | int]) -> np.ndarray:
    """Mode column as int codes; accepts codes into MODES or the strings in MODES."""
    arr = np.asarray(mode_idx)
    if arr.dtype.kind in "iu":
        codes = arr.astype(np.int64)
    else:
        lookup = np.array([MODE_INDEX.get(str(m), -1) for m in arr.tolist()], dtype=np.int64)
        codes = lookup.reshape(arr.shape)
    if codes.size and (codes.min() < 0 or codes.max() >= len(MODES)):
        raise ValueError(f"modes must be codes 0..{len(MODES) - 1} or one of {MODES}")
    return codes


def matrix_travel_times(
    *,
    locality_idx: np.ndarray,
    site_idx: np.ndarray,
    mode_idx: np.ndarray | Sequence[str | int],
    minutes: np.ndarray,
    n_localities: int,
    n_sites: int,
) -> TravelTimes:
    """Travel times from imported rows (e.g. an r5py or OSRM table).

    ``mode_idx`` holds codes into MODES or mode names. Duplicate (locality, site, mode)
    rows keep the minimum; NaN minutes are dropped. Pairs above a profile's limit are
    kept here; the engine filters by limit.
    """
    loc = np.asarray(locality_idx, dtype=np.int64)
    site = np.asarray(site_idx, dtype=np.int64)
    mins = np.asarray(minutes, dtype=np.float32)
    codes = _mode_codes(mode_idx)
    if not (loc.shape == site.shape == mins.shape == codes.shape):
        raise ValueError("locality_idx, site_idx, mode_idx and minutes must have equal length")
    pairs = {mode: (loc[codes == i], site[codes == i], mins[codes == i]) for i, mode in enumerate(MODES)}
    return TravelTimes(pairs=pairs, n_localities=int(n_localities), n_sites=int(n_sites))


@dataclass(frozen=True)
class CrowflyProvider:
    """The default provider: needs no data beyond coordinates."""

    speeds_kmh: Mapping[str, float]
    access_minutes: Mapping[str, float]
    detour_factor: float
    max_minutes: Mapping[str, float]

    def travel_times(
        self, *, locality_lat: np.ndarray, locality_lon: np.ndarray, site_lat: np.ndarray, site_lon: np.ndarray
    ) -> TravelTimes:
        return crowfly_travel_times(
            locality_lat=locality_lat,
            locality_lon=locality_lon,
            site_lat=site_lat,
            site_lon=site_lon,
            speeds_kmh=self.speeds_kmh,
            access_minutes=self.access_minutes,
            detour_factor=self.detour_factor,
            max_minutes=self.max_minutes,
        )


@dataclass(frozen=True)
class MatrixProvider:
    """Imported locality × site × mode minutes; coordinates are ignored (rows carry indices)."""

    locality_idx: np.ndarray
    site_idx: np.ndarray
    mode_idx: np.ndarray
    minutes: np.ndarray

    def travel_times(
        self, *, locality_lat: np.ndarray, locality_lon: np.ndarray, site_lat: np.ndarray, site_lon: np.ndarray
    ) -> TravelTimes:
        return matrix_travel_times(
            locality_idx=self.locality_idx,
            site_idx=self.site_idx,
            mode_idx=self.mode_idx,
            minutes=self.minutes,
            n_localities=int(np.size(locality_lat)),
            n_sites=int(np.size(site_lat)),
        )
