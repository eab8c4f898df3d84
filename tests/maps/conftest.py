import pytest
from playwright.sync_api import sync_playwright

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.services import ensure_user
from demo.services import load_demo
from reach.models import RunStatus
from reach.services import create_run, ensure_default_profile, execute_run

PASSWORD = "a-long-password-1"


@pytest.fixture
def users(db):
    return {role: ensure_user(username=role, password=PASSWORD, role=role) for role in (ADMIN, COMMISSIONER, KEYWORKER)}


@pytest.fixture
def commissioner_client(client, users):
    client.force_login(users[COMMISSIONER])
    return client


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-background-networking"]
        )
        yield browser
        browser.close()


@pytest.fixture
def demo_run(transactional_db):
    load_demo(password=PASSWORD)
    ensure_default_profile()  # a transactional test's flush removes the migration's one
    run = execute_run(run_id=create_run().pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


@pytest.fixture
def page(browser):
    # Playwright's wait_for_function evaluates its predicate as a string, which the page's
    # Content-Security-Policy forbids; tests/security checks the pages under the policy.
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    not_found = []  # e.g. a missing /favicon.ico or module file, which the console would log
    page.on("response", lambda response: response.status == 404 and not_found.append(response.url))
    yield page
    context.close()
    assert errors == []
    assert not_found == []


@pytest.fixture
def worker(demo_run, reach_worker):
    yield
