"""Runs on network travel times: sources per mode, snapping, the cache, provenance, export round trip."""

from datetime import date

import numpy as np
import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from accounts.roles import COMMISSIONER
from accounts.services import ensure_user
from reach.engine import ReachParams, crowfly_for_params
from reach.models import MatrixJob, NetworkBuild, ReachRun, RunStatus, TravelTimeColumn
from reach.network_services import build_path, next_weekday_in_feeds, settings_for_mode
from reach.networks.errors import NetworkInputError
from reach.networks.osrm import OsrmMatrix
from reach.selectors import load_snapshot, run_results
from reach.services import create_run, execute_run, import_travel_times, parse_overrides
from tests.factories import ProviderFactory, SiteFactory, SiteOfferFactory

pytestmark = pytest.mark.django_db

NETWORK_ROADS = {"walk_source": "network", "car_source": "network", "network": "helsinki"}


def run_with(overrides: dict) -> ReachRun:
    run = execute_run(run_id=create_run(overrides=overrides).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def nearest(run: ReachRun, mode: str) -> dict[str, float | None]:
    return {r.locality_code: getattr(r, f"nearest_{mode}_minutes")[0] for r in run_results(run=run)}


def osrm_nearest(build, mode: str, world) -> dict[str, float]:
    """The nearest site by OSRM, asked directly of the graph: what the run must show."""
    codes = [c for c in world["localities"] if c != "OFFMAP"]
    origins = np.array([[world["localities"][c].origin.y, world["localities"][c].origin.x] for c in codes])
    sites = np.array([[s.location.y, s.location.x] for s in world["sites"].values()])
    minutes = OsrmMatrix(build_path(build) / "osrm" / mode).minutes(origins, sites)
    best = np.min(np.where(np.isnan(minutes), np.inf, minutes), axis=1)
    return dict(zip(codes, best.tolist(), strict=True))


def test_profile_fields_are_settable_by_name():
    overrides = parse_overrides(
        ["walk_source=network", "network=helsinki", "pt_window_start=07:30", "pt_percentile=75", "cycle_source=crowfly"]
    )
    assert overrides == {
        "walk_source": "network",
        "network": "helsinki",
        "pt_window_start": "07:30:00",
        "pt_percentile": 75.0,
        "cycle_source": "crowfly",
    }
    with pytest.raises(ValueError, match="walk_source=boat"):
        parse_overrides(["walk_source=boat"])


def test_a_network_run_uses_osrm_minutes_and_records_its_build(helsinki_world, helsinki_network):
    run = run_with(NETWORK_ROADS)
    assert run.provider == "mixed" and run.network_build == helsinki_network
    for mode in ("walk", "car"):
        shown = nearest(run, mode)
        expected = osrm_nearest(helsinki_network, mode, helsinki_world)
        assert sum(m <= run.params[f"{mode}_minutes"] for m in expected.values()) >= 3  # a real test
        for code, minutes in expected.items():
            within = minutes <= run.params[f"{mode}_minutes"]
            assert (shown[code] is not None) == within, (mode, code)
            if within:
                assert shown[code] == pytest.approx(minutes, abs=0.01)
    walk = run.provenance["modes"]["walk"]
    assert walk["source"] == "network" and walk["network"] == "helsinki"
    assert walk["network_build_id"] == helsinki_network.pk
    extract = helsinki_network.osm_extract_date.isoformat()
    assert run.provenance["text"].startswith(f"roads (car, walking): OpenStreetMap extract of {extract} via OSRM")
    assert run.provenance["text"].endswith(
        "; crow-fly estimates (public transport 20 km/h +10 min, cycling 15 km/h; detour × 1.3)"
    )


def test_an_origin_off_the_network_is_reported_and_left_out(helsinki_world, helsinki_network):
    run = run_with(NETWORK_ROADS | {"walk_minutes": 600, "car_minutes": 600})
    for mode in ("walk", "car"):
        assert run.provenance["modes"][mode]["off_network"] == {"localities": ["OFFMAP"], "site_ids": []}
        off = run_results(run=run).get(locality_code="OFFMAP")
        assert getattr(off, f"nearest_{mode}_minutes") == [None]  # neither zero nor infinite: left out
    assert run.provenance["modes"]["pt"]["source"] == "crowfly"


def test_a_site_off_the_network_is_reported(helsinki_world, helsinki_network):
    far_site = SiteFactory(code="FAR", provider=ProviderFactory(name="C"), location=Point(24.88, 60.17, srid=4326))
    SiteOfferFactory(site=far_site, option=helsinki_world["option"])
    run = run_with(NETWORK_ROADS | {"walk_minutes": 600})
    assert run.provenance["modes"]["walk"]["off_network"]["site_ids"] == [far_site.pk]
    assert all(r.nearest_walk_site[0] != far_site.pk for r in run_results(run=run))


def test_the_cache_computes_only_the_new_site_column(helsinki_world, helsinki_network):
    run_with(NETWORK_ROADS)
    columns = TravelTimeColumn.objects.count()
    assert columns == 2 * len(helsinki_world["sites"])  # walk and car
    run_with(NETWORK_ROADS | {"walk_minutes": 20})  # another limit: the same columns serve it
    assert TravelTimeColumn.objects.count() == columns and MatrixJob.objects.count() == 2
    new_site = SiteFactory(code="NEW", provider=ProviderFactory(name="D"), location=Point(24.9450, 60.1745, srid=4326))
    SiteOfferFactory(site=new_site, option=helsinki_world["option"])
    run_with(NETWORK_ROADS)
    assert TravelTimeColumn.objects.count() == columns + 2
    newest = MatrixJob.objects.order_by("-pk")[:2]
    assert all(job.site_keys == ["60.1745000,24.9450000"] for job in newest)


def test_a_profile_mixing_sources_is_honoured(helsinki_world, helsinki_network, tmp_csv):
    # public transport from an imported matrix, walking on the network, car by crow-fly
    rows = ["locality_code,site_code,mode,minutes", "KAMPPI,STATION,pt,7.5", "TOOLO,MARKET,pt,31"]
    import_travel_times(path=tmp_csv("\n".join(rows) + "\n"))
    run = run_with({"walk_source": "network", "network": "helsinki", "pt_source": "matrix", "car_source": "crowfly"})
    pt = nearest(run, "pt")
    assert pt == {"KAMPPI": 7.5, "KLUUVI": None, "KAARTIN": None, "KRUUNU": None, "TOOLO": 31.0, "OFFMAP": None}
    walk = nearest(run, "walk")
    for code, minutes in osrm_nearest(helsinki_network, "walk", helsinki_world).items():
        if minutes <= run.params["walk_minutes"]:
            assert walk[code] == pytest.approx(minutes, abs=0.01)
    snapshot = load_snapshot()
    crowfly = crowfly_for_params(
        localities=snapshot.localities,
        sites=snapshot.sites,
        params=ReachParams(**{k: run.params[k] for k in ReachParams.__dataclass_fields__}),
    )
    loc, _site, minutes = crowfly.pairs["car"]
    expected_car = {}
    for i, m in zip(loc.tolist(), minutes.tolist(), strict=True):
        code = snapshot.locality_codes[i]
        expected_car[code] = min(expected_car.get(code, np.inf), m)
    for code, minutes in nearest(run, "car").items():
        assert minutes == pytest.approx(expected_car.get(code), abs=0.01) if code in expected_car else minutes is None
    modes = run.provenance["modes"]
    assert [modes[m]["source"] for m in ("walk", "pt", "car", "cycle")] == ["network", "matrix", "crowfly", "crowfly"]
    assert "public transport: imported travel-time matrix" in run.provenance["text"]


def test_export_then_import_as_matrix_gives_identical_reach(helsinki_world, helsinki_network, tmp_path):
    network_run = run_with(NETWORK_ROADS)
    out = tmp_path / "times.csv"
    call_command("export_travel_times", "--run", str(network_run.pk), "--output", str(out))
    header, *rows = out.read_text().splitlines()
    assert header == "locality_code,site_code,mode,minutes" and rows
    import_travel_times(path=out)
    matrix_run = run_with(
        {"walk_source": "matrix", "pt_source": "matrix", "car_source": "matrix", "cycle_source": "matrix"}
    )
    assert matrix_run.provider == "matrix"
    fields = [
        "menu_without_car",
        "menu_with_car",
        "expected_menu",
        "providers_without_car",
        "providers_with_car",
        "nearest_walk_minutes",
        "nearest_pt_minutes",
        "nearest_car_minutes",
        "access_without_car",
        "access_with_car",
    ]
    before = list(run_results(run=network_run).values_list(*fields))
    after = list(run_results(run=matrix_run).values_list(*fields))
    assert before == after
    assert network_run.summary == matrix_run.summary


def test_pages_and_api_say_what_the_figures_rest_on(helsinki_world, helsinki_network, client, admin_user):
    run = run_with(NETWORK_ROADS)
    client.force_login(ensure_user(username="planner", password="a-long-password-1", role=COMMISSIONER))
    extract = helsinki_network.osm_extract_date.isoformat()
    table = client.get(f"/map/table/?run={run.pk}").content.decode()
    assert f"Travel times: roads (car, walking): OpenStreetMap extract of {extract} via OSRM" in table
    assert "crow-fly estimates (public transport 20 km/h +10 min, cycling 15 km/h; detour × 1.3)" in table
    api = client.get(f"/api/v1/runs/{run.pk}/").json()
    assert api["travel"] == run.provenance["text"] and api["network_build"] == helsinki_network.pk
    assert api["provenance"]["modes"]["car"]["source"] == "network"
    runs = client.get("/map/api/runs/").json()
    assert runs["runs"][0]["travel"] == run.provenance["text"]
    client.force_login(admin_user)
    assert client.get(f"/admin/reach/travelnetwork/{helsinki_network.network_id}/change/").status_code == 200
    assert client.get(f"/admin/reach/networkbuild/{helsinki_network.pk}/change/").status_code == 200


def test_a_pt_date_outside_the_feeds_is_refused_by_feed_name():
    build = NetworkBuild(
        gtfs_feeds=[{"file": "south_west.zip", "start_date": "2026-01-01", "end_date": "2026-06-30"}], modes=["pt"]
    )
    with pytest.raises(NetworkInputError) as caught:
        settings_for_mode(mode="pt", params={"pt_date": "2026-12-02"}, build=build)
    assert caught.value.problems == [
        "south_west.zip: pt_date 2026-12-02 is outside its service dates 2026-01-01 to 2026-06-30"
    ]
    chosen = settings_for_mode(mode="pt", params={"pt_date": "2026-03-04", "pt_minutes": 40}, build=build)
    assert chosen["travel_date"] == "2026-03-04" and chosen["max_minutes"] == 40.0
    assert chosen["window_start"] == "07:00:00" and chosen["percentile"] == 50.0
    # with no date set: the first Tuesday to Thursday inside every feed, from today
    assert next_weekday_in_feeds(build.gtfs_feeds, today=date(2026, 3, 7)) == date(2026, 3, 10)


def test_a_scenario_run_routes_only_the_site_it_adds_and_equals_a_run_from_scratch(helsinki_world, helsinki_network):
    from reach.scenario_services import add_change, create_scenario  # noqa: PLC0415
    from tests.reach.test_scenarios import figures  # noqa: PLC0415

    run_with(NETWORK_ROADS)  # the catalogue's columns are cached
    columns, jobs = TravelTimeColumn.objects.count(), MatrixJob.objects.count()
    scenario = create_scenario(name="A clinic by the park", owner=None)
    add_change(
        scenario=scenario,
        kind="add_site",
        values={
            "code": "PARK",
            "name": "Park clinic",
            "provider": "D",
            "provider_kind": "voluntary",
            "lat": 60.1745,
            "lon": 24.945,
        },
    )
    add_change(
        scenario=scenario,
        kind="add_offer",
        values={"site_code": "PARK", "option_code": "OST", "delivery": "on_site", "capacity_per_week": 20},
    )
    scenario_run = execute_run(run_id=create_run(scenario=scenario, overrides=NETWORK_ROADS).pk)
    assert scenario_run.status == RunStatus.SUCCEEDED, scenario_run.error
    # one new column per network mode (walk, car), for the one new site and nothing else
    assert TravelTimeColumn.objects.count() == columns + 2
    new_jobs = MatrixJob.objects.order_by("pk")[jobs:]
    assert [job.site_keys for job in new_jobs] == [["60.1745000,24.9450000"]] * 2

    # the same catalogue from scratch: the site in the database, no cached columns at all
    park = SiteFactory(code="PARK", provider=ProviderFactory(name="D"), location=Point(24.945, 60.1745, srid=4326))
    SiteOfferFactory(site=park, option=helsinki_world["option"], capacity_per_week=20)
    TravelTimeColumn.objects.all().delete()
    from_scratch = run_with(NETWORK_ROADS)
    assert TravelTimeColumn.objects.count() == columns + 2  # every column routed again
    assert figures(scenario_run) == figures(from_scratch)
    assert [r.nearest_walk_minutes for r in run_results(run=scenario_run)] == [
        r.nearest_walk_minutes for r in run_results(run=from_scratch)
    ]
