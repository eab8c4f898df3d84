"""The export formats of a run, shared by export_reach and the download endpoints."""

from __future__ import annotations

import json
from typing import Any, TextIO

from django.db.models.functions import Coalesce

from areas.models import Locality
from choicemap import csvsafe

from .engine import ReachParams
from .models import ReachRun
from .selectors import (
    EXPORT_COLUMNS,
    engine_params,
    load_snapshot,
    option_detail,
    result_row,
    run_description,
    run_provenance_text,
    run_results,
    site_codes_by_id,
)
from .services import TRAVEL_TIME_COLUMNS, travel_times_for_run
from .travel import MODES


def write_reach_export(*, run: ReachRun, fmt: str, output: csvsafe.TextOutput) -> int:
    """Write the run in `csv`, `json` or `geojson`; returns the number of localities written."""
    results = run_results(run=run)
    codes = run.option_codes
    if fmt == "csv":
        # every row says what its minutes rest on, so a figure copied out of the file keeps it
        writer = csvsafe.DictWriter(output, fieldnames=[*EXPORT_COLUMNS, "travel_times"])
        writer.writeheader()
        travel = run_provenance_text(run)
        count = 0
        for result in results.iterator(chunk_size=2000):
            writer.writerow({**result_row(result, codes), "travel_times": travel})
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
    geometries: dict[int | None, Any] = dict(
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


class RunMatrixUnavailable(Exception):
    pass


def write_travel_times(*, run: ReachRun, output: TextIO) -> int:
    """The travel minutes a run used, in the import_travel_times format; returns the rows written.

    The minutes are rebuilt from the run's own sources (network columns come from the cache), so the
    catalogue must still be the one the run computed on. Minutes keep float32 precision, so a
    re-import as ``matrix`` gives identical reach.
    """
    snapshot = load_snapshot()
    if run.snapshot_id and snapshot.snapshot_id != run.snapshot_id:
        raise RunMatrixUnavailable(
            f"the catalogue or localities changed since run {run.pk}: run compute_reach again and export that run"
        )
    params = ReachParams(**engine_params(run.params))
    travel, _ = travel_times_for_run(run=run, snapshot=snapshot, params=params, inline=True)
    site_codes = site_codes_by_id()
    writer = csvsafe.writer(output)
    writer.writerow(TRAVEL_TIME_COLUMNS)
    count = 0
    for mode in MODES:
        loc, site, minutes = travel.pairs[mode]
        for i, j, value in zip(loc.tolist(), site.tolist(), minutes.tolist(), strict=True):
            writer.writerow([snapshot.locality_codes[i], site_codes[int(snapshot.site_ids[j])], mode, repr(value)])
            count += 1
    return count
