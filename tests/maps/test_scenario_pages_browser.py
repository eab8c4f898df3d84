"""The scenario pages in Debian's Chromium: a change added by keyboard alone, the run's state updated by
the page's small script until the run finishes, and axe on the states only a POST reaches."""

import os

import pytest

from accounts.roles import COMMISSIONER
from reach.models import ReachProfile, ScenarioChange
from reach.scenario_services import create_scenario
from reach.services import create_run, execute_run
from tests.accessibility.axe import audit, install_axe, report
from tests.maps.browser_pages import sign_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IS_FOCUSED = "selector => document.activeElement === document.querySelector(selector)"


def tab_to(page, selector: str, most: int = 60) -> None:
    """Press Tab until `selector` has the focus: it is reachable by keyboard, in document order."""
    for _ in range(most):
        if page.evaluate(IS_FOCUSED, selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never took the focus")


def choose_by_arrows(page, selector: str, value: str) -> None:
    for _ in range(10):
        if page.eval_on_selector(selector, "el => el.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{selector} never reached {value}")


@pytest.fixture
def scenario(small_world, users):
    return create_scenario(name="Keyboard", owner=users[COMMISSIONER])


def test_an_outreach_offer_added_by_keyboard_alone(page, live_server, scenario):
    sign_in(page, live_server, "commissioner", next_url=f"/map/scenarios/{scenario.pk}/")
    page.wait_for_selector("#kind")
    tab_to(page, "#kind")
    choose_by_arrows(page, "#kind", "add_offer")
    tab_to(page, ".kind-picker button")
    page.keyboard.press("Enter")  # the kind picker's GET form shows the kind's form, without script
    page.wait_for_selector("#id_site_code")
    for selector, value in (("#id_site_code", "T1"), ("#id_option_code", "OST"), ("#id_delivery", "outreach")):
        tab_to(page, selector)
        choose_by_arrows(page, selector, value)
    village = page.locator("input[name=outreach_localities][value=VILL]").get_attribute("id")
    tab_to(page, f"#{village}")
    page.keyboard.press("Space")
    tab_to(page, ".change-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#change-1")
    change = ScenarioChange.objects.get(scenario=scenario)
    assert change.values == {
        "site_code": "T1",
        "option_code": "OST",
        "delivery": "outreach",
        "outreach_localities": ["VILL"],
    }
    assert "held in Village" in page.inner_text("#change-1")


def test_the_run_state_updates_itself_until_the_run_finishes(page, live_server, scenario):
    run = create_run(scenario=scenario)  # queued, not sent: this test computes it
    sign_in(page, live_server, "commissioner", next_url=f"/map/scenarios/{scenario.pk}/")
    page.wait_for_selector("#run-state[data-status=queued]")
    assert page.locator("#run-refresh").is_visible()  # the plain link for a page without script
    page.wait_for_selector("#run-state .run-live", state="attached")
    execute_run(run_id=run.pk)
    page.wait_for_selector("#run-state[data-status=succeeded]", timeout=30_000)  # reloaded by the script
    assert f"run {run.pk}, succeeded" in page.inner_text("#run-state")
    assert page.locator("a", has_text="Compare run").count() == 1


@pytest.fixture
def audited_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    install_axe(context)
    page = context.new_page()
    yield page
    context.close()


def test_the_states_only_a_post_reaches_meet_wcag_22_aa(audited_page, live_server, scenario):
    """axe on what tests/accessibility cannot open with a GET: a change form with rule errors, and a plan."""
    page = audited_page
    sign_in(page, live_server, "commissioner", next_url=f"/map/scenarios/{scenario.pk}/?kind=add_offer")
    page.select_option("#id_site_code", "T1")
    page.select_option("#id_option_code", "OST")
    page.select_option("#id_delivery", "outreach")
    page.fill("#id_waiting_weeks", "-1")
    page.click(".change-form button[type=submit]")
    page.wait_for_selector(".has-error")
    findings = audit(page, role=COMMISSIONER, path="scenario change form with errors")
    strict = ReachProfile.objects.create(name="Strict", pt_minutes=30)  # the village then lacks NSP without a car
    execute_run(run_id=create_run(profile=strict).pk)
    page.goto(f"{live_server.url}/map/scenarios/planner/")
    page.check("#id_source_1")
    page.check("input[name=generate_options][value=NSP]")
    page.fill("#id_generate_provider", "New")
    page.select_option("#id_generate_provider_kind", "voluntary")
    page.fill("#id_budget", "1")
    page.select_option("#id_profile", label="Strict")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("#plan-summary")
    findings += audit(page, role=COMMISSIONER, path="planner with a plan")
    assert not findings, report(findings)
