"""Writes to localities: the all-or-nothing boundary import and drawing geometries."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import connection, transaction

from choicemap.events import catalogue_changed
from choicemap.imports import (
    FieldParser,
    ImportFailed,
    ImportProblem,
    ImportReport,
    Problems,
    RowReader,
    read_import_text,
    run_import,
)

from .models import Locality, Postcode, Rurality
from .selectors import compact_postcode

# About 35–55 m in Dorset: invisible at county zoom, shrinks boundary files several-fold.
DRAWING_TOLERANCE_DEGREES = 0.0005
# About 350–550 m: under a pixel at the zooms that show a whole region or England.
COARSE_DRAWING_TOLERANCE_DEGREES = 0.005

Progress = Callable[[Iterable, int, str], Iterable]


def _no_progress(items: Iterable, total: int, label: str) -> Iterable:
    return items


def _declared_srid(collection: dict) -> int | None:
    """The EPSG code of a GeoJSON 2008 `crs` member, e.g. urn:ogc:def:crs:EPSG::27700."""
    name = ((collection.get("crs") or {}).get("properties") or {}).get("name", "")
    if not name or re.search(r"CRS84$", name):
        return None
    match = re.search(r"EPSG:{1,2}(\d+)$", name)
    return int(match.group(1)) if match else -1


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry:
    """make_valid may return a collection with lines or points; keep only the area."""
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.unary_union(parts) if parts else shapely.MultiPolygon()


# The fields an import compares to tell an unchanged locality from a changed one (with the shapes).
COMPARED_FIELDS = [
    "name",
    "population",
    "rurality",
    "imd_decile",
    "car_share",
    "la_code",
    "la_name",
    "origin_is_weighted",
]


def import_localities(
    *,
    path: Path | str,
    code_field: str = "code",
    name_field: str = "name",
    population_field: str = "population",
    srid: int | None = None,
    dry_run: bool = False,
    progress: Progress = _no_progress,
) -> ImportReport:
    """Upsert localities by code from a GeoJSON FeatureCollection of (Multi)Polygons.

    Parse (every problem, by feature and field; nothing written) then write (all-or-nothing).
    """
    path = Path(path)
    features, source_srid = _read_collection(path, srid=srid)
    report = ImportReport(file=path.name, dry_run=dry_run)
    localities = _parse_localities(
        file=path.name,
        features=features,
        fields=(code_field, name_field, population_field),
        source_srid=source_srid,
        report=report,
        progress=progress,
    )
    return run_import(
        lambda: _write_localities(localities=localities, report=report, progress=progress), dry_run=dry_run
    )


def _read_collection(path: Path, *, srid: int | None) -> tuple[list, int]:
    """The features of a GeoJSON FeatureCollection and the SRID they are in; file-level problems raise."""

    def fail(reason: str) -> ImportFailed:
        return ImportFailed([ImportProblem(path.name, "file", "", reason)])

    text = read_import_text(path)
    if not text.strip():
        raise fail("the file is empty")
    try:
        collection = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not GeoJSON: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})") from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise fail("not a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise fail("the FeatureCollection has no features")
    declared = _declared_srid(collection)
    if declared == -1 and srid is None:
        raise fail(f"unrecognised crs {collection['crs']!r}: give --srid")
    return features, srid or declared or 4326


def _parse_shape(
    geometry: object, *, file: str, where: str, code: str, problems: list[ImportProblem], report: ImportReport
) -> shapely.Geometry | None:
    """A feature's (Multi)Polygon as shapely, repaired when invalid (and noted); None after a problem."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else "no geometry"
        problems.append(ImportProblem(file, where, "geometry", f"{kind} is not a Polygon or MultiPolygon"))
        return None
    try:
        shape = shapely.from_geojson(json.dumps(geometry))
    except shapely.errors.GEOSException as exc:
        problems.append(ImportProblem(file, where, "geometry", f"unreadable coordinates ({exc})"))
        return None
    if shape.is_empty:
        problems.append(ImportProblem(file, where, "geometry", "the geometry is empty"))
        return None
    if shape.is_valid:
        return shape
    reason = shapely.is_valid_reason(shape)
    shape = _polygonal_part(shapely.make_valid(shape))
    if shape.is_empty:
        problems.append(ImportProblem(file, where, "geometry", f"invalid ({reason}) and nothing is left after repair"))
        return None
    report.notes.append(f"{file}, {where} ({code}): invalid geometry repaired ({reason})")
    return shape


def _parse_properties(props: dict, *, where: str, fields: tuple[str, str, str], parse: FieldParser) -> dict:
    """A feature's locality fields, typed; problems go to the parser's list."""
    code_field, name_field, population_field = fields
    code = str(props.get(code_field) or "").strip()
    name = str(props.get(name_field) or "").strip()
    parse.text(where, code_field, code, required=True, max_length=20)
    parse.text(where, name_field, name, required=True, max_length=200)
    population = parse.number(
        where, population_field, props.get(population_field), required=True, minimum=0, integer=True
    )
    rurality = str(props.get("rurality") or "").strip()
    if rurality and rurality not in Rurality.values:
        parse.problems.append(
            ImportProblem(
                parse.file, where, "rurality", f"{rurality!r} is not an ONS 2011 class ({', '.join(Rurality.values)})"
            )
        )
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "population": population,
        "rurality": rurality,
        "imd_decile": parse.number(where, "imd_decile", props.get("imd_decile"), minimum=1, maximum=10, integer=True),
        "car_share": parse.number(where, "car_share", props.get("car_share"), minimum=0, maximum=1),
        "la_code": parse.text(where, "la_code", str(props.get("la_code") or "").strip(), max_length=12),
        "la_name": parse.text(where, "la_name", str(props.get("la_name") or "").strip(), max_length=200),
    }
    origin_lat = parse.number(where, "origin_lat", props.get("origin_lat"), minimum=-90, maximum=90)
    origin_lon = parse.number(where, "origin_lon", props.get("origin_lon"), minimum=-180, maximum=180)
    if (props.get("origin_lat") in (None, "")) != (props.get("origin_lon") in (None, "")):
        parse.problems.append(
            ImportProblem(parse.file, where, "origin_lat", "origin_lat and origin_lon must be given together")
        )
    has_origin = origin_lat is not None and origin_lon is not None
    values["origin_is_weighted"] = has_origin
    values["given_origin"] = (origin_lon, origin_lat) if has_origin else None
    return values


def _parse_localities(
    *,
    file: str,
    features: list,
    fields: tuple[str, str, str],
    source_srid: int,
    report: ImportReport,
    progress: Progress,
) -> list[Locality]:
    """Unsaved localities in WGS84, one per feature; raises ImportFailed listing every problem."""
    problems: list[ImportProblem] = Problems()
    parse = FieldParser(file, problems)
    parsed: dict[str, dict] = {}
    first_feature: dict[str, int] = {}
    shapes: list[shapely.Geometry] = []
    for number, feature in enumerate(progress(features, len(features), "reading"), start=1):
        where = f"feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(ImportProblem(file, where, "", "not a GeoJSON Feature"))
            continue
        values = _parse_properties(feature.get("properties") or {}, where=where, fields=fields, parse=parse)
        code = values.pop("code")
        shape = _parse_shape(
            feature.get("geometry"), file=file, where=where, code=code, problems=problems, report=report
        )
        if code in first_feature:
            problems.append(
                ImportProblem(
                    file, where, fields[0], f"duplicate code {code!r} (first in feature {first_feature[code]})"
                )
            )
            continue
        if code:
            first_feature[code] = number
        if shape is not None and code:
            parsed[code] = values
            shapes.append(shape)
    if problems:
        raise ImportFailed(problems)

    surface_points = shapely.point_on_surface(shapes)
    localities = []
    for code, shape, surface_point in zip(
        list(parsed), progress(shapes, len(shapes), "preparing"), surface_points, strict=True
    ):
        values = parsed[code]
        given_origin = values.pop("given_origin")
        geometry = GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=source_srid)
        if geometry.geom_type == "Polygon":
            geometry = MultiPolygon(geometry, srid=source_srid)
        origin = GEOSGeometry(memoryview(shapely.to_wkb(surface_point)), srid=source_srid)
        if source_srid != 4326:
            geometry.transform(4326)
            origin.transform(4326)
        if given_origin is not None:
            given_lon, given_lat = given_origin
            origin = Point(given_lon, given_lat, srid=4326)
        # GEOSGeometry() returns the subclass the WKB holds: a (Multi)Polygon and a Point here.
        localities.append(
            Locality(code=code, geometry=cast(MultiPolygon, geometry), origin=cast(Point, origin), **values)
        )
    return localities


def _fingerprint(locality: Locality) -> tuple:
    return (
        *(getattr(locality, f) for f in COMPARED_FIELDS),
        bytes(locality.geometry.wkb),
        bytes(locality.origin.wkb),
    )


def _write_localities(*, localities: list[Locality], report: ImportReport, progress: Progress) -> ImportReport:
    """Upsert the changed localities in batches; a change refreshes the drawings and announces it."""
    existing = {
        loc.code: _fingerprint(loc)
        for loc in Locality.objects.filter(code__in=[loc.code for loc in localities]).only(
            "code", "geometry", "origin", *COMPARED_FIELDS
        )
    }
    changed = [loc for loc in localities if existing.get(loc.code) != _fingerprint(loc)]
    for start in progress(range(0, len(changed), 2000), (len(changed) + 1999) // 2000, "writing"):
        Locality.objects.bulk_create(
            changed[start : start + 2000],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["geometry", "origin", "updated_at", *COMPARED_FIELDS],
        )
    report.created = sum(1 for loc in changed if loc.code not in existing)
    report.updated = len(changed) - report.created
    report.unchanged = len(localities) - len(changed)
    if report.changed:
        refresh_drawing_geometries()
        catalogue_changed()
    return report


@transaction.atomic
def refresh_drawing_geometries(
    *, tolerance: float = DRAWING_TOLERANCE_DEGREES, coarse_tolerance: float = COARSE_DRAWING_TOLERANCE_DEGREES
) -> int:
    """Coverage-simplify every locality together, so neighbours keep one shared border.

    Two bands: `geometry_simplified` for local zooms and `geometry_coarse` for national ones.
    """
    rows = list(Locality.objects.values_list("id", "geometry"))
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    shapes = shapely.from_wkb([bytes(row[1].wkb) for row in rows])
    simplified = _coverage_simplified_wkb(shapes, tolerance)
    coarse = _coverage_simplified_wkb(shapes, coarse_tolerance)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE areas_locality AS l SET geometry_simplified = ST_SetSRID(ST_GeomFromWKB(v.wkb), 4326), "
            "geometry_coarse = ST_SetSRID(ST_GeomFromWKB(v.coarse), 4326) "
            "FROM unnest(%s::bigint[], %s::bytea[], %s::bytea[]) AS v(id, wkb, coarse) WHERE l.id = v.id",
            [ids, simplified, coarse],
        )
    return len(ids)


def _coverage_simplified_wkb(shapes: np.ndarray, tolerance: float) -> list[bytes]:
    simplified = shapely.coverage_simplify(shapes, tolerance)
    # Simplification can collapse slivers; fall back to the full shape rather than lose a locality.
    broken = shapely.is_empty(simplified) | ~shapely.is_valid(simplified)
    simplified[broken] = shapes[broken]
    multi = [s if s.geom_type == "MultiPolygon" else shapely.MultiPolygon([s]) for s in simplified]
    return [shapely.to_wkb(s) for s in multi]


# --- postcodes: the ONS Postcode Directory (ONSPD) -------------------------------------------

ONSPD_LSOA_COLUMNS = ["lsoa21", "lsoa21cd", "lsoa11", "lsoa11cd"]  # newest first, as ONSPD has named them
ONSPD_NO_LOCATION = (99.999999, 0.0)  # ONSPD's lat/long for a postcode with no grid reference
POSTCODE_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
POSTCODE_BATCH = 5000


def import_postcodes(*, path: Path | str, dry_run: bool = False) -> ImportReport:
    """Upsert postcodes (pcds, lat, long, LSOA, doterm) from an ONSPD CSV; its other columns are left alone.

    Postcodes ONSPD gives no location (lat 99.999999, long 0) are not imported, and counted in the report.
    """
    reader = RowReader(
        path, required=["pcds", "lat", "long"], optional=[*ONSPD_LSOA_COLUMNS, "doterm"], other_columns_allowed=True
    )
    parsed, unlocated = _parse_onspd(reader)
    if reader.problems:
        raise ImportFailed(reader.problems)

    def write() -> ImportReport:
        report = ImportReport(file=reader.file, dry_run=dry_run)
        existing = {p.compact: p for p in Postcode.objects.filter(compact__in=list(parsed))}
        changed = []
        for compact, values in parsed.items():
            known = existing.get(compact)
            if known is None:
                report.created += 1
            elif any(getattr(known, k) != v for k, v in values.items()):
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            changed.append(Postcode(compact=compact, **values))
        Postcode.objects.bulk_create(
            changed,
            batch_size=POSTCODE_BATCH,
            update_conflicts=True,
            unique_fields=["compact"],
            update_fields=["postcode", "location", "lsoa_code", "terminated"],
        )
        if unlocated:
            report.notes.append(f"{unlocated} postcode(s) without a location in ONSPD (lat 99.999999) not imported.")
        return report

    return run_import(write, dry_run=dry_run)


def _parse_onspd(reader: RowReader) -> tuple[dict[str, dict], int]:
    """Postcode values by compact postcode, and how many rows had no location."""
    parse = reader.parse
    parsed: dict[str, dict] = {}
    first_rows: dict[str, int] = {}
    unlocated = 0
    for row_number, row in reader.rows():
        where = f"row {row_number}"
        compact = compact_postcode(row["pcds"])
        if not POSTCODE_SHAPE.match(compact):
            reader.problem(where, "pcds", f"{row['pcds']!r} is not a UK postcode")
        lat = parse.number(where, "lat", row["lat"], required=True, minimum=-90, maximum=100)
        lon = parse.number(where, "long", row["long"], required=True, minimum=-180, maximum=180)
        if (lat, lon) == ONSPD_NO_LOCATION:
            unlocated += 1
            continue
        if lat is not None and lat > 90:
            reader.problem(where, "lat", f"{row['lat']!r} is out of range (must be at most 90)")
        lsoa = next((row[c] for c in ONSPD_LSOA_COLUMNS if row.get(c)), "")
        parse.text(where, "lsoa21", lsoa, max_length=9)
        if compact in first_rows:
            reader.problem(where, "pcds", f"duplicate postcode {row['pcds']!r} (first on row {first_rows[compact]})")
            continue
        first_rows[compact] = row_number
        if lat is not None and lon is not None:
            parsed[compact] = {
                "postcode": " ".join(row["pcds"].upper().split()),
                "location": Point(lon, lat, srid=4326),
                "lsoa_code": lsoa,
                "terminated": bool(row.get("doterm")),
            }
    return parsed, unlocated
