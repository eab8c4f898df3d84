"""Waiting on the worker from a management command: print each change of status and progress."""

import time
from collections.abc import Callable, Collection
from typing import Protocol

from django.core.management.base import CommandError


class Tracked(Protocol):
    status: str
    progress: int

    def refresh_from_db(self) -> None: ...


def wait_until_finished[T: Tracked](
    record: T, *, finished: Collection[str], timeout: float, write: Callable[[str], None], too_long: str
) -> T:
    """Poll `record` until its status is one of `finished`; CommandError with `too_long` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        record.refresh_from_db()
        if (record.status, record.progress) != last:
            write(f"  {record.status} {record.progress}%")
            last = (record.status, record.progress)
        if record.status in finished:
            return record
        time.sleep(0.2)
    raise CommandError(too_long)
