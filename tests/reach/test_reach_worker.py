"""A real Celery worker on Redis runs reach runs against the test database."""

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings

from choicemap.celery import app
from choicemap.events import catalogue_changed
from reach.models import LocalityResult, ReachRun, RunStatus
from reach.selectors import current_run
from reach.services import create_run, enqueue_run, execute_run
from tests.helpers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(small_world, reach_worker):
    yield


@pytest.fixture
def lock_table():
    """Hold a table lock from a session of its own; returns a function that releases it."""
    sessions = []

    def lock(table: str):
        session = psycopg2.connect(**connection.get_connection_params())
        sessions.append(session)
        session.cursor().execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        return session.rollback

    yield lock
    for session in sessions:
        session.rollback()
        session.close()


def test_worker_runs_a_run_to_success_with_progress_observed(worker, lock_table):
    # Stop the worker twice on its way: before it loads localities, and before it stores results.
    release_localities = lock_table("areas_locality")
    release_results = lock_table("reach_localityresult")
    run = create_run()
    enqueue_run(run=run)  # autocommit: sent at once

    started = wait_for(run.pk, lambda r: r.status == RunStatus.RUNNING)
    assert started.progress == 0
    release_localities()
    computed = wait_for(run.pk, lambda r: r.progress >= 85)
    assert computed.status == RunStatus.RUNNING
    release_results()

    final = wait_for(run.pk, lambda r: r.status in {RunStatus.SUCCEEDED, RunStatus.FAILED})
    assert final.status == RunStatus.SUCCEEDED, final.error
    assert final.progress == 100 and final.started_at <= final.finished_at
    assert LocalityResult.objects.filter(run=final).count() == 2
    assert current_run() == final
    assert set(final.timings) == {"load_seconds", "travel_seconds", "compute_seconds", "store_seconds"}


def test_a_failing_run_on_the_worker_leaves_current_results_intact(worker):
    good = execute_run(run_id=create_run().pk)
    bad = create_run()
    ReachRun.objects.filter(pk=bad.pk).update(params={**bad.params, "car_kmh": "fast"})
    enqueue_run(run=bad)
    final = wait_for(bad.pk, lambda r: r.status in {RunStatus.SUCCEEDED, RunStatus.FAILED})
    assert final.status == RunStatus.FAILED and final.error
    assert current_run() == good
    assert LocalityResult.objects.filter(run=good).count() == 2
    assert LocalityResult.objects.filter(run=bad).count() == 0


@override_settings(REACH_AUTO_RECOMPUTE=True)
def test_catalogue_changes_queue_one_coalesced_recompute(small_world):
    app.control.purge()
    try:
        with transaction.atomic():
            catalogue_changed()
            catalogue_changed()
            assert ReachRun.objects.count() == 0  # nothing before the commit
        catalogue_changed()
        queued = ReachRun.objects.filter(status=RunStatus.QUEUED, automatic=True)
        assert queued.count() == 1
        assert queued.get().profile.is_default
    finally:
        app.control.purge()


def test_compute_reach_command_queues_on_the_worker_and_prints_progress(worker, capsys):
    call_command("compute_reach", "--set", "car_minutes=25")
    out = capsys.readouterr().out
    run = ReachRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED and run.params["car_minutes"] == 25
    assert "succeeded 100%" in out and f"Run {run.pk} succeeded" in out
