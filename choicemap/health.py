"""Checks for /health/ready (django-health-check): database, Redis, broker, workers, current run.

/health/live checks nothing beyond the process answering: an orchestrator restarts a web process
that stops answering, not one whose database is away.
"""

from __future__ import annotations

import dataclasses
import datetime

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from reach.queue import broker_reachable, workers_answering
from reach.selectors import current_run, unfinished_run_ages


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker (Redis or RabbitMQ, whichever CELERY_BROKER_URL names) accepts a connection."""

    def run(self):
        if not broker_reachable():
            raise ServiceUnavailable("the Celery broker cannot be reached")


@dataclasses.dataclass
class Workers(HealthCheck):
    """At least one Celery worker answers a ping; the count is in the check's name once it has run."""

    answering: int | None = None

    def run(self):
        self.answering = workers_answering()
        if not self.answering:
            raise ServiceUnavailable("no Celery worker is running")


@dataclasses.dataclass
class CurrentRun(HealthCheck):
    """Age of the current results, and no run left queued or running past the stale limit."""

    current_age_hours: float | None = None

    def run(self):
        run = current_run()
        if run is not None and run.finished_at is not None:
            self.current_age_hours = round((timezone.now() - run.finished_at).total_seconds() / 3600, 2)
        limit = datetime.timedelta(seconds=settings.REACH_RUN_STALE_SECONDS)
        stuck = [run_id for run_id, age in unfinished_run_ages() if age > limit]
        if stuck:
            raise ServiceUnavailable(f"runs unfinished for over {limit}: {', '.join(map(str, stuck))}")


def _redis_client() -> RedisClient:
    return RedisClient.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


READY_CHECKS = [
    "health_check.checks.Database",
    ("health_check.contrib.redis.Redis", {"client_factory": _redis_client}),
    Broker,
    Workers,
    CurrentRun,
]


class ReadyView(HealthCheckView):
    """503 (not the library's 500) when a dependency is down: a load balancer's "not ready"."""

    checks = READY_CHECKS

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response


@never_cache
def live(request) -> HttpResponse:
    """The process answers: no template, no session, no database (a signed-in browser's cookie is ignored)."""
    return HttpResponse("ok\n", content_type="text/plain")
