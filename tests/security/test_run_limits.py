"""Runs cannot be queued without limit: one active run per profile, whichever door starts it
(reach.services.start_run, shared by the API, the map and the admin)."""

import pytest

from reach.models import ReachRun, RunStatus
from tests.api.clients import token_client

pytestmark = pytest.mark.django_db


def test_the_api_answers_409_while_a_run_is_active_whoever_started_it(small_world, users, client, sent_runs):
    api = token_client(users["commissioner"])
    statuses = [api.post("/api/v1/runs/", {}, format="json").status_code for _ in range(5)]
    assert statuses == [202, 409, 409, 409, 409]
    # The map shares the rule, both ways.
    client.force_login(users["commissioner"])
    assert client.post("/map/api/runs/", {}, content_type="application/json").status_code == 409
    ReachRun.objects.update(status=RunStatus.FAILED)
    assert client.post("/map/api/runs/", {}, content_type="application/json").status_code == 202
    response = api.post("/api/v1/runs/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "run_active"
    assert ReachRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).count() == 1
