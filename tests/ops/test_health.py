"""/health/live and /health/ready (django-health-check) against the real database, Redis and a worker."""

import datetime
import json

import pytest
from django.utils import timezone

from reach.models import ReachRun, RunStatus
from reach.services import create_run, execute_run
from tests.ops.conftest import redis_and_broker_at

pytestmark = pytest.mark.django_db(transaction=True)


def ready(client):
    response = client.get("/health/ready", HTTP_ACCEPT="application/json")
    return response.status_code, json.loads(response.content)


def test_live_answers_without_asking_anything_else(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.worker
def test_ready_with_everything_up_counts_the_workers_and_dates_the_current_run(client, small_world, reach_worker):
    run = execute_run(run_id=create_run().pk)
    ReachRun.objects.filter(pk=run.pk).update(finished_at=timezone.now() - datetime.timedelta(hours=3))
    status, checks = ready(client)
    assert status == 200, checks
    assert set(checks.values()) == {"OK"}
    names = " ".join(checks)
    assert "Database" in names and "Redis" in names and "Broker" in names
    assert "Workers(answering=1)" in names
    assert "CurrentRun(current_age_hours=3.0)" in names


def test_ready_says_no_worker_is_running(client, small_world):
    status, checks = ready(client)
    assert status == 503
    assert checks["Workers(answering=0)"] == "Unavailable: no Celery worker is running"


@pytest.mark.worker
def test_ready_names_a_run_stuck_past_the_stale_limit(client, small_world, reach_worker, settings):
    settings.REACH_RUN_STALE_SECONDS = 600
    stuck = create_run()
    fresh = create_run()
    ReachRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    ReachRun.objects.filter(pk=fresh.pk).update(status=RunStatus.CANCELLED)
    status, checks = ready(client)
    assert status == 503
    [message] = [v for k, v in checks.items() if k.startswith("CurrentRun")]
    assert message == f"Unavailable: runs unfinished for over 0:10:00: {stuck.pk}"


def test_ready_reports_redis_and_the_broker_down(client, small_world, throwaway_redis):
    with redis_and_broker_at(throwaway_redis.url):
        throwaway_redis.stop()
        status, checks = ready(client)
    assert status == 503
    assert checks["Broker()"] == "Unavailable: the Celery broker cannot be reached"
    [redis_message] = [v for k, v in checks.items() if k.startswith("Redis(")]
    assert redis_message != "OK"
    assert checks["Database(alias='default')"] == "OK"
