"""The person's own menu on the run's own travel sources: an imported matrix, and network times from the cache.

A person with no constraints must get exactly the run's menu for their home locality (with a car; and
without one, the run's no-car menu), whatever the source; and the times they see are the source's.
"""

import numpy as np
import pytest

from accounts.roles import KEYWORKER
from accounts.services import ensure_user
from careplans.selectors import personal_menu
from careplans.services import Needs, create_service_user, update_needs
from reach.models import ReachRun, RunStatus, TravelTimeColumn
from reach.network_services import build_path
from reach.networks.osrm import OsrmMatrix
from reach.personal_selectors import TravelBasis, home_minutes, personal_catalogue
from reach.selectors import run_provenance_text, run_results
from reach.services import create_run, execute_run, import_travel_times
from tests.careplans.records import PASSWORD, actor
from tests.factories import MenuOptionFactory, SiteOfferFactory

pytestmark = pytest.mark.django_db

ALL_MATRIX = {f"{mode}_source": "matrix" for mode in ("walk", "pt", "car", "cycle")}
NETWORK_ROADS = {"walk_source": "network", "car_source": "network", "network": "helsinki"}


def run_with(overrides: dict) -> ReachRun:
    run = execute_run(run_id=create_run(overrides=overrides).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def person_at(locality, **needs):
    keyworker = ensure_user(username="kw", password=PASSWORD, role=KEYWORKER)
    person = create_service_user(actor=actor(keyworker), keyworker=keyworker, age_band="25_34", home_locality=locality)
    if needs:
        update_needs(actor=actor(keyworker), service_user=person, needs=Needs(**needs))
    return person


def assert_menus_equal_the_run(run: ReachRun, world) -> int:
    """Per locality, the unconstrained person's menu is the run's with-car menu and a person without a car
    gets its no-car menu, providers included; returns how many options were reachable in all (a real test)."""
    reached = 0
    for result in run_results(run=run):
        home = world["localities"][result.locality_code]
        for needs, providers in (
            ({}, result.providers_with_car),
            ({"travel_access": "no_car"}, result.providers_without_car),
        ):
            menu = personal_menu(service_user=person_at(home, **needs))
            mine = {row.option.code: row.providers for row in menu.rows}
            assert mine == dict(zip(run.option_codes, providers, strict=True)), (result.locality_code, needs)
            reached += sum(row.reason == "reachable" for row in menu.rows)
    return reached


@pytest.fixture
def matrix_world(helsinki_world, tmp_csv):
    """Two options, random imported minutes by every mode from every locality to every site."""
    nsp = MenuOptionFactory(code="NSP", display_order=2)
    SiteOfferFactory(site=helsinki_world["sites"]["MARKET"], option=nsp)
    rng = np.random.default_rng(15)
    rows = ["locality_code,site_code,mode,minutes"]
    minutes = {}
    for loc in helsinki_world["localities"]:
        for site in helsinki_world["sites"]:
            for mode in ("walk", "pt", "car", "cycle"):
                minutes[loc, site, mode] = round(float(rng.uniform(5, 80)), 2)
                if (loc, mode) == ("KAMPPI", "pt"):
                    minutes[loc, site, mode] = 150.0  # walking is KAMPPI's quickest way without a car
                rows.append(f"{loc},{site},{mode},{minutes[loc, site, mode]}")
    import_travel_times(path=tmp_csv("\n".join(rows) + "\n"))
    return helsinki_world | {"minutes": minutes}


def test_on_a_matrix_profile_the_personal_menu_is_the_runs_menu(matrix_world):
    run = run_with(ALL_MATRIX)
    assert run.provider == "matrix"
    reached = assert_menus_equal_the_run(run, matrix_world)
    assert 0 < reached < 2 * 2 * len(matrix_world["localities"])  # some options in reach, some not


def test_on_a_matrix_profile_a_walker_gets_the_matrix_walking_times(matrix_world):
    run = run_with(ALL_MATRIX)
    home = matrix_world["localities"]["KAMPPI"]
    menu = personal_menu(service_user=person_at(home, travel_access="no_car", longest_journey_minutes=5))
    ost = next(row for row in menu.rows if row.option.code == "OST")
    walking = min(matrix_world["minutes"]["KAMPPI", site, "walk"] for site in ("STATION", "MARKET"))
    assert ost.reason == "too_far"
    assert (ost.nearest_mode, ost.nearest_minutes) == ("walk", pytest.approx(walking, abs=0.05))  # shown to 0.1 min
    assert menu.travel == run_provenance_text(run)


def test_on_a_network_profile_the_personal_menu_is_the_runs_menu(helsinki_world, helsinki_network):
    run = run_with(NETWORK_ROADS)
    reached = assert_menus_equal_the_run(run, helsinki_world)
    assert reached > 0
    assert "via OSRM" in personal_menu(service_user=person_at(helsinki_world["localities"]["KAMPPI"])).travel


def test_on_a_network_profile_a_walker_gets_the_osrm_walking_times(helsinki_world, helsinki_network):
    run = run_with(NETWORK_ROADS)
    catalogue = personal_catalogue(today=run.finished_at.date())
    sites = np.array([[s.location.y, s.location.x] for s in helsinki_world["sites"].values()])
    order = [catalogue.site_index[s.pk] for s in helsinki_world["sites"].values()]
    basis = TravelBasis(params=run.params, provider=run.provider, provenance=run.provenance)
    for code, locality in helsinki_world["localities"].items():
        home = catalogue.locality_index[locality.pk]
        minutes = home_minutes(catalogue=catalogue, home=home, basis=basis)
        assert minutes.missing == ()
        if code == "OFFMAP":  # off the network: no walking time at all, as in the run
            assert np.all(np.isnan(minutes.minutes["walk"]))
            continue
        origin = np.array([[locality.origin.y, locality.origin.x]])
        expected = OsrmMatrix(build_path(helsinki_network) / "osrm" / "walk").minutes(origin, sites)[0]
        np.testing.assert_allclose(minutes.minutes["walk"][order], expected, atol=0.01)


def test_network_times_missing_from_the_cache_are_said_and_reach_nothing(helsinki_world, helsinki_network):
    run_with(NETWORK_ROADS)
    TravelTimeColumn.objects.filter(mode="walk").delete()
    menu = personal_menu(service_user=person_at(helsinki_world["localities"]["KAMPPI"], travel_access="no_car"))
    assert "no cached network times from this home on foot" in menu.travel
