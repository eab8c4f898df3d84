"""Cheap version stamps of database tables, for caches of what is computed from them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection

_PART = (
    "SELECT {n} AS part, count(*) || '/' || coalesce(sum(xmin::text::bigint), 0), max(xmin::text::bigint) FROM {table}"
)


@dataclass(frozen=True)
class TablesVersion:
    """`stamp` changes with any committed insert, update or delete of the tables. `written_here`: this
    transaction may itself have written them, which the stamp cannot see (its rows keep one xmin however
    often they change), so a cache must be bypassed."""

    stamp: str
    written_here: bool


def tables_version(tables: tuple[str, ...]) -> TablesVersion:
    """One scan of each table. A row's xmin is the id of the transaction that last wrote it, so the sum of
    xmins grows with every committed insert or update (whatever order transactions commit in: a newest-xmin
    would miss an older transaction committing late) and the count moves on every delete. Far cheaper than
    serialising the tables."""
    parts = " UNION ALL ".join(
        f"({_PART.format(n=n, table=connection.ops.quote_name(t))})" for n, t in enumerate(tables)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"{parts} ORDER BY part")  # a parallel append may return the parts in any order
        rows = [row[1:] for row in cursor.fetchall()]
        # Rows this transaction (or one of its savepoints) wrote carry an xid at least its own.
        cursor.execute("SELECT pg_current_xact_id_if_assigned()::text::bigint % 4294967296")
        own = cursor.fetchone()[0]
    newest = max((row[1] for row in rows if row[1] is not None), default=None)
    written_here = own is not None and newest is not None and newest >= own
    stamp = hashlib.sha256(":".join(row[0] for row in rows).encode()).hexdigest()[:12]
    return TablesVersion(stamp=stamp, written_here=written_here)
