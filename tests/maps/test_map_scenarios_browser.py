"""Scenarios on the equity map in Debian's Chromium (Playwright), on the Dorset demo with a real Celery
worker: the base, scenario and difference views against the database, building a scenario on the map
(a site placed by a click, a site closed from its popup, outreach localities picked), running it, and
another commissioner who can only read it."""

import os

import pytest
from playwright.sync_api import expect

from accounts.roles import COMMISSIONER
from accounts.services import ensure_user
from areas.models import Locality
from reach.models import ChangeKind, LocalityResult, ReachRun, RunStatus, ScenarioChange
from reach.scenario_services import add_change, create_scenario
from reach.services import create_run, execute_run
from services.models import MenuOption, Site
from tests.accessibility.axe import audit, install_axe, report
from tests.maps.browser_pages import PASSWORD, screenshot, sign_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def commissioner():
    return ensure_user(username="commissioner", password=PASSWORD, role=COMMISSIONER)


def worst_served(run) -> Locality:
    """The locality whose expected menu is smallest: a new site there changes something."""
    return LocalityResult.objects.filter(run=run).order_by("expected_menu", "locality_code").first().locality


def village_clinic(run):
    """A scenario adding a clinic offering the whole menu at the worst-served locality, run at once."""
    locality = worst_served(run)
    scenario = create_scenario(name="Village clinic", owner=commissioner())
    add_change(
        scenario=scenario,
        kind=ChangeKind.ADD_SITE,
        values={
            "code": "NEW1",
            "name": "Village clinic",
            "provider": "Village health",
            "provider_kind": "voluntary",
            "lat": locality.origin.y,
            "lon": locality.origin.x,
        },
    )
    for code in run.option_codes:
        add_change(
            scenario=scenario,
            kind=ChangeKind.ADD_OFFER,
            values={"site_code": "NEW1", "option_code": code, "delivery": "on_site"},
        )
    scenario_run = execute_run(run_id=create_run(scenario=scenario).pk)
    assert scenario_run.status == RunStatus.SUCCEEDED, scenario_run.error
    return scenario, scenario_run, locality


def open_scenario(page, live_server, scenario, username="commissioner"):
    sign_in(page, live_server, username, next_url=f"/map/%3Fscenario%3D{scenario.pk}")
    page.wait_for_selector("html[data-map-painted]")
    page.evaluate(
        "async () => { const main = document.querySelector('script[data-map-main]').src;"
        " window.equityMap = (await import(main)).inspect; }"
    )
    page.wait_for_function(f"equityMap.scenario && equityMap.scenario.id === {scenario.pk}", timeout=20000)
    page.wait_for_load_state("networkidle")


def differences(base, run, field="expected_menu") -> dict[int, float]:
    before = dict(LocalityResult.objects.filter(run=base).values_list("locality_id", field))
    after = dict(LocalityResult.objects.filter(run=run).values_list("locality_id", field))
    return {pk: round(after[pk] - before[pk], 4) for pk in after}


def test_a_commissioner_opens_a_scenario_and_sees_the_difference_and_each_option_before_and_after(
    page, live_server, demo_run
):
    scenario, run, locality = village_clinic(demo_run)
    open_scenario(page, live_server, scenario)
    page.wait_for_function("equityMap.scenarioView === 'difference' && equityMap.values.class_index")
    assert page.is_checked("input[name=scenario-view][value=difference]")
    values = page.evaluate("equityMap.values")
    assert (values["run"], values["base_run"]) == (run.pk, demo_run.pk)
    expected = differences(demo_run, run)
    assert dict(zip(values["ids"], values["values"], strict=True)) == expected
    assert expected[locality.pk] > 0 and min(expected.values()) >= 0
    # Every locality is painted its class's colour; "no change" is the neutral middle class.
    legend = values["legend"]
    colours = page.evaluate(
        "Object.fromEntries(equityMap.choropleth.ids().map((id) => [id, equityMap.choropleth.colourOf(id)]))"
    )
    for locality_id, index in zip(values["ids"], values["class_index"], strict=True):
        item = legend["classes"][index]
        assert colours[str(locality_id)] == item["colour"]
        assert (item["label"] == "no change") == (expected[locality_id] == 0)
    legend_box = page.locator(".map-legend")
    for item in legend["classes"]:
        expect(legend_box).to_contain_text(item["label"])
    expect(legend_box).to_contain_text(f"minus its base (run {demo_run.pk})")
    expect(legend_box).to_contain_text("gains")

    # The panel: each figure and option before and after, as stored.
    page.fill("#find-query", locality.code)
    page.press("#find-query", "Enter")
    expect(page.locator("#panel-title")).to_have_text(f"{locality.name} ({locality.code})")
    before = LocalityResult.objects.get(run=demo_run, locality=locality)
    after = LocalityResult.objects.get(run=run, locality=locality)
    panel = page.locator("#locality-panel")
    for key in ("menu_without_car", "menu_with_car", "real_choice_without_car"):
        row = panel.locator(f"tr[data-figure={key}]")
        assert row.locator("[data-field=before]").inner_text() == str(getattr(before, key))
        assert row.locator("[data-field=after]").inner_text() == str(getattr(after, key))
    gained = after.menu_without_car - before.menu_without_car
    if gained:
        expect(panel.locator("tr[data-figure=menu_without_car] [data-field=change]")).to_have_text(f"gains {gained}")
    for k, code in enumerate(run.option_codes):
        section = panel.locator(f"section[data-option='{code}']")
        if after.providers_without_car[k] != before.providers_without_car[k]:
            expect(section.locator("[data-field=without-car-after]")).to_contain_text("(changed)")
            expect(section.locator("[data-field=changes]")).to_contain_text("without a car")
        else:
            expect(section.locator("[data-field=without-car-after]")).not_to_contain_text("(changed)")
    expect(panel).to_contain_text("Village clinic (Village health)")  # the new site, named in the panel
    screenshot(page, "map-scenario-difference")

    # The base and scenario views show those runs; times have no difference view and say why.
    page.check("input[name=scenario-view][value=base]")
    page.wait_for_function(f"equityMap.runId === {demo_run.pk} && equityMap.values.run === {demo_run.pk}")
    page.check("input[name=scenario-view][value=difference]")
    page.wait_for_function(f"equityMap.values.base_run === {demo_run.pk}")
    assert page.locator("#measure-select option[value=nearest_car_minutes]").is_disabled()
    expect(page.locator("#difference-note")).to_contain_text("no value where nothing is in reach")
    # The recent-runs list holds the catalogue's runs only.
    options = page.locator("#run-select option").all_inner_texts()
    assert any(f"Run {demo_run.pk} " in text for text in options)
    assert not any(f"Run {run.pk} " in text for text in options)


def click_map(page, lat, lon, zoom):
    """Centre the map on a place at a zoom, scroll the map into view, and click there."""
    page.evaluate(f"void equityMap.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_load_state("networkidle")
    page.evaluate("document.getElementById('equity-map').scrollIntoView({block: 'center'})")
    point = page.evaluate(f"equityMap.map.latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator("#equity-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def place_site_at(page, lat, lon):
    """Click the map at a place; the dialog opens with the clicked place's latitude and longitude."""
    click_map(page, lat, lon, 13)
    expect(page.locator("#site-dialog")).to_be_visible()
    placed = {"lat": float(page.input_value("#site-lat")), "lon": float(page.input_value("#site-lon"))}
    # Within a pixel of the place clicked (at zoom 13 a pixel is about 0.0002° here).
    assert placed["lat"] == pytest.approx(lat, abs=3e-4) and placed["lon"] == pytest.approx(lon, abs=3e-4)
    return placed


@pytest.mark.worker
def test_the_owner_builds_a_scenario_on_the_map_runs_it_and_sees_the_difference(page, live_server, demo_run, worker):
    scenario = create_scenario(name="Built on the map", owner=commissioner())
    locality = worst_served(demo_run)
    option = MenuOption.objects.get(code=demo_run.option_codes[0])
    open_scenario(page, live_server, scenario)
    expect(page.locator("#scenario-tools")).to_be_visible()
    page.get_by_label("Sites").uncheck()  # the clicks below land on the localities

    # Place a site by clicking the map; the API's errors are shown next to the fields and the input stays.
    page.click("#place-site")
    expect(page.locator("#place-site")).to_have_attribute("aria-pressed", "true")
    clicked = place_site_at(page, locality.origin.y + 0.002, locality.origin.x + 0.002)
    page.fill("#site-code", "MAP1")
    page.fill("#site-provider", "Village health")
    page.select_option("#site-provider_kind", "voluntary")  # a new provider needs its kind
    page.check(f"tr[data-option='{option.code}'] input[type=checkbox]")
    page.click("#site-form button[type=submit]")
    expect(page.locator("#site-error-name")).to_have_text("is required")
    assert page.input_value("#site-code") == "MAP1"
    assert not ScenarioChange.objects.filter(scenario=scenario).exists()
    page.fill("#site-name", "Clinic on the map")
    page.click("#site-form button[type=submit]")
    expect(page.locator("#site-dialog")).to_be_hidden()
    expect(page.locator("#scenario-status")).to_contain_text("Added site MAP1")
    site_change, offer_change = ScenarioChange.objects.filter(scenario=scenario).order_by("position")
    assert site_change.kind == ChangeKind.ADD_SITE
    assert (site_change.values["lat"], site_change.values["lon"]) == (clicked["lat"], clicked["lon"])
    assert offer_change.values == {"site_code": "MAP1", "option_code": option.code, "delivery": "on_site"}
    expect(page.locator(".new-site-marker")).to_have_count(1)
    assert "new in scenario" in page.get_attribute(".new-site-marker", "title")
    page.click("#place-site")  # stop placing

    # Close a site from its popup.
    page.get_by_label("Sites").check()
    site = Site.objects.filter(active=True).order_by("code").first()
    page.evaluate(f"void equityMap.map.setView([{site.location.y}, {site.location.x}], 16, {{animate: false}})")
    page.wait_for_load_state("networkidle")
    page.locator(f".site-marker[title^='{site.name} (']").first.click()
    page.get_by_role("button", name="Close this site in Built on the map").click()
    expect(page.locator("#scenario-status")).to_contain_text(f"Closed site {site.name}")
    assert ScenarioChange.objects.get(scenario=scenario, kind=ChangeKind.CLOSE_SITE).values == {"site_code": site.code}
    closed = page.locator(".site-marker.closed-site[title*='closed in scenario']")
    expect(closed).to_have_count(1)

    # Pick outreach localities: one by clicking the map, one from the keyboard-usable list.
    page.get_by_label("Sites").uncheck()
    page.click("#pick-outreach")
    other = Locality.objects.exclude(pk=locality.pk).order_by("code").first()
    page.fill("#outreach-query", other.code)
    page.click("#outreach-find")
    page.locator("#outreach-results button").first.click()
    expect(page.locator("#outreach-picked")).to_contain_text(other.name)
    clicked_locality = Locality.objects.get(name="Dorchester 02")  # away from the new site's marker
    inside = clicked_locality.geometry_coarse.intersection(clicked_locality.geometry_simplified).point_on_surface
    click_map(page, inside.y, inside.x, 12)
    expect(page.locator("#outreach-picked")).to_contain_text(clicked_locality.name)
    page.select_option("#outreach-site", "MAP1")
    page.select_option("#outreach-option", demo_run.option_codes[-1])
    page.click("#outreach-form button[type=submit]")
    expect(page.locator("#scenario-status")).to_contain_text("Added outreach")
    outreach = ScenarioChange.objects.filter(scenario=scenario).order_by("position").last()
    assert outreach.kind == ChangeKind.ADD_OFFER and outreach.values["delivery"] == "outreach"
    assert sorted(outreach.values["outreach_localities"]) == sorted([clicked_locality.code, other.code])
    expect(page.locator("#scenario-change-count")).to_have_text("4")

    # Run it on the worker: progress, then the difference view of the new run.
    page.click("#run-scenario")
    page.wait_for_function(
        "equityMap.scenarioView === 'difference' && equityMap.values && equityMap.values.class_index"
        " && equityMap.scenario.run",
        timeout=60000,
    )
    run = ReachRun.objects.get(scenario=scenario)
    assert run.status == RunStatus.SUCCEEDED and run.started_by.username == "commissioner"
    assert page.evaluate("equityMap.values.run") == run.pk
    expect(page.locator("#scenario-status")).to_contain_text("finished")
    assert dict(zip(*page.evaluate("[equityMap.values.ids, equityMap.values.values]"), strict=True)) == differences(
        demo_run, run
    )
    screenshot(page, "map-scenario-built")


def test_another_commissioner_reads_the_scenario_but_cannot_change_it(page, live_server, demo_run):
    scenario, _run, _locality = village_clinic(demo_run)
    ensure_user(username="second", password=PASSWORD, role=COMMISSIONER)
    open_scenario(page, live_server, scenario, username="second")
    expect(page.locator("#scenario-readonly")).to_be_visible()
    expect(page.locator("#scenario-tools")).to_be_hidden()
    expect(page.locator("#place-site")).to_be_hidden()
    site = Site.objects.filter(active=True).order_by("code").first()
    page.evaluate(f"void equityMap.map.setView([{site.location.y}, {site.location.x}], 16, {{animate: false}})")
    page.wait_for_load_state("networkidle")
    page.locator(f".site-marker[title^='{site.name} (']").first.click()
    expect(page.locator(".leaflet-popup")).to_be_visible()
    expect(page.locator(".leaflet-popup button.close-site")).to_have_count(0)
    # The API refuses too, whatever the page shows.
    status = page.evaluate(
        f"""async () => (await fetch('/api/v1/scenarios/{scenario.pk}/changes/', {{method: 'POST',
        headers: {{'Content-Type': 'application/json',
                   'X-CSRFToken': document.querySelector('[name=csrfmiddlewaretoken]').value}},
        body: JSON.stringify({{kind: 'close_site', values: {{site_code: '{site.code}'}}}})}})).status"""
    )
    assert status == 403
    assert not ScenarioChange.objects.filter(scenario=scenario, kind=ChangeKind.CLOSE_SITE).exists()


def test_the_scenario_controls_work_from_the_keyboard(page, live_server, demo_run):
    scenario = create_scenario(name="Keyboard", owner=commissioner())
    open_scenario(page, live_server, scenario)
    page.focus("#place-site")
    page.keyboard.press("Enter")
    expect(page.locator("#place-site")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "type-coordinates"
    page.keyboard.press("Enter")
    expect(page.locator("#site-dialog")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "site-code"
    page.keyboard.type("KB1")
    page.keyboard.press("Escape")
    expect(page.locator("#site-dialog")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "type-coordinates"  # focus returns to the opener
    page.keyboard.press("Enter")
    assert page.input_value("#site-code") == "KB1"  # nothing typed is lost
    page.keyboard.press("Escape")
    page.focus("#place-site")
    page.keyboard.press("Enter")  # stop placing

    page.focus("#pick-outreach")
    page.keyboard.press("Enter")
    expect(page.locator("#outreach-form")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "outreach-query"
    locality = Locality.objects.order_by("code").first()
    page.keyboard.type(locality.code)
    page.keyboard.press("Enter")
    expect(page.locator("#outreach-results button").first).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#outreach-picked")).to_contain_text(locality.name)
    page.keyboard.press("Escape")
    expect(page.locator("#outreach-form")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "pick-outreach"
    # The views are radio buttons: arrow keys move between them.
    page.focus("#scenario-select")
    assert page.evaluate("document.activeElement.id") == "scenario-select"


def test_the_owners_scenario_tools_the_site_dialog_and_the_outreach_form_meet_wcag_22_aa(page, live_server, demo_run):
    """axe (tests/accessibility) on what only the owner sees, opened: the page-wide walk sees them closed."""
    install_axe(page.context)
    scenario, _run, locality = village_clinic(demo_run)
    open_scenario(page, live_server, scenario)
    page.wait_for_function("equityMap.scenarioView === 'difference' && equityMap.values.class_index")
    path = f"/map/?scenario={scenario.pk}"
    page.click(".scenario-changes summary")  # the changes, each with its Remove button
    findings = audit(page, role="commissioner (owner)", path=path)
    page.fill("#find-query", locality.code)
    page.press("#find-query", "Enter")
    expect(page.locator("#panel-title")).to_have_text(f"{locality.name} ({locality.code})")
    page.click("#pick-outreach")
    page.fill("#outreach-query", locality.code)
    page.click("#outreach-find")
    page.locator("#outreach-results button").first.click()
    findings += audit(page, role="commissioner (owner)", path=f"{path} (panel, outreach form)")
    page.click("#outreach-cancel")
    page.click("#place-site")
    page.click("#type-coordinates")
    page.click("#site-form button[type=submit]")  # with the API's field errors shown
    expect(page.locator("#site-error-code")).to_be_visible()
    findings += audit(page, role="commissioner (owner)", path=f"{path} (new-site dialog)")
    assert not findings, report(findings)


def test_the_owner_removes_a_change_unless_a_later_one_needs_it(page, live_server, demo_run):
    scenario = create_scenario(name="Undo", owner=commissioner())
    site = {
        "code": "UND1",
        "name": "Undo clinic",
        "provider": "Undo health",
        "provider_kind": "voluntary",
        "lat": 50.7,
        "lon": -2.4,
    }
    add_change(scenario=scenario, kind=ChangeKind.ADD_SITE, values=site)
    offer = {"site_code": "UND1", "option_code": demo_run.option_codes[0], "delivery": "on_site"}
    add_change(scenario=scenario, kind=ChangeKind.ADD_OFFER, values=offer)
    open_scenario(page, live_server, scenario)
    page.click(".scenario-changes summary")
    page.get_by_role("button", name="Remove change 1: Add site Undo clinic (UND1)").click()
    expect(page.locator("#scenario-status")).to_contain_text("Change 1 stays")
    assert scenario.changes.count() == 2
    page.get_by_role("button", name="Remove change 2: Add").click()
    expect(page.locator("#scenario-status")).to_contain_text("Removed change 2")
    expect(page.locator("#scenario-change-count")).to_have_text("1")
    assert list(scenario.changes.values_list("kind", flat=True)) == [ChangeKind.ADD_SITE]
