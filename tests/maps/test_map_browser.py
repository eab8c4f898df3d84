"""The equity map in Debian's Chromium (Playwright), against the Dorset demo and a real Celery worker."""

import os

import psycopg2
import pytest
from django.db import connection
from playwright.sync_api import expect

from areas.models import Locality
from maps.measures import MEASURES
from reach.models import LocalityResult, ReachProfile, ReachRun, RunStatus
from reach.selectors import run_provenance_text
from reach.services import create_run, enqueue_run
from tests.maps.browser_pages import open_map, screenshot, sign_in

# Playwright's sync API runs an event loop in this thread; the ORM calls here are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shape_colours(page) -> dict[int, str]:
    return {
        int(k): v
        for k, v in page.evaluate(
            "Object.fromEntries(equityMap.choropleth.ids().map((id) => [id, equityMap.choropleth.colourOf(id)]))"
        ).items()
    }


def drawn_pixel(page, lat: float, lon: float) -> str:
    """The colour the choropleth canvas holds at a place, as #rrggbb."""
    return page.evaluate(
        """([lat, lon]) => {
      const shapes = equityMap.choropleth, point = equityMap.map.latLngToLayerPoint([lat, lon]);
      const [r, g, b] = shapes._container.getContext("2d").getImageData(
        Math.round(point.x - shapes._bounds.min.x), Math.round(point.y - shapes._bounds.min.y), 1, 1).data;
      return "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
    }""",
        [lat, lon],
    )


def expected_colour(legend: dict, value) -> str:
    if value is None:
        return legend["no_data"]["colour"]
    colour = legend["classes"][0]["colour"]
    for item in legend["classes"]:
        if value >= item["min"]:
            colour = item["colour"]
    return colour


def assert_colours_follow(page, run, field: str, option_index: int | None = None):
    legend = page.evaluate("equityMap.values.legend")
    colours = shape_colours(page)
    results = LocalityResult.objects.filter(run=run)
    assert set(colours) == {r.locality_id for r in results}
    for result in results:
        value = getattr(result, field)
        if option_index is not None:
            value = value[option_index]
        assert colours[result.locality_id] == expected_colour(legend, value), result.locality_code


def test_the_map_draws_one_shape_per_locality_and_the_panel_shows_the_databases_figures(page, live_server, demo_run):
    open_map(page, live_server)
    n_results = LocalityResult.objects.filter(run=demo_run).count()
    assert n_results == Locality.objects.count() > 50
    assert page.evaluate("equityMap.choropleth.size()") == n_results
    assert set(page.evaluate("equityMap.choropleth.ids()")) == set(
        LocalityResult.objects.filter(run=demo_run).values_list("locality_id", flat=True)
    )
    assert page.get_attribute("html", "data-map-painted") == str(n_results)
    expect(page.locator(".map-legend h3")).to_have_text(MEASURES["expected_menu"].label)
    expect(page.locator("#equity-cards .card")).to_have_count(5)
    assert_colours_follow(page, demo_run, "expected_menu")

    # Click a named locality where it is drawn, with the site markers switched off.
    locality = Locality.objects.get(name="Dorchester 02")
    inside = locality.geometry_coarse.intersection(locality.geometry_simplified).point_on_surface
    page.get_by_label("Sites").uncheck()
    page.evaluate(f"void equityMap.map.setView([{inside.y}, {inside.x}], 12, {{animate: false}})")
    page.wait_for_load_state("networkidle")
    point = page.evaluate(f"equityMap.map.latLngToContainerPoint([{inside.y}, {inside.x}])")
    box = page.locator("#equity-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    expect(page.locator("#panel-title")).to_have_text(f"{locality.name} ({locality.code})")
    page.wait_for_timeout(100)  # the next animation frame draws the selection outline
    assert drawn_pixel(page, inside.y, inside.x) == shape_colours(page)[locality.pk]  # drawn, not just listed

    result = LocalityResult.objects.get(run=demo_run, locality=locality)
    panel = page.locator("#locality-panel")
    field = lambda name: panel.locator(f"[data-field={name}]").first.inner_text()  # noqa: E731
    assert field("population") == f"{result.population:,}"
    assert field("menu_without_car") == str(result.menu_without_car)
    assert field("menu_with_car") == str(result.menu_with_car)
    assert field("expected_menu") == f"{result.expected_menu:.2f}"
    assert field("real_choice_without_car") == str(result.real_choice_without_car)
    assert field("real_choice_with_car") == str(result.real_choice_with_car)
    # what the figures rest on, in the panel as in the legend (the demo is crow-fly, labelled as estimates)
    demo_run.refresh_from_db()
    assert field("travel") == f"Travel times: {run_provenance_text(demo_run)}"
    assert "crow-fly estimates" in field("travel")
    assert field("imd_decile") == str(locality.imd_decile)
    for k, code in enumerate(demo_run.option_codes):
        row = panel.locator(f"tr[data-option='{code}']")
        assert row.locator("[data-field=providers_without_car]").get_attribute("data-value") == str(
            result.providers_without_car[k]
        )
        assert row.locator("[data-field=providers_with_car]").get_attribute("data-value") == str(
            result.providers_with_car[k]
        )
        minutes = result.nearest_car_minutes[k]
        if minutes is not None:
            assert f"{minutes:.1f} min by car" in row.locator("[data-field=nearest_car]").inner_text()
    screenshot(page, "map-panel")


def test_the_panel_is_reachable_from_the_keyboard(page, live_server, demo_run):
    open_map(page, live_server)
    page.focus("#find-query")
    page.keyboard.type("Bridport 01")
    page.keyboard.press("Enter")
    expect(page.locator("#panel-title")).to_contain_text("Bridport 01")
    assert page.evaluate("document.activeElement.id") == "locality-panel"
    bridport = Locality.objects.get(name="Bridport 01")
    assert f"locality={bridport.code}" in page.url  # a link to this view
    page.keyboard.press("Escape")
    expect(page.locator("#locality-panel")).to_be_hidden()
    assert page.evaluate("document.activeElement.id") == "find-query"
    assert "locality=" not in page.url

    # The table view's "Show" links open the map with the panel open.
    page.goto(f"{live_server.url}/map/table/?q=Bridport+01")
    page.get_by_role("link", name="Show Bridport 01").click()
    expect(page.locator("#panel-title")).to_have_text(f"Bridport 01 ({bridport.code})")


def test_the_measure_selector_recolours_the_map(page, live_server, demo_run):
    open_map(page, live_server)
    before = shape_colours(page)
    expect(page.locator("#option-select")).to_be_hidden()
    page.select_option("#measure-select", "menu_without_car")
    expect(page.locator(".map-legend h3")).to_have_text(MEASURES["menu_without_car"].label)
    assert_colours_follow(page, demo_run, "menu_without_car")
    assert shape_colours(page) != before

    page.select_option("#measure-select", "nearest_car_minutes")
    code = demo_run.option_codes[2]
    page.select_option("#option-select", code)
    expect(page.locator(".map-legend h3")).to_have_text(MEASURES["nearest_car_minutes"].label)
    page.wait_for_function(f"equityMap.values.measure.option === {code!r}")
    assert_colours_follow(page, demo_run, "nearest_car_minutes", demo_run.option_codes.index(code))
    assert f"measure=nearest_car_minutes&option={code}" in page.url
    screenshot(page, "map-measure")


@pytest.fixture
def locked_localities():
    """Hold the localities table from a session of its own, so a run waits before loading them."""
    session = psycopg2.connect(**connection.get_connection_params())
    session.cursor().execute("LOCK TABLE areas_locality IN ACCESS EXCLUSIVE MODE")
    yield session.rollback
    session.rollback()
    session.close()


@pytest.mark.worker
def test_recompute_shows_progress_then_the_new_results(page, live_server, demo_run, worker, request):
    open_map(page, live_server)
    ReachProfile.objects.filter(is_default=True).update(car_minutes=8, pt_minutes=20)  # results will change
    release = request.getfixturevalue("locked_localities")
    runs_before = list(ReachRun.objects.values_list("pk", flat=True))
    page.click("#recompute")
    expect(page.locator("#run-progress")).to_be_visible()
    expect(page.locator("#run-status")).to_contain_text("running")
    new_run = ReachRun.objects.exclude(pk__in=runs_before).get()
    assert new_run.status == RunStatus.RUNNING and new_run.started_by.username == "commissioner"
    screenshot(page, "map-recompute-running")
    release()

    page.wait_for_function(f"equityMap.runId === {new_run.pk} && equityMap.values.run === {new_run.pk}", timeout=30000)
    expect(page.locator("#run-status")).to_contain_text("finished")
    expect(page.locator("#run-progress")).to_be_hidden()
    assert page.input_value("#run-select") == str(new_run.pk)
    new_run.refresh_from_db()
    assert new_run.status == RunStatus.SUCCEEDED
    assert_colours_follow(page, new_run, "expected_menu")
    old = dict(LocalityResult.objects.filter(run=demo_run).values_list("locality_id", "expected_menu"))
    new = dict(LocalityResult.objects.filter(run=new_run).values_list("locality_id", "expected_menu"))
    assert old != new
    assert f"run={new_run.pk}" in page.url
    screenshot(page, "map-recompute-done")


@pytest.mark.worker
def test_a_failed_run_shows_its_error_and_keeps_the_map(page, live_server, demo_run, worker):
    bad = create_run()
    ReachRun.objects.filter(pk=bad.pk).update(params={**bad.params, "car_kmh": "fast"})
    open_map(page, live_server, settle=False)
    expect(page.locator("#run-status")).to_contain_text(f"Run {bad.pk}")  # the page follows the queued run
    enqueue_run(run=bad)
    expect(page.locator("#map-error")).to_contain_text(f"Run {bad.pk} failed", timeout=30000)
    assert page.evaluate("equityMap.runId") == demo_run.pk
    assert page.evaluate("equityMap.choropleth.size()") == Locality.objects.count()


def test_the_keyworker_is_refused(page, live_server, demo_run):
    sign_in(page, live_server, "keyworker", next_url="/")
    page.wait_for_url(f"{live_server.url}/")
    response = page.goto(f"{live_server.url}/map/")
    assert response.status == 403
    assert page.locator("#equity-map").count() == 0
    screenshot(page, "map-keyworker-refused")
