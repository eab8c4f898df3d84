"""The equity map's unmet-preference layer and panel data: who may read it, and that it is the protected
publication (careplans.unmet), never a raw count."""

import json

import pytest
from django.urls import reverse

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from areas.models import Locality
from careplans.models import AuditAction, AuditEvent, PublicationTrigger
from careplans.selectors import latest_publication
from careplans.services import Actor, create_service_user, publish, record_choice
from careplans.unmet import ALL, OTHER, publication_json, unmet_of
from maps.measures import UNMET_PALETTE, UNMET_ZERO_COLOUR, protected_count_classes
from reach.models import RunStatus
from reach.services import create_run, execute_run
from services.models import MenuOption
from tests.careplans.records import actor, choice_fields
from tests.careplans.test_unmet import counted
from tests.factories import LocalityFactory, square

pytestmark = pytest.mark.django_db

URL = "/map/api/unmet/"


@pytest.fixture
def recorded(small_world, users):
    """Latest choices in three localities large enough to show, and two small ones that are pooled.

    Town and Village come from small_world (OST on site in Town, by outreach in Village; NSP in Town only);
    the market town is far from both, so its people could reach neither without a car.
    """
    extra = {
        code: LocalityFactory(code=code, name=name, geometry=square(lon, 50.7))
        for code, name, lon in [("HAMA", "Hamlet A", -2.52), ("HAMB", "Hamlet B", -2.54), ("MKT", "Market town", -2.5)]
    }
    run = execute_run(run_id=create_run().pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    ost, nsp = MenuOption.objects.get(code="OST"), MenuOption.objects.get(code="NSP")
    localities = {"TOWN": small_world["town"], "VILL": small_world["village"], **extra}
    keyworker = users[KEYWORKER]

    def people(code, count, preferred, agreed=None):
        for _ in range(count):
            person = create_service_user(
                actor=actor(keyworker), keyworker=keyworker, age_band="25_34", home_locality=localities[code]
            )
            record_choice(actor=actor(keyworker), service_user=person, fields=choice_fields(preferred, agreed))

    people("TOWN", 15, ost)
    people("TOWN", 10, nsp)
    people("VILL", 12, ost)
    people("VILL", 3, nsp)
    people("MKT", 20, nsp, agreed=ost)  # the market town is 35 km away: nothing in reach without a car
    people("MKT", 10, ost)
    people("HAMA", 3, nsp, agreed=ost)
    people("HAMB", 1, ost)
    publish(actor=Actor(user=None, path="test"), trigger=PublicationTrigger.SCHEDULE)
    return localities


def get_layer(client, user):
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return response.json()


def test_the_url_is_the_maps_own():
    assert reverse("maps:api-unmet") == URL


def test_anonymous_users_and_keyworkers_are_refused(client, recorded, users):
    audited = AuditEvent.objects.count()
    assert client.get(URL).status_code == 403
    client.force_login(users[KEYWORKER])
    response = client.get(URL)
    assert response.status_code == 403 and "publication" not in response.content.decode()
    assert AuditEvent.objects.count() == audited  # nothing was read


@pytest.mark.parametrize("role", [COMMISSIONER, ADMIN])
def test_commissioners_and_admins_get_the_protected_publication(client, recorded, users, role):
    body = get_layer(client, users[role])
    published = {
        **publication_json(unmet_of(latest_publication())),
        "pooled_localities": body["publication"]["pooled_localities"],
    }
    assert body["publication"] == published
    assert body["measure"] == "not_reachable"
    assert AuditEvent.objects.filter(action=AuditAction.AGGREGATE, user=users[role], path=URL).count() == 1


def test_no_count_of_one_to_seven_appears_as_a_number(client, recorded, users):
    body = get_layer(client, users[COMMISSIONER])
    counts = counted().counts
    small = {key for key, count in counts.items() if 1 <= count <= 7}
    assert small  # the fixture has small cells: the test could fail
    publication = body["publication"]
    cells = {
        (ALL, option, measure): value for option, cell in publication["area"].items() for measure, value in cell.items()
    }
    cells |= {
        (loc["code"], option, measure): value
        for loc in publication["localities"]
        for option, cell in loc["options"].items()
        for measure, value in cell.items()
    }
    assert set(cells) == set(counts)
    for key in small:
        assert cells[key] is None, key
    shown = [value for value in cells.values() if value is not None]
    assert any(shown) and all(value == 0 or (value >= 8 and value % 5 == 0) for value in shown)
    # And no number anywhere else in the body stands for a cell.
    assert all(value not in range(1, 8) for value in cells.values())


def test_localities_in_other_are_all_those_not_shown_and_carry_their_map_ids(client, recorded, users):
    body = get_layer(client, users[COMMISSIONER])
    publication = body["publication"]
    shown = [loc["code"] for loc in publication["localities"]]
    assert shown == ["MKT", "TOWN", "VILL", OTHER]  # by name; the pool last
    # Every other locality is in OTHER, with a few people (the hamlets) or none: the map cannot tell which.
    ids = dict(Locality.objects.values_list("code", "pk"))
    others = sorted(set(ids) - {"MKT", "TOWN", "VILL"})
    assert {"HAMA", "HAMB"} <= set(others)
    assert [loc["code"] for loc in publication["pooled_localities"]] == others
    assert publication["other_localities"] == len(others)
    assert body["locality_ids"] == ids


def test_legends_class_every_shown_locality_for_every_option(client, recorded, users):
    body = get_layer(client, users[COMMISSIONER])
    publication = body["publication"]
    assert set(body["legends"]) == set(publication["area"]) == {ALL, "OST", "NSP"}
    for key, legend in body["legends"].items():
        values = [loc["options"][key]["not_reachable"] for loc in publication["localities"] if loc["code"] != OTHER]
        assert legend["classes"] == protected_count_classes(values)["classes"]
    market = next(loc for loc in publication["localities"] if loc["code"] == "MKT")
    assert market["options"][ALL]["not_reachable"] in (None, 30)  # none of its 30 people could reach theirs
    # The market town is the only locality with people who could not reach their option, so its figures
    # are the only ones that can hide the hamlets' (TOWN's and VILL's zeros cannot: a zero total pins them).
    assert market["options"][ALL]["not_reachable"] is None


def test_the_map_page_offers_the_layer_to_those_who_may_see_it(client, recorded, users):
    client.force_login(users[COMMISSIONER])
    html = client.get(reverse("maps:map")).content.decode()
    start = html.index('<script id="map-config" type="application/json">')
    config = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    assert config["unmet"] == {"url": URL, "csv": reverse("careplans:unmet_csv")}
    assert "optional_overlays" not in config


# ---- legend classes (pure) ------------------------------------------------------------------------


def test_zero_has_a_class_of_its_own_and_suppressed_cells_none():
    assert protected_count_classes([]) == {
        "kind": "count",
        "classes": [{"min": 0, "label": "0", "colour": UNMET_ZERO_COLOUR}],
    }
    assert protected_count_classes([None, 0, None])["classes"] == protected_count_classes([])["classes"]


def test_shown_counts_fall_into_at_most_four_classes_of_counts_that_occur():
    values = [None, 0, 10, 10, 15, 20, 25, 40, 40, 95, None]
    classes = protected_count_classes(values)["classes"]
    assert classes[0]["min"] == 0 and 2 <= len(classes) <= 5
    lowers = [item["min"] for item in classes[1:]]
    assert lowers == sorted(set(lowers)) and lowers[0] == 10 and set(lowers) <= set(values)
    assert classes[-1]["colour"] == UNMET_PALETTE[-1]  # the darkest for the largest counts
    for i, item in enumerate(classes[1:], start=1):
        upper = classes[i + 1]["min"] if i + 1 < len(classes) else float("inf")
        inside = [v for v in values if v and item["min"] <= v < upper]
        assert item["label"] == (f"{min(inside)}" if min(inside) == max(inside) else f"{min(inside)}–{max(inside)}")


def test_few_distinct_counts_get_a_class_each():
    classes = protected_count_classes([10, 10, 25])["classes"]
    assert [(item["min"], item["label"]) for item in classes] == [(0, "0"), (10, "10"), (25, "25")]
    assert [item["colour"] for item in classes[1:]] == UNMET_PALETTE[-2:]
