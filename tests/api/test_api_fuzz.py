"""Schemathesis fuzzes every operation of the OpenAPI schema, as each role: no answer may be a 5xx, and
every error of /api/ is JSON in the one error format (api.errors), whatever went wrong.

Bounded (MAX_EXAMPLES per operation, derandomized) so the suite stays fast; raise FUZZ_EXAMPLES
in the environment for a longer hunt.
"""

import datetime
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from careplans.models import Team
from careplans.services import Actor, ChoiceFields, create_service_user, record_choice
from reach.services import create_run, execute_run
from services.models import MenuOption

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
OPEN_PATHS = ("/openreferral", "/api/v1/auth/token/")
CARE_RECORD_PATHS = ("/api/v1/service-users/",)  # keyworkers', not admins': where their input is validated


def errors_in_the_error_format(ctx, response, case):
    """An API error is never an HTML page: JSON with status, code, message and fields."""
    if response.status_code < 400 or not case.operation.path.startswith("/api/"):
        return
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"status", "code", "message", "fields"}, body
    assert body["status"] == response.status_code, body


@pytest.fixture
def wsgi_app():
    """The real WSGI application, kept inside the test's transaction as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(small_world, users, sent_runs):
    execute_run(run_id=create_run().pk)  # so results, summaries and menus have something to show
    # A caseload with a recorded choice, so care-plan lists and unmet preference have something to show.
    keyworker = users[KEYWORKER]
    actor = Actor(user=keyworker, path="/test")
    team = Team.objects.create(name="North")
    team.members.add(keyworker)
    person = create_service_user(
        actor=actor, keyworker=keyworker, age_band="25_34", home_locality=small_world["village"], team=team
    )
    ost, nsp = MenuOption.objects.get(code="OST"), MenuOption.objects.get(code="NSP")
    record_choice(
        actor=actor,
        service_user=person,
        fields=ChoiceFields(
            discussed_on=datetime.date(2025, 3, 10),
            options_discussed=[ost],
            preferred_option=ost,
            agreed_option=nsp,
            joint_decision=True,
            review_on=datetime.date(2025, 4, 21),
            difference_reason="not_reachable",
        ),
    )
    # Queued runs must not reach a broker from a test: the sent_runs fixture records them instead.


@pytest.mark.parametrize("role", [None, ADMIN, COMMISSIONER, KEYWORKER])
def test_no_operation_answers_with_a_server_error(api, world, wsgi_app, role):
    # The schema itself needs sign-in: any role's token fetches it.
    reader = {"Authorization": api(KEYWORKER)._credentials["HTTP_AUTHORIZATION"]}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=reader)
    client_headers = api(role)._credentials
    headers = {"Authorization": client_headers["HTTP_AUTHORIZATION"]} if role else {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        # Invalid input is worth generating where it gets past sign-in: as keyworker on care records, as
        # admin everywhere else (every other validator) and anonymously on the open endpoints; elsewhere
        # valid input only.
        is_open = operation.path.startswith(OPEN_PATHS)
        validated_as = KEYWORKER if operation.path.startswith(CARE_RECORD_PATHS) else ADMIN
        has_input = any(len(group) for group in (operation.query, operation.body))
        fuzz_invalid = has_input and (role == validated_as or (role is None and is_open))
        for mode in [GenerationMode.POSITIVE, GenerationMode.NEGATIVE] if fuzz_invalid else [GenerationMode.POSITIVE]:
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case):
                response = case.call(headers=headers)
                case.validate_response(response, checks=[not_a_server_error, errors_in_the_error_format])

            try:
                check()
            except Unsatisfiable:
                # Some inputs cannot be made invalid (e.g. a free-text path id): nothing to fuzz there.
                assert mode == GenerationMode.NEGATIVE, operation.label
