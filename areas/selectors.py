"""Reads about places: postcode look-ups."""

from __future__ import annotations

from django.contrib.gis.geos import Point

from .models import Postcode


def compact_postcode(text: str) -> str:
    """'dt1 1aa ' → 'DT11AA': the key postcodes are stored and looked up by."""
    return "".join(text.split()).upper()


def postcode_point(text: str) -> Point | None:
    """The postcode's point (ONSPD's grid reference as WGS84), or None when it is not in the table."""
    return Postcode.objects.filter(compact=compact_postcode(text)).values_list("location", flat=True).first()


def postcodes_loaded() -> bool:
    return Postcode.objects.exists()
