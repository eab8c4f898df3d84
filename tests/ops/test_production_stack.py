"""The production settings under gunicorn, as a browser behind a TLS proxy sees them: sign in, load the map,
hashed and compressed static files from whitenoise, JSON log lines carrying the request id."""

import re
from pathlib import Path

import pytest
import requests
from django.conf import settings

from accounts.roles import COMMISSIONER
from reach.services import create_run, execute_run
from tests.ops.conftest import BehindProxy, Gunicorn, collected_static, production_user

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
PASSWORD = "a-long-password-1"


@pytest.fixture
def production_server(tmp_path):
    server = Gunicorn(ROOT, tmp_path / "gunicorn.log", STATIC_ROOT=collected_static(ROOT))
    server.start()
    yield server
    server.stop()


def test_sign_in_and_load_the_map_under_gunicorn(small_world, production_server):
    execute_run(run_id=create_run().pk)
    production_user("com", PASSWORD, COMMISSIONER)
    browser = BehindProxy(production_server.url)

    # Plain HTTP is sent to HTTPS, except the health probes.
    assert requests.get(production_server.url + "/map/", allow_redirects=False, timeout=10).status_code == 301
    assert requests.get(production_server.url + "/health/live", timeout=10).status_code == 200

    assert "Secure" in browser.request("GET", "/accounts/login/").headers["Set-Cookie"]
    browser.sign_in("com", PASSWORD)
    assert "sessionid" in browser.cookies

    page = browser.request("GET", "/map/")
    assert page.status_code == 200
    assert "Equity map" in page.text
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    request_id = page.headers["X-Request-ID"]

    # Every script and stylesheet of the map: hashed name, compressed, cached for a long time.
    assets = re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"', page.text)
    assert any("equity_map" in asset for asset in assets)
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(js|css)$", asset), asset
        static = browser.request("GET", asset, headers={"Accept-Encoding": "gzip, br"})
        assert static.status_code == 200, asset
        assert static.headers["Content-Encoding"] in {"gzip", "br"}, asset
        assert "max-age=315360000" in static.headers["Cache-Control"], asset

    shapes = browser.request("GET", "/map/api/shapes/?band=coarse")
    assert shapes.status_code == 200
    assert shapes.json()["band"] == "coarse"
    assert len(shapes.json()["ids"]) == 2

    # One JSON line per request, with its id; the map request is among them.
    lines = production_server.log_lines()
    logged = [line for line in lines if line.get("request_id") == request_id]
    assert any("path=/map/ status=200" in line["message"] for line in logged), lines[-5:]
