"""A keyworker signs in, opens a person and records a choice in a real browser."""

from pathlib import Path

import pytest

from tests.careplans.records import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def page(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-background-networking"]
        )
        yield browser.new_page()
        browser.close()


def test_keyworker_records_a_choice(live_server, page, caseloads, world):
    mine = caseloads["mine"]
    page.goto(f"{live_server.url}/accounts/login/?next=/careplans/")
    page.fill("#id_username", "kw")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click(f"text={mine.reference}")
    page.click("text=Record a choice")
    menu = page.locator("#reachable-menu")
    assert "Opioid substitution" in menu.inner_text() and "Not reachable" in menu.inner_text()

    # First attempt leaves out the reason: the page says so and keeps what was entered.
    page.select_option("#id_preferred_option", label="Opioid substitution")
    page.select_option("#id_agreed_option", label="Needle exchange")
    page.check("#id_joint_decision_0")
    page.fill("#id_review_on", "2099-01-15")
    page.click("text=Save the choice")
    assert page.locator("text=say why").is_visible()
    assert page.input_value("#id_review_on") == "2099-01-15"
    assert page.locator("#id_agreed_option option:checked").inner_text() == "Needle exchange"

    page.select_option("#id_difference_reason", value="not_reachable")
    page.click("text=Save the choice")
    page.wait_for_url(f"**/careplans/people/{mine.pk}/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "careplans-choice-recorded.png"), full_page=True)
    choices = page.locator("#choices").inner_text()
    assert "Not reachable from home" in choices and "15 Jan 2099" in choices
    assert mine.choices.count() == 2
    assert mine.choices.order_by("-id").first().preferred_reachable_without_car is False


def test_keyworker_records_needs_and_sees_the_reasons(live_server, page, caseloads, world):
    mine = caseloads["mine"]  # lives in the village, 11 km from the only clinic
    page.goto(f"{live_server.url}/accounts/login/?next=/careplans/people/{mine.pk}/")
    page.fill("#id_username", "kw")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Edit needs and constraints")
    page.get_by_label("No car").check()
    page.get_by_label("Weekday evenings").check()
    page.fill("#id_longest_journey_minutes", "500")
    page.click("text=Save the needs")
    # Refused, saying why, and keeping what was typed.
    assert page.locator("text=between 5 and 240 minutes").is_visible()
    assert page.get_by_label("No car").is_checked() and page.get_by_label("Weekday evenings").is_checked()
    page.fill("#id_longest_journey_minutes", "40")
    page.click("text=Save the needs")
    page.wait_for_url(f"**/careplans/people/{mine.pk}/")
    needs = page.locator("#needs").inner_text()
    assert "No car" in needs and "Weekday evenings" in needs and "at most 40 minutes" in needs

    page.click("text=Record a choice")
    ost = page.locator('#personal-menu tr[data-option="OST"]').inner_text()
    assert "Too far by the ways they can travel: nearest 53 min by public transport" in ost
    assert "No provider offers it" in page.locator('#personal-menu tr[data-option="NSP"]').inner_text()
    assert "With lifts: Opioid substitution would come within reach" in page.locator("#what-would-change").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "careplans-personal-menu.png"), full_page=True)
    mine.refresh_from_db()
    assert (mine.travel_access, mine.can_attend, mine.longest_journey_minutes) == ("no_car", ["weekday_evening"], 40)
