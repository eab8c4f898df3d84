"""The equity map without a mouse: focus order, the skip link to the table, the legend in words, chart tables."""

import os

import pytest
from playwright.sync_api import expect

from tests.accessibility.pages import sign_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the focused element is, in words a failing assertion can show.
DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  const name = el.getAttribute("aria-label") || el.id || (el.textContent || "").trim().slice(0, 40);
  const box = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), name: name, inMap: !!el.closest("#equity-map"),
          visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0};
}"""


@pytest.fixture
def map_page(browser, live_server, world, users):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, "com")
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("html[data-map-painted]")
    page.wait_for_load_state("networkidle")
    yield page
    context.close()
    assert errors == []


def tab_through(page, stops: int) -> list[dict]:
    page.locator("body").focus()
    order = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        order.append(page.evaluate(DESCRIBE_FOCUS))
    return order


def test_the_maps_focus_order_offers_the_skip_links_first_and_every_stop_is_visible(map_page):
    order = tab_through(map_page, 30)
    names = [stop["name"] for stop in order]
    assert names[0] == "Skip to main content"
    assert "skip-to-table" in names
    skip = names.index("skip-to-table")
    # The way past the map comes before the map's controls and the map itself.
    first_in_map = next(i for i, stop in enumerate(order) if stop["inMap"])
    assert skip < names.index("run-select") < names.index("measure-select") < first_in_map
    assert skip < names.index("find-query")
    assert "Accessibility statement" in names  # the footer is reached after the map, not trapped in it
    # Everything that takes focus can be seen (the skip links appear when focused).
    assert [stop for stop in order if not stop["visible"]] == []


def test_a_keyboard_user_skips_to_the_table_and_opens_a_locality_on_the_map_from_it(map_page, live_server, world):
    page = map_page
    page.locator("body").focus()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "skip-to-table":
            break
    expect(page.locator("#skip-to-table")).to_be_focused()
    expect(page.locator("#skip-to-table")).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/map/table/?run={world['run'].pk}")
    expect(page.locator(".reach-table caption")).to_contain_text(f"Run {world['run'].pk}")

    # Tab on to the village's "Show" link and open it: the map opens on that locality's panel.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Show Village":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/map/?run=*&locality=VILL*")
    expect(page.locator("#panel-title")).to_have_text("Village (VILL)")


def test_the_legend_names_every_class_in_words(map_page):
    # The page sets no globals: read the main module's `inspect`, imported again from the page's URL.
    legend = map_page.evaluate(
        "async () => { const main = document.querySelector('script[data-map-main]').src;"
        " return (await import(main)).inspect.values.legend; }"
    )
    items = map_page.locator(".map-legend li")
    expected = [item["label"] for item in legend["classes"]] + [legend["no_data"]["label"]]
    assert all(label.strip() for label in expected)
    expect(items).to_have_text(expected)


def test_every_chart_has_a_table_of_its_figures(map_page, live_server, world):
    charts = map_page.evaluate(f"fetch('/map/api/runs/{world['run'].pk}/charts/').then((r) => r.json())")
    map_page.locator("summary", has_text="Chart figures as tables").press("Enter")
    tables = map_page.locator("#chart-tables table")
    expect(tables).to_have_count(map_page.locator(".charts figure canvas").count())
    rurality = tables.nth(0).locator("tbody tr")
    expect(rurality).to_have_count(len(charts["by_rurality"]))
    for row, group in zip(rurality.all(), charts["by_rurality"], strict=True):
        assert row.locator("td").nth(0).inner_text() == group["label"]
        assert float(row.locator("td").nth(2).inner_text()) == pytest.approx(group["mean_expected_menu"], abs=0.005)
    distribution = tables.nth(2).locator("tbody tr")
    assert [int(row.locator("td").nth(1).inner_text().replace(",", "")) for row in distribution.all()] == [
        round(bucket["people"]) for bucket in charts["distribution"]
    ]
