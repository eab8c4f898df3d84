"""axe-core in Debian's Chromium on every page, as every role that can open it: WCAG 2.2 AA or fail.

The pages and roles are in pages.py, the few accepted third-party findings in exceptions.py.
"""

import os

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from rest_framework.authtoken.models import Token

from accounts.models import RoleChange
from careplans.models import PublicationTrigger
from careplans.services import Actor, publish
from reach.models import ChangeKind, NetworkBuild, Scenario, ScenarioChange, TravelNetwork
from reach.scenario_services import add_change, create_scenario
from reach.services import create_run, execute_run
from tests.accessibility.axe import audit, install_axe, report
from tests.accessibility.pages import ADMIN, ANONYMOUS, COMMISSIONER, EVERYONE, KEYWORKER, PAGES, admin_pages, sign_in

# Playwright's sync API runs an event loop in this thread; the ORM calls here are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGINS = {ADMIN: "adm", COMMISSIONER: "com", KEYWORKER: "kw"}


@pytest.fixture
def site_objects(world, users, caseloads, team) -> dict[str, int]:
    """The care-plans world, one of every object the admin lists, and the ids the page paths need."""
    admin = users["admin"]
    admin.is_superuser = True  # as the demo's admin is, so that every admin page is reached
    admin.save()
    Token.objects.get_or_create(user=admin)
    # django-axes' admin lists sign-in records: one of each, for someone else from elsewhere (no lock-out).
    record = {
        "username": "someone-else",
        "ip_address": "192.0.2.9",
        "user_agent": "test",
        "path_info": "/accounts/login/",
    }
    AccessAttempt.objects.create(**record, get_data="", post_data="username=someone-else", failures_since_start=1)
    AccessFailureLog.objects.create(**record)
    AccessLog.objects.create(**record)
    RoleChange.objects.create(actor_username="adm", username="kw", change="joined team North", path="/admin/")
    # reach's networks and scenarios: rows only (no network is built, no scenario applied).
    network = TravelNetwork.objects.create(name="north", description="The north of the area")
    NetworkBuild.objects.create(
        network=network, modes=["walk", "cycle"], osm_file="north.osm.pbf", osm_sha256="0" * 64, osm_size=1024
    )
    scenario = Scenario.objects.create(name="Evening clinic", description="One more evening session", owner=admin)
    ScenarioChange.objects.create(scenario=scenario, position=0, kind=ChangeKind.CLOSE_SITE, values={})
    publish(actor=Actor(user=None, path="test"), trigger=PublicationTrigger.SCHEDULE)  # the Publication admin
    return {"mine": caseloads["mine"].pk, "my_choice": caseloads["my_choice"].pk, "scenario": village_scenario(users)}


def village_scenario(users) -> int:
    """The commissioner's scenario of a village hall offering NSP, run once, for the scenario pages."""
    hall = create_scenario(name="Village hall", owner=users["commissioner"], description="NSP in the village")
    site = {"code": "V1", "name": "Village hall", "provider": "Hall trust", "provider_kind": "voluntary"}
    add_change(scenario=hall, kind=ChangeKind.ADD_SITE, values={**site, "lat": 50.7, "lon": -2.156})
    add_change(
        scenario=hall,
        kind=ChangeKind.ADD_OFFER,
        values={"site_code": "V1", "option_code": "NSP", "delivery": "on_site"},
    )
    run = execute_run(run_id=create_run(scenario=hall).pk)
    assert run.status == "succeeded", run.error
    return hall.pk


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    install_axe(context)
    errors = []
    context.on("weberror", lambda error: errors.append(str(error.error)))
    yield context
    context.close()
    assert errors == []


def open_page(page, live_server, path: str, ready: str | None = None) -> None:
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200, (path, response and response.status)
    assert page.url == f"{live_server.url}{path}", f"{path} went to {page.url}"
    page.wait_for_load_state("networkidle")
    if ready:
        page.wait_for_selector(ready)


@pytest.mark.parametrize("role", EVERYONE)
def test_every_page_meets_wcag_22_aa_for_each_role_that_can_open_it(role, context, live_server, site_objects, users):
    pages = [page for page in PAGES if role in page.roles]
    if role == ADMIN:
        pages += admin_pages(users["admin"])
    browser_page = context.new_page()
    if role != ANONYMOUS:
        sign_in(browser_page, live_server, LOGINS[role])
    findings = []
    for page in pages:
        path = page.path.format(**site_objects)
        open_page(browser_page, live_server, path, page.ready)
        findings += audit(browser_page, role=role, path=path)
    assert not findings, report(findings)


def test_the_lockout_page_meets_wcag_22_aa(context, live_server, users):
    page = context.new_page()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "kw")
        page.fill("#id_password", "not-the-password")
        page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Signing in is paused"
    findings = audit(page, role=ANONYMOUS, path="/accounts/login/ (locked out)")
    assert not findings, report(findings)
