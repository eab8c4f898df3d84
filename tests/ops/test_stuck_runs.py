"""No run stuck for good: a run whose message cannot reach the broker fails at once, a run with no heartbeat
for REACH_RUN_STALE_SECONDS fails as stale (freeing its profile), and the beat task doing so every minute is
registered under the name the schedule uses."""

import datetime

import pytest
from celery import current_app
from django.conf import settings
from django.utils import timezone

from reach.models import ReachRun, RunStatus
from reach.queue import forget_queue_status
from reach.services import RunAlreadyActive, create_run, execute_run, fail_stale_runs, start_run
from tests.ops.conftest import redis_and_broker_at

pytestmark = pytest.mark.django_db


def test_a_run_that_cannot_be_sent_fails_at_once_and_does_not_block_the_next(
    small_world, throwaway_redis, django_capture_on_commit_callbacks, commissioner_client
):
    current = execute_run(run_id=create_run().pk)
    with redis_and_broker_at(throwaway_redis.url):
        throwaway_redis.stop()
        with django_capture_on_commit_callbacks(execute=True):
            lost = start_run()
        lost.refresh_from_db()
        assert lost.status == RunStatus.FAILED
        assert lost.error.startswith("The task queue could not be reached, so the run was never started")

        # The map's recompute is not refused with 409 by the lost run, and the map says what is wrong.
        with django_capture_on_commit_callbacks(execute=True):
            response = commissioner_client.post("/map/api/runs/", {}, content_type="application/json")
        assert response.status_code == 202
        assert ReachRun.objects.get(pk=response.json()["run"]["id"]).status == RunStatus.FAILED
        forget_queue_status()
        assert b"The task queue cannot be reached" in commissioner_client.get("/map/").content

        throwaway_redis.start()
        with django_capture_on_commit_callbacks(execute=True):
            sent = start_run()
        sent.refresh_from_db()
        assert sent.status == RunStatus.QUEUED
    assert ReachRun.objects.get(pk=current.pk).status == RunStatus.SUCCEEDED


def test_a_run_without_a_heartbeat_fails_as_stale_and_frees_its_profile(small_world, settings):
    settings.REACH_RUN_STALE_SECONDS = 300
    lost = start_run(send=False)
    ReachRun.objects.filter(pk=lost.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=timezone.now() - datetime.timedelta(seconds=301)
    )
    ReachRun.objects.filter(pk=lost.pk).update(heartbeat_at=timezone.now())
    with pytest.raises(RunAlreadyActive):  # one active run per profile, while it is alive
        start_run(send=False)
    assert fail_stale_runs() == []  # a fresh heartbeat is alive
    ReachRun.objects.filter(pk=lost.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(seconds=301))

    alive = start_run(send=False)  # start_run clears the stale run itself: no manual step
    lost.refresh_from_db()
    assert lost.status == RunStatus.FAILED
    assert lost.error.startswith("Stale: no sign of life from a worker for over 0:05:00")
    assert execute_run(run_id=alive.pk).status == RunStatus.SUCCEEDED


def test_a_queued_run_never_picked_up_fails_as_stale(small_world, settings):
    settings.REACH_RUN_STALE_SECONDS = 300
    never_sent = create_run()
    ReachRun.objects.filter(pk=never_sent.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=6))
    assert fail_stale_runs() == [never_sent.pk]
    assert ReachRun.objects.get(pk=never_sent.pk).status == RunStatus.FAILED


def test_progress_is_the_heartbeat(small_world):
    run = execute_run(run_id=create_run().pk)
    assert run.heartbeat_at is not None
    assert run.started_at <= run.heartbeat_at <= run.finished_at


def test_the_stale_sweep_runs_every_minute_by_name():
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "reach.fail_stale_runs"]
    assert entry["schedule"] == 60.0
    current_app.loader.import_default_modules()  # what a worker does at start: autodiscovered tasks
    assert "reach.fail_stale_runs" in current_app.tasks


def test_the_redis_visibility_timeout_is_above_the_longest_run():
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert settings.CELERY_TASK_TIME_LIMIT == settings.REACH_RUN_TIME_LIMIT_SECONDS
    assert timeout > settings.CELERY_TASK_TIME_LIMIT
