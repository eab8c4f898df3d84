"""Scenarios: typed changes checked by the catalogue's rules, runs on the modified snapshot,
comparison with the base, and an admin applying a scenario to the live catalogue."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import ADMIN, COMMISSIONER
from reach.models import LocalityResult, ReachRun, RunStatus, Scenario, ScenarioChange
from reach.scenario_catalogue import ScenarioInvalid
from reach.scenario_selectors import base_run_for, compare_runs, live_catalogue, scenario_snapshot
from reach.scenario_services import add_change, apply_scenario, create_scenario, remove_change
from reach.selectors import current_run, load_snapshot
from reach.services import RunAlreadyActive, create_run, execute_run, start_run
from services.models import Site, SiteOffer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The village (VILL, 1,000 people) reaches OST from A by public transport and from B's outreach, and
# NSP from A by public transport. A new on-site NSP offer by a new provider C in the village gives
# the village a real choice of NSP.
NEW_SITE = {
    "code": "C1",
    "name": "Village hall",
    "provider": "C",
    "provider_kind": "voluntary",
    "lat": 50.7,
    "lon": -2.1,
}
NEW_OFFER = {"site_code": "C1", "option_code": "NSP", "delivery": "on_site", "capacity_per_week": 5}


@pytest.fixture
def commissioner():
    return UserFactory(username="commissioner", role=COMMISSIONER)


@pytest.fixture
def village_hall(small_world, commissioner):
    scenario = create_scenario(name="Village hall NSP", owner=commissioner)
    add_change(scenario=scenario, kind="add_site", values=NEW_SITE)
    add_change(scenario=scenario, kind="add_offer", values=NEW_OFFER)
    return scenario


def problems_of(scenario, kind, values) -> dict:
    with pytest.raises(ScenarioInvalid) as caught:
        add_change(scenario=scenario, kind=kind, values=values)
    return caught.value.problems


def test_changes_are_stored_in_order_and_never_touch_the_live_catalogue(village_hall):
    assert list(village_hall.changes.values_list("position", "kind")) == [(1, "add_site"), (2, "add_offer")]
    assert not Site.objects.filter(code="C1").exists()
    assert SiteOffer.objects.count() == 3
    snapshot = scenario_snapshot(village_hall)
    assert snapshot.counts()["sites"] == 3 and snapshot.counts()["offers"] == 4
    assert snapshot.counts()["providers"] == 3
    assert snapshot.site_ids[-1] < 0 and snapshot.offer_ids[-1] < 0  # new rows are not catalogue rows
    assert load_snapshot().counts()["offers"] == 3


@pytest.mark.parametrize(
    ("kind", "values", "field", "reason"),
    [
        ("add_site", {**NEW_SITE, "code": "T1"}, "code", "a site with code 'T1' already exists"),
        ("add_site", {**NEW_SITE, "lat": 95}, "lat", "95 is out of range (must be at most 90)"),
        ("add_site", {**NEW_SITE, "colour": "red"}, "colour", "unknown field for add_site"),
        (
            "add_site",
            {key: value for key, value in NEW_SITE.items() if key != "provider_kind"},
            "provider_kind",
            "provider 'C' is not in the catalogue: give its provider_kind (nhs, local_authority, voluntary, private)",
        ),
        ("add_site", {**NEW_SITE, "provider_kind": "charity"}, "provider_kind", "'charity' is not one of: nhs,"),
        (
            "add_site",
            {**NEW_SITE, "provider": "A", "provider_kind": "private"},
            "provider_kind",
            "provider 'A' is nhs in the catalogue, not private: change it with import_providers or in the admin",
        ),
        ("add_offer", {**NEW_OFFER, "site_code": "NOPE"}, "site_code", "no site with code 'NOPE'"),
        ("add_offer", {**NEW_OFFER, "site_code": "T1", "option_code": "XX"}, "option_code", "'XX' is not an active"),
        (
            "add_offer",
            {"site_code": "T1", "option_code": "NSP", "delivery": "outreach"},
            "outreach_localities",
            "an outreach offer needs at least one locality code",
        ),
        (
            "add_offer",
            {"site_code": "T1", "option_code": "NSP", "delivery": "home_visit"},
            "home_visit_km",
            "is required for a home_visit offer",
        ),
        ("add_offer", {**NEW_OFFER, "site_code": "T1", "capacity_per_week": -1}, "capacity_per_week", "cannot be"),
        ("add_offer", {**NEW_OFFER, "site_code": "T1", "min_age": 40, "max_age": 18}, "min_age", "above max_age"),
        ("add_offer", {**NEW_OFFER, "site_code": "T1", "option_code": "OST"}, "option_code", "already offers"),
        ("change_offer", {"site_code": "T1", "option_code": "OST", "delivery": "on_site"}, "capacity_per_week", "give"),
        (
            "change_offer",
            {"site_code": "T1", "option_code": "OST", "delivery": "on_site", "waiting_weeks": -2},
            "waiting_weeks",
            "cannot be negative",
        ),
        ("close_offer", {"site_code": "T1", "option_code": "NSP", "delivery": "remote"}, "option_code", "no open"),
        ("add_outreach", {"site_code": "B1", "option_code": "OST", "localities": ["VILL"]}, "localities", "already"),
        ("add_outreach", {"site_code": "B1", "option_code": "OST", "localities": ["ZZZ"]}, "localities", "unknown"),
        (
            "remove_outreach",
            {"site_code": "B1", "option_code": "OST", "localities": ["VILL"]},
            "localities",
            "an outreach offer needs at least one locality code (close the offer instead)",
        ),
        ("make_remote", {"site_code": "T1", "option_code": "OST", "capacity_per_week": 2.5}, "capacity_per_week", ""),
        ("teleport", {}, "kind", "'teleport' is not one of"),
    ],
)
@pytest.mark.usefixtures("small_world")
def test_a_change_breaking_a_rule_is_refused_with_its_field_and_reason(commissioner, kind, values, field, reason):
    scenario = create_scenario(name="Bad", owner=commissioner)
    problems = problems_of(scenario, kind, values)
    [(where, message)] = problems.items()
    assert where == f"scenario 'Bad', change 1 ({kind}), {field}"
    assert reason in message
    assert not ScenarioChange.objects.exists()


def test_a_provider_the_scenario_adds_keeps_the_kind_it_was_given(village_hall):
    second = {**NEW_SITE, "code": "C2", "provider_kind": "nhs"}
    problems = problems_of(village_hall, "add_site", second)
    assert problems == {
        "scenario 'Village hall NSP', change 3 (add_site), provider_kind": (
            "provider 'C' is voluntary earlier in this scenario but nhs here"
        )
    }
    # as in import_catalogue, every site of a provider new to the catalogue says its kind
    assert "give its provider_kind" in next(
        iter(problems_of(village_hall, "add_site", {**second, "provider_kind": ""}).values())
    )
    add_change(scenario=village_hall, kind="add_site", values={**second, "provider_kind": "voluntary"})
    assert village_hall.changes.count() == 3


def test_later_changes_are_checked_against_what_earlier_ones_left(village_hall):
    # closing the new site, then adding to it, is refused at the second step
    add_change(scenario=village_hall, kind="close_site", values={"site_code": "C1"})
    problems = problems_of(village_hall, "make_remote", {"site_code": "C1", "option_code": "OST"})
    assert problems == {"scenario 'Village hall NSP', change 4 (make_remote), site_code": "site 'C1' is closed"}
    # the offer at the new site needs the site: removing the add_site change is refused and undone
    with pytest.raises(ScenarioInvalid, match="no site with code 'C1'"):
        remove_change(change=village_hall.changes.get(position=1))
    assert village_hall.changes.count() == 3


def test_a_scenario_on_another_scenario_sees_its_base_changes(village_hall, commissioner):
    child = create_scenario(name="And close T1", owner=commissioner, base=village_hall)
    add_change(scenario=child, kind="change_offer", values={**NEW_OFFER, "waiting_weeks": 1})
    add_change(scenario=child, kind="close_site", values={"site_code": "T1"})
    snapshot = scenario_snapshot(child)
    catalogue = live_catalogue(snapshot=load_snapshot())
    assert len(snapshot.site_ids) == len(catalogue.sites) + 1
    t1 = list(snapshot.site_ids).index(Site.objects.get(code="T1").pk)
    assert not snapshot.offers.active[snapshot.offers.site_idx == t1].any()
    assert snapshot.offers.waiting_weeks[-1] == 1
    with pytest.raises(ValidationError):
        create_scenario(name="", owner=commissioner)


def run_of(scenario=None, **kwargs) -> ReachRun:
    return execute_run(run_id=create_run(scenario=scenario, **kwargs).pk)


def figures(run) -> dict:
    return {
        r.locality_code: (
            r.menu_without_car,
            r.menu_with_car,
            round(r.expected_menu, 9),
            r.real_choice_without_car,
            r.real_choice_with_car,
            r.providers_without_car,
            r.providers_with_car,
        )
        for r in LocalityResult.objects.filter(run=run)
    }


def test_a_scenario_run_equals_a_run_on_the_catalogue_with_the_changes_applied(village_hall):
    """Two paths to the same catalogue: the in-memory scenario snapshot, and the changes written to the
    database by apply_scenario and loaded as usual. Their runs must agree locality by locality."""
    add_change(
        scenario=village_hall,
        kind="change_offer",
        values={**NEW_OFFER, "site_code": "T1", "option_code": "OST", "waiting_weeks": 2},
    )
    add_change(scenario=village_hall, kind="make_remote", values={"site_code": "B1", "option_code": "NSP"})
    add_change(
        scenario=village_hall,
        kind="close_offer",
        values={"site_code": "B1", "option_code": "OST", "delivery": "outreach"},
    )
    scenario_run = run_of(village_hall)
    assert scenario_run.status == RunStatus.SUCCEEDED, scenario_run.error
    assert scenario_run.scenario == village_hall
    base = run_of()
    assert current_run() == base  # a scenario run never becomes the map's current run

    apply_scenario(scenario=village_hall, applied_by=UserFactory(username="admin", role=ADMIN))
    applied = run_of()
    assert figures(scenario_run) == figures(applied)
    assert figures(scenario_run) != figures(base)
    village = figures(scenario_run)["VILL"]
    assert village[3] == 1 and village[5] == [1, 2]  # OST only from A by pt now; NSP from A by pt and C


def test_compare_reports_who_gains_and_the_equity_figures_before_and_after(village_hall):
    base = run_of()
    scenario_run = run_of(village_hall)
    assert base_run_for(scenario_run) == base
    comparison = compare_runs(base=base, scenario_run=scenario_run)
    by_code = {row["locality_code"]: row for row in comparison["localities"]}
    # NSP was already reachable in both by walk or pt, so menus stay; a real choice of NSP is new in both
    # (the town reaches the village hall by public transport as the village reaches the town)
    assert by_code["VILL"]["real_choice_without_car_change"] == 1
    assert by_code["VILL"]["menu_without_car_change"] == 0
    assert by_code["TOWN"]["real_choice_without_car_change"] == 1
    assert comparison["people_gaining"] == comparison["people_losing"] == 0  # expected menu unchanged
    assert comparison["equity_before"] == comparison["equity_after"]


def test_closing_a_site_makes_losers(small_world, commissioner):
    scenario = create_scenario(name="Close T1", owner=commissioner)
    add_change(scenario=scenario, kind="close_site", values={"site_code": "T1"})
    base, after = run_of(), run_of(scenario)
    comparison = compare_runs(base=base, scenario_run=after)
    assert comparison["localities_losing"] == ["TOWN", "VILL"]
    assert comparison["people_losing"] == 4000
    assert comparison["equity_after"]["mean_expected_menu"] < comparison["equity_before"]["mean_expected_menu"]
    assert comparison["equity_after"]["full_menu_share_without_car"] == 0


def test_only_an_admin_applies_and_an_applied_scenario_is_frozen(
    village_hall, commissioner, django_capture_on_commit_callbacks, sent_runs, settings
):
    settings.REACH_AUTO_RECOMPUTE = True
    with pytest.raises(PermissionDenied):
        apply_scenario(scenario=village_hall, applied_by=commissioner)
    assert not Site.objects.filter(code="C1").exists()
    admin = UserFactory(username="admin", role=ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        applied = apply_scenario(scenario=village_hall, applied_by=admin)
    assert applied.applied_by == admin and applied.applied_at is not None
    offer = SiteOffer.objects.get(site__code="C1")
    assert (offer.option.code, offer.capacity_per_week, offer.site.provider.name) == ("NSP", 5, "C")
    assert offer.site.provider.kind == "voluntary"  # apply creates the provider with the kind the change gave
    assert len(sent_runs) == 1 and ReachRun.objects.get(pk=sent_runs[0]).automatic  # the recompute follows
    with pytest.raises(ValidationError, match="was applied"):
        add_change(scenario=village_hall, kind="close_site", values={"site_code": "T1"})


def test_apply_is_all_or_nothing_when_the_catalogue_moved_on(village_hall):
    child = create_scenario(name="Child", owner=None, base=village_hall)
    add_change(scenario=child, kind="close_site", values={"site_code": "T1"})
    Site.objects.filter(code="T1").update(active=False)  # someone closed T1 since
    with pytest.raises(ScenarioInvalid, match="site 'T1' is closed"):
        apply_scenario(scenario=child, applied_by=UserFactory(username="admin", role=ADMIN))
    assert not Site.objects.filter(code="C1").exists()  # the base's changes were not written either
    assert not Scenario.objects.filter(applied_at__isnull=False).exists()


def test_one_active_run_per_scenario_and_profile_without_blocking_the_live_one(village_hall, sent_runs):
    first = start_run(scenario=village_hall)
    with pytest.raises(RunAlreadyActive) as caught:
        start_run(scenario=village_hall)
    assert caught.value.run == first
    assert start_run().scenario is None  # the live catalogue's run is not blocked by a scenario run


def test_a_scenario_broken_by_a_catalogue_change_fails_its_run_with_the_reason(village_hall):
    Site.objects.create(code="C1", name="Taken", provider_id=Site.objects.first().provider_id, location="POINT(0 0)")
    run = run_of(village_hall)
    assert run.status == RunStatus.FAILED
    assert "a site with code 'C1' already exists" in run.error


def test_an_admin_applies_from_the_admin_site_and_a_broken_scenario_says_why(village_hall, client):
    from django.urls import reverse  # noqa: PLC0415

    client.force_login(UserFactory(username="admin", role=ADMIN))
    url = reverse("admin:reach_scenario_changelist")
    assert client.get(reverse("admin:reach_scenario_change", args=[village_hall.pk])).status_code == 200
    broken = create_scenario(name="Broken", owner=None)
    add_change(scenario=broken, kind="close_site", values={"site_code": "B1"})
    Site.objects.filter(code="B1").update(active=False)
    page = client.post(url, {"action": "apply", "_selected_action": [broken.pk]}, follow=True).content.decode()
    assert "Broken: not applied, nothing changed" in page and "site &#x27;B1&#x27; is closed" in page
    page = client.post(url, {"action": "apply", "_selected_action": [village_hall.pk]}, follow=True).content.decode()
    assert "Village hall NSP: applied; a recompute follows." in page
    assert Site.objects.filter(code="C1").exists()
