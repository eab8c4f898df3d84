"""Who may open which page: a role × URL matrix, id-guessing across caseloads, teams."""

import pytest
from django.urls import reverse

from careplans.models import ServiceUser

pytestmark = pytest.mark.django_db

LOGIN = "login"


def urls(caseloads):
    mine, choice = caseloads["mine"], caseloads["my_choice"]
    return {
        "caseload": reverse("careplans:caseload"),
        "add": reverse("careplans:service_user_add"),
        "person": reverse("careplans:service_user", args=[mine.pk]),
        "edit": reverse("careplans:service_user_edit", args=[mine.pk]),
        "needs": reverse("careplans:needs_edit", args=[mine.pk]),
        "review_add": reverse("careplans:review_add", args=[mine.pk]),
        "choice_add": reverse("careplans:choice_add", args=[mine.pk]),
        "choice_edit": reverse("careplans:choice_edit", args=[mine.pk, choice.pk]),
        "unmet": reverse("careplans:unmet"),
        "unmet_csv": reverse("careplans:unmet_csv"),
        "unmet_json": reverse("careplans:unmet_json"),
        "unmet_map": reverse("maps:api-unmet"),
        "audit": reverse("admin:careplans_auditevent_changelist"),
        "teams": reverse("admin:careplans_team_changelist"),
    }


# Expected status per page for: anonymous, keyworker (owner), other keyworker, commissioner, admin.
# LOGIN: redirected to sign in. The admin site sends everyone without staff rights to its own sign-in.
MATRIX = {
    "caseload": (LOGIN, 200, 200, 403, 403),
    "add": (LOGIN, 200, 200, 403, 403),
    "person": (LOGIN, 200, 404, 403, 403),
    "edit": (LOGIN, 200, 404, 403, 403),
    "needs": (LOGIN, 200, 404, 403, 403),
    "review_add": (LOGIN, 200, 404, 403, 403),
    "choice_add": (LOGIN, 200, 404, 403, 403),
    "choice_edit": (LOGIN, 200, 404, 403, 403),
    "unmet": (LOGIN, 403, 403, 200, 200),
    "unmet_csv": (LOGIN, 403, 403, 200, 200),
    "unmet_json": (401, 403, 403, 200, 200),  # DRF: no redirects for an API; 401 asks for credentials
    "unmet_map": (403, 403, 403, 200, 200),  # the equity map's own endpoint: session sign-in only
    "audit": (LOGIN, LOGIN, LOGIN, LOGIN, 200),
    "teams": (LOGIN, LOGIN, LOGIN, LOGIN, 200),
}
WHO = [None, "keyworker", "other_keyworker", "commissioner", "admin"]


@pytest.mark.parametrize("page", sorted(MATRIX))
@pytest.mark.parametrize("who", range(len(WHO)), ids=[w or "anonymous" for w in WHO])
def test_role_url_matrix(client, caseloads, published_unmet, users, page, who):
    if WHO[who]:
        client.force_login(users[WHO[who]])
    url = urls(caseloads)[page]
    expected = MATRIX[page][who]
    response = client.get(url)
    if expected == LOGIN:
        assert response.status_code == 302 and "login" in response["Location"], response.status_code
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("page", ["person", "edit", "choice_add"])
def test_posting_to_another_caseload_is_a_404_and_changes_nothing(client, caseloads, users, world, page):
    client.force_login(users["other_keyworker"])
    mine = caseloads["mine"]
    data = {
        "age_band": "65_plus",
        "home_locality": world["town"].pk,
        "status": "active",
        "discussed_on": "2025-03-10",
        "preferred_option": world["ost"].pk,
        "agreed_option": world["ost"].pk,
        "joint_decision": "yes",
        "review_on": "2025-04-10",
    }
    response = client.post(urls(caseloads)[page], data)
    assert response.status_code in (404, 405)
    mine.refresh_from_db()
    assert mine.age_band == "25_34" and mine.choices.count() == 1


def test_guessing_ids_finds_nothing_outside_the_caseload(client, caseloads, users):
    client.force_login(users["keyworker"])
    own = caseloads["mine"].pk
    for pk in range(1, max(ServiceUser.objects.values_list("pk", flat=True)) + 3):
        status = client.get(reverse("careplans:service_user", args=[pk])).status_code
        assert status == (200 if pk == own else 404), pk
    theirs = caseloads["their_choice"]
    # Their choice under my person's id, and under theirs: both absent.
    assert client.get(reverse("careplans:choice_edit", args=[own, theirs.pk])).status_code == 404
    assert client.get(reverse("careplans:choice_edit", args=[theirs.service_user_id, theirs.pk])).status_code == 404


def test_caseload_lists_only_own_people_until_they_share_a_team(client, caseloads, users, team):
    client.force_login(users["keyworker"])
    page = client.get(reverse("careplans:caseload")).content.decode()
    assert caseloads["mine"].reference in page and caseloads["theirs"].reference not in page
    theirs = caseloads["theirs"]
    theirs.team = team
    theirs.save()
    page = client.get(reverse("careplans:caseload")).content.decode()
    assert caseloads["theirs"].reference in page
    assert client.get(reverse("careplans:service_user", args=[theirs.pk])).status_code == 200


def test_commissioner_pages_never_show_a_reference(client, caseloads, published_unmet, users):
    client.force_login(users["commissioner"])
    for page in ("unmet", "unmet_csv", "unmet_json", "unmet_map"):
        body = client.get(urls(caseloads)[page]).content.decode()
        assert caseloads["mine"].reference not in body and caseloads["theirs"].reference not in body


def test_home_links_follow_roles(client, users):
    client.force_login(users["keyworker"])
    home = client.get(reverse("home")).content.decode()
    assert reverse("careplans:caseload") in home and reverse("careplans:unmet") not in home
    client.force_login(users["commissioner"])
    home = client.get(reverse("home")).content.decode()
    assert reverse("careplans:unmet") in home and f'href="{reverse("careplans:caseload")}"' not in home
