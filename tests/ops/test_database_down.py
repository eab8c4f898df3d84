"""PostgreSQL unreachable mid-request (a TCP proxy the test controls between gunicorn and the database):
the request in flight and every page while it lasts answer 503 saying so, the current results stay intact,
no run is left stuck, and gunicorn serves normally again once the database is back, with nothing restarted."""

import threading
from pathlib import Path

import pytest
import requests
from django.conf import settings

from accounts.roles import COMMISSIONER
from reach.models import LocalityResult, ReachRun, RunStatus
from reach.selectors import current_run
from reach.services import create_run, execute_run
from tests.ops.conftest import BehindProxy, Gunicorn, collected_static, production_user

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
PASSWORD = "a-long-password-1"


@pytest.fixture
def server_behind_database_proxy(tmp_path, database_proxy):
    db = settings.DATABASES["default"]
    server = Gunicorn(
        ROOT,
        tmp_path / "gunicorn.log",
        STATIC_ROOT=collected_static(ROOT),
        DATABASE_URL=f"postgis://{db['USER']}@127.0.0.1:{database_proxy.port}/{db['NAME']}",
        WEB_CONCURRENCY="1",
    )
    server.start()
    yield server
    server.stop()


def test_the_database_going_away_mid_request(small_world, database_proxy, server_behind_database_proxy):
    run = execute_run(run_id=create_run().pk)
    results_before = LocalityResult.objects.filter(run=run).count()
    production_user("com", PASSWORD, COMMISSIONER)
    browser = BehindProxy(server_behind_database_proxy.url)
    browser.sign_in("com", PASSWORD)
    assert browser.request("GET", "/map/").status_code == 200
    values_url = f"/map/api/runs/{run.pk}/values/?measure=expected_menu"
    assert browser.request("GET", values_url).status_code == 200

    # A request is waiting on the database when the connection is cut.
    database_proxy.pause()
    answers = {}
    in_flight = threading.Thread(target=lambda: answers.setdefault("values", browser.request("GET", values_url)))
    in_flight.start()
    in_flight.join(timeout=1.5)
    assert in_flight.is_alive(), "the request should be held at the database"
    database_proxy.cut()
    in_flight.join(timeout=30)
    cut_short = answers["values"]
    assert cut_short.status_code == 503, server_behind_database_proxy.log_path.read_text()[-4000:]
    assert cut_short.json()["code"] == "database_unavailable"
    assert cut_short.headers["Retry-After"] == "30"

    # While it is away: pages say what is wrong, the probes tell the two apart.
    page = browser.request("GET", "/map/")
    assert page.status_code == 503
    assert "The database cannot be reached" in page.text
    assert browser.request("GET", "/health/live").status_code == 200
    assert requests.get(server_behind_database_proxy.url + "/health/live", timeout=10).status_code == 200
    ready = browser.request("GET", "/health/ready", headers={"Accept": "application/json"})
    assert ready.status_code == 503
    assert ready.json()["Database(alias='default')"].startswith("Unavailable")

    # Back again: the same gunicorn, the same session, the same current results.
    database_proxy.restore()
    assert browser.request("GET", "/map/").status_code == 200
    assert browser.request("GET", values_url).status_code == 200
    assert current_run().pk == run.pk
    assert LocalityResult.objects.filter(run=run).count() == results_before
    assert not ReachRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists()
    logged = [line for line in server_behind_database_proxy.log_lines() if line.get("logger") == "choicemap.errors"]
    assert any("database unreachable" in line["message"] for line in logged)
