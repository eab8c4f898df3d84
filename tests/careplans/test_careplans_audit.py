"""Every read and change of a care record leaves an audit row: who, when, what, from where."""

import pytest
from django.urls import reverse

from careplans.models import AuditEvent

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
