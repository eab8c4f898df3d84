"""The commissioners' unmet-preference figures: counted right, protected, and shaped for the equity map."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from areas.models import Locality
from careplans.disclosure import recoverable_cells
from careplans.models import CarePlanChoice
from careplans.services import record_choice, update_choice
from careplans.unmet import (
    ALL,
    MEASURES,
    OTHER,
    data_version,
    protected_publication,
    publication_sums,
    raw_counts,
    unmet_publication,
)
from tests.careplans.records import actor, choice_fields, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(world, users):
    people(world, users, "town", 12, "ost")  # reachable, agreed
    people(world, users, "village", 9, "ost", agreed="nsp")  # not reachable without a car, agreed NSP
    people(world, users, "village", 3, "nsp")  # reachable nowhere, agreed
    return world


def test_raw_counts_follow_latest_choice_and_snapshot(recorded, users, world):
    counts, localities, pooled, options, n = raw_counts()
    assert n == 24 and pooled == [] and [code for code, _ in localities] == ["TOWN", "VILL"]
    assert counts[("VILL", "OST", "preferred")] == 9
    assert counts[("VILL", "OST", "not_reachable")] == 9 and counts[("VILL", "OST", "reason_not_reachable")] == 9
    assert counts[("TOWN", "OST", "reachable")] == 12 and counts[("TOWN", "OST", "agreed_preferred")] == 12
    assert counts[(ALL, ALL, "preferred")] == 24 and counts[(ALL, "NSP", "not_reachable")] == 3
    # A newer choice replaces the person's earlier one.
    su = users["keyworker"].caseload.filter(home_locality=world["town"]).first()
    record_choice(
        actor=actor(users["keyworker"]),
        service_user=su,
        fields=choice_fields(world["nsp"], discussed_on=choice_fields(world["nsp"]).review_on),
    )
    counts, *_ = raw_counts()
    assert counts[("TOWN", "OST", "preferred")] == 11 and counts[("TOWN", "NSP", "preferred")] == 1


def test_publication_suppresses_small_counts_and_nothing_hidden_is_recoverable(recorded):
    counts, localities, pooled, options, _ = raw_counts()
    publication = unmet_publication()
    values = publication.values
    assert values[("VILL", "NSP", "preferred")] is None  # 3 people
    assert values[(ALL, ALL, "preferred")] == 25  # 24, rounded
    for key, count in counts.items():
        if 1 <= count <= 7:
            assert values[key] is None
    hidden = {key for key, value in values.items() if value is None}
    sums = publication_sums([c for c, _ in localities], [c for c, _ in options])
    assert recoverable_cells(hidden, sums) == []
    # NSP's 3 in the village must not be derivable: with the village total and OST there both shown it would be.
    assert values[("VILL", ALL, "preferred")] is None or values[("VILL", "OST", "preferred")] is None
    shown = [key for key, value in values.items() if value not in (None, 0)]
    assert shown and all(values[key] % 5 == 0 for key in shown)


def test_small_localities_are_pooled(world, users):
    people(world, users, "town", 9, "ost")
    people(world, users, "village", 2, "ost")
    publication = unmet_publication()
    assert [code for code, _ in publication.localities] == ["TOWN", OTHER]
    assert publication.pooled == [("VILL", "Village")]
    assert publication.values[(OTHER, ALL, "preferred")] is None


def test_json_shape_for_the_equity_map(client, recorded, users):
    client.force_login(users["commissioner"])
    body = client.get(reverse("careplans:unmet_json")).json()
    assert set(body) == {"basis", "disclosure", "measures", "options", "area", "localities", "pooled_localities"}
    assert [m["code"] for m in body["measures"]] == MEASURES
    assert set(body["area"]) == {"OST", "NSP", ALL}
    village = next(loc for loc in body["localities"] if loc["code"] == "VILL")
    assert set(village["options"]["OST"]) == set(MEASURES)
    assert village["options"]["OST"]["not_reachable"] is None or village["options"]["OST"]["not_reachable"] % 5 == 0
    one = client.get(reverse("careplans:unmet_json"), {"locality": "VILL", "option": "OST"}).json()
    assert [loc["code"] for loc in one["localities"]] == ["VILL"] and list(one["area"]) == ["OST"]
    assert one["localities"][0]["options"]["OST"] == village["options"]["OST"]
    bad = client.get(reverse("careplans:unmet_json"), {"locality": "NOPE"})
    assert bad.status_code == 400 and "unknown locality code" in bad.json()["locality"]


def test_csv_export_and_page_show_the_same_protected_figures(client, recorded, users):
    client.force_login(users["commissioner"])
    response = client.get(reverse("careplans:unmet_csv"))
    assert response["Content-Disposition"] == 'attachment; filename="unmet-preference.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    values = unmet_publication().values
    for row in rows:
        for measure in MEASURES:
            expected = values[(row["locality_code"], row["option_code"], measure)]
            assert row[measure] == ("suppressed" if expected is None else str(expected))
    everyone = next(r for r in rows if r["locality_code"] == ALL and r["option_code"] == ALL)
    assert everyone["preferred"] == "25"
    village_nsp = next(r for r in rows if r["locality_code"] == "VILL" and r["option_code"] == "NSP")
    assert village_nsp["preferred"] == "suppressed"
    for row in rows:
        for measure in MEASURES:
            assert row[measure] == "suppressed" or int(row[measure]) % 5 == 0
    page = client.get(reverse("careplans:unmet"), {"option": "OST"}).content.decode()
    assert "Village" in page and "suppressed" in page
    assert Locality.objects.get(code="TOWN").name in page


def counting_protections(monkeypatch):
    """Count the protections computed (rather than read from the cache)."""
    import careplans.unmet as unmet

    calls = []
    original = unmet.protect

    def protect(counts, sums):
        calls.append(len(counts))
        return original(counts, sums)

    monkeypatch.setattr(unmet, "protect", protect)
    return calls


def test_publication_is_protected_once_per_data_version_and_every_care_plan_write_renews_it(
    recorded, users, world, monkeypatch
):
    calls = counting_protections(monkeypatch)

    def read_after_write():
        """The publication read once a write is done: computed afresh, then served from the cache."""
        before = len(calls)
        publication = unmet_publication()
        assert len(calls) == before + 1
        assert unmet_publication() == publication and len(calls) == before + 1
        return publication

    assert read_after_write().people == 24
    # A new person's choice, then a newer choice of someone already counted: the figures are the new data's.
    people(world, users, "town", 1, "ost")
    assert read_after_write().people == 25
    su = users["keyworker"].caseload.filter(home_locality=world["village"]).first()
    record_choice(
        actor=actor(users["keyworker"]),
        service_user=su,
        fields=choice_fields(world["nsp"], discussed_on=choice_fields(world["nsp"]).review_on),
    )
    assert read_after_write() == protected_publication()
    # A corrected choice, with the same number of choices and the same newest id.
    choice = CarePlanChoice.objects.order_by("id").first()
    update_choice(actor=actor(users["keyworker"]), choice=choice, fields=choice_fields(world["nsp"]))
    assert read_after_write() == protected_publication()
    # A removed choice.
    CarePlanChoice.objects.filter(pk=choice.pk).delete()
    assert read_after_write().people == 24
    # A renamed locality changes what is shown, so it is a new version too.
    Locality.objects.filter(code="TOWN").update(name="Market town", updated_at=timezone.now())
    assert ("TOWN", "Market town") in read_after_write().localities


def test_different_data_never_share_a_cached_publication(recorded, users, world):
    before = data_version()
    unmet_publication()
    people(world, users, "town", 1, "nsp")
    assert data_version() != before
    assert unmet_publication().people == 25
