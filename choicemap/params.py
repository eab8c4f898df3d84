"""Reading values from query strings without trusting them."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # PostgreSQL's bigint


def parse_id(value: str | None) -> int | None:
    """A database id from a query parameter, or None: ASCII digits only (str.isdigit() also accepts '²',
    which int() refuses) and within bigint range."""
    if not value or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
