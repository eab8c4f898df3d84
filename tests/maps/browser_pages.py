"""Steps the equity-map browser tests share (the fixtures live in conftest.py)."""

from pathlib import Path

from django.conf import settings

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PASSWORD = "a-long-password-1"


def sign_in(page, live_server, username: str, next_url: str = "/map/"):
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def open_map(page, live_server, *, settle: bool = True):
    sign_in(page, live_server, "commissioner")
    page.wait_for_selector("html[data-map-painted]")
    # The page sets no globals: the test's own `equityMap` is the main module's `inspect`, imported
    # again from the page's URL, which gives the same module instance the page runs.
    assert page.evaluate("typeof equityMap") == "undefined"
    page.evaluate(
        "async () => { const main = document.querySelector('script[data-map-main]').src;"
        " window.equityMap = (await import(main)).inspect; }"
    )
    if settle:  # sites, outreach and charts loaded too (not while the page polls a run)
        page.wait_for_load_state("networkidle")


def screenshot(page, name: str):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
