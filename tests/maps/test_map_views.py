"""Every endpoint the equity map page uses: who may call it and the shape of what it returns."""

import csv
import gzip
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from areas.models import Locality
from areas.services import refresh_drawing_geometries
from maps.measures import MEASURES, legend_classes, sequential_palette
from reach.exports import write_reach_export
from reach.models import LocalityResult, ReachProfile, ReachRun, RunStatus
from reach.services import create_run, execute_run
from services.models import Site, SiteOffer
from tests.factories import LocalityFactory, SiteFactory

pytestmark = pytest.mark.django_db


def decode_polyline(encoded: str, precision: int) -> list[tuple[float, float]]:
    """Google's encoded polyline algorithm, decoding to (lat, lon) pairs."""
    coordinates, index, lat, lon, factor = [], 0, 0, 0, 10**precision
    while index < len(encoded):
        deltas = []
        for _ in range(2):
            shift, result = 0, 0
            while True:
                byte = ord(encoded[index]) - 63
                index += 1
                result |= (byte & 0x1F) << shift
                shift += 5
                if byte < 0x20:
                    break
            deltas.append(~(result >> 1) if result & 1 else result >> 1)
        lat += deltas[0]
        lon += deltas[1]
        coordinates.append((lat / factor, lon / factor))
    return coordinates


@pytest.fixture
def world(small_world):
    refresh_drawing_geometries()
    run = execute_run(run_id=create_run().pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return {**small_world, "run": run}


def api_urls(world) -> dict[str, str]:
    run, town = world["run"], world["town"]
    return {
        "runs": reverse("maps:api-runs"),
        "run": reverse("maps:api-run", args=[run.pk]),
        "values": reverse("maps:api-values", args=[run.pk]),
        "charts": reverse("maps:api-charts", args=[run.pk]),
        "locality": reverse("maps:api-locality", args=[run.pk, town.pk]),
        "localities": reverse("maps:api-localities") + "?q=Town",
        "shapes": reverse("maps:api-shapes"),
        "sites": reverse("maps:api-sites"),
        "outreach": reverse("maps:api-outreach"),
    }


def page_urls(world) -> dict[str, str]:
    run = world["run"]
    return {
        "map": reverse("maps:map"),
        "table": reverse("maps:table"),
        "csv": reverse("maps:export", args=[run.pk, "csv"]),
        "geojson": reverse("maps:export", args=[run.pk, "geojson"]),
    }


# ---- permissions -------------------------------------------------------------------------------


def test_pages_send_anonymous_users_to_sign_in_and_refuse_keyworkers(client, world, users):
    for name, url in page_urls(world).items():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
    client.force_login(users[KEYWORKER])
    for name, url in page_urls(world).items():
        assert client.get(url).status_code == 403, name


@pytest.mark.parametrize("role", [COMMISSIONER, ADMIN])
def test_pages_and_api_open_to_commissioners_and_admins(client, world, users, role):
    client.force_login(users[role])
    for name, url in {**page_urls(world), **api_urls(world)}.items():
        assert client.get(url).status_code == 200, name


def test_api_refuses_anonymous_users_and_keyworkers(client, world, users):
    for name, url in api_urls(world).items():
        assert client.get(url).status_code == 403, name
    assert client.post(reverse("maps:api-runs"), {}).status_code == 403
    client.force_login(users[KEYWORKER])
    for name, url in api_urls(world).items():
        assert client.get(url).status_code == 403, name
    assert client.post(reverse("maps:api-runs"), {}).status_code == 403
    assert ReachRun.objects.count() == 1


def test_home_links_the_map_for_commissioners_and_admins_only(client, users):
    for role, shown in [(COMMISSIONER, True), (ADMIN, True), (KEYWORKER, False)]:
        client.force_login(users[role])
        assert ("Equity map" in client.get(reverse("home")).content.decode()) is shown, role


# ---- the page ----------------------------------------------------------------------------------


def page_config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="map-config" type="application/json">') + len(
        '<script id="map-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_map_page_configures_the_current_run_or_the_one_asked_for(commissioner_client, world):
    older = world["run"]
    newer = execute_run(run_id=create_run().pk)
    config = page_config(commissioner_client.get(reverse("maps:map")))
    assert config["run"] == newer.pk
    assert config["measure"] == "expected_menu"
    assert {m["key"] for m in config["measures"]} == set(MEASURES)
    assert config["unmet"] == {"url": reverse("maps:api-unmet"), "csv": reverse("careplans:unmet_csv")}
    assert config["bounds"][0][0] < config["bounds"][1][0] and config["bounds"][0][1] < config["bounds"][1][1]
    assert set(config["first_requests"]) == {"shapes", "run", "values"}
    html = commissioner_client.get(reverse("maps:map")).content.decode()
    for url in config["first_requests"].values():  # preloaded by the page, so they must answer
        assert f'<link rel="preload" href="{url.replace("&", "&amp;")}" as="fetch"' in html
        assert commissioner_client.get(url).status_code == 200
    asked = page_config(commissioner_client.get(reverse("maps:map") + f"?run={older.pk}&measure=nope"))
    assert asked["run"] == older.pk and asked["measure"] == "expected_menu"
    assert asked["first_requests"]["values"].startswith(reverse("maps:api-values", args=[older.pk]))
    per_option = page_config(commissioner_client.get(reverse("maps:map") + "?measure=providers_with_car"))
    assert "values" not in per_option["first_requests"]  # it waits to learn the run's options


def test_map_page_without_any_run_still_renders(commissioner_client, small_world):
    response = commissioner_client.get(reverse("maps:map"))
    assert response.status_code == 200 and page_config(response)["run"] is None


# ---- geometry ------------------------------------------------------------------------------------


def test_coarse_shapes_hold_every_locality_as_encoded_rings(commissioner_client, world):
    response = commissioner_client.get(reverse("maps:api-shapes"))
    data = json.loads(response.content)
    localities = {loc.pk: loc for loc in Locality.objects.all()}
    assert data["band"] == "coarse" and data["precision"] == 4
    assert data["ids"] == sorted(localities)
    for locality_id, polygons in zip(data["ids"], data["shapes"], strict=True):
        expected = localities[locality_id].geometry_coarse
        assert len(polygons) == len(expected)
        ring = decode_polyline(polygons[0][0], data["precision"])
        exterior = expected[0].exterior_ring.coords[:-1]  # the closing point is not sent
        assert len(ring) == len(exterior)
        for (lat, lon), (x, y) in zip(ring, exterior, strict=True):
            assert abs(lat - y) <= 0.00006 and abs(lon - x) <= 0.00006


def test_detail_shapes_come_per_grid_cell_of_the_origin(commissioner_client, world):
    town, village = world["town"], world["village"]  # origins at lon −2.0 and −2.1, lat 50.7
    url = reverse("maps:api-shapes")
    east = json.loads(commissioner_client.get(url, {"band": "detail", "cell": "-4,101"}).content)
    west = json.loads(commissioner_client.get(url, {"band": "detail", "cell": "-5,101"}).content)
    assert east["ids"] == [town.pk] and west["ids"] == [village.pk] and east["precision"] == 5
    ring = decode_polyline(east["shapes"][0][0][0], 5)
    assert len(ring) == len(town.geometry[0].exterior_ring) - 1
    assert json.loads(commissioner_client.get(url, {"band": "detail", "cell": "0,0"}).content)["ids"] == []


def test_shapes_refuse_bad_bands_and_cells_and_are_cacheable_by_version(commissioner_client, world):
    url = reverse("maps:api-shapes")
    assert commissioner_client.get(url, {"band": "detail", "cell": "a,b"}).status_code == 400
    assert commissioner_client.get(url, {"band": "detail"}).status_code == 400
    assert commissioner_client.get(url, {"band": "fine"}).status_code == 400
    version = json.loads(commissioner_client.get(url).content)["version"]
    assert "max-age" in commissioner_client.get(url, {"v": version})["Cache-Control"]
    assert "max-age" not in commissioner_client.get(url, {"v": "stale"}).get("Cache-Control", "")
    Locality.objects.filter(pk=world["town"].pk).update(name="Town renamed")  # bumps nothing: update()
    world["town"].save()  # auto_now moves updated_at: a new version
    assert json.loads(commissioner_client.get(url).content)["version"] != version


@pytest.mark.parametrize("endpoint", ["maps:api-shapes", "maps:api-values"])
def test_big_bodies_are_sent_gzipped_to_browsers_that_accept_it(commissioner_client, world, endpoint):
    url = reverse(endpoint, args=[world["run"].pk] if endpoint == "maps:api-values" else [])
    response = commissioner_client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response["Content-Encoding"] == "gzip" and "Accept-Encoding" in response["Vary"]
    plain = commissioner_client.get(url)
    assert gzip.decompress(response.content) == plain.content and not plain.has_header("Content-Encoding")
    assert json.loads(plain.content)["ids"]


# ---- values and legend ----------------------------------------------------------------------------


def test_values_are_the_runs_figures_per_locality(commissioner_client, world):
    run = world["run"]
    data = commissioner_client.get(reverse("maps:api-values", args=[run.pk])).json()
    results = {r.locality_id: r for r in LocalityResult.objects.filter(run=run)}
    assert data["run"] == run.pk and data["measure"]["key"] == "expected_menu"
    assert data["ids"] == sorted(results)
    assert data["values"] == [round(results[i].expected_menu, 4) for i in data["ids"]]
    classes = data["legend"]["classes"]
    assert classes[-1]["min"] == len(run.option_codes) and "whole menu" in classes[-1]["label"]
    assert [c["min"] for c in classes] == sorted(c["min"] for c in classes)


def test_per_option_values_pick_the_options_element(commissioner_client, world):
    run = world["run"]
    k = run.option_codes.index("OST")
    url = reverse("maps:api-values", args=[run.pk])
    results = {r.locality_id: r for r in LocalityResult.objects.filter(run=run)}
    providers = commissioner_client.get(url, {"measure": "providers_with_car", "option": "OST"}).json()
    assert providers["values"] == [results[i].providers_with_car[k] for i in providers["ids"]]
    assert providers["legend"]["kind"] == "integer"
    minutes = commissioner_client.get(url, {"measure": "nearest_car_minutes", "option": "OST"}).json()
    assert minutes["values"] == [results[i].nearest_car_minutes[k] for i in minutes["ids"]]
    assert minutes["legend"]["kind"] == "quantile" and minutes["measure"]["option"] == "OST"


def test_values_refuse_unknown_measures_options_and_runs(commissioner_client, world):
    run = world["run"]
    url = reverse("maps:api-values", args=[run.pk])
    response = commissioner_client.get(url, {"measure": "happiness"})
    assert response.status_code == 400 and "happiness" in response.json()["fields"]["measure"][0]
    response = commissioner_client.get(url, {"measure": "providers_with_car"})
    assert response.status_code == 400 and "OST" in response.json()["fields"]["option"][0]
    assert commissioner_client.get(url, {"measure": "providers_with_car", "option": "XYZ"}).status_code == 400
    failed = create_run()
    ReachRun.objects.filter(pk=failed.pk).update(status=RunStatus.FAILED)
    assert commissioner_client.get(reverse("maps:api-values", args=[failed.pk])).status_code == 404
    assert commissioner_client.get(reverse("maps:api-values", args=[99999])).status_code == 404


def test_legend_classes_for_counts_minutes_and_grouped_menus():
    menu = legend_classes(MEASURES["menu_without_car"], [0, 1, 2, None], n_options=3)
    assert [c["min"] for c in menu["classes"]] == [0, 1, 2, 3]
    assert menu["classes"][-1]["label"] == "3 (the whole menu)"
    assert [c["colour"] for c in menu["classes"]] == sequential_palette(4)
    grouped = legend_classes(MEASURES["expected_menu"], [0.5, 13.2], n_options=14)
    assert len(grouped["classes"]) <= 7 and grouped["classes"][-1]["min"] == 14
    assert grouped["classes"][0]["label"].startswith("0 to under ")
    minutes = legend_classes(MEASURES["nearest_walk_minutes"], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, None], n_options=3)
    lowers = [c["min"] for c in minutes["classes"]]
    assert lowers[0] == 1.0 and lowers == sorted(set(lowers)) and len(lowers) == 5
    # Shorter is better: the lightest colour goes to the shortest times.
    assert minutes["classes"][0]["colour"] == sequential_palette(5)[-1]
    assert minutes["no_data"]["label"] == "None within the walking limit"
    assert legend_classes(MEASURES["access_with_car"], [None, None], n_options=3)["classes"] == []


# ---- one locality -----------------------------------------------------------------------------------


def test_locality_panel_matches_the_stored_result(commissioner_client, world):
    run, village = world["run"], world["village"]
    result = LocalityResult.objects.get(run=run, locality=village)
    data = commissioner_client.get(reverse("maps:api-locality", args=[run.pk, village.pk])).json()
    assert data["locality"]["code"] == "VILL" and data["locality"]["rurality"] == "E1"
    assert data["locality"]["car_share_is_default"] is True and data["locality"]["imd_decile"] == 8
    for field in [
        "menu_without_car",
        "menu_with_car",
        "expected_menu",
        "real_choice_without_car",
        "real_choice_with_car",
    ]:
        assert data["figures"][field] == getattr(result, field), field
    by_code = {o["code"]: o for o in data["options"]}
    assert [o["code"] for o in data["options"]] == run.option_codes
    for k, code in enumerate(run.option_codes):
        assert by_code[code]["providers_with_car"] == result.providers_with_car[k]
    for k, code in enumerate(run.option_codes):
        assert by_code[code]["real_choice_without_car"] == (result.providers_without_car[k] >= 2)
    assert by_code["OST"]["reachable_without_car"]  # through the outreach session held there
    reachable = {code for k, code in enumerate(run.option_codes) if result.providers_without_car[k] > 0}
    missing = {o["name"] for o in data["options"] if o["code"] not in reachable}
    assert set(data["missing_without_car"]) == missing


def test_locality_panel_names_the_nearest_site(commissioner_client, world):
    run, town = world["run"], world["town"]
    data = commissioner_client.get(reverse("maps:api-locality", args=[run.pk, town.pk])).json()
    nsp = next(o for o in data["options"] if o["code"] == "NSP")
    assert nsp["nearest"]["walk"]["site_code"] == "T1"
    assert nsp["nearest"]["walk"]["site_name"] == Site.objects.get(code="T1").name
    assert nsp["nearest"]["walk"]["provider"] == "A"


def test_locality_panel_404s_for_a_locality_outside_the_run(commissioner_client, world):
    newcomer = LocalityFactory()
    url = reverse("maps:api-locality", args=[world["run"].pk, newcomer.pk])
    assert commissioner_client.get(url).status_code == 404


def test_locality_search_by_name_or_code(commissioner_client, world):
    url = reverse("maps:api-localities")
    assert [r["code"] for r in commissioner_client.get(url, {"q": "vill"}).json()["results"]] == ["VILL"]
    found = commissioner_client.get(url, {"q": "town"}).json()["results"]
    assert found == [{"id": world["town"].pk, "code": "TOWN", "name": "Town", "origin": [50.7, -2.0]}]
    assert commissioner_client.get(url, {"q": "  "}).json()["results"] == []


# ---- runs ------------------------------------------------------------------------------------------------


def test_runs_overview_lists_succeeded_runs_profiles_and_active_ones(commissioner_client, world):
    queued = create_run()
    data = commissioner_client.get(reverse("maps:api-runs")).json()
    assert data["current"] == world["run"].pk
    assert [r["id"] for r in data["runs"]] == [world["run"].pk]
    assert [r["id"] for r in data["active"]] == [queued.pk] and data["active"][0]["status"] == "queued"
    assert data["profiles"] == [{"id": world["profile"].pk, "name": "Default", "is_default": True}]


def test_run_status_shows_progress_options_and_the_errors_first_line(commissioner_client, world):
    run = world["run"]
    data = commissioner_client.get(reverse("maps:api-run", args=[run.pk])).json()
    assert data["status"] == "succeeded" and data["progress"] == 100
    assert [o["code"] for o in data["options"]] == run.option_codes
    failed = create_run()
    ReachRun.objects.filter(pk=failed.pk).update(
        status=RunStatus.FAILED, error="ValueError: bad speed\n\nTraceback (most recent call last):"
    )
    data = commissioner_client.get(reverse("maps:api-run", args=[failed.pk])).json()
    assert data["status"] == "failed" and data["error"] == "ValueError: bad speed"
    assert commissioner_client.get(reverse("maps:api-run", args=[99999])).status_code == 404


def test_recompute_queues_one_run_per_profile_and_sends_it_after_commit(
    commissioner_client, world, users, django_capture_on_commit_callbacks
):
    url = reverse("maps:api-runs")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = commissioner_client.post(url, {"profile": world["profile"].pk}, content_type="application/json")
    assert response.status_code == 202
    run = ReachRun.objects.get(pk=response.json()["run"]["id"])
    assert run.status == RunStatus.QUEUED and run.started_by == users[COMMISSIONER] and len(callbacks) == 1
    again = commissioner_client.post(url, {}, content_type="application/json")  # the default profile
    assert again.status_code == 409 and again.json()["run"]["id"] == run.pk
    other = ReachProfile.objects.create(name="Strict", car_minutes=10)
    with django_capture_on_commit_callbacks(execute=False):
        assert commissioner_client.post(url, {"profile": other.pk}, content_type="application/json").status_code == 202


def test_recompute_refuses_unknown_profiles_and_missing_csrf(world, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[COMMISSIONER])
    assert client.post(reverse("maps:api-runs"), {}, content_type="application/json").status_code == 403
    client = Client()
    client.force_login(users[COMMISSIONER])
    response = client.post(reverse("maps:api-runs"), {"profile": 99999}, content_type="application/json")
    assert response.status_code == 400 and "99999" in response.json()["fields"]["profile"][0]
    response = client.post(reverse("maps:api-runs"), {"profile": "strict"}, content_type="application/json")
    assert response.status_code == 400 and "strict" in response.json()["fields"]["profile"][0]
    ReachProfile.objects.update(is_default=False)
    response = client.post(reverse("maps:api-runs"), {}, content_type="application/json")
    assert response.status_code == 400 and "no default reach profile" in response.json()["fields"]["profile"][0]
    assert ReachRun.objects.count() == 1


def test_charts_hold_the_summary_and_a_distribution_over_people(commissioner_client, world):
    run = world["run"]
    data = commissioner_client.get(reverse("maps:api-charts", args=[run.pk])).json()
    assert data["cards"]["gini_expected_menu"] == run.summary["gini_expected_menu"]
    assert data["cards"]["n_localities"] == 2 and data["cards"]["population"] == 4000
    assert [g["key"] for g in data["by_rurality"]] == ["C1", "E1"]
    assert data["by_rurality"][0]["label"] == "C1 Urban city and town"
    assert [g["key"] for g in data["by_imd_decile"]] == [2, 8]
    assert sum(b["people"] for b in data["distribution"]) == 4000
    assert [b["menu"] for b in data["distribution"]] == list(range(len(run.option_codes) + 1))
    for result in LocalityResult.objects.filter(run=run):
        assert data["distribution"][int(result.expected_menu)]["people"] >= result.population


# ---- sites and outreach -------------------------------------------------------------------------------


def test_sites_are_geojson_with_their_offers(commissioner_client, world):
    SiteFactory(code="GONE", active=False)
    data = commissioner_client.get(reverse("maps:api-sites")).json()
    assert data["type"] == "FeatureCollection"
    sites = {f["properties"]["code"]: f for f in data["features"]}
    assert set(sites) == {"T1", "B1"}
    assert sites["T1"]["geometry"] == {"type": "Point", "coordinates": [-2.0, 50.7]}
    assert sites["T1"]["properties"]["provider"] == "A"
    offers = {o["option"]: o for o in sites["T1"]["properties"]["offers"]}
    assert offers["OST"]["capacity_per_week"] == 40 and offers["OST"]["delivery_label"] == "On site"
    outreach = sites["B1"]["properties"]["offers"][0]
    assert outreach["delivery"] == "outreach" and outreach["delivery_label"].startswith("Outreach")


def test_outreach_coverage_lists_localities_with_sessions(commissioner_client, world):
    offer = SiteOffer.objects.get(delivery="outreach")
    data = commissioner_client.get(reverse("maps:api-outreach")).json()
    assert data["localities"] == [
        {
            "id": world["village"].pk,
            "sessions": [{"option": offer.option.name, "site": offer.site.name, "provider": "B"}],
        }
    ]
    SiteOffer.objects.filter(pk=offer.pk).update(active=False)
    assert commissioner_client.get(reverse("maps:api-outreach")).json()["localities"] == []


# ---- downloads and the table ---------------------------------------------------------------------------


def test_downloads_are_export_reach_files(commissioner_client, world):
    run = world["run"]
    expected = io.StringIO()
    write_reach_export(run=run, fmt="csv", output=expected)
    response = commissioner_client.get(reverse("maps:export", args=[run.pk, "csv"]))
    assert response["Content-Disposition"] == f'attachment; filename="reach-run-{run.pk}.csv"'
    assert response.content.decode() == expected.getvalue()
    assert len(list(csv.DictReader(io.StringIO(response.content.decode())))) == 2
    geojson = commissioner_client.get(reverse("maps:export", args=[run.pk, "geojson"])).json()
    assert geojson["type"] == "FeatureCollection" and {f["id"] for f in geojson["features"]} == {"TOWN", "VILL"}
    assert commissioner_client.get(reverse("maps:export", args=[run.pk, "xlsx"])).status_code == 404
    assert commissioner_client.get(reverse("maps:export", args=[99999, "csv"])).status_code == 404


def test_table_searches_sorts_and_pages(commissioner_client, world):
    url = reverse("maps:table")
    html = commissioner_client.get(url, {"q": "vill"}).content.decode()
    assert "VILL" in html and "TOWN" not in html and "1 locality" in html
    ascending = commissioner_client.get(url, {"sort": "population"}).content.decode()
    descending = commissioner_client.get(url, {"sort": "population", "dir": "desc"}).content.decode()
    assert ascending.index("VILL") < ascending.index("TOWN")
    assert descending.index("TOWN") < descending.index("VILL")
    assert 'aria-sort="descending"' in descending
    assert f"?run={world['run'].pk}&amp;locality=TOWN" in ascending
