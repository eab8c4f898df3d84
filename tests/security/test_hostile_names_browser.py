"""Stored XSS: script-bearing names planted in every catalogue and locality field, then every page visited
as every role in Debian's Chromium. No dialog may open, and no page may break the Content-Security-Policy.

To cover a new page, add it to PAGES (admin pages are found from the admin site's registry)."""

from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from playwright.sync_api import sync_playwright

from accounts.services import ensure_user
from areas.models import Locality
from careplans.models import PublicationTrigger, Team
from careplans.services import Actor, publish
from reach.models import ReachProfile
from reach.scenario_services import add_change, create_scenario
from reach.services import create_run, execute_run
from services.models import MenuOption, Provider, Site
from tests.careplans.records import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XSS = '<img src=x onerror=alert("xss")>'
XSS_SCRIPT = '"><script>alert("xss")</script>'
XSS_SHORT = "<svg onload=alert()>"  # 20 characters, for codes
ROLES = [None, "keyworker", "commissioner", "admin", "superuser"]
# (path, start of the browser's message) of policy violations accepted for now: none.
KNOWN_VIOLATIONS: list[tuple[str, str]] = []

# (path, what to do there once loaded). {person}, {choice}, {run} are filled in from the planted world.
PAGES = [
    ("/", None),
    ("/accounts/login/", None),
    ("/map/", "map"),
    ("/map/?scenario={scenario}", "scenario"),
    ("/map/table/", None),
    ("/map/table/?q=svg", None),
    ("/careplans/", None),
    ("/careplans/people/new/", "picker"),
    ("/careplans/people/{person}/", None),
    ("/careplans/people/{person}/edit/", "picker"),
    ("/careplans/people/{person}/needs/", None),
    ("/careplans/people/{person}/reviews/new/", None),
    ("/careplans/people/{person}/choices/new/", None),
    ("/careplans/people/{person}/choices/{choice}/edit/", None),
    ("/careplans/unmet/", None),
    ("/careplans/unmet/?option=" + XSS_SHORT, None),
    ("/map/scenarios/", None),
    ("/map/scenarios/{scenario}/", None),
    ("/map/scenarios/{scenario}/?kind=add_offer", None),
    ("/map/scenarios/{scenario}/compare/", None),
    ("/map/scenarios/{scenario}/compare/locality/?locality={locality}", None),
    ("/map/scenarios/{scenario}/apply/", None),
    ("/map/scenarios/planner/", None),
    ("/careplans/unmet/reasons/?option=" + XSS_SHORT, None),
    ("/careplans/segments/?travel=" + XSS_SHORT, None),
    ("/careplans/outcomes/", None),
    ("/api/schema/swagger/", None),
    ("/api/schema/redoc/", None),
]


def plant(world, caseloads) -> dict:
    """Every text field of the catalogue and the localities carries script; then a fresh run copies them."""
    for number, option in enumerate(MenuOption.objects.all()):
        MenuOption.objects.filter(pk=option.pk).update(
            code=f"{XSS_SHORT[:18]}{number}", name=XSS + option.code, description=XSS_SCRIPT
        )
    for provider in Provider.objects.all():
        Provider.objects.filter(pk=provider.pk).update(name=XSS + str(provider.pk), contact=XSS_SCRIPT)
    for site in Site.objects.all():
        Site.objects.filter(pk=site.pk).update(
            code=XSS_SHORT + str(site.pk), name=XSS_SCRIPT + str(site.pk), address=XSS, postcode="<b>x</b>"
        )
    for number, locality in enumerate(Locality.objects.all()):
        Locality.objects.filter(pk=locality.pk).update(
            code=f"{XSS_SHORT[:18]}{number}", name=XSS + str(number), la_code="<i>", la_name=XSS_SCRIPT
        )
    ReachProfile.objects.update(name=XSS, description=XSS_SCRIPT)
    Team.objects.create(name=XSS).members.add(world["site"].provider.pk and caseloads["mine"].keyworker)
    run = execute_run(run_id=create_run().pk)
    assert run.status == "succeeded", run.error
    return {"person": caseloads["mine"].pk, "choice": caseloads["my_choice"].pk, "run": run.pk}


def plant_scenario(owner) -> dict:
    """A run scenario whose name, new site and provider carry script, held in a script-named locality, so
    that its pages and the map's scenario bar, changes list, legend, new-site marker and panel show them."""
    scenario = create_scenario(name=XSS_SCRIPT, owner=owner, description=XSS)
    locality = Locality.objects.order_by("code").first()
    option = MenuOption.objects.order_by("code").first()
    site = {
        "code": XSS_SHORT,
        "name": XSS,
        "provider": XSS_SCRIPT,
        "provider_kind": "voluntary",
        "lat": 50.7,
        "lon": -2.1,
    }
    add_change(scenario=scenario, kind="add_site", values=site)
    offer = {"site_code": XSS_SHORT, "option_code": option.code, "delivery": "outreach"}
    add_change(scenario=scenario, kind="add_offer", values={**offer, "outreach_localities": [locality.code]})
    run = execute_run(run_id=create_run(scenario=scenario).pk)
    assert run.status == "succeeded", run.error
    return {"scenario": scenario.pk, "locality": quote(locality.code)}


def admin_pages() -> list[tuple[str, None]]:
    """The changelist and first change page of every model the admin site shows."""
    pages = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append((reverse("admin:{}_{}_changelist".format(*info)), None))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append((reverse("admin:{}_{}_change".format(*info), args=[first.pk]), None))
    return [(reverse("admin:index"), None), *pages]


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-background-networking"]
        )
        yield browser
        browser.close()


def session_cookie(user, live_server) -> list[dict]:
    client = Client()
    client.force_login(user)
    return [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]


def interact(page, action: str) -> None:
    """What a person would do there to bring the planted names on screen."""
    if action == "picker":
        outlines = page.locator("path.leaflet-interactive")
        for index in range(outlines.count()):
            outlines.nth(index).hover(force=True)
            tooltip = page.locator(".leaflet-tooltip").last
            assert tooltip.inner_text().startswith(XSS)  # the name, shown as text
            assert tooltip.locator("img").count() == 0
    if action == "map" and page.locator("#find-query").count():
        page.wait_for_selector("html[data-map-painted]", timeout=20_000)
        page.fill("#find-query", "svg")
        page.press("#find-query", "Enter")
        page.wait_for_timeout(500)
        for result in page.locator("#find-results button, #find-results a").all()[:2]:
            result.click()
            page.wait_for_selector("#panel-title")
        markers = page.locator(".site-marker")
        if markers.count():
            markers.first.click(force=True)
    if action == "scenario" and page.locator("#scenario-select").count():
        page.wait_for_selector("html[data-map-painted]", timeout=20_000)
        page.wait_for_selector("#scenario-bar:not([hidden])", timeout=20_000)
        assert page.locator("#scenario-name").inner_text() == XSS_SCRIPT  # the name, shown as text
        interact(page, "map")  # the before/after panel of a found locality, and a site's popup
        new_sites = page.locator(".new-site-marker")
        if new_sites.count():
            new_sites.first.dispatch_event("click")  # it may lie outside the map's view
            page.wait_for_selector(".leaflet-popup .scenario-note")


def watch(page, role, problems: list) -> None:
    """Record every dialog (dismissed), Content-Security-Policy violation and script error on the page."""

    def on_dialog(dialog):
        problems.append((role, page.url, "dialog", dialog.message))
        dialog.dismiss()

    def on_console(message):
        shown = urlsplit(page.url).path
        known = any(shown == path and message.text.startswith(text) for path, text in KNOWN_VIOLATIONS)
        if "Content Security Policy" in message.text and not known:
            problems.append((role, page.url, "csp", message.text))

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append((role, page.url, "error", str(error))))


def test_hostile_names_run_no_script_on_any_page_for_any_role(browser, live_server, world, caseloads, users):
    ids = plant(world, caseloads) | plant_scenario(users["commissioner"])
    publish(actor=Actor(user=None, path="test"), trigger=PublicationTrigger.SCHEDULE)  # the unmet pages and admin
    superuser = ensure_user(username="root", password=PASSWORD, role="admin", superuser=True)
    accounts = {**users, "superuser": superuser, None: None}
    pages = [(path.format(**ids), action) for path, action in PAGES] + admin_pages()
    problems = []
    for role in ROLES:
        context = browser.new_context()
        if accounts[role] is not None:
            context.add_cookies(session_cookie(accounts[role], live_server))
        page = context.new_page()
        watch(page, role, problems)
        for path, action in pages:
            response = page.goto(live_server.url + path, wait_until="load")
            assert response.status < 500, (role, path, response.status)
            if action and response.status == 200:
                interact(page, action)
        context.close()
    assert not problems, "\n".join(" | ".join(str(part)[:200] for part in problem) for problem in problems)
