"""The escalation path of issue 11: an admin who is not a superuser cannot give themselves care-record
access (superuser, the keyworker role, a team); superusers can, audited; and being superuser alone opens
no care record, through pages or the API."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import RoleChange
from accounts.roles import ADMIN, KEYWORKER
from accounts.rules import AccessState, access_change_problems
from accounts.services import ensure_role_groups
from careplans.models import Team
from tests.api.clients import token_client

pytestmark = pytest.mark.django_db


def user_change_data(user, **changes) -> dict:
    """The admin's user change form as a browser would post it back."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%d/%m/%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [group.pk for group in user.groups.all()],
    }
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(changes)
    return data


def can_read_care_records(user, person) -> dict[str, int]:
    api = token_client(user)
    return {
        "api list": len(api.get("/api/v1/service-users/").json().get("results", [])),
        "api detail": api.get(f"/api/v1/service-users/{person.pk}/").status_code,
    }


def test_an_admin_cannot_tick_superuser_or_keyworker_on_themselves(client, users, caseloads):
    admin = users["admin"]
    keyworker_group = ensure_role_groups()[KEYWORKER]
    client.force_login(admin)
    url = reverse("admin:auth_user_change", args=[admin.pk])
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page  # shown read-only
    client.post(url, user_change_data(admin, is_superuser="on", groups=[keyworker_group.pk]))
    admin.refresh_from_db()
    assert not admin.is_superuser and set(admin.groups.values_list("name", flat=True)) == {ADMIN}
    assert not RoleChange.objects.exists()


def test_an_admin_cannot_hand_out_the_keyworker_role_or_edit_a_keyworker(client, users, django_user_model):
    client.force_login(users["admin"])
    newcomer = django_user_model.objects.create_user("newcomer", password="a-long-password-1")
    keyworker_group = ensure_role_groups()[KEYWORKER]
    response = client.post(
        reverse("admin:auth_user_change", args=[newcomer.pk]), user_change_data(newcomer, groups=[keyworker_group.pk])
    )
    assert response.status_code == 200 and "is not one of the available choices" in response.content.decode()
    assert not newcomer.groups.exists()
    # A keyworker's account (its password above all) is a way into their caseload: view only.
    keyworker = users["keyworker"]
    assert client.get(reverse("admin:auth_user_password_change", args=[keyworker.pk])).status_code == 403
    response = client.post(reverse("admin:auth_user_change", args=[keyworker.pk]), user_change_data(keyworker))
    assert response.status_code == 403


def test_an_admin_cannot_join_a_team(client, users, caseloads):
    admin, team = users["admin"], Team.objects.create(name="North")
    team.members.add(users["keyworker"])
    client.force_login(admin)
    url = reverse("admin:careplans_team_change", args=[team.pk])
    client.post(url, {"name": "North", "members": [users["keyworker"].pk, admin.pk]})
    assert list(team.members.all()) == [users["keyworker"]]


def test_the_rules_refuse_what_the_forms_hide(users):
    """The service layer's check, behind the admin forms: e.g. a crafted request, or another door."""
    admin = users["admin"]
    before = AccessState(groups=frozenset({ADMIN}))
    for after in (
        AccessState(is_superuser=True, groups=frozenset({ADMIN})),
        AccessState(groups=frozenset({ADMIN, KEYWORKER})),
        AccessState(groups=frozenset({ADMIN}), teams=frozenset({"North"})),
    ):
        assert access_change_problems(actor=admin, user=admin, before=before, after=after)
    assert access_change_problems(actor=admin, user=admin, before=before, after=AccessState(groups=frozenset()))
    admin.is_superuser = True
    assert access_change_problems(actor=admin, user=users["commissioner"], before=before, after=after) == []


def test_superuser_role_changes_are_audited(client, users, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="a-long-password-1")
    client.force_login(root)
    newcomer = django_user_model.objects.create_user("newcomer", password="a-long-password-1")
    keyworker_group = ensure_role_groups()[KEYWORKER]
    response = client.post(
        reverse("admin:auth_user_change", args=[newcomer.pk]),
        user_change_data(newcomer, groups=[keyworker_group.pk], is_superuser="on"),
        REMOTE_ADDR="192.0.2.9",
    )
    assert response.status_code == 302
    team = Team.objects.create(name="North")
    response = client.post(
        reverse("admin:careplans_team_change", args=[team.pk]), {"name": "North", "members": [newcomer.pk]}
    )
    assert response.status_code == 302
    changes = list(RoleChange.objects.order_by("id").values_list("actor_username", "username", "change", "ip_address"))
    assert changes == [
        ("root", "newcomer", "granted superuser", "192.0.2.9"),
        ("root", "newcomer", "granted the keyworker role", "192.0.2.9"),
        ("root", "newcomer", "joined team North", "127.0.0.1"),
    ]
    assert client.get(reverse("admin:accounts_rolechange_changelist")).status_code == 200


def test_being_superuser_opens_no_care_record(client, users, caseloads, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="a-long-password-1")
    person = caseloads["mine"]
    client.force_login(root)
    for url in (
        reverse("careplans:caseload"),
        reverse("careplans:service_user", args=[person.pk]),
        reverse("careplans:choice_add", args=[person.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert token_client(root).get("/api/v1/service-users/").status_code == 403
    assert token_client(root).get(f"/api/v1/service-users/{person.pk}/choices/").status_code == 403
    # Made a keyworker (by a superuser, audited), still nothing: they are not on the case.
    root.groups.add(Group.objects.get(name=KEYWORKER))
    assert can_read_care_records(root, person) == {"api list": 0, "api detail": 404}
    assert client.get(reverse("careplans:service_user", args=[person.pk])).status_code == 404


def test_the_whole_escalation_path_is_closed_until_a_superuser_opens_it(client, users, caseloads, django_user_model):
    admin, person = users["admin"], caseloads["mine"]
    team = Team.objects.create(name="North")
    team.members.add(users["keyworker"])
    person.team = team
    person.save()
    keyworker_group = ensure_role_groups()[KEYWORKER]
    # The attack: tick superuser and keyworker on oneself, join the team, read records through the API.
    client.force_login(admin)
    client.post(
        reverse("admin:auth_user_change", args=[admin.pk]),
        user_change_data(
            admin, is_superuser="on", groups=[keyworker_group.pk, *admin.groups.values_list("pk", flat=True)]
        ),
    )
    client.post(reverse("admin:careplans_team_change", args=[team.pk]), {"name": "North", "members": [admin.pk]})
    assert token_client(admin).get("/api/v1/service-users/").status_code == 403
    assert token_client(admin).get(f"/api/v1/service-users/{person.pk}/").status_code == 403
    assert not RoleChange.objects.exists()
    # The same change made by a superuser works, and is on the record.
    root = django_user_model.objects.create_superuser("root", password="a-long-password-1")
    client.force_login(root)
    admin.refresh_from_db()
    client.post(
        reverse("admin:auth_user_change", args=[admin.pk]),
        user_change_data(admin, groups=[keyworker_group.pk, *admin.groups.values_list("pk", flat=True)]),
    )
    client.post(
        reverse("admin:careplans_team_change", args=[team.pk]),
        {"name": "North", "members": [admin.pk, users["keyworker"].pk]},
    )
    assert can_read_care_records(admin, person) == {"api list": 1, "api detail": 200}
    assert set(RoleChange.objects.filter(username=admin.username).values_list("change", flat=True)) == {
        "granted the keyworker role",
        "joined team North",
        # An admin who is now a keyworker too reads both care records and publications.
        "now reads both care records and publications: a new publication is refused while some, but fewer than "
        "UNMET_PUBLISH_MIN_CHANGED, of the people it counts differently are unknown to them",
    }
