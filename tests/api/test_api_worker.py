"""A run queued through the API is picked up and finished by a real Celery worker."""

import pytest
from celery.contrib.testing.worker import start_worker

from accounts.roles import COMMISSIONER
from choicemap.celery import app
from reach.models import LocalityResult, RunStatus
from tests.helpers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_run_queued_through_the_api_succeeds_on_the_worker(api, small_world):
    app.control.purge()
    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        response = api(COMMISSIONER).post("/api/v1/runs/", {}, format="json")
        assert response.status_code == 202
        final = wait_for(response.json()["id"], lambda r: r.status in {RunStatus.SUCCEEDED, RunStatus.FAILED})
    app.control.purge()
    assert final.status == RunStatus.SUCCEEDED, final.error
    polled = api(COMMISSIONER).get(f"/api/v1/runs/{final.pk}/").json()
    assert (polled["status"], polled["progress"]) == ("succeeded", 100)
    assert LocalityResult.objects.filter(run=final).count() == 2
