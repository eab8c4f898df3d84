import pytest
from playwright.sync_api import sync_playwright

from tests.careplans.conftest import caseloads, team, users, world  # noqa: F401  (shared fixtures)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-background-networking"]
        )
        yield browser
        browser.close()
