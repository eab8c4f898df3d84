"""Writes to localities: the all-or-nothing boundary import and drawing geometries."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import connection, transaction

from choicemap.imports import (
    FieldParser,
    ImportFailed,
    ImportProblem,
    ImportReport,
    Problems,
    read_import_text,
    run_import,
)
from reach.services import schedule_default_recompute

from .models import Locality, Rurality

# About 35–55 m in Dorset: invisible at county zoom, shrinks boundary files several-fold.
DRAWING_TOLERANCE_DEGREES = 0.0005
# About 350–550 m: under a pixel at the zooms that show a whole region or England.
COARSE_DRAWING_TOLERANCE_DEGREES = 0.005
OPTIONAL_PROPERTIES = ["rurality", "imd_decile", "car_share", "origin_lat", "origin_lon", "la_code", "la_name"]

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
    """Upsert localities by code from a GeoJSON FeatureCollection of (Multi)Polygons."""
    path = Path(path)
    file = path.name
    problems: list[ImportProblem] = Problems()
    parse = FieldParser(file, problems)

    def fail(reason: str) -> ImportFailed:
        return ImportFailed([ImportProblem(file, "file", "", reason)])

    text = read_import_text(path)
    if not text.strip():
        raise fail("the file is empty")
    try:
        collection = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not GeoJSON: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})")
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise fail("not a GeoJSON FeatureCollection")
    features = collection.get("features")
    if not isinstance(features, list) or not features:
        raise fail("the FeatureCollection has no features")
    declared = _declared_srid(collection)
    if declared == -1 and srid is None:
        raise fail(f"unrecognised crs {collection['crs']!r}: give --srid")
    source_srid = srid or declared or 4326

    report = ImportReport(file=file, dry_run=dry_run)
    parsed: dict[str, dict] = {}
    first_feature: dict[str, int] = {}
    shapes: list[shapely.Geometry] = []
    for number, feature in enumerate(progress(features, len(features), "reading"), start=1):
        where = f"feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(ImportProblem(file, where, "", "not a GeoJSON Feature"))
            continue
        props = feature.get("properties") or {}
        code = str(props.get(code_field) or "").strip()
        name = str(props.get(name_field) or "").strip()
        parse.text(where, code_field, code, required=True, max_length=20)
        parse.text(where, name_field, name, required=True, max_length=200)
        population = parse.number(
            where, population_field, props.get(population_field), required=True, minimum=0, integer=True
        )
        rurality = str(props.get("rurality") or "").strip()
        if rurality and rurality not in Rurality.values:
            problems.append(
                ImportProblem(
                    file, where, "rurality", f"{rurality!r} is not an ONS 2011 class ({', '.join(Rurality.values)})"
                )
            )
        values = {
            "name": name,
            "population": population,
            "rurality": rurality,
            "imd_decile": parse.number(
                where, "imd_decile", props.get("imd_decile"), minimum=1, maximum=10, integer=True
            ),
            "car_share": parse.number(where, "car_share", props.get("car_share"), minimum=0, maximum=1),
            "la_code": parse.text(where, "la_code", str(props.get("la_code") or "").strip(), max_length=12),
            "la_name": parse.text(where, "la_name", str(props.get("la_name") or "").strip(), max_length=200),
        }
        origin_lat = parse.number(where, "origin_lat", props.get("origin_lat"), minimum=-90, maximum=90)
        origin_lon = parse.number(where, "origin_lon", props.get("origin_lon"), minimum=-180, maximum=180)
        if (props.get("origin_lat") in (None, "")) != (props.get("origin_lon") in (None, "")):
            problems.append(
                ImportProblem(file, where, "origin_lat", "origin_lat and origin_lon must be given together")
            )
        geometry = feature.get("geometry")
        shape = None
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            kind = geometry.get("type") if isinstance(geometry, dict) else "no geometry"
            problems.append(ImportProblem(file, where, "geometry", f"{kind} is not a Polygon or MultiPolygon"))
        else:
            try:
                shape = shapely.from_geojson(json.dumps(geometry))
            except shapely.errors.GEOSException as exc:
                problems.append(ImportProblem(file, where, "geometry", f"unreadable coordinates ({exc})"))
            else:
                if shape.is_empty:
                    problems.append(ImportProblem(file, where, "geometry", "the geometry is empty"))
                    shape = None
                elif not shape.is_valid:
                    reason = shapely.is_valid_reason(shape)
                    shape = _polygonal_part(shapely.make_valid(shape))
                    if shape.is_empty:
                        problems.append(
                            ImportProblem(
                                file, where, "geometry", f"invalid ({reason}) and nothing is left after repair"
                            )
                        )
                        shape = None
                    else:
                        report.notes.append(f"{file}, {where} ({code}): invalid geometry repaired ({reason})")
        if code in first_feature:
            problems.append(
                ImportProblem(
                    file, where, code_field, f"duplicate code {code!r} (first in feature {first_feature[code]})"
                )
            )
            continue
        if code:
            first_feature[code] = number
        if shape is not None and code:
            has_origin = origin_lat is not None and origin_lon is not None
            parsed[code] = {
                **values,
                "origin_is_weighted": has_origin,
                "given_origin": (origin_lon, origin_lat) if has_origin else None,
            }
            shapes.append(shape)
    if problems:
        raise ImportFailed(problems)

    codes = list(parsed)
    surface_points = shapely.point_on_surface(shapes)
    localities = []
    for code, shape, surface_point in zip(codes, progress(shapes, len(shapes), "preparing"), surface_points):
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
            origin = Point(*given_origin, srid=4326)
        localities.append(Locality(code=code, geometry=geometry, origin=origin, **values))

    compared_fields = [
        "name",
        "population",
        "rurality",
        "imd_decile",
        "car_share",
        "la_code",
        "la_name",
        "origin_is_weighted",
    ]

    def fingerprint(locality: Locality) -> tuple:
        return (
            *(getattr(locality, f) for f in compared_fields),
            bytes(locality.geometry.wkb),
            bytes(locality.origin.wkb),
        )

    def write() -> ImportReport:
        existing = {
            loc.code: fingerprint(loc)
            for loc in Locality.objects.filter(code__in=codes).only("code", "geometry", "origin", *compared_fields)
        }
        changed = [loc for loc in localities if existing.get(loc.code) != fingerprint(loc)]
        for start in progress(range(0, len(changed), 2000), (len(changed) + 1999) // 2000, "writing"):
            Locality.objects.bulk_create(
                changed[start : start + 2000],
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["geometry", "origin", "updated_at", *compared_fields],
            )
        report.created = sum(1 for loc in changed if loc.code not in existing)
        report.updated = len(changed) - report.created
        report.unchanged = len(localities) - len(changed)
        if report.changed:
            refresh_drawing_geometries()
            schedule_default_recompute()
        return report

    return run_import(write, dry_run=dry_run)


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
