"""Each bad input of issue 11 section 6 gets a clear 4xx or a named import problem, never a 500."""

import io
import json

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.urls import reverse

from areas.models import Locality
from choicemap.imports import PROBLEMS_LISTED, ImportFailed
from services.models import Provider, Site, SiteOffer
from services.services import import_catalogue
from tests.api.clients import token_client
from tests.factories import MenuOptionFactory, ProviderFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
    "min_age,max_age,outreach_localities,home_visit_km,active"
)


def import_fails(command: str, path, *fragments: str) -> str:
    with pytest.raises(CommandError) as error:
        call_command(command, str(path), stdout=io.StringIO())
    message = str(error.value)
    assert "nothing was written" in message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- query parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["²", "٣", "99999999999999999999999", "-1", "0", "1e3"])
def test_a_strange_run_id_shows_the_current_run(client, users, world, run):
    client.force_login(users["commissioner"])
    for name in ("maps:map", "maps:table"):
        assert client.get(reverse(name), {"run": run}).status_code == 200


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/map/", {"option": "a\x00b"}),
        ("/map/", {"locality": "\x00"}),
        ("/map/table/", {"q": "Town\x00"}),
        ("/map/api/localities/", {"q": "\x00"}),
        ("/careplans/unmet/", {"option": "OST\x00"}),
        ("/careplans/unmet.json", {"locality": "\x00"}),
        ("/api/v1/unmet-preference/", {"locality": "VILL\x00", "option": "\x00"}),
        ("/api/v1/localities/", {"search": "\x00"}),
        ("/openreferral/services", {"text": "\x00"}),
    ],
)
def test_a_nul_byte_in_a_query_parameter_is_a_400(client, users, world, url, params):
    client.force_login(users["commissioner"])
    response = client.get(url, params)
    assert response.status_code == 400
    assert "NUL" in (response.json()["message"] if url.startswith("/api/") else response.content.decode())


def test_a_nul_byte_in_a_path_is_a_400(client):
    assert client.get("/openreferral/services/abc%00def").status_code == 400


# --- imports --------------------------------------------------------------------------------------


def test_a_nul_byte_in_a_csv_names_the_row_and_field(tmp_csv):
    ProviderFactory(name="P")
    MenuOptionFactory(code="OST")
    path = tmp_csv(HEADER + "\nP,S1,Site\x00one,50.7,-2,OST,on_site,,,,,,,\n")
    import_fails("import_catalogue", path, "row 2, site_name: contains a NUL byte")
    assert not Site.objects.exists()


def test_a_latin1_geojson_and_csv_are_named_as_not_utf8(tmp_path):
    geojson = tmp_path / "localities.geojson"
    feature = {"type": "Feature", "properties": {"code": "E1", "name": "Sturminster Newton ñ"}, "geometry": None}
    geojson.write_bytes(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False).encode("latin-1")
    )
    import_fails("import_localities", geojson, "localities.geojson, file: not UTF-8 text")
    csv_file = tmp_path / "options.csv"
    csv_file.write_bytes("code,name,category\nOST,Méthadone,pharmacological\n".encode("latin-1"))
    import_fails(
        "import_options",
        csv_file,
        "options.csv, line 2: not UTF-8 text (invalid continuation byte at byte 6 of the line)",
    )
    oruk = tmp_path / "oruk.json"
    oruk.write_bytes('{"organizations": [{"name": "Café"}]}'.encode("latin-1"))
    import_fails("import_openreferral", oruk, "oruk.json, file: not UTF-8 text")
    assert not Locality.objects.exists()


def test_a_nul_escape_inside_geojson_is_named(tmp_path):
    path = tmp_path / "localities.geojson"
    square = [[[-2, 50], [-2, 50.1], [-1.9, 50.1], [-2, 50]]]
    feature = {
        "type": "Feature",
        "properties": {"code": "E1", "name": "Bad\u0000name", "population": 5},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    import_fails("import_localities", path, "feature 1, name: contains a NUL byte")


def test_an_unknown_provider_needs_its_kind(tmp_csv):
    MenuOptionFactory(code="OST")
    ProviderFactory(name="Known", kind="nhs")
    import_fails(
        "import_catalogue",
        tmp_csv(HEADER + "\nNew Charity,S1,Site,50.7,-2,OST,on_site,,,,,,,\n"),
        "row 2, provider_kind: provider 'New Charity' is not in the catalogue: give its provider_kind",
    )
    import_fails(
        "import_catalogue",
        tmp_csv(HEADER + ",provider_kind\nKnown,S1,Site,50.7,-2,OST,on_site,,,,,,,,private\n"),
        "provider 'Known' is nhs in the catalogue, not private",
    )
    assert list(Provider.objects.values_list("name", flat=True)) == ["Known"]
    call_command(
        "import_catalogue",
        str(tmp_csv(HEADER + ",provider_kind\nNew Charity,S1,Site,50.7,-2,OST,on_site,,,,,,,,voluntary\n")),
        stdout=io.StringIO(),
    )
    assert Provider.objects.get(name="New Charity").kind == "voluntary"


def test_huge_numbers_are_refused_in_the_import_the_api_and_the_admin(tmp_csv, small_world, users, client):
    import_fails(
        "import_catalogue",
        tmp_csv(HEADER + "\nA,S9,Site,1e308,-2,OST,on_site,,1e308,,,,,\n"),
        "row 2, lat: '1e308' is out of range",
        "row 2, waiting_weeks: '1e308' is out of range (must be at most 520)",
    )
    admin_api = token_client(users["admin"])
    response = admin_api.post(
        "/api/v1/offers/", {"site": "T1", "option": "NSP", "delivery": "remote", "waiting_weeks": 1e308}, format="json"
    )
    assert response.status_code == 400 and list(response.json()["fields"]) == ["waiting_weeks"]
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [1e308, 50.7]},
        "properties": {"code": "S9", "name": "Far", "provider": ProviderFactory().pk},
    }
    assert admin_api.post("/api/v1/sites/", feature, format="json").status_code == 400
    # The admin's map widget posts GeoJSON too.
    client.force_login(users["admin"])
    site = Site.objects.get(code="T1")
    response = client.post(
        reverse("admin:services_site_change", args=[site.pk]),
        {
            "code": "T1",
            "name": site.name,
            "provider": site.provider_id,
            "location": json.dumps({"type": "Point", "coordinates": [1e308, 50.7]}),
            "active": "on",
            "offers-TOTAL_FORMS": "0",
            "offers-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "Coordinates must be WGS84" in response.content.decode()
    site.refresh_from_db()
    assert site.location == Point(-2.0, 50.7, srid=4326)
    assert not SiteOffer.objects.filter(waiting_weeks__gt=520).exists()


def test_a_huge_bad_csv_lists_the_first_problems_and_counts_the_rest(tmp_csv, small_world):
    rows = "".join(f"A,S{i},Site,north,-2,OST,on_site,,,,,,,\n" for i in range(1000))
    path = tmp_csv(HEADER + "\n" + rows)
    with pytest.raises(ImportFailed) as failure:
        import_catalogue(path=path)
    assert failure.value.total == 1000 and len(failure.value.problems) == PROBLEMS_LISTED
    message = import_fails("import_catalogue", path, "1,000 problems. The first 200 are listed.")
    assert message.count("is not a number") == PROBLEMS_LISTED


def test_imports_refuse_files_over_the_configured_size(tmp_path, settings):
    settings.IMPORT_MAX_MB = 1
    path = tmp_path / "big.csv"
    path.write_text("code,name,category\n" + "X,Y,other\n" * 120_000)
    import_fails("import_options", path, "big.csv, file: the file is 1.1 MB, more than the import limit of 1 MB")
    geojson = tmp_path / "big.geojson"
    geojson.write_text(" " * (1024 * 1024 + 1))
    import_fails("import_localities", geojson, "more than the import limit of 1 MB (IMPORT_MAX_MB)")


# --- the API's errors ------------------------------------------------------------------------------


def test_an_unexpected_api_error_is_json_in_the_error_format(users, monkeypatch):
    def broken(user):
        raise RuntimeError("a bug")

    monkeypatch.setattr("api.auth.user_roles", broken)
    response = token_client(users["commissioner"]).get("/api/v1/me/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error" and "a bug" not in response.content.decode()


def test_an_unknown_api_address_is_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
