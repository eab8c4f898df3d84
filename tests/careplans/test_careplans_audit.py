"""Every read and change of a care record leaves an audit row: who, when, what, from where."""

import pytest
from django.urls import reverse

from careplans.models import AuditEvent, Publication, PublicationTrigger
from careplans.services import PublicationRefused, publish
from tests.careplans.records import actor

pytestmark = pytest.mark.django_db


def rows(**filters):
    return list(AuditEvent.objects.filter(**filters).values_list("username", "action", "kind", "object_id"))


def test_writes_are_audited_with_who_and_where(caseloads, users):
    mine = caseloads["mine"]
    event = AuditEvent.objects.get(action="create", kind="service_user", object_id=mine.pk)
    assert event.user == users["keyworker"] and event.ip_address == "192.0.2.1" and event.reference == mine.reference
    assert AuditEvent.objects.filter(
        action="create", kind="care_plan_choice", object_id=caseloads["my_choice"].pk
    ).exists()


def test_page_reads_are_audited_per_record(client, caseloads, users):
    AuditEvent.objects.all().delete()
    client.force_login(users["keyworker"])
    mine, choice = caseloads["mine"], caseloads["my_choice"]
    client.get(reverse("careplans:caseload"), REMOTE_ADDR="198.51.100.7")
    assert rows() == [("kw", "list", "service_user", mine.pk)]
    assert AuditEvent.objects.get().ip_address == "198.51.100.7"
    assert AuditEvent.objects.get().path == reverse("careplans:caseload")
    AuditEvent.objects.all().delete()
    client.get(reverse("careplans:service_user", args=[mine.pk]))
    assert sorted(rows()) == [("kw", "view", "care_plan_choice", choice.pk), ("kw", "view", "service_user", mine.pk)]
    AuditEvent.objects.all().delete()
    client.get(reverse("careplans:choice_edit", args=[mine.pk, choice.pk]))
    assert sorted(rows()) == [("kw", "view", "care_plan_choice", choice.pk), ("kw", "view", "service_user", mine.pk)]


def test_a_refused_read_is_not_a_read(client, caseloads, users):
    AuditEvent.objects.all().delete()
    client.force_login(users["other_keyworker"])
    assert client.get(reverse("careplans:service_user", args=[caseloads["mine"].pk])).status_code == 404
    assert not AuditEvent.objects.exists()


def test_changes_through_pages_are_audited(client, caseloads, users, world):
    AuditEvent.objects.all().delete()
    client.force_login(users["keyworker"])
    mine = caseloads["mine"]
    client.post(
        reverse("careplans:service_user_edit", args=[mine.pk]),
        {"age_band": "45_54", "home_locality": world["village"].pk, "status": "active"},
    )
    client.post(
        reverse("careplans:choice_add", args=[mine.pk]),
        {
            "discussed_on": "2025-03-10",
            "preferred_option": world["ost"].pk,
            "agreed_option": world["ost"].pk,
            "joint_decision": "yes",
            "review_on": "2025-04-10",
        },
    )
    new_choice = mine.choices.order_by("-id").first()
    assert ("kw", "change", "service_user", mine.pk) in rows()
    assert ("kw", "create", "care_plan_choice", new_choice.pk) in rows()


def test_commissioner_reads_are_audited_as_aggregate(client, caseloads, published_unmet, users):
    AuditEvent.objects.all().delete()
    client.force_login(users["commissioner"])
    for name in ("unmet", "unmet_csv", "unmet_json"):
        client.get(reverse(f"careplans:{name}"))
    assert rows() == [("com", "aggregate", "care_plan_choice", None)] * 3


def test_admin_audit_page_lists_events_and_cannot_change_them(client, caseloads, users):
    client.force_login(users["admin"])
    html = client.get(reverse("admin:careplans_auditevent_changelist") + "?q=" + caseloads["mine"].reference)
    assert html.status_code == 200 and caseloads["mine"].reference in html.content.decode()
    event = AuditEvent.objects.first()
    assert (
        client.post(reverse("admin:careplans_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_publication_pages_are_read_only_and_show_each_table(client, caseloads, users):
    users["admin"].is_superuser = True
    users["admin"].save()
    publication = publish(actor=actor(users["admin"]), trigger=PublicationTrigger.COMMAND)
    with pytest.raises(PublicationRefused):
        publish(actor=actor(users["admin"]), trigger=PublicationTrigger.COMMAND)
    client.force_login(users["admin"])
    listing = client.get(reverse("admin:careplans_publication_changelist")).content.decode()
    cells = len(publication.tables["unmet"]["values"])
    hidden = sum(row[-1] is None for row in publication.tables["unmet"]["values"])
    assert f"unmet: {cells} cells, {hidden} suppressed" in listing and "By manage.py publish_unmet" in listing
    detail = client.get(reverse("admin:careplans_publication_change", args=[publication.pk])).content.decode()
    assert publication.method in detail and 'name="_save"' not in detail
    assert client.get(reverse("admin:careplans_publication_add")).status_code == 403
    # The refused attempt is on the audit page, with why.
    audit = client.get(reverse("admin:careplans_auditevent_changelist") + "?action=refuse").content.decode()
    assert "younger than" in audit
    # Figures cannot be edited; only a superuser deletes a publication.
    users["admin"].is_superuser = False
    users["admin"].save()
    assert client.get(reverse("admin:careplans_publication_changelist")).status_code == 200
    delete = reverse("admin:careplans_publication_delete", args=[publication.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Publication.objects.filter(pk=publication.pk).exists()
