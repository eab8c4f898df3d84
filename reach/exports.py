"""The export formats of a run, shared by export_reach and the download endpoints."""

from __future__ import annotations

import json
from typing import TextIO

from django.db.models.functions import Coalesce

from areas.models import Locality
from choicemap import csvsafe

from .models import ReachRun
from .selectors import EXPORT_COLUMNS, option_detail, result_row, run_description, run_results, site_codes_by_id


def write_reach_export(*, run: ReachRun, fmt: str, output: TextIO) -> int:
    """Write the run in `csv`, `json` or `geojson`; returns the number of localities written."""
    results = run_results(run=run)
    codes = run.option_codes
    if fmt == "csv":
        writer = csvsafe.DictWriter(output, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        count = 0
        for result in results.iterator(chunk_size=2000):
            writer.writerow(result_row(result, codes))
            count += 1
        return count
    site_codes = site_codes_by_id()
    records = [
        (
            result,
            {
                **result_row(result, codes),
                "expected_menu": round(result.expected_menu, 3),
                "options": option_detail(result, codes, site_codes),
            },
        )
        for result in results.iterator(chunk_size=2000)
    ]
    if fmt == "json":
        json.dump({"run": run_description(run), "localities": [record for _, record in records]}, output)
        return len(records)
    if fmt != "geojson":
        raise ValueError(f"unknown format {fmt!r}")
    geometries = dict(
        Locality.objects.filter(pk__in=[r.locality_id for r, _ in records])
        .annotate(drawn=Coalesce("geometry_simplified", "geometry"))
        .values_list("id", "drawn")
    )
    features = []
    for result, record in records:
        geometry = geometries.get(result.locality_id)
        features.append(
            {
                "type": "Feature",
                "id": result.locality_code,
                "geometry": json.loads(geometry.geojson) if geometry else None,
                "properties": record,
            }
        )
    json.dump({"type": "FeatureCollection", "run": run_description(run), "features": features}, output)
    return len(features)
