"""Validators shared by the models of several apps."""

from __future__ import annotations

import math

from django.core.exceptions import ValidationError


def validate_wgs84(geometry) -> None:
    """Longitude within -180..180 and latitude within -90..90, all finite: a point at 1e308 is a typo or an attack,
    and would poison every distance the reach engine computes."""
    if geometry is None or geometry.empty:
        return
    xmin, ymin, xmax, ymax = geometry.extent
    if (
        not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax))
        or xmin < -180
        or xmax > 180
        or ymin < -90
        or ymax > 90
    ):
        raise ValidationError(
            "Coordinates must be WGS84: longitude from -180 to 180, latitude from -90 to 90.", code="out_of_range"
        )
