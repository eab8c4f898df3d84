"""A keyworker signs in, opens a person and records needs, a choice and a review in a real browser."""

import datetime
from pathlib import Path

import pytest

from careplans.services import record_review
from tests.careplans.records import PASSWORD, actor

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


def test_keyworker_records_needs_a_choice_and_a_review(live_server, page, caseloads, world, village_day_clinic, users):
    """No car and evenings only: the village hall's day-time therapy is not open when they can come and the
    town's clinic is too far; free on weekday mornings instead, the therapy comes within reach. Then a
    choice and a review, which appears in the table beside the outcomes chart."""
    mine = caseloads["mine"]  # lives in the village, 11 km from the town's clinic, next to the hall
    record_review(
        actor=actor(users["keyworker"]),
        service_user=mine,
        outcomes={"reviewed_on": datetime.date(2025, 3, 10), "psychological_health": 6, "quality_of_life": 5},
    )
    page.goto(f"{live_server.url}/accounts/login/?next=/careplans/people/{mine.pk}/")
    page.fill("#id_username", "kw")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    def set_sessions(*labels: str) -> None:
        page.click("text=Edit needs and constraints")
        page.get_by_label("No car").check()
        for label in ("Weekday mornings", "Weekday afternoons", "Weekday evenings", "Weekends"):
            page.get_by_label(label).set_checked(label in labels)
        page.click("text=Save the needs")
        page.wait_for_url(f"**/careplans/people/{mine.pk}/")

    def reason(option: str) -> str:
        return page.locator(f'#personal-menu tr[data-option="{option}"]').inner_text()

    set_sessions("Weekday evenings")
    page.click("text=Record a choice")
    assert "Not open when they can attend" in reason("PSY")
    assert "Too far by the ways they can travel" in reason("OST")
    page.go_back()

    set_sessions("Weekday mornings")
    page.click("text=Record a choice")
    assert "Within reach" in reason("PSY") and "Too far by the ways they can travel" in reason("OST")
    page.select_option("#id_preferred_option", label="Talking therapy")
    page.select_option("#id_agreed_option", label="Talking therapy")
    page.check("#id_joint_decision_0")
    page.fill("#id_review_on", "2099-02-01")
    page.click("text=Save the choice")
    page.wait_for_url(f"**/careplans/people/{mine.pk}/")
    assert "Talking therapy" in page.locator("#choices").inner_text()
    snapshot = {row["option"]: row["reason"] for row in mine.choices.order_by("-id").first().personal_menu}
    assert snapshot == {"OST": "too_far", "NSP": "no_provider", "PSY": "reachable"}

    page.click("text=Record a review")
    page.fill("#id_goal_1", "Sleep through the night")
    page.fill("#id_goal_1_score", "7")
    page.fill("#id_psychological_health", "25")  # out of range: refused, keeping what was typed
    page.fill("#id_quality_of_life", "11")
    page.fill("#id_days_of_use", "4")
    page.click("text=Save the review")
    assert page.locator("text=Psychological health is scored from 0 to 20.").is_visible()
    assert page.input_value("#id_goal_1") == "Sleep through the night"
    page.fill("#id_psychological_health", "13")
    page.click("text=Save the review")
    page.wait_for_url(f"**/careplans/people/{mine.pk}/")
    assert page.locator("#outcomes-chart polyline").count() == 2  # psychological health and quality of life
    rows = page.locator("#outcomes tbody tr")
    assert rows.count() == 2
    latest = rows.nth(1).inner_text()
    assert "Sleep through the night: 7" in latest and "13" in latest and "11" in latest and "4" in latest
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "careplans-review-recorded.png"), full_page=True)
