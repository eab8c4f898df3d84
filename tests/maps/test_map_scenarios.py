"""The map's scenario JSON: the picker, a scenario's detail, the difference view and the before/after panel,
checked against the database (PostGIS), for each role."""

import pytest

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.services import ensure_user
from maps.measures import MEASURES, PUOR, difference_classes
from reach.models import LocalityResult, RunStatus
from reach.scenario_services import add_change, create_scenario
from reach.services import create_run, execute_run
from tests.maps.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_SITE = {
    "code": "C1",
    "name": "Village hall",
    "provider": "C",
    "provider_kind": "voluntary",
    "lat": 50.7,
    "lon": -2.1,
}
NEW_OFFER = {"site_code": "C1", "option_code": "NSP", "delivery": "on_site", "capacity_per_week": 5}
COUNT_MEASURES = [key for key, measure in MEASURES.items() if measure.counts]


@pytest.fixture
def compared(small_world, users):
    """The live catalogue's run, and a run of a scenario adding a village hall offering NSP."""
    base = execute_run(run_id=create_run().pk)
    scenario = create_scenario(name="Village hall NSP", owner=users[COMMISSIONER])
    add_change(scenario=scenario, kind="add_site", values=NEW_SITE)
    add_change(scenario=scenario, kind="add_offer", values=NEW_OFFER)
    add_change(scenario=scenario, kind="close_site", values={"site_code": "B1"})
    run = execute_run(run_id=create_run(scenario=scenario).pk)
    assert base.status == run.status == RunStatus.SUCCEEDED, (base.error, run.error)
    return {"base": base, "run": run, "scenario": scenario, **small_world}


def url(scenario, tail=""):
    return f"/map/api/scenarios/{scenario.pk}/{tail}"


def test_the_picker_lists_every_scenario_with_its_latest_succeeded_run(commissioner_client, compared):
    empty = create_scenario(name="Not run yet", owner=compared["scenario"].owner)
    body = commissioner_client.get("/map/api/scenarios/").json()
    assert body["scenarios"] == [
        {"id": empty.pk, "name": "Not run yet", "owner": COMMISSIONER, "run": None},
        {"id": compared["scenario"].pk, "name": "Village hall NSP", "owner": COMMISSIONER, "run": compared["run"].pk},
    ]


def test_the_detail_names_its_runs_changes_new_and_closed_sites_and_who_may_edit(client, compared, users):
    scenario, run, base = compared["scenario"], compared["run"], compared["base"]
    client.force_login(users[COMMISSIONER])
    body = client.get(url(scenario)).json()
    assert body["can_edit"] is True
    assert (body["run"]["id"], body["run"]["scenario"]) == (run.pk, scenario.pk)
    assert body["base_run"]["id"] == base.pk and body["base_run"]["scenario"] is None
    assert [c["kind"] for c in body["changes"]] == ["add_site", "add_offer", "close_site"]
    assert body["changes"][0]["text"] == "Add site Village hall (C1) of C at 50.70000, -2.10000"
    assert body["new_sites"] == [
        {
            **{key: value for key, value in NEW_SITE.items() if key != "provider_kind"},
            "scenario": "Village hall NSP",
            "offers": [{"option": "NSP", "delivery": "on_site", "delivery_label": "On site"}],
        }
    ]
    assert body["closed_sites"] == ["B1"]
    assert body["changed_since_run"] is False
    other = ensure_user(username="other-commissioner", password=PASSWORD, role=COMMISSIONER)
    client.force_login(other)
    assert client.get(url(scenario)).json()["can_edit"] is False  # read-only for everyone but its owner
    client.force_login(users[ADMIN])
    assert client.get(url(scenario)).json()["can_edit"] is False


@pytest.mark.parametrize("role", [KEYWORKER, None])
def test_keyworkers_and_strangers_get_no_scenario_json(client, compared, users, role):
    if role:
        client.force_login(users[role])
    for path in ["/map/api/scenarios/", url(compared["scenario"]), url(compared["scenario"], "difference/")]:
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("measure", COUNT_MEASURES)
def test_the_difference_is_the_scenario_run_minus_the_base_run_from_the_database(
    commissioner_client, compared, measure
):
    run, base = compared["run"], compared["base"]
    field = MEASURES[measure].field
    option_index = None
    query = {"measure": measure}
    if MEASURES[measure].per_option:
        query["option"], option_index = "NSP", run.option_codes.index("NSP")
    body = commissioner_client.get(url(compared["scenario"], "difference/"), query).json()
    assert (body["run"], body["base_run"]) == (run.pk, base.pk)
    expected = {}
    for after in LocalityResult.objects.filter(run=run):
        before = LocalityResult.objects.get(run=base, locality_id=after.locality_id)
        a, b = getattr(after, field), getattr(before, field)
        if option_index is not None:
            a, b = a[option_index], b[option_index]
        expected[after.locality_id] = round(a - b, 4)
    assert dict(zip(body["ids"], body["values"], strict=True)) == expected
    legend = body["legend"]
    assert legend["kind"] == "diverging"
    steps = [item["step"] for item in legend["classes"]]
    assert steps == sorted(steps) and steps == [-s for s in reversed(steps)]  # symmetric about "no change"
    assert [item["colour"] for item in legend["classes"]] == PUOR[len(steps)]
    for value, index in zip(body["values"], body["class_index"], strict=True):
        item = legend["classes"][index]
        assert (item["step"] == 0) == (value == 0)
        assert item["step"] * value >= 0  # a loss is never coloured as a gain


def test_the_village_gains_a_provider_of_nsp_loses_one_of_ost_and_the_legend_says_so_in_words(
    commissioner_client, compared
):
    village = compared["village"].pk
    for option, words in [("NSP", "gains 1 provider"), ("OST", "loses 1 provider")]:
        body = commissioner_client.get(
            url(compared["scenario"], "difference/"), {"measure": "providers_without_car", "option": option}
        ).json()
        by_id = dict(zip(body["ids"], body["class_index"], strict=True))
        assert body["legend"]["classes"][by_id[village]]["label"] == words
        assert [item["label"] for item in body["legend"]["classes"]] == [
            "loses 1 provider",
            "no change",
            "gains 1 provider",
        ]
        assert body["measure"]["label"] == "Change in providers reachable without a car"


@pytest.mark.parametrize("measure", ["nearest_walk_minutes", "access_with_car", "no-such-measure"])
def test_a_difference_without_meaning_is_refused_with_the_reason(commissioner_client, compared, measure):
    response = commissioner_client.get(url(compared["scenario"], "difference/"), {"measure": measure, "option": "NSP"})
    assert response.status_code == 400
    assert "measure" in response.json()["fields"]


def test_a_scenario_without_a_run_has_nothing_to_compare_yet(commissioner_client, compared):
    empty = create_scenario(name="Not run yet", owner=compared["scenario"].owner)
    response = commissioner_client.get(url(empty, "difference/"))
    assert response.status_code == 409
    assert "no succeeded run" in response.json()["message"]
    assert commissioner_client.get("/map/api/scenarios/999999/").status_code == 404


def test_the_panel_shows_each_option_before_and_after_from_the_database(commissioner_client, compared):
    village = compared["village"]
    body = commissioner_client.get(url(compared["scenario"], f"localities/{village.pk}/")).json()
    before = LocalityResult.objects.get(run=compared["base"], locality=village)
    after = LocalityResult.objects.get(run=compared["run"], locality=village)
    figures = {f["key"]: f for f in body["figures"]}
    for key in ("menu_without_car", "menu_with_car", "real_choice_without_car", "real_choice_with_car"):
        assert (figures[key]["before"], figures[key]["after"]) == (getattr(before, key), getattr(after, key))
        assert figures[key]["change"] == getattr(after, key) - getattr(before, key)
    for option in body["options"]:
        k = compared["run"].option_codes.index(option["code"])
        assert option["before"]["providers_without_car"] == before.providers_without_car[k]
        assert option["after"]["providers_without_car"] == after.providers_without_car[k]
    nsp = next(o for o in body["options"] if o["code"] == "NSP")
    # The new site is named although it is not in the catalogue (its runs give it a negative id).
    assert nsp["after"]["nearest"]["walk"]["site_name"] == "Village hall"
    assert nsp["after"]["nearest"]["walk"]["provider"] == "C"
    assert "Gains real choice without a car" in nsp["changes"]
    assert any(text.startswith("Providers without a car: 1 → 2") for text in nsp["changes"])
    ost = next(o for o in body["options"] if o["code"] == "OST")
    # B1's outreach session in the village closes with the site: one provider fewer.
    assert before.providers_without_car[0] - after.providers_without_car[0] == 1
    assert any("Providers without a car" in text or "No longer" in text for text in ost["changes"])


def test_the_recent_runs_list_holds_catalogue_runs_only(commissioner_client, compared):
    body = commissioner_client.get("/map/api/runs/").json()
    assert [run["id"] for run in body["runs"]] == [compared["base"].pk]


def test_the_map_page_opens_a_scenario_from_its_address(commissioner_client, compared):
    response = commissioner_client.get("/map/", {"scenario": compared["scenario"].pk})
    assert response.status_code == 200
    assert response.context["config"]["scenario"] == compared["scenario"].pk
    assert response.context["config"]["scenario_editor"]["site_fields"] == [
        "code",
        "name",
        "provider",
        "lat",
        "lon",
        "provider_kind",
    ]
    assert commissioner_client.get("/map/", {"scenario": "999999"}).context["config"]["scenario"] is None


def test_a_change_after_the_latest_run_is_flagged(commissioner_client, compared):
    add_change(scenario=compared["scenario"], kind="close_site", values={"site_code": "T1"})
    body = commissioner_client.get(url(compared["scenario"])).json()
    assert body["changed_since_run"] is True
    assert body["changes"][-1]["text"] == "Close site T1"


@pytest.mark.parametrize(
    ("measure", "differences", "labels", "classes"),
    [
        # Counts: a class per count up to 4 a side, the outermost open once a change is larger.
        (
            "menu_without_car",
            [0, 1, -1, 2],
            ["loses 2 options", "loses 1 option", "no change", "gains 1 option", "gains 2 options"],
            [2, 3, 1, 4],
        ),
        ("menu_with_car", [7, -5, 0], None, [8, 0, 4]),
        ("real_choice_with_car", [0, 0], ["no change"], [0, 0]),
        ("providers_with_car", [0, None, -1], ["loses 1 provider", "no change", "gains 1 provider"], [1, None, 0]),
        # The expected menu: a class per whole option, "less than 1" next to "no change".
        (
            "expected_menu",
            [0.0, 0.25, -0.999, 1.0, -1.5],
            [
                "loses 1 to under 2 options",
                "loses less than 1 option",
                "no change",
                "gains less than 1 option",
                "gains 1 to under 2 options",
            ],
            [2, 3, 1, 4, 0],
        ),
        ("expected_menu", [3.2, -0.1], None, [6, 2]),
    ],
)
def test_difference_classes_by_hand(measure, differences, labels, classes):
    legend, index = difference_classes(MEASURES[measure], differences)
    if labels is not None:
        assert [item["label"] for item in legend["classes"]] == labels
    assert index == classes
    if measure == "menu_with_car":  # 7 and -5 are beyond 4 a side
        assert legend["classes"][0]["label"] == "loses 4 or more options"
        assert legend["classes"][-1]["label"] == "gains 4 or more options"
    if measure == "expected_menu" and labels is None:  # 3.2 is beyond 3 classes a side
        assert legend["classes"][-1]["label"] == "gains 2 or more options"
