"""kill -9 of a real Celery worker in the middle of storing a run's results, on both brokers: no result of the
killed run is kept, the current results stay current, the run does not stay "running" for good, and a new
worker computes again with nothing done by hand. RabbitMQ gives the killed run's task to the next worker at
once; with Redis (a throwaway server, so no stray message outlives the test) the stale sweep fails the run,
which frees the profile for the next one."""

import datetime
import time

import psycopg2
import pytest
from django.conf import settings
from django.utils import timezone

from reach.models import LocalityResult, ReachRun, RunStatus
from reach.selectors import current_run
from reach.services import create_run, execute_run, fail_stale_runs, start_run
from tests.ops.conftest import CeleryWorker, broker_at

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, *, seconds: float = 90, what: str = ""):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


def status(run) -> ReachRun:
    return ReachRun.objects.get(pk=run.pk)


def kill_while_storing(worker: CeleryWorker) -> ReachRun:
    """Start a run and kill its worker once it has computed and waits to store (the results table held)."""
    db = settings.DATABASES["default"]
    blocker = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    try:
        with blocker.cursor() as cursor:
            cursor.execute("LOCK TABLE reach_localityresult IN ACCESS EXCLUSIVE MODE")
        run = start_run()
        wait_for(lambda: status(run).progress >= 85, what="the run to finish computing")
        time.sleep(1)  # now inside the storing transaction, waiting for the table
        assert status(run).status == RunStatus.RUNNING
        worker.kill()
    finally:
        blocker.rollback()
        blocker.close()
    return run


def test_worker_killed_mid_run_on_rabbitmq_the_next_worker_finishes_it(
    small_world, rabbitmq_broker, celery_workers, tmp_path
):
    before = execute_run(run_id=create_run().pk)
    killed = kill_while_storing(celery_workers(rabbitmq_broker))
    assert current_run() == before
    assert not LocalityResult.objects.filter(run=killed).exists()

    celery_workers(rabbitmq_broker)
    # No visibility timeout: the unacknowledged task went back to the queue when the worker died.
    wait_for(lambda: status(killed).status == RunStatus.SUCCEEDED, what="the redelivered run")
    assert current_run() == killed
    assert "Connected to amqp://guest:**@127.0.0.1:5672/" in (tmp_path / "worker2.log").read_text()
    assert LocalityResult.objects.filter(run=killed).count() == LocalityResult.objects.filter(run=before).count()


def test_worker_killed_mid_run_on_redis_the_run_goes_stale_and_the_next_one_runs(
    small_world, throwaway_redis, celery_workers, tmp_path, settings
):
    before = execute_run(run_id=create_run().pk)
    with broker_at(throwaway_redis.url):
        killed = kill_while_storing(celery_workers(throwaway_redis.url))
        assert current_run() == before
        assert not LocalityResult.objects.filter(run=killed).exists()
        assert status(killed).status == RunStatus.RUNNING  # Redis redelivers only after visibility_timeout

        # What the beat task does every minute, once the heartbeat is older than the stale limit.
        settings.REACH_RUN_STALE_SECONDS = 60
        ReachRun.objects.filter(pk=killed.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(seconds=61))
        assert fail_stale_runs() == [killed.pk]
        assert status(killed).status == RunStatus.FAILED
        assert current_run() == before

        celery_workers(throwaway_redis.url)
        again = start_run()  # not refused: the lost run no longer holds the profile
        wait_for(lambda: status(again).status == RunStatus.SUCCEEDED, what="the next run")
    assert current_run() == again
    assert f"127.0.0.1:{throwaway_redis.port}/0" in (tmp_path / "worker2.log").read_text()
