"""The reasons, segments and outcomes pages in Debian's Chromium, with a publication to show: WCAG 2.2 AA by
axe, hostile names shown as text (no dialog, no CSP breach), the segment form by keyboard."""

import pytest

from areas.models import Locality
from services.models import MenuOption
from tests.accessibility.axe import audit, install_axe, report
from tests.careplans.records import people
from tests.careplans.test_unmet import published
from tests.security.test_hostile_names_browser import XSS, XSS_SCRIPT, browser, session_cookie, watch  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATHS = [
    "/careplans/unmet/reasons/",
    "/careplans/unmet/reasons/?option=OST",
    "/careplans/segments/",
    "/careplans/segments/?travel=no_car&sessions=evenings_weekends&formats=ANY",
    "/careplans/outcomes/",
]


def test_commissioner_tables_meet_wcag_and_show_hostile_names_as_text(browser, live_server, world, users):  # noqa: F811
    Locality.objects.filter(pk=world["town"].pk).update(name=XSS + "town")
    MenuOption.objects.filter(pk=world["ost"].pk).update(name=XSS_SCRIPT)
    people(world, users, "town", 12, "ost")
    people(world, users, "village", 9, "ost", agreed="nsp")
    published(users)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    install_axe(context)
    context.add_cookies(session_cookie(users["commissioner"], live_server))
    page = context.new_page()
    problems: list = []
    watch(page, "commissioner", problems)
    findings = []
    for path in PATHS:
        response = page.goto(live_server.url + path, wait_until="load")
        assert response is not None and response.status == 200, path
        findings += audit(page, role="commissioner", path=path)
    # The segment form, by keyboard only: pick "No car" and submit with Enter.
    page.goto(live_server.url + "/careplans/segments/", wait_until="load")
    page.focus("select[name=travel]")
    page.select_option("select[name=travel]", "no_car")
    page.focus("#segment-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**travel=no_car**")
    assert XSS + "town" in page.locator("#segment-people").inner_text()  # the name, as text
    assert XSS + "town" in page.locator("#segment-catalogue").inner_text()
    context.close()
    assert not problems, problems
    assert not findings, report(findings)
