#!/usr/bin/env python
"""Build choicemap's synthetic Dorset demo data.

Writes, next to this script:
  localities.geojson  ~100 Voronoi localities tiling a hand-drawn Dorset outline (EPSG:4326)
  options.csv         the treatment menu (NDTMS intervention families)
  providers.csv       fictional providers
  catalogue.csv       one row per site offer (provider x site x option x delivery mode)

Inputs: dorset_places.csv (GeoNames coordinates, ONS 2011 populations), copied into demo/.
Everything else is synthetic and generated from a fixed seed, so the output is byte-for-byte
reproducible. No Django import; needs only numpy and shapely (>= 2.1).

    cd /work/main && .venv/bin/python demo/build_dorset_demo.py
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon

HERE = Path(__file__).resolve().parent
SEED = 20110327  # census day 2011; any fixed value works
GRID = 1e-5  # output precision in degrees (5 decimals, ~1 m)

BCP = ("E06000058", "Bournemouth, Christchurch and Poole")
DORSET = ("E06000059", "Dorset")
BCP_TOWNS = {"Bournemouth", "Poole", "Christchurch"}

# ---------------------------------------------------------------------------------------------
# Geometry helpers: work in a local km plane (equirectangular about the county centre) so that
# Voronoi cells are not stretched east-west; convert back to lon/lat at the end. The transform
# is affine, so straight edges stay straight and shared vertices stay shared.
LON0, LAT0 = -2.3, 50.8
KX = 111.320 * math.cos(math.radians(LAT0))  # km per degree of longitude
KY = 110.574  # km per degree of latitude


def to_km(coords: np.ndarray) -> np.ndarray:
    return np.column_stack([(coords[:, 0] - LON0) * KX, (coords[:, 1] - LAT0) * KY])


def to_deg(coords: np.ndarray) -> np.ndarray:
    return np.column_stack([coords[:, 0] / KX + LON0, coords[:, 1] / KY + LAT0])


def km_xy(lon: float, lat: float) -> tuple[float, float]:
    return ((lon - LON0) * KX, (lat - LAT0) * KY)


def deg_xy(x: float, y: float) -> tuple[float, float]:
    return (x / KX + LON0, y / KY + LAT0)


# ---------------------------------------------------------------------------------------------
# A simplified but recognisable Dorset (ceremonial county, i.e. Dorset Council + BCP).
# Clockwise from Chewton Bunny (Hampshire border on the coast): west along the coast with
# Poole Harbour as a bite, the Isle of Purbeck, Weymouth and the Isle of Portland as a
# peninsula on Chesil Beach, Lyme Regis; then north along Devon, east along Somerset and
# Wiltshire, and south along Hampshire. (lon, lat)
OUTLINE = [
    (-1.6840, 50.7400),
    (-1.7050, 50.7360),
    (-1.7250, 50.7290),
    (-1.7400, 50.7230),
    (-1.7450, 50.7170),
    (-1.7600, 50.7080),
    (-1.7800, 50.7140),
    (-1.8100, 50.7180),
    (-1.8400, 50.7200),
    (-1.8600, 50.7170),
    (-1.8800, 50.7140),
    (-1.9000, 50.7090),
    (-1.9200, 50.7020),
    (-1.9350, 50.6930),
    (-1.9430, 50.6850),
    # Poole Harbour: north shore westwards ...
    (-1.9520, 50.6880),
    (-1.9600, 50.6960),
    (-1.9700, 50.7050),
    (-1.9850, 50.7100),
    (-2.0050, 50.7080),
    (-2.0300, 50.7040),
    (-2.0600, 50.7000),
    (-2.0850, 50.6950),
    (-2.0950, 50.6880),
    # ... and south shore eastwards to South Haven Point
    (-2.0800, 50.6820),
    (-2.0500, 50.6780),
    (-2.0100, 50.6760),
    (-1.9800, 50.6740),
    (-1.9600, 50.6760),
    (-1.9500, 50.6800),
    # Studland, Swanage, Purbeck coast
    (-1.9420, 50.6700),
    (-1.9380, 50.6550),
    (-1.9250, 50.6430),
    (-1.9350, 50.6270),
    (-1.9480, 50.6160),
    (-1.9520, 50.6080),
    (-1.9520, 50.5980),
    (-1.9560, 50.5930),
    (-1.9900, 50.5900),
    (-2.0300, 50.5850),
    (-2.0570, 50.5760),
    (-2.0800, 50.5900),
    (-2.1200, 50.6030),
    (-2.1700, 50.6100),
    (-2.2100, 50.6150),
    (-2.2500, 50.6170),
    (-2.2800, 50.6210),
    (-2.3300, 50.6300),
    (-2.3800, 50.6340),
    (-2.4200, 50.6360),
    # Weymouth Bay, Weymouth, Portland Harbour
    (-2.4400, 50.6280),
    (-2.4500, 50.6180),
    (-2.4480, 50.6080),
    (-2.4440, 50.6040),
    (-2.4560, 50.5990),
    (-2.4620, 50.5920),
    (-2.4580, 50.5850),
    (-2.4470, 50.5780),
    # Isle of Portland
    (-2.4300, 50.5720),
    (-2.4250, 50.5650),
    (-2.4170, 50.5530),
    (-2.4200, 50.5380),
    (-2.4300, 50.5250),
    (-2.4450, 50.5160),
    (-2.4560, 50.5130),
    (-2.4640, 50.5230),
    (-2.4680, 50.5400),
    (-2.4640, 50.5560),
    (-2.4560, 50.5660),
    # Chesil Beach back to the mainland, West Dorset coast
    (-2.4620, 50.5760),
    (-2.4720, 50.5850),
    (-2.4900, 50.5960),
    (-2.5300, 50.6180),
    (-2.5700, 50.6400),
    (-2.6000, 50.6550),
    (-2.6500, 50.6760),
    (-2.7000, 50.6930),
    (-2.7300, 50.7010),
    (-2.7650, 50.7080),
    (-2.8000, 50.7160),
    (-2.8300, 50.7210),
    (-2.8700, 50.7280),
    (-2.9000, 50.7320),
    (-2.9200, 50.7230),
    (-2.9350, 50.7210),
    (-2.9480, 50.7160),
    # Devon border
    (-2.9550, 50.7330),
    (-2.9450, 50.7550),
    (-2.9550, 50.7800),
    (-2.9600, 50.8100),
    (-2.9500, 50.8350),
    (-2.9150, 50.8550),
    (-2.8700, 50.8600),
    # Somerset border (round Yeovil, north of Sherborne, up to Bourton)
    (-2.8300, 50.8520),
    (-2.7800, 50.8650),
    (-2.7300, 50.8700),
    (-2.6900, 50.8820),
    (-2.6500, 50.8950),
    (-2.6200, 50.9150),
    (-2.5900, 50.9300),
    (-2.5600, 50.9560),
    (-2.5200, 50.9680),
    (-2.4800, 50.9600),
    (-2.4450, 50.9560),
    (-2.4100, 50.9700),
    (-2.3900, 50.9950),
    (-2.3700, 51.0250),
    (-2.3500, 51.0550),
    (-2.3300, 51.0790),
    # Wiltshire border (Gillingham, Shaftesbury, Cranborne Chase)
    (-2.3000, 51.0760),
    (-2.2650, 51.0600),
    (-2.2300, 51.0420),
    (-2.1950, 51.0230),
    (-2.1500, 51.0150),
    (-2.1000, 51.0050),
    (-2.0500, 50.9950),
    (-2.0000, 50.9870),
    (-1.9500, 50.9780),
    (-1.9000, 50.9650),
    (-1.8600, 50.9500),
    (-1.8300, 50.9300),
    # Hampshire border (Alderholt, Verwood, St Leonards, Christchurch)
    (-1.8150, 50.9050),
    (-1.8250, 50.8850),
    (-1.8400, 50.8650),
    (-1.8200, 50.8480),
    (-1.8000, 50.8300),
    (-1.7900, 50.8050),
    (-1.7650, 50.7850),
    (-1.7350, 50.7700),
    (-1.7100, 50.7580),
    (-1.6900, 50.7500),
]

# Seeds (cells) per town; radius (km) of the area the seeds are spread over.
TOWN_CELLS = {
    "Bournemouth": (12, 4.3),
    "Poole": (10, 4.0),
    "Christchurch": (3, 2.6),
    "Weymouth": (4, 2.6),
    "Portland": (2, 2.0),
    "Ferndown": (2, 1.8),
    "Dorchester": (2, 1.6),
    "Wimborne Minster": (2, 1.8),
    "Bridport": (2, 1.6),
}
SINGLE_RADIUS = 1.5
# The seeds of a few towns are spread around a point other than the GeoNames one (which is the
# first seed): Bournemouth reaches north to Kinson, Poole east to Parkstone and Sandbanks.
SPREAD_CENTRE = {"Bournemouth": (-1.8600, 50.7380), "Poole": (-1.9800, 50.7320)}
RURAL_SPACING = 5.7  # km, hex grid for the rural seeds filling the gaps


# Where the "sparse setting" rural classes (D2/E2) apply: far west and the far north-west.
def is_sparse(lon: float, lat: float) -> bool:
    return lon < -2.62 or (lat > 50.93 and lon < -2.25)


# Deprivation hot spots (lon, lat, radius km, decile range) -- fictional but plausible.
DEPRIVED = [
    (-1.8450, 50.7250, 1.3, (1, 2)),  # Boscombe
    (-1.8760, 50.7230, 1.2, (2, 3)),  # Bournemouth town centre
    (-1.9050, 50.7650, 1.6, (2, 3)),  # Kinson / West Howe
    (-2.0050, 50.7160, 1.5, (2, 3)),  # Poole town centre / Hamworthy
    (-1.9750, 50.7450, 1.2, (2, 4)),  # Alderney / Turlin Moor area
    (-2.4570, 50.6120, 1.6, (1, 3)),  # Melcombe Regis / Westham, Weymouth
    (-2.4350, 50.6450, 1.2, (2, 3)),  # Littlemoor
    (-2.4400, 50.5600, 3.0, (2, 3)),  # Portland
]
AFFLUENT = [
    (-1.9350, 50.6980, 2.2, (9, 10)),  # Sandbanks, Canford Cliffs, Lilliput
    (-1.9950, 50.7600, 1.5, (8, 9)),  # Broadstone
]
TOWN_IMD = {  # default decile range for a town's other cells
    "Bournemouth": (4, 8),
    "Poole": (5, 8),
    "Christchurch": (5, 8),
    "Weymouth": (3, 5),
    "Portland": (2, 3),
    "Ferndown": (6, 8),
    "Dorchester": (5, 8),
    "Wimborne Minster": (7, 9),
    "Bridport": (5, 7),
    "Verwood": (8, 9),
    "Blandford Forum": (5, 7),
    "Gillingham": (5, 7),
    "Swanage": (5, 7),
    "Sherborne": (7, 9),
    "Shaftesbury": (6, 8),
    "Wareham": (6, 8),
    "Lyme Regis": (6, 7),
    "Sturminster Newton": (6, 7),
    "Beaminster": (6, 8),
}


@dataclass
class Place:
    name: str
    lon: float
    lat: float
    population: int | None
    kind: str


@dataclass
class Seed:
    x: float
    y: float
    place: Place
    role: str  # "town", "village", "rural"
    is_centre: bool = False


def read_places() -> list[Place]:
    out = []
    with open(HERE / "dorset_places.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            pop = int(row["population"]) if row["population"].strip() else None
            out.append(Place(row["name"], float(row["lon"]), float(row["lat"]), pop, row["kind"]))
    return out


def dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


# ---------------------------------------------------------------------------------------------
def make_seeds(places: list[Place], land_km: Polygon, rng: np.random.Generator) -> list[Seed]:
    inner = land_km.buffer(-0.25)  # keep seeds off the water line
    shapely.prepare(inner)
    pxy = {p.name: km_xy(p.lon, p.lat) for p in places}
    centre = {n: km_xy(*SPREAD_CENTRE.get(n, (p.lon, p.lat))) for n, p in ((p.name, p) for p in places)}
    radius = {p.name: TOWN_CELLS.get(p.name, (1, SINGLE_RADIUS))[1] for p in places}
    seeds = [Seed(*pxy[p.name], p, "town" if p.kind == "town" else "village", True) for p in places]
    for p in places:
        assert inner.contains(Point(pxy[p.name])), f"{p.name} is outside the outline"

    def territory_ok(c: tuple[float, float], own: str) -> bool:
        d_own = dist(c, centre[own]) / radius[own]
        if any(dist(c, centre[o]) / radius[o] < d_own for o in centre if o != own):
            return False
        lat = deg_xy(*c)[1]
        if own == "Portland" and lat > 50.572:  # stay on the isle
            return False
        if own == "Weymouth" and lat < 50.586:  # stay off the isle
            return False
        return True

    # Mitchell's best-candidate sampling: spread a town's extra seeds within its radius.
    for name, (n, r) in TOWN_CELLS.items():
        place = next(p for p in places if p.name == name)
        cx, cy = centre[name]
        for _ in range(n - 1):
            best, best_d = None, -1.0
            tries = 0
            while tries < 400 and (best is None or tries < 60):
                tries += 1
                rho, th = r * math.sqrt(rng.uniform(0.05, 1.0)), rng.uniform(0, 2 * math.pi)
                c = (cx + rho * math.cos(th), cy + rho * math.sin(th))
                if not inner.contains(Point(c)) or not territory_ok(c, name):
                    continue
                d = min(dist(c, (s.x, s.y)) for s in seeds)
                if d > best_d:
                    best, best_d = c, d
            assert best is not None, f"could not place a seed for {name}"
            seeds.append(Seed(best[0], best[1], place, "town"))

    add_rural_seeds(seeds, places, land_km, pxy, rng)
    return seeds


def add_rural_seeds(
    seeds: list[Seed], places: list[Place], land_km: Polygon, pxy: dict, rng: np.random.Generator
) -> None:
    """Rural seeds: a jittered hex grid over the county, kept where it fills a gap."""
    minx, miny, maxx, maxy = land_km.bounds
    s = RURAL_SPACING
    deep = land_km.buffer(-0.8)
    shapely.prepare(deep)
    row = 0
    y = miny + s / 2
    while y < maxy:
        x = minx + (s / 2 if row % 2 else 0.0)
        while x < maxx:
            c = (x + rng.uniform(-0.25, 0.25) * s, y + rng.uniform(-0.25, 0.25) * s)
            if deep.contains(Point(c)) and min(dist(c, (q.x, q.y)) for q in seeds) >= 0.68 * s:
                # named after the nearest Dorset Council place: BCP is all urban here
                nearest = min((p for p in places if p.name not in BCP_TOWNS), key=lambda p: dist(c, pxy[p.name]))
                seeds.append(Seed(c[0], c[1], nearest, "rural"))
            x += s
        y += s * math.sqrt(3) / 2
        row += 1


def build_cells(seeds: list[Seed], land_km: Polygon) -> list[Polygon | MultiPolygon]:
    pts = MultiPoint([(s.x, s.y) for s in seeds])
    vor = shapely.voronoi_polygons(pts, extend_to=land_km.buffer(60), ordered=True)
    cells = [shapely.intersection(g, land_km) for g in shapely.get_parts(vor)]
    for s, c in zip(seeds, cells, strict=True):
        assert c.contains(Point(s.x, s.y)), "voronoi cell order mismatch"

    # A cell clipped by the coast can fall apart (e.g. across Poole Harbour). Hand each piece
    # that does not hold the seed to the neighbour it shares the longest border with.
    for _ in range(5):
        moved = False
        for i, s in enumerate(seeds):
            parts = list(shapely.get_parts(cells[i]))
            if len(parts) < 2:
                continue
            keep = [p for p in parts if p.covers(Point(s.x, s.y))]
            for part in parts:
                if part in keep:
                    continue
                shared = [
                    (shapely.length(shapely.intersection(part.boundary, cells[j].boundary)), j)
                    for j in range(len(cells))
                    if j != i
                ]
                length, j = max(shared)
                if length <= 0:
                    keep.append(part)
                    continue
                cells[j] = shapely.union(cells[j], part)
                moved = True
            cells[i] = shapely.union_all(keep)
        if not moved:
            break
    return cells


def to_wgs84_coverage(cells_km: list) -> list:
    deg = [shapely.transform(c, to_deg) for c in cells_km]
    out = []
    for cell in deg:
        valid = shapely.make_valid(shapely.set_precision(cell, GRID))
        # keep the polygonal part only (make_valid may return a collection)
        polys = [p for p in shapely.get_parts(valid) if p.geom_type in ("Polygon", "MultiPolygon")]
        out.append(shapely.union_all(polys))
    return out


# ---------------------------------------------------------------------------------------------
COMPASS = ["east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east"]


def compass(dx: float, dy: float) -> str:
    ang = math.degrees(math.atan2(dy, dx)) % 360
    return COMPASS[int(((ang + 22.5) % 360) // 45)]


def split_integer(total: int, weights: np.ndarray) -> list[int]:
    raw = total * weights / weights.sum()
    base = np.floor(raw).astype(int)
    rest = total - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return [int(v) for v in base]


def build_localities(places: list[Place], rng: np.random.Generator):
    land_deg = Polygon(OUTLINE)
    assert land_deg.is_valid, shapely.is_valid_reason(land_deg)
    land_km = shapely.transform(land_deg, to_km)
    seeds = make_seeds(places, land_km, rng)
    cells_km = build_cells(seeds, land_km)
    cells = to_wgs84_coverage(cells_km)
    areas_km2 = [c.area for c in cells_km]
    by_town: dict[str, list[int]] = {}
    for i, s in enumerate(seeds):
        if s.role in ("town", "village"):
            by_town.setdefault(s.place.name, []).append(i)
    names = locality_names(seeds, by_town)
    pops = locality_populations(seeds, by_town, areas_km2, rng)

    town_seed_xy = [(s.x, s.y) for s in seeds if s.role == "town"]
    town_seed_xy += [km_xy(p.lon, p.lat) for p in places if p.kind == "town"]
    feats = []
    for i, (s, cell) in enumerate(zip(seeds, cells, strict=True)):
        lon, lat = deg_xy(s.x, s.y)
        lon, lat = round(lon, 5), round(lat, 5)
        origin = Point(lon, lat)
        if not cell.contains(origin):
            rp = cell.representative_point()
            lon, lat = round(rp.x, 5), round(rp.y, 5)
        la = BCP if s.place.name in BCP_TOWNS else DORSET
        sparse = is_sparse(lon, lat)
        imd = locality_imd(s, rng, sparse=sparse)
        feats.append(
            {
                "seed": s,
                "geometry": cell,
                "name": names[i],
                "population": pops[i],
                "rurality": locality_rurality(s, town_seed_xy, sparse=sparse),
                "imd_decile": imd,
                "car_share": locality_car_share(s, rng, imd=imd),
                "origin_lat": lat,
                "origin_lon": lon,
                "la_code": la[0],
                "la_name": la[1],
            }
        )

    feats.sort(key=lambda f: (f["la_code"], f["name"]))
    for k, f in enumerate(feats, start=1):
        f["code"] = f"E0190{k:04d}"
    return land_deg, feats


def locality_names(seeds: list[Seed], by_town: dict[str, list[int]]) -> list[str]:
    """Town cells numbered north to south; rural cells by compass point from their named place."""
    names: list[str] = [""] * len(seeds)
    for town, idx in by_town.items():
        if len(idx) == 1:
            names[idx[0]] = town
            continue
        idx.sort(key=lambda i: (-round(seeds[i].y, 1), seeds[i].x))  # north to south, then west to east
        for k, i in enumerate(idx, start=1):
            names[i] = f"{town} {k:02d}"
    rural: dict[str, list[int]] = {}
    for i, s in enumerate(seeds):
        if s.role == "rural":
            rural.setdefault(s.place.name, []).append(i)
    for town, idx in rural.items():
        if len(idx) == 1:
            names[idx[0]] = f"Rural {town}"
            continue
        px, py = km_xy(seeds[idx[0]].place.lon, seeds[idx[0]].place.lat)
        labels = [compass(seeds[i].x - px, seeds[i].y - py) for i in idx]
        for i, lab in zip(idx, labels, strict=True):
            dup = [j for j, l2 in zip(idx, labels, strict=True) if l2 == lab]
            suffix = f" {dup.index(i) + 1}" if len(dup) > 1 else ""
            names[i] = f"Rural {town} ({lab}{suffix})"
    assert len(set(names)) == len(names), "duplicate locality names"
    return names


def locality_populations(
    seeds: list[Seed], by_town: dict[str, list[int]], areas_km2: list[float], rng: np.random.Generator
) -> list[int]:
    pops = [0] * len(seeds)
    for idx in by_town.values():
        place = seeds[idx[0]].place
        total = place.population if place.population else int(rng.integers(300, 2001))
        if place.kind == "village":  # the village plus its dispersed hinterland
            for i in idx:
                pops[i] = total + int(round(areas_km2[i] * rng.uniform(12, 24)))
        else:
            w = rng.uniform(0.8, 1.2, size=len(idx))
            for i, v in zip(idx, split_integer(total, w), strict=True):
                pops[i] = v
    for i, s in enumerate(seeds):
        if s.role == "rural":
            density = rng.uniform(22, 38) if is_sparse(*deg_xy(s.x, s.y)) else rng.uniform(35, 65)
            pops[i] = int(np.clip(round(areas_km2[i] * density), 400, 4500))
    return pops


def locality_rurality(s: Seed, town_seed_xy: list[tuple[float, float]], *, sparse: bool) -> str:
    place = s.place
    if s.role == "town":
        big = place.name in BCP_TOWNS or (place.population or 0) >= 9000 or place.name == "Portland"
        return "C1" if big else ("D2" if sparse else "D1")
    if s.role == "village":
        return "E2" if sparse else "E1"
    fringe = min(dist((s.x, s.y), t) for t in town_seed_xy) < 5.0
    return ("D2" if sparse else "D1") if fringe else ("E2" if sparse else "E1")


def locality_imd(s: Seed, rng: np.random.Generator, *, sparse: bool) -> int:
    lo, hi = TOWN_IMD.get(s.place.name, (6, 9)) if s.role != "rural" else (5, 9)
    if s.role == "rural" and sparse:
        lo, hi = 5, 8  # barriers to services pull remote areas down a little
    if s.role == "town":
        for hx, hy, hr, rng_ in AFFLUENT + DEPRIVED:
            if dist((s.x, s.y), km_xy(hx, hy)) <= hr:
                lo, hi = rng_
                break
    return int(rng.integers(lo, hi + 1))


def locality_car_share(s: Seed, rng: np.random.Generator, *, imd: int) -> float:
    place = s.place
    if s.role == "town":
        d_centre = dist((s.x, s.y), km_xy(place.lon, place.lat))
        if place.name in BCP_TOWNS or place.name in ("Weymouth", "Portland"):
            car = 0.61 + 0.025 * min(d_centre, 4.0) + rng.uniform(0.0, 0.06)
        else:
            car = 0.74 + 0.03 * min(d_centre, 2.0) + rng.uniform(0.0, 0.06)
    elif s.role == "village":
        car = rng.uniform(0.85, 0.90)
    else:
        car = rng.uniform(0.86, 0.93)
    if imd <= 2:
        car -= 0.05
    return round(float(np.clip(car, 0.55, 0.93)), 2)


def rounded_coords(geom) -> dict:
    gj = json.loads(shapely.to_geojson(geom))

    def rnd(obj):
        if isinstance(obj, list):
            if obj and isinstance(obj[0], (int, float)):
                return [round(v, 5) for v in obj]
            return [rnd(o) for o in obj]
        return obj

    gj["coordinates"] = rnd(gj["coordinates"])
    return gj


def write_geojson(feats: list[dict], path: Path) -> None:
    props = [
        "code",
        "name",
        "population",
        "rurality",
        "imd_decile",
        "car_share",
        "origin_lat",
        "origin_lon",
        "la_code",
        "la_name",
    ]
    fc = {
        "type": "FeatureCollection",
        "name": "dorset_demo_localities",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [
            {"type": "Feature", "properties": {k: f[k] for k in props}, "geometry": rounded_coords(f["geometry"])}
            for f in feats
        ],
    }
    with open(path, "w") as fh:
        json.dump(fc, fh, separators=(",", ":"))
        fh.write("\n")


def validate_localities(path: Path, land: Polygon) -> list[dict]:
    fc = json.loads(path.read_text())
    feats = fc["features"]
    geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in feats]
    assert 60 <= len(feats) <= 150, len(feats)
    codes = [f["properties"]["code"] for f in feats]
    assert len(set(codes)) == len(codes), "locality codes not unique"
    for f, g in zip(feats, geoms, strict=True):
        p = f["properties"]
        assert g.geom_type in ("Polygon", "MultiPolygon"), (p["name"], g.geom_type)
        assert g.is_valid, (p["name"], shapely.is_valid_reason(g))
        assert not g.is_empty and g.area > 0
        assert g.contains(Point(p["origin_lon"], p["origin_lat"])), f"origin outside {p['name']}"
        assert isinstance(p["population"], int) and p["population"] > 0
        assert p["rurality"] in {"A1", "B1", "C1", "C2", "D1", "D2", "E1", "E2"}
        assert 1 <= p["imd_decile"] <= 10 and 0 <= p["car_share"] <= 1
    # no overlaps, union equals the outline
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    overlap = 0.0
    for a, b in zip(left, right, strict=True):
        if a < b:
            overlap += shapely.intersection(geoms[a], geoms[b]).area
    union = shapely.union_all(geoms)
    assert overlap < 1e-9, f"localities overlap ({overlap:.3g} deg2)"
    assert shapely.symmetric_difference(union, land).area < 2e-5 * land.area, "coverage != outline"
    assert shapely.coverage_is_valid(np.array(geoms)), "invalid coverage (gaps/overlaps on edges)"
    return feats


# ---------------------------------------------------------------------------------------------
OPTIONS = [
    (
        "OST-METH",
        "Opioid substitution: methadone",
        "pharmacological",
        "Daily oral methadone, prescribed and reviewed by a clinician, often with supervised consumption.",
    ),
    (
        "OST-BUP",
        "Opioid substitution: buprenorphine",
        "pharmacological",
        "Sublingual buprenorphine (or buprenorphine with naloxone), prescribed and reviewed by a clinician.",
    ),
    (
        "DEPOT-BUP",
        "Prolonged-release depot buprenorphine",
        "pharmacological",
        "Weekly or monthly buprenorphine injection, for people who want fewer pharmacy visits.",
    ),
    (
        "DETOX-COMM",
        "Community detox",
        "pharmacological",
        "Medically assisted withdrawal from opioids, alcohol or other drugs, while living at home.",
    ),
    (
        "DETOX-INP",
        "Inpatient detox",
        "residential",
        "Medically managed withdrawal in an inpatient unit, usually 1 to 3 weeks, with 24-hour care.",
    ),
    (
        "RESI-REHAB",
        "Residential rehabilitation",
        "residential",
        "A structured residential programme, typically 12 weeks or longer, after detox.",
    ),
    (
        "PSYCHO",
        "Structured psychosocial therapy",
        "psychosocial",
        "Evidence-based talking therapy (CBT, motivational interviewing, contingency management), "
        "one-to-one or in groups.",
    ),
    (
        "ALCOHOL",
        "Alcohol treatment",
        "psychosocial",
        "Assessment, brief and extended interventions, and relapse prevention for alcohol use.",
    ),
    (
        "NSP",
        "Needle and syringe programme",
        "harm_reduction",
        "Sterile injecting equipment, safe disposal, and advice on safer injecting.",
    ),
    (
        "NALOXONE",
        "Naloxone supply",
        "harm_reduction",
        "Take-home naloxone kits, with training for service users, families and friends.",
    ),
    (
        "BBV",
        "Blood-borne virus testing and vaccination",
        "harm_reduction",
        "Testing for hepatitis B, hepatitis C and HIV, hepatitis B vaccination, and referral to treatment.",
    ),
    (
        "PEER",
        "Peer support and mutual aid",
        "recovery",
        "Recovery groups, peer mentors, and links to mutual aid (AA, NA, SMART Recovery).",
    ),
    (
        "FAMILY",
        "Family and carer support",
        "recovery",
        "Support, advice and groups for families, carers and friends affected by someone's drug or alcohol use.",
    ),
    (
        "EMPLOY",
        "Employment support",
        "recovery",
        "Individual placement and support, training, volunteering and help back into work.",
    ),
]
OPTION_CODES = {o[0] for o in OPTIONS}

PROVIDERS = [
    ("Dorset HealthCare (NHS)", "nhs", "drugs.alcohol@dorsethealthcare.example.org; 01632 960101"),
    ("BCP Council Public Health", "local_authority", "publichealth@bcp-council.example.org; 01632 960202"),
    ("Recovery Together Dorset", "voluntary", "hello@recoverytogether.example.org; 01632 960303"),
    ("Harbour Lights Recovery", "voluntary", "info@harbourlights.example.org; 01632 960404"),
    ("Wessex Residential Rehab Ltd", "private", "admissions@wessexrehab.example.com; 01632 960505"),
    ("Dorset Community Pharmacy Partnership", "private", "nsp@dorsetpharmacies.example.com; 01632 960606"),
]
NHS, BCPC, RTD, HLR, WRR, PHARM = (p[0] for p in PROVIDERS)

# code, name, lat, lon, provider (for the site's offers)
SITES = [
    ("BOU-01", "Boscombe Recovery Hub", 50.72580, -1.84250, RTD),
    ("BOU-02", "Bournemouth Town Centre Clinic", 50.72260, -1.87650, NHS),
    ("BOU-03", "Winton Wellbeing Centre", 50.74380, -1.87900, HLR),
    ("BOU-04", "Kinson Community Hub", 50.76750, -1.90650, BCPC),
    ("BOU-05", "Lansdowne Pharmacy", 50.72270, -1.86400, PHARM),
    ("BOU-06", "Southbourne Pharmacy", 50.72450, -1.80500, PHARM),
    ("BOU-07", "Charminster Road Pharmacy", 50.73650, -1.87000, PHARM),
    ("BOU-08", "BCP Young People's Substance Service", 50.72700, -1.87300, BCPC),
    ("POO-01", "Poole Harbourside Recovery Hub", 50.71850, -1.98500, RTD),
    ("POO-02", "Hamworthy Clinic", 50.72200, -2.01200, NHS),
    ("POO-03", "Parkstone Recovery Cafe", 50.72500, -1.94800, HLR),
    ("POO-04", "Poole High Street Pharmacy", 50.71650, -1.98300, PHARM),
    ("POO-05", "Broadstone Pharmacy", 50.75800, -1.99500, PHARM),
    ("POO-06", "Harbour Lights Head Office", 50.73000, -1.96500, HLR),
    ("CHR-01", "Christchurch Recovery Point", 50.73700, -1.78000, HLR),
    ("CHR-02", "Highcliffe Pharmacy", 50.74000, -1.70600, PHARM),
    ("WEY-01", "Weymouth Recovery Hub", 50.61550, -2.45900, RTD),
    ("WEY-02", "Westham Clinic", 50.61250, -2.47000, NHS),
    ("WEY-03", "Littlemoor Community Hub", 50.64500, -2.43500, RTD),
    ("WEY-04", "Weymouth Town Pharmacy", 50.61200, -2.45600, PHARM),
    ("POR-01", "Fortuneswell Pharmacy", 50.56100, -2.44300, PHARM),
    ("DOR-01", "Dorchester Treatment Centre", 50.71500, -2.43500, NHS),
    ("DOR-02", "Dorchester Recovery Hub", 50.71400, -2.43800, RTD),
    ("DOR-03", "Dorchester South Street Pharmacy", 50.71600, -2.43200, PHARM),
    ("BRI-01", "Bridport Health Hub", 50.73400, -2.75800, NHS),
    ("GIL-01", "Gillingham Wellbeing Clinic", 51.03830, -2.27600, NHS),
    ("BLA-01", "Blandford Recovery Point", 50.86000, -2.16200, RTD),
    ("FER-01", "Ferndown Pharmacy", 50.80700, -1.89900, PHARM),
    ("WIM-01", "Wimborne Pharmacy", 50.78400, -1.98300, PHARM),
    ("SWA-01", "Swanage Pharmacy", 50.61000, -1.96100, PHARM),
    ("WAR-01", "Wareham Pharmacy", 50.68850, -2.11000, PHARM),
    ("RES-01", "Cerne Valley House", 50.82600, -2.46800, WRR),
]

# Market towns/villages visited by Dorset HealthCare's outreach team from Dorchester, and by
# Recovery Together's outreach from Blandford.
NHS_OUTREACH = ["Bridport", "Sherborne", "Blandford Forum", "Shaftesbury", "Sturminster Newton", "Beaminster"]
RTD_OUTREACH = ["Gillingham", "Shaftesbury", "Sturminster Newton", "Stalbridge", "Marnhull"]
RTD_OUTREACH_WEY = ["Portland", "Wool", "Wareham"]

# Per site: option codes offered on site (hub defaults are filled in below).
HUB_NHS = ["OST-METH", "OST-BUP", "DEPOT-BUP", "DETOX-COMM", "PSYCHO", "ALCOHOL", "NSP", "NALOXONE"]
HUB_RTD = ["OST-METH", "OST-BUP", "PSYCHO", "ALCOHOL", "NSP", "NALOXONE", "PEER", "FAMILY"]
HUB_HLR = ["PSYCHO", "ALCOHOL", "PEER", "FAMILY", "NALOXONE"]
ON_SITE = {
    "BOU-01": HUB_RTD + ["DEPOT-BUP", "BBV", "EMPLOY"],
    "BOU-02": HUB_NHS,
    "BOU-03": HUB_HLR,
    "BOU-04": ["NSP", "NALOXONE", "EMPLOY"],
    "POO-01": [o for o in HUB_RTD if o != "PEER"],  # peer support in Poole is Harbour Lights'
    "POO-02": [o for o in HUB_NHS if o != "DETOX-COMM"],  # Poole community detox is at home
    "POO-03": HUB_HLR,
    "CHR-01": ["PSYCHO", "PEER", "NALOXONE"],
    "WEY-01": HUB_RTD + ["BBV", "EMPLOY"],
    "WEY-02": HUB_NHS,
    "WEY-03": ["PEER", "FAMILY", "EMPLOY", "NALOXONE"],
    "DOR-01": HUB_NHS + ["BBV"],
    "DOR-02": ["PSYCHO", "PEER", "FAMILY", "EMPLOY"],
    "BRI-01": ["OST-BUP", "DEPOT-BUP", "PSYCHO", "ALCOHOL", "NSP", "NALOXONE"],
    "GIL-01": ["OST-BUP", "PSYCHO", "ALCOHOL", "NALOXONE"],
    "BLA-01": ["PSYCHO", "ALCOHOL", "PEER", "NSP", "NALOXONE"],
    "RES-01": ["RESI-REHAB", "DETOX-INP"],
}
CATALOGUE_COLUMNS = [
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


class OfferRows:
    """The catalogue's rows, one per offer; unknown capacity and waits drawn from the generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.sites = {s[0]: s for s in SITES}
        self.rows: list[dict] = []

    def add(
        self,
        code,
        option,
        delivery="on_site",
        *,
        cap="auto",
        wait="auto",
        min_age=18,
        max_age="",
        outreach="",
        km="",
        active=True,
        provider=None,
    ):
        c, name, lat, lon, prov = self.sites[code]
        if cap == "auto":  # mostly known, some unknown
            cap = "" if self.rng.random() < 0.12 else int(self.rng.integers(4, 41))
        if wait == "auto":
            wait = "" if self.rng.random() < 0.12 else int(min(8, self.rng.poisson(1.2)))
        self.rows.append(
            {
                "provider": provider or prov,
                "site_code": c,
                "site_name": name,
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "option_code": option,
                "delivery": delivery,
                "capacity_per_week": cap,
                "waiting_weeks": wait,
                "min_age": min_age,
                "max_age": max_age,
                "outreach_localities": outreach,
                "home_visit_km": km,
                "active": "true" if active else "false",
            }
        )


def build_catalogue(feats: list[dict], rng: np.random.Generator) -> list[dict]:
    geoms = [f["geometry"] for f in feats]

    def locality_of(lon: float, lat: float) -> dict:
        hits = [f for f, g in zip(feats, geoms, strict=True) if g.covers(Point(lon, lat))]
        assert hits, f"({lon}, {lat}) is not inside any locality"
        return hits[0]

    places = {p.name: p for p in read_places()}

    def codes_for(towns: list[str]) -> str:
        return ";".join(locality_of(places[t].lon, places[t].lat)["code"] for t in towns)

    offers = OfferRows(rng)
    add_site_offers(offers, rng)
    add_outreach_home_and_remote_offers(offers, rng, codes_for)
    return offers.rows


def add_site_offers(offers: OfferRows, rng: np.random.Generator) -> None:
    """Offers held at the sites: the main services, pharmacies, residential rehab, young people."""
    add = offers.add
    for code, opts in ON_SITE.items():
        for opt in opts:
            if code == "RES-01":
                continue
            cap: int | str = "auto"
            wait: int | str = "auto"
            if opt in ("NSP", "NALOXONE"):
                cap, wait = int(rng.integers(20, 61)), 0
            if opt == "DEPOT-BUP":
                cap = int(rng.integers(2, 9))
            active = not (code == "BRI-01" and opt == "DEPOT-BUP")  # paused: prescriber vacancy
            add(code, opt, cap=cap, wait=wait, active=active)
    # pharmacies: needle exchange and naloxone only
    for code, _, _, _, prov in SITES:
        if prov == PHARM:
            add(code, "NSP", cap="" if code in ("BOU-07", "WAR-01") else int(rng.integers(15, 61)), wait=0)
            add(code, "NALOXONE", cap=int(rng.integers(5, 31)), wait=0)
    # residential rehab with a waiting list beyond the default 3-week limit
    add("RES-01", "RESI-REHAB", cap=4, wait=6)
    add("RES-01", "DETOX-INP", cap=2, wait=4)
    add("RES-01", "ALCOHOL", cap=3, wait=6, active=False)  # residential alcohol programme, closed
    # young people's service (BCP)
    for opt in ("PSYCHO", "ALCOHOL", "FAMILY", "NALOXONE"):
        add("BOU-08", opt, min_age=12, max_age=24, wait=int(rng.integers(0, 3)))
    add("BOU-08", "EMPLOY", min_age=16, max_age=24)


def add_outreach_home_and_remote_offers(
    offers: OfferRows, rng: np.random.Generator, codes_for: Callable[[list[str]], str]
) -> None:
    add = offers.add
    # outreach clinics in market towns (Dorchester-based NHS team, Blandford/Weymouth-based RTD)
    for opt in ("OST-BUP", "PSYCHO", "ALCOHOL", "NALOXONE"):
        add("DOR-01", opt, "outreach", outreach=codes_for(NHS_OUTREACH), cap=int(rng.integers(4, 13)))
    for opt in ("PEER", "FAMILY", "NALOXONE"):
        add("BLA-01", opt, "outreach", outreach=codes_for(RTD_OUTREACH), cap=int(rng.integers(4, 13)))
    for opt in ("PEER", "NSP", "NALOXONE"):
        add("WEY-01", opt, "outreach", outreach=codes_for(RTD_OUTREACH_WEY), cap=int(rng.integers(6, 16)), wait=0)
    # home visits
    add("DOR-01", "DETOX-COMM", "home_visit", km=20, cap=3, wait=2)
    add("WEY-01", "FAMILY", "home_visit", km=25, cap=5)
    add("BOU-03", "FAMILY", "home_visit", km=15, cap=6)
    add("POO-02", "DETOX-COMM", "home_visit", km=15, cap=4, wait=3)
    add("CHR-01", "PEER", "home_visit", km=12, cap="", active=False)  # volunteer scheme, suspended
    # remote (online/telephone) services run from a head office
    add("POO-06", "PSYCHO", "remote", cap=30, wait=1)
    add("POO-06", "ALCOHOL", "remote", cap=40, wait=0)
    add("DOR-02", "ALCOHOL", "remote", cap=25, wait="")


def validate_catalogue(rows: list[dict], feats: list[dict]) -> None:
    codes = {f["properties"]["code"] for f in feats}
    geoms = [shapely.from_geojson(json.dumps(f["geometry"])) for f in feats]
    providers = {p[0] for p in PROVIDERS}
    sites: dict[str, tuple] = {}
    assert 100 <= len(rows) <= 160, len(rows)
    for r in rows:
        assert r["provider"] in providers, r["provider"]
        assert r["option_code"] in OPTION_CODES, r["option_code"]
        assert r["delivery"] in ("on_site", "outreach", "home_visit", "remote")
        assert r["active"] in ("true", "false")
        assert (r["outreach_localities"] != "") == (r["delivery"] == "outreach")
        assert (r["home_visit_km"] != "") == (r["delivery"] == "home_visit")
        for c in filter(None, r["outreach_localities"].split(";")):
            assert c in codes, f"unknown outreach locality {c}"
        if r["capacity_per_week"] != "":
            assert 2 <= r["capacity_per_week"] <= 60
        if r["waiting_weeks"] != "":
            assert 0 <= r["waiting_weeks"] <= 8
        facts = (r["provider"], r["site_name"], r["lat"], r["lon"])  # one provider per site
        assert sites.setdefault(r["site_code"], facts) == facts, r["site_code"]
    assert 20 <= len(sites) <= 40, len(sites)
    for code, (_, _, lat, lon) in sites.items():
        pt = Point(float(lon), float(lat))
        assert any(g.covers(pt) for g in geoms), f"site {code} is not inside any locality"
    keys = [(r["site_code"], r["option_code"], r["delivery"]) for r in rows]  # the importer's key
    assert len(set(keys)) == len(keys), "duplicate offers"


def write_csv(path: Path, header: list[str], rows: list) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([r[h] for h in header] if isinstance(r, dict) else list(r))


def main() -> None:
    rng = np.random.default_rng(SEED)
    places = read_places()
    land, feats = build_localities(places, rng)
    geo_path = HERE / "localities.geojson"
    write_geojson(feats, geo_path)
    gj_feats = validate_localities(geo_path, land)

    # all places inside the outline and inside some locality
    for p in places:
        assert land.contains(Point(p.lon, p.lat)), p.name

    write_csv(HERE / "options.csv", ["code", "name", "category", "description"], OPTIONS)
    assert len(OPTIONS) >= 12 and len(OPTION_CODES) == len(OPTIONS)
    write_csv(HERE / "providers.csv", ["name", "kind", "contact"], PROVIDERS)

    rows = build_catalogue(feats, rng)
    validate_catalogue(rows, gj_feats)
    write_csv(HERE / "catalogue.csv", CATALOGUE_COLUMNS, rows)

    # --- summary -------------------------------------------------------------------------------
    pop = sum(f["population"] for f in feats)
    by_la: dict[str, list[int]] = {}
    for f in feats:
        by_la.setdefault(f["la_name"], []).append(f["population"])
    by_class: dict[str, int] = {}
    for f in feats:
        by_class[f["rurality"]] = by_class.get(f["rurality"], 0) + 1
    area_km2 = shapely.transform(land, to_km).area
    print(f"localities: {len(feats)} (outline {area_km2:,.0f} km2), population {pop:,}")
    for la, pops in sorted(by_la.items()):
        print(f"  {la}: {len(pops)} localities, population {sum(pops):,}")
    print("  rurality:", ", ".join(f"{k} {v}" for k, v in sorted(by_class.items())))
    print(
        f"options: {len(OPTIONS)}, providers: {len(PROVIDERS)}, "
        f"sites: {len({r['site_code'] for r in rows})}, offers: {len(rows)} "
        f"({sum(r['active'] == 'false' for r in rows)} inactive)"
    )
    modes: dict[str, int] = {}
    for r in rows:
        modes[r["delivery"]] = modes.get(r["delivery"], 0) + 1
    print("  delivery:", ", ".join(f"{k} {v}" for k, v in sorted(modes.items())))
    print(f"wrote {geo_path.parent}/{{localities.geojson,options.csv,providers.csv,catalogue.csv}}")


if __name__ == "__main__":
    main()
