"""The scenario pages without script: who may open and change what, each change kind through its form,
rule errors at their fields with the input kept, runs, the comparison's figures, and apply."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from areas.models import Locality
from reach.equity import equity_figures
from reach.models import ReachRun, RunStatus, Scenario, ScenarioChange
from reach.scenario_selectors import compare_runs, run_figures
from reach.scenario_services import add_change, create_scenario
from reach.selectors import locality_reach
from reach.services import create_run, execute_run
from services.models import Site
from tests.factories import UserFactory
from tests.reach.test_scenarios import NEW_OFFER, NEW_SITE

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'


@pytest.fixture
def people(db):
    return {
        "owner": UserFactory(username="owner", role=COMMISSIONER),
        "other": UserFactory(username="other", role=COMMISSIONER),
        "admin": UserFactory(username="adm", role=ADMIN),
        "keyworker": UserFactory(username="kw", role=KEYWORKER),
    }


@pytest.fixture
def hall(small_world, people):
    scenario = create_scenario(name="Village hall NSP", owner=people["owner"])
    add_change(scenario=scenario, kind="add_site", values=NEW_SITE)
    add_change(scenario=scenario, kind="add_offer", values=NEW_OFFER)
    return scenario


def run_of(scenario=None) -> ReachRun:
    run = execute_run(run_id=create_run(scenario=scenario).pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


@pytest.fixture
def closing(small_world, people):
    """A scenario that closes the town site, run (a --sync-style run in-process) with its base."""
    scenario = create_scenario(name="Close T1", owner=people["owner"])
    add_change(scenario=scenario, kind="close_site", values={"site_code": "T1"})
    return {"scenario": scenario, "base": run_of(), "run": run_of(scenario)}


def as_user(client, user):
    client.force_login(user)
    return client


def page_urls(scenario) -> dict[str, str]:
    pk = scenario.pk
    return {
        "list": reverse("maps:scenarios"),
        "scenario": reverse("maps:scenario", args=[pk]),
        "form": reverse("maps:scenario", args=[pk]) + "?kind=add_offer",
        "compare": reverse("maps:scenario-compare", args=[pk]),
        "sorted": reverse("maps:scenario-compare", args=[pk]) + "?sort=expected_menu_change&dir=desc",
        "csv": reverse("maps:scenario-compare-csv", args=[pk]),
        "locality": reverse("maps:scenario-locality", args=[pk]) + "?locality=VILL",
        "apply": reverse("maps:scenario-apply", args=[pk]),
    }


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (None, 302),
        ("keyworker", 403),
        ("owner", 200),
        ("other", 200),
        ("admin", 200),
    ],
)
def test_every_page_by_role(client, closing, people, who, expected):
    urls = page_urls(closing["scenario"])
    if who is not None:
        as_user(client, people[who])
    for name, url in urls.items():
        response = client.get(url)
        wanted = expected
        if name == "apply" and who in ("owner", "other"):
            wanted = 403  # only a catalogue admin applies
        assert response.status_code == wanted, (who, name, response.status_code)
        if who is None:
            assert response["Location"].startswith(reverse("login"))


def test_only_the_owner_changes_a_scenario_and_only_an_admin_applies_it(client, hall, people):
    add_url = reverse("maps:scenario", args=[hall.pk])
    remove_url = reverse("maps:scenario-remove-change", args=[hall.pk, 2])
    post = {"kind": "close_site", "site_code": "T1"}
    for who in ("other", "admin"):
        as_user(client, people[who])
        assert client.post(add_url, post).status_code == 403
        assert client.post(remove_url).status_code == 403
        page = client.get(add_url).content.decode()
        assert 'name="kind"' not in page and "Remove" not in page  # read-only for them
    as_user(client, people["keyworker"])
    assert client.post(add_url, post).status_code == 403
    assert hall.changes.count() == 2
    as_user(client, people["owner"])
    assert client.post(reverse("maps:scenario-apply", args=[hall.pk])).status_code == 403
    assert not Site.objects.filter(code="C1").exists()
    as_user(client, people["admin"])
    confirm = client.get(reverse("maps:scenario-apply", args=[hall.pk])).content.decode()
    assert "Add site Village hall (C1) of voluntary provider C" in confirm and "Yes, apply it" in confirm
    response = client.post(reverse("maps:scenario-apply", args=[hall.pk]), follow=True)
    assert "Applied Village hall NSP to the catalogue" in response.content.decode()
    assert Site.objects.get(code="C1").provider.kind == "voluntary"
    hall.refresh_from_db()
    assert hall.applied_by == people["admin"]
    # applied: read-only, even for its owner
    as_user(client, people["owner"])
    page = client.get(add_url + "?kind=close_site").content.decode()
    assert "Add the change" not in page and "Run this scenario" not in page
    client.post(add_url, post)
    assert hall.changes.count() == 2


CHANGE_POSTS = [
    (
        "add_site",
        {"code": "C2", "name": "Chapel", "provider": "D", "provider_kind": "nhs", "lat": "50.71", "lon": "-2.1"},
        {"code": "C2", "name": "Chapel", "provider": "D", "provider_kind": "nhs", "lat": 50.71, "lon": -2.1},
    ),
    (
        "add_offer",
        {"site_code": "C1", "option_code": "OST", "delivery": "outreach", "capacity_per_week": "4",
         "outreach_localities": ["TOWN", "VILL"]},
        {"site_code": "C1", "option_code": "OST", "delivery": "outreach", "capacity_per_week": 4,
         "outreach_localities": ["TOWN", "VILL"]},
    ),
    ("close_site", {"site_code": "T1"}, {"site_code": "T1"}),
    (
        "close_offer",
        {"offer": '["T1", "NSP", "on_site"]'},
        {"site_code": "T1", "option_code": "NSP", "delivery": "on_site"},
    ),
    (
        "change_offer",
        {"offer": '["C1", "NSP", "on_site"]', "waiting_weeks": "2.5"},
        {"site_code": "C1", "option_code": "NSP", "delivery": "on_site", "waiting_weeks": 2.5},
    ),
    (
        "add_outreach",
        {"outreach_offer": '["B1", "OST"]', "localities": ["TOWN"]},
        {"site_code": "B1", "option_code": "OST", "localities": ["TOWN"]},
    ),
    (
        "make_remote",
        {"site_code": "T1", "option_code": "OST", "capacity_per_week": "10"},
        {"site_code": "T1", "option_code": "OST", "capacity_per_week": 10},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "post", "stored"), CHANGE_POSTS, ids=[kind for kind, _, _ in CHANGE_POSTS])
def test_each_change_kind_through_its_form(client, hall, people, kind, post, stored):
    as_user(client, people["owner"])
    url = reverse("maps:scenario", args=[hall.pk])
    form = client.get(f"{url}?kind={kind}").content.decode()
    assert f'<input type="hidden" name="kind" value="{kind}">' in form
    response = client.post(url, {"kind": kind, **post})
    assert response.status_code == 302, response.content.decode()[:3000]
    change = hall.changes.get(position=3)
    assert (change.kind, change.values) == (kind, stored)


def test_removing_outreach_through_its_form(client, hall, people):
    add_change(
        scenario=hall, kind="add_outreach", values={"site_code": "B1", "option_code": "OST", "localities": ["TOWN"]}
    )
    as_user(client, people["owner"])
    url = reverse("maps:scenario", args=[hall.pk])
    client.post(url, {"kind": "remove_outreach", "outreach_offer": '["B1", "OST"]', "localities": ["VILL"]})
    assert hall.changes.get(position=4).values == {"site_code": "B1", "option_code": "OST", "localities": ["VILL"]}


def test_a_broken_rule_shows_at_its_field_keeps_the_input_and_writes_nothing(client, hall, people):
    as_user(client, people["owner"])
    url = reverse("maps:scenario", args=[hall.pk])
    post = {"kind": "add_offer", "site_code": "T1", "option_code": "OST", "delivery": "outreach"}
    post |= {"capacity_per_week": "7", "waiting_weeks": "-1"}
    response = client.post(url, post)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["outreach_localities"] == ["an outreach offer needs at least one locality code"]
    assert form.errors["waiting_weeks"] == ["cannot be negative"]
    page = response.content.decode()
    assert 'name="capacity_per_week" value="7"' in page and 'name="waiting_weeks" value="-1"' in page
    assert '<option value="outreach" selected>' in page
    assert hall.changes.count() == 2
    # a new provider without its kind: the import's rule, at the provider_kind field
    site = {"kind": "add_site", "code": "C9", "name": "Barn", "provider": "Newcomer", "lat": "50.7", "lon": "x"}
    response = client.post(url, site)
    assert response.context["form"].errors["lon"] == ["'x' is not a number"]
    response = client.post(url, {**site, "lon": "-2.2"})
    assert "give its provider_kind" in response.context["form"].errors["provider_kind"][0]
    assert 'name="name" value="Barn"' in response.content.decode()
    assert ScenarioChange.objects.filter(scenario=hall).count() == 2


def test_remove_a_change_and_a_refused_removal_says_why(client, hall, people):
    as_user(client, people["owner"])
    refused = client.post(reverse("maps:scenario-remove-change", args=[hall.pk, 1]), follow=True).content.decode()
    assert "Change 1 was not removed" in refused and "no site with code &#x27;C1&#x27;" in refused
    assert hall.changes.count() == 2
    client.post(reverse("maps:scenario-remove-change", args=[hall.pk, 2]))
    assert list(hall.changes.values_list("kind", flat=True)) == ["add_site"]


def test_create_a_scenario_on_another_and_a_blank_name_keeps_the_description(client, hall, people):
    as_user(client, people["other"])
    url = reverse("maps:scenarios")
    response = client.post(url, {"name": " ", "description": "Kept text", "base": hall.pk})
    assert response.status_code == 400 and "Kept text" in response.content.decode()
    response = client.post(url, {"name": "On the hall", "description": "", "base": hall.pk})
    child = Scenario.objects.get(name="On the hall")
    assert response["Location"] == reverse("maps:scenario", args=[child.pk])
    assert (child.owner, child.base) == (people["other"], hall)
    listing = client.get(url).content.decode()
    assert "On the hall" in listing and "Village hall NSP" in listing and "owner" in listing


def test_run_from_the_page_and_a_second_start_is_refused_with_the_reason(
    client, hall, people, sent_runs, django_capture_on_commit_callbacks
):
    as_user(client, people["other"])  # any commissioner may run a scenario
    url = reverse("maps:scenario-run", args=[hall.pk])
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url)
    run = ReachRun.objects.get(scenario=hall)
    assert run.status == RunStatus.QUEUED
    page = client.post(url, follow=True).content.decode()
    assert f"Not started: Run {run.pk} of" in page and "is already queued" in page
    assert "Refresh to see its progress" in page
    assert ReachRun.objects.filter(scenario=hall).count() == 1


def test_the_compare_page_shows_compare_runs_figures(client, closing, people):
    as_user(client, people["other"])
    response = client.get(reverse("maps:scenario-compare", args=[closing["scenario"].pk]))
    compared = response.context["compared"]
    expected = compare_runs(base=closing["base"], scenario_run=closing["run"])
    for key in (
        "people_gaining",
        "people_losing",
        "localities_gaining",
        "localities_losing",
        "equity_before",
        "equity_after",
    ):
        assert compared[key] == expected[key]
    assert [{k: row[k] for k in expected["localities"][0]} for row in compared["localities"]] == expected["localities"]
    # and those equal reach.equity run on each run's own figures
    assert compared["equity_after"] == equity_figures(run_figures(closing["run"]))
    assert compared["people_losing"] == 4000 and compared["losing"] == ["Town", "Village"]
    page = response.content.decode()
    assert '<dd id="people-losing">4,000 in 2 localities</dd>' in page
    before, after = expected["equity_before"], expected["equity_after"]
    assert f"{before['gini_expected_menu']:.4f}" in page and f"{after['mean_expected_menu']:.4f}" in page
    rows = response.context["rows"]
    assert [row["locality_code"] for row in rows] == ["TOWN", "VILL"]
    by_drop = client.get(f"{reverse('maps:scenario-compare', args=[closing['scenario'].pk])}?sort=population&dir=desc")
    assert [row["population"] for row in by_drop.context["rows"]] == [3000, 1000]


def test_the_comparison_csv_is_the_table_and_safe_in_a_spreadsheet(client, closing, people):
    Locality.objects.filter(code="TOWN").update(name='=HYPERLINK("x")')
    closing["run"].results.filter(locality_code="TOWN").update(locality_name='=HYPERLINK("x")')
    as_user(client, people["owner"])
    response = client.get(reverse("maps:scenario-compare-csv", args=[closing["scenario"].pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    expected = {
        row["locality_code"]: row
        for row in compare_runs(base=closing["base"], scenario_run=closing["run"])["localities"]
    }
    assert [row["locality_code"] for row in rows] == ["TOWN", "VILL"]
    for row in rows:
        for key, value in expected[row["locality_code"]].items():
            assert float(row[key]) == pytest.approx(value) if key != "locality_code" else row[key] == value
    assert rows[0]["locality_name"] == '\'=HYPERLINK("x")'


def test_no_comparison_without_runs(client, hall, people):
    as_user(client, people["owner"])
    page = client.get(reverse("maps:scenario-compare", args=[hall.pk])).content.decode()
    assert "has no succeeded run yet" in page
    assert client.get(reverse("maps:scenario-compare-csv", args=[hall.pk])).status_code == 409


def test_the_locality_page_shows_each_option_before_and_after(client, closing, people):
    as_user(client, people["owner"])
    url = reverse("maps:scenario-locality", args=[closing["scenario"].pk])
    response = client.get(f"{url}?locality=TOWN")
    detail = response.context["detail"]
    before = locality_reach(run=closing["base"], locality_code="TOWN")
    after = locality_reach(run=closing["run"], locality_code="TOWN")
    for option, was, now in zip(detail["options"], before["options"], after["options"], strict=True):
        assert option["code"] == was["code"] == now["code"]
        assert option["before"]["providers_without_car"] == was["providers_without_car"]
        assert option["after"]["providers_with_car"] == now["providers_with_car"]
    nsp = next(o for o in detail["options"] if o["code"] == "NSP")
    assert (nsp["before"]["providers_without_car"], nsp["after"]["providers_without_car"]) == (1, 0)
    assert nsp["changed"] and nsp["after"]["with_car_minutes"] is None
    assert client.get(f"{url}?locality=NOPE").status_code == 404


def test_hostile_names_are_text_on_every_scenario_page(client, small_world, people):
    Site.objects.filter(code="T1").update(name=XSS)
    Locality.objects.filter(code="VILL").update(name=XSS)
    scenario = create_scenario(name=XSS, owner=people["owner"], description=XSS)
    add_change(scenario=scenario, kind="add_site", values={**NEW_SITE, "name": XSS, "provider": XSS})
    add_change(
        scenario=scenario, kind="close_offer", values={"site_code": "T1", "option_code": "NSP", "delivery": "on_site"}
    )
    add_change(
        scenario=scenario, kind="add_outreach", values={"site_code": "B1", "option_code": "OST", "localities": ["TOWN"]}
    )
    run_of(), run_of(scenario)
    as_user(client, people["admin"])
    for name, url in page_urls(scenario).items():
        if name != "csv":  # a CSV file is not HTML (its formula cells are tested above)
            page = client.get(url).content.decode()
            assert "<script>alert" not in page, url
    page = client.get(reverse("maps:scenario", args=[scenario.pk])).content.decode()
    assert "Add site &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; (C1)" in page
    assert "Close offer of" in page and "at &lt;script&gt;" in page


def test_a_stored_change_that_no_longer_reads_is_still_listed(client, small_world, people):
    scenario = Scenario.objects.create(name="Old", owner=people["owner"])
    ScenarioChange.objects.create(scenario=scenario, position=1, kind="close_site", values={})
    as_user(client, people["owner"])
    page = client.get(reverse("maps:scenario", args=[scenario.pk]) + "?kind=close_site").content.decode()
    assert "Close a site: {}" in page


def test_changes_in_words(hall):
    from maps.scenario_selectors import describe_change, names_for  # noqa: PLC0415

    names = names_for(hall)
    words = {
        "add_offer": (
            {**NEW_OFFER, "option_code": "OST", "delivery": "outreach", "outreach_localities": ["TOWN", "VILL"]},
            "Add offer of OST outreach at Village hall (C1) (capacity 5 a week), held in Town, Village",
        ),
        "close_site": ({"site_code": "T1"}, f"Close site {Site.objects.get(code='T1').name} (T1)"),
        "change_offer": (
            {**NEW_OFFER, "capacity_per_week": None, "waiting_weeks": 2},
            "Change offer of NSP on site at Village hall (C1): capacity not known, wait 2 weeks",
        ),
        "remove_outreach": (
            {"site_code": "B1", "option_code": "OST", "localities": ["VILL"]},
            f"Stop outreach of OST from {Site.objects.get(code='B1').name} (B1) in Village",
        ),
        "make_remote": ({"site_code": "C1", "option_code": "OST"}, "Offer OST remotely from Village hall (C1)"),
    }
    for kind, (values, text) in words.items():
        assert describe_change(kind, values, names) == text.replace("OST", names.option("OST")).replace(
            "NSP", names.option("NSP")
        )
