"""What the task queue says: whether the broker answers and how many Celery workers reply to a ping.

Pages ask `queue_status()`, which keeps an answer for QUEUE_STATUS_SECONDS in each process: a ping
waits up to a second for replies, too slow to repeat on every page, and the answer must not depend
on Redis (the cache may be the thing that is down).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from celery import current_app

logger = logging.getLogger(__name__)

QUEUE_STATUS_SECONDS = 15
PING_SECONDS = 1.0
BROKER_CONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class QueueStatus:
    broker_reachable: bool
    workers: int

    @property
    def problem(self) -> str:
        """What a person should be told, or "" when runs can be computed."""
        if not self.broker_reachable:
            return (
                "The task queue cannot be reached, so no run can be computed now. "
                "The figures shown are the last ones computed."
            )
        if self.workers == 0:
            return (
                "No worker is running, so queued runs will wait until one starts. "
                "The figures shown are the last ones computed."
            )
        return ""


def broker_reachable(*, timeout: float = BROKER_CONNECT_SECONDS) -> bool:
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception as exc:  # kombu raises the transport's own errors (OSError, redis, amqp)
        logger.warning("task queue broker unreachable: %s", exc)
        return False
    return True


def workers_answering(*, timeout: float = PING_SECONDS) -> int:
    """How many workers reply to a Celery ping within `timeout` seconds (0 when the broker is down)."""
    try:
        replies = current_app.control.ping(timeout=timeout)
    except Exception as exc:
        logger.warning("could not ping Celery workers: %s", exc)
        return 0
    return len(replies or [])


def probe_queue() -> QueueStatus:
    if not broker_reachable():
        return QueueStatus(broker_reachable=False, workers=0)
    return QueueStatus(broker_reachable=True, workers=workers_answering())


_lock = threading.Lock()
_last: tuple[float, QueueStatus] | None = None


def queue_status() -> QueueStatus:
    """probe_queue(), remembered in this process for QUEUE_STATUS_SECONDS."""
    global _last  # noqa: PLW0603 - a per-process memo, shared by a gunicorn worker's threads
    with _lock:
        if _last is not None and time.monotonic() - _last[0] < QUEUE_STATUS_SECONDS:
            return _last[1]
    status = probe_queue()
    with _lock:
        _last = (time.monotonic(), status)
    return status


def forget_queue_status() -> None:
    global _last  # noqa: PLW0603
    with _lock:
        _last = None
