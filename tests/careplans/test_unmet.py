"""The commissioners' unmet-preference figures: counted right, protected, published on a schedule."""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from areas.models import Locality
from careplans.disclosure import is_primary, recoverable_cells
from careplans.models import AuditAction, AuditEvent, CarePlanChoice, Publication, PublicationTrigger
from careplans.publication import build_all
from careplans.selectors import changes_since_publications
from careplans.services import PublicationRefused, publish, record_choice, record_review, update_choice
from careplans.unmet import (
    ALL,
    MEASURES,
    OTHER,
    TABLE,
    UnmetPublication,
    latest_choices,
    publication_sums,
    record_key,
    tally,
    unmet_of,
)
from services.models import MenuOption
from tests.careplans.attacker import hidden_ranges
from tests.careplans.records import actor, choice_fields, people
from tests.factories import LocalityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(world, users):
    people(world, users, "town", 12, "ost")  # reachable, agreed
    people(world, users, "village", 9, "ost", agreed="nsp")  # not reachable without a car, agreed NSP
    people(world, users, "village", 3, "nsp")  # reachable nowhere, agreed
    return world


def counted(cutoff=None):
    rows = [
        {**row, "record_key": record_key(row["service_user_id"])}
        for row in latest_choices(cutoff=cutoff or timezone.now())
    ]
    options = list(MenuOption.objects.order_by("display_order", "code").values_list("code", flat=True))
    return tally(rows, option_codes=options, locality_codes=list(Locality.objects.values_list("code", flat=True)))


def protected(cutoff):
    """The unmet figures of the choices before `cutoff`, protected with the publication's other tables."""
    return UnmetPublication.from_json(build_all(cutoff=cutoff)[TABLE]).values


def published(users, **kwargs):
    """A publication now, as the commissioner who reads it (a superuser forces a second one)."""
    users["admin"].is_superuser = True
    users["admin"].save()
    trigger = PublicationTrigger.FORCED if Publication.objects.exists() else PublicationTrigger.COMMAND
    return publish(actor=actor(users["admin"]), trigger=trigger, **kwargs)


def test_counts_follow_latest_choice_and_snapshot(recorded, users, world):
    counts = counted().counts
    assert counted().shown == ["TOWN", "VILL"] and counted().others == []
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
    counts = counted().counts
    assert counts[("TOWN", "OST", "preferred")] == 11 and counts[("TOWN", "NSP", "preferred")] == 1


def test_choices_recorded_after_the_cutoff_are_not_counted(recorded, users, world):
    cutoff = timezone.now()
    people(world, users, "town", 2, "nsp")
    assert counted(cutoff).counts[(ALL, ALL, "preferred")] == 24
    assert counted().counts[(ALL, ALL, "preferred")] == 26
    publication = published(users, cutoff=cutoff)
    assert publication.data_cutoff == cutoff and publication.built_at >= cutoff
    # Exactly the protection of what was counted at the cut-off (which cells are hidden depends on the
    # record keys, so on the ids this run gave).
    assert unmet_of(publication).values == protected(cutoff)


def test_publication_suppresses_small_counts_and_no_hidden_one_can_be_narrowed(recorded, users):
    counts = counted()
    values = unmet_of(published(users)).values
    assert values[("VILL", "NSP", "preferred")] is None  # 3 people
    assert values[(ALL, ALL, "preferred")] in (None, 20, 25)  # 24, rounded by its cell key (or hidden)
    hidden = {key for key, value in values.items() if value is None}
    sums = publication_sums(counts.columns, ["OST", "NSP"])
    assert recoverable_cells(hidden, sums) == []
    ranges = hidden_ranges(values, sums, counts.known_bounds())
    for key, count in counts.counts.items():
        if is_primary(count):
            assert values[key] is None
            assert ranges[key][0] == 0 and ranges[key][1] >= 8, (key, count, ranges[key])
        elif values[key] is not None:
            assert values[key] % 5 == 0 and abs(values[key] - count) <= 4
            assert (values[key] == 0) == (count == 0)


def test_localities_with_few_people_or_none_are_counted_in_other_and_never_named(client, world, users):
    LocalityFactory(code="HAM", name="Hamlet")
    people(world, users, "town", 12, "ost")
    people(world, users, "village", 2, "ost")
    publication = unmet_of(published(users))
    assert [code for code, _ in publication.localities] == ["TOWN", OTHER]
    assert publication.other_localities == 2  # the village (2 people) and the hamlet (none) alike
    assert publication.values[(OTHER, ALL, "preferred")] is None
    client.force_login(users["commissioner"])
    url = reverse("careplans:unmet_json")
    everything = client.get(url)
    assert "VILL" not in everything.content.decode() and "Village" not in everything.content.decode()
    assert everything.json()["other_localities"] == 2
    # A locality filter answers the same for a few people as for none: OTHER's figures.
    village, hamlet = (client.get(url, {"locality": code}).json() for code in ("VILL", "HAM"))
    assert village == hamlet and [loc["code"] for loc in village["localities"]] == [OTHER]
    csv_text = client.get(reverse("careplans:unmet_csv")).content.decode()
    page = client.get(reverse("careplans:unmet")).content.decode()
    for text in (csv_text, page):
        assert "VILL" not in text and "Village" not in text and "HAM\n" not in text and "Hamlet" not in text


def test_json_shape_for_the_equity_map(client, recorded, users):
    stored = published(users)
    client.force_login(users["commissioner"])
    body = client.get(reverse("careplans:unmet_json")).json()
    assert set(body) == {
        "published",
        "basis",
        "disclosure",
        "measures",
        "options",
        "area",
        "localities",
        "other_localities",
    }
    assert body["published"]["id"] == stored.pk
    assert body["published"]["data_cutoff"] == stored.data_cutoff.isoformat()
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


def test_nothing_is_shown_before_the_first_publication(client, recorded, users):
    client.force_login(users["commissioner"])
    assert client.get(reverse("careplans:unmet_json")).status_code == 404
    assert client.get(reverse("careplans:unmet_csv")).status_code == 404
    page = client.get(reverse("careplans:unmet"))
    assert page.status_code == 200 and "Nothing has been published yet" in page.content.decode()


def test_csv_export_and_page_show_the_same_protected_figures(client, recorded, users):
    stored = published(users)
    client.force_login(users["commissioner"])
    response = client.get(reverse("careplans:unmet_csv"))
    assert response["Content-Disposition"] == f'attachment; filename="unmet-preference-{stored.pk}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    values = unmet_of(stored).values
    for row in rows:
        for measure in MEASURES:
            expected = values[(row["locality_code"], row["option_code"], measure)]
            assert row[measure] == ("suppressed" if expected is None else str(expected))
    everyone = next(r for r in rows if r["locality_code"] == ALL and r["option_code"] == ALL)
    assert everyone["preferred"] in ("suppressed", "20", "25")
    village_nsp = next(r for r in rows if r["locality_code"] == "VILL" and r["option_code"] == "NSP")
    assert village_nsp["preferred"] == "suppressed"
    for row in rows:
        for measure in MEASURES:
            assert row[measure] == "suppressed" or int(row[measure]) % 5 == 0
    page = client.get(reverse("careplans:unmet"), {"option": "OST"}).content.decode()
    assert "Village" in page and "suppressed" in page
    assert Locality.objects.get(code="TOWN").name in page
    assert f"Publication {stored.pk}: built" in page
    assert stored.data_cutoff.isoformat() in page and stored.built_at.isoformat() in page


def test_a_publication_is_served_unchanged_until_the_next_and_past_ones_stay_readable(client, recorded, users, world):
    first = published(users)
    client.force_login(users["commissioner"])
    url = reverse("careplans:unmet_json")
    before = client.get(url).json()
    people(world, users, "town", settings.UNMET_PUBLISH_MIN_CHANGED, "nsp")
    assert client.get(url).json() == before  # new records wait for the next publication
    second = published(users)
    after = client.get(url).json()
    assert after["published"]["id"] == second.pk and after != before
    assert unmet_of(first).values == protected(first.data_cutoff)
    assert unmet_of(second).values == protected(second.data_cutoff)
    assert client.get(url, {"publication": first.pk}).json() == before
    page = client.get(reverse("careplans:unmet"), {"publication": first.pk}).content.decode()
    assert f"Publication {first.pk}: built" in page and f'<option value="{second.pk}"' in page


def test_publishing_is_audited_and_refused_within_the_minimum_interval(recorded, users, world):
    users["admin"].is_superuser = True
    users["admin"].save()
    first = publish(actor=actor(users["commissioner"]), trigger=PublicationTrigger.COMMAND)
    event = AuditEvent.objects.get(action=AuditAction.PUBLISH)
    assert (event.object_id, event.username) == (first.pk, "com")
    people(world, users, "town", settings.UNMET_PUBLISH_MIN_CHANGED, "nsp")
    with pytest.raises(PublicationRefused, match=f"younger than {settings.UNMET_PUBLISH_MIN_DAYS} days"):
        publish(actor=actor(users["commissioner"]), trigger=PublicationTrigger.COMMAND)
    with pytest.raises(PublicationRefused, match="only a superuser"):
        publish(actor=actor(users["commissioner"]), trigger=PublicationTrigger.FORCED)
    assert Publication.objects.count() == 1
    # Both refusals are in the audit: who, when, why.
    refusals = AuditEvent.objects.filter(action=AuditAction.REFUSE).order_by("id")
    assert [(event.username, event.kind, event.object_id) for event in refusals] == [("com", "publication", None)] * 2
    assert "By manage.py publish_unmet: the last publication is younger than" in refusals[0].detail
    assert "Forced by a superuser before the minimum interval: only a superuser" in refusals[1].detail
    forced = publish(actor=actor(users["admin"]), trigger=PublicationTrigger.FORCED)
    assert forced.trigger == PublicationTrigger.FORCED and forced.built_by == users["admin"]
    people(world, users, "village", settings.UNMET_PUBLISH_MIN_CHANGED, "nsp")
    later = first.built_at + datetime.timedelta(days=settings.UNMET_PUBLISH_MIN_DAYS, minutes=1)
    on_time = publish(actor=actor(None), trigger=PublicationTrigger.SCHEDULE, now=later)
    assert on_time.built_by_name == "system"
    assert AuditEvent.objects.filter(action=AuditAction.PUBLISH).count() == 3


def test_a_publication_needs_enough_people_changed_since_every_past_one_forced_or_not(recorded, users, world):
    """The batch threshold: fewer than UNMET_PUBLISH_MIN_CHANGED people counted differently from any past
    publication and the build is refused and audited, even forced by a superuser."""
    users["admin"].is_superuser = True
    users["admin"].save()
    enough = settings.UNMET_PUBLISH_MIN_CHANGED
    first = publish(actor=actor(users["commissioner"]), trigger=PublicationTrigger.COMMAND)
    people(world, users, "town", enough - 1, "nsp")
    # A new choice that counts the same as the person's last one changes nothing a reader sees.
    same = CarePlanChoice.objects.filter(service_user__home_locality=world["village"], preferred_option=world["nsp"])
    record_choice(
        actor=actor(users["keyworker"]), service_user=same.first().service_user, fields=choice_fields(world["nsp"])
    )
    with pytest.raises(
        PublicationRefused, match=f"only {enough - 1} people are counted differently from publication number {first.pk}"
    ):
        publish(actor=actor(users["admin"]), trigger=PublicationTrigger.FORCED)
    refusal = AuditEvent.objects.get(action=AuditAction.REFUSE)
    assert refusal.username == "adm" and f"needs at least {enough}" in refusal.detail
    later = first.built_at + datetime.timedelta(days=31)
    with pytest.raises(PublicationRefused, match="counted differently"):
        publish(actor=actor(None), trigger=PublicationTrigger.SCHEDULE, now=later)
    assert AuditEvent.objects.filter(action=AuditAction.REFUSE, username="system").exists()
    assert Publication.objects.count() == 1
    # Editing an old choice changes what it counts: that person counts too, read from the history.
    town = list(CarePlanChoice.objects.filter(service_user__home_locality=world["town"], preferred_option=world["ost"]))
    update_choice(actor=actor(users["keyworker"]), choice=town[0], fields=choice_fields(world["nsp"]))
    second = publish(actor=actor(users["admin"]), trigger=PublicationTrigger.FORCED)
    # Every past publication counts, not only the last: ten people changed and changed back are ten
    # apart from the second publication but none apart from the first.
    for choice in town[1 : enough + 1]:
        update_choice(actor=actor(users["keyworker"]), choice=choice, fields=choice_fields(world["nsp"]))
    third = publish(actor=actor(users["admin"]), trigger=PublicationTrigger.FORCED)
    for choice in town[1 : enough + 1]:
        update_choice(
            actor=actor(users["keyworker"]),
            choice=CarePlanChoice.objects.get(pk=choice.pk),
            fields=choice_fields(world["ost"]),
        )
    # Newest first, stopping at the first too close: the third is ten apart, the second none.
    changed = changes_since_publications(cutoff=timezone.now(), fewer_than=enough)
    assert {number: len(people) for number, people in changed.items()} == {third.pk: enough, second.pk: 0}
    with pytest.raises(
        PublicationRefused, match=f"only 0 people are counted differently from publication number {second.pk}"
    ):
        publish(actor=actor(users["admin"]), trigger=PublicationTrigger.FORCED)
    assert Publication.objects.first() == third


def test_publish_unmet_command_names_the_user_and_needs_a_superuser_to_force(recorded, users):
    out = io.StringIO()
    call_command("publish_unmet", "--user", "com", stdout=out)
    assert "Published number" in out.getvalue()
    with pytest.raises(CommandError, match="younger than"):
        call_command("publish_unmet", "--user", "com")
    with pytest.raises(CommandError, match="only a superuser"):
        call_command("publish_unmet", "--user", "com", "--force")
    with pytest.raises(CommandError, match="no active user"):
        call_command("publish_unmet", "--user", "nobody")
    users["admin"].is_superuser = True
    users["admin"].save()
    call_command("publish_unmet", "--user", "adm", "--force", "--cutoff", "2026-01-01", stdout=out)
    latest = Publication.objects.first()
    assert latest.trigger == PublicationTrigger.FORCED and latest.data_cutoff.date() == datetime.date(2026, 1, 1)
    assert not unmet_of(latest).recorded or unmet_of(latest).values[(ALL, ALL, "preferred")] is not None


def test_the_schedule_publishes_monthly_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["careplans-publish-unmet"]
    assert entry["task"] == "careplans.publish_unmet"
    assert entry["schedule"].day_of_month == {1} and entry["schedule"].hour == {2}


def test_reviews_count_as_changes_for_the_outcomes_table(recorded, users, world):
    """The outcomes table counts each person's change from first to latest review, so reviews recorded
    since the last publication count towards the batch threshold as a changed choice does."""
    enough = settings.UNMET_PUBLISH_MIN_CHANGED
    first = published(users)
    town = [c.service_user for c in CarePlanChoice.objects.filter(service_user__home_locality=world["town"])]
    for person in town[: enough - 1]:
        for day, health in ((1, 8), (2, 12)):
            outcomes = {"reviewed_on": datetime.date(2025, 3, day), "psychological_health": health}
            record_review(actor=actor(users["keyworker"]), service_user=person, outcomes=outcomes)
    changed = changes_since_publications(cutoff=timezone.now(), fewer_than=enough)
    assert changed == {first.pk: frozenset(person.pk for person in town[: enough - 1])}
    # One review alone gives no change from first to latest yet: it counts nothing different.
    record_review(
        actor=actor(users["keyworker"]),
        service_user=town[enough - 1],
        outcomes={"reviewed_on": datetime.date(2025, 3, 1), "psychological_health": 9},
    )
    with pytest.raises(PublicationRefused, match=f"only {enough - 1} people are counted differently"):
        published(users)
    record_review(
        actor=actor(users["keyworker"]),
        service_user=town[enough - 1],
        outcomes={"reviewed_on": datetime.date(2025, 3, 2), "psychological_health": 11},
    )
    assert published(users).pk != first.pk
