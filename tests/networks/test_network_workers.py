"""Network matrices as a Celery group of origin chunks on real workers, including one that is killed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection

from choicemap.celery import app
from reach.models import MatrixChunk, MatrixJob, ReachRun, RunStatus, TravelTimeColumn
from reach.selectors import run_results
from reach.services import create_run, enqueue_run, execute_run

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NETWORK_ROADS = {"walk_source": "network", "car_source": "network", "network": "helsinki"}
COMPARED = [
    "locality_code",
    "menu_without_car",
    "menu_with_car",
    "expected_menu",
    "nearest_walk_minutes",
    "nearest_car_minutes",
    "access_without_car",
    "access_with_car",
]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def inline_results(overrides: dict) -> list:
    """The same run computed in this process, chunks one after another: the reference."""
    run = execute_run(run_id=create_run(overrides=overrides).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return list(run_results(run=run).values_list(*COMPARED))


def test_chunks_run_as_a_group_and_the_run_goes_on_when_they_finish(
    helsinki_world, helsinki_network, reach_worker, settings
):
    settings.NETWORK_CHUNK_ORIGINS = 2  # 6 localities: 3 chunks for each of walk and car
    run = create_run(overrides=NETWORK_ROADS)
    enqueue_run(run=run)
    final = wait_for(
        lambda: ReachRun.objects.filter(pk=run.pk, status__in=["succeeded", "failed"]).first(), 120, "the run"
    )
    assert final.status == RunStatus.SUCCEEDED, final.error
    jobs = MatrixJob.objects.filter(run=run)
    assert sorted(jobs.values_list("mode", "n_chunks")) == [("car", 3), ("walk", 3)]
    assert all(job.stored for job in jobs) and MatrixChunk.objects.filter(job__run=run, done=False).count() == 0
    got = list(run_results(run=final).values_list(*COMPARED))
    TravelTimeColumn.objects.all().delete()  # the reference computes afresh, not from the workers' cache
    assert got == inline_results(NETWORK_ROADS)


def _start_worker(log: Path) -> subprocess.Popen:
    """A real worker process on the test database and broker, redelivering abandoned tasks after 1 s."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "choicemap.settings.test",
        "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "TEST_REDIS_URL": settings.CELERY_BROKER_URL,
        "NETWORK_DIR": str(settings.NETWORK_DIR),
        "NETWORK_CHUNK_ORIGINS": "2",
        "CELERY_VISIBILITY_TIMEOUT": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "choicemap",
        "worker",
        "--pool=solo",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        "-l",
        "info",
    ]
    # this interpreter with fixed arguments: no shell, no outside text
    return subprocess.Popen(  # noqa: S603
        command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_mid_matrix_loses_nothing(helsinki_world, helsinki_network, settings, tmp_path):
    settings.NETWORK_CHUNK_ORIGINS = 2
    app.control.purge()
    run = create_run(overrides=NETWORK_ROADS)
    execute_run(run_id=run.pk, inline=False)  # plans the matrices and sends the chunks; no worker yet
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and MatrixChunk.objects.filter(job__run=run).count() == 6

    # Hold every chunk row, so the first worker stops inside its first chunk, before storing it.
    holder = psycopg2.connect(**connection.get_connection_params())
    holder.cursor().execute("SELECT id FROM reach_matrixchunk FOR UPDATE")
    log = tmp_path / "workers.log"
    first = _start_worker(log)
    try:
        wait_for(_waiting_on_a_lock, 60, "the first worker to reach a chunk")
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker dies mid-chunk
        first.wait(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    assert MatrixChunk.objects.filter(job__run=run, done=True).count() == 0
    assert TravelTimeColumn.objects.count() == 0  # nothing half-built was stored
    assert ReachRun.objects.get(pk=run.pk).status == RunStatus.RUNNING

    time.sleep(1.5)  # past the visibility timeout: the killed worker's chunk is delivered again
    second = _start_worker(log)
    try:
        final = wait_for(
            lambda: ReachRun.objects.filter(pk=run.pk, status__in=["succeeded", "failed"]).first(), 180, "the run"
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=60)
        app.control.purge()
    assert final.status == RunStatus.SUCCEEDED, final.error + log.read_text()[-3000:]
    assert MatrixChunk.objects.filter(job__run=run, done=True).count() == 6
    got = list(run_results(run=final).values_list(*COMPARED))
    TravelTimeColumn.objects.all().delete()
    assert got == inline_results(NETWORK_ROADS)
