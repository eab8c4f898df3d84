"""The site icon: linked from every page built on base.html, and /favicon.ico for the rest."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("choicemap/favicon.ico")
    with open(finders.find("choicemap/favicon.ico"), "rb") as icon:
        header = icon.read(6)
    assert header == b"\x00\x00\x01\x00\x01\x00"  # an ICO with one image


def test_pages_link_the_icon(client):
    html = client.get("/accounts/login/").content.decode()
    for name in ("choicemap/favicon.svg", "choicemap/favicon.ico"):
        assert f'rel="icon" href="{static(name)}"' in html
        assert finders.find(name) is not None
