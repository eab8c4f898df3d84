"""Unmet preference on the equity map, in Debian's Chromium: the layer and the panel section show
careplans' protected publication, for commissioners only.

The demo's 80 people are spread over 43 localities, none with 8 or more, so every one of them is in OTHER.
The fixture records 20 more people in each of three demo localities, through the keyworker services, so
that some localities are shown on their own, and publishes (as a superuser, before the minimum
interval). That the endpoint serves exactly careplans' publication is tested in test_map_unmet.py;
here the page's copy is checked against the raw counts.
"""

import datetime
import os

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from areas.models import Locality
from careplans.models import PublicationTrigger
from careplans.selectors import preferred_reach_snapshot
from careplans.services import Actor, ChoiceFields, create_service_user, publish, record_choice
from careplans.unmet import ALL, OTHER, latest_choices
from services.models import MenuOption
from tests.careplans.test_unmet import counted
from tests.maps.browser_pages import ARTIFACTS, open_map, screenshot, sign_in

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # as test_map_browser: Playwright's sync API runs an event loop
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOWN = ["Dorchester 02", "Bridport 01", "Weymouth 01"]
LOAD_MS = 600_000  # protecting the demo's publication takes tens of seconds, minutes on a busy machine


@pytest.fixture
def recorded(demo_run) -> None:
    """In each of SHOWN: 10 people preferred an option out of reach without a car, 10 one within reach."""
    keyworker = User.objects.get(username="keyworker")
    actor = Actor(user=keyworker, path="test")
    day = datetime.date(2025, 3, 10)
    options = list(MenuOption.objects.filter(active=True).order_by("display_order", "code"))
    for name in SHOWN:
        home = Locality.objects.get(name=name)
        reach = {o: preferred_reach_snapshot(locality=home, option=o).reachable_without_car for o in options}
        out_of_reach = next(o for o in options if reach[o] is False)
        within_reach = next(o for o in options if reach[o])
        for preferred in [out_of_reach] * 10 + [within_reach] * 10:
            person = create_service_user(actor=actor, keyworker=keyworker, age_band="25_34", home_locality=home)
            record_choice(
                actor=actor,
                service_user=person,
                fields=ChoiceFields(
                    discussed_on=day,
                    options_discussed=[],
                    preferred_option=preferred,
                    agreed_option=preferred,
                    joint_decision=True,
                    review_on=day + datetime.timedelta(weeks=6),
                ),
            )
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    publish(actor=Actor(user=admin, path="test"), trigger=PublicationTrigger.FORCED)


def marked(page) -> dict[int, dict]:
    return {int(k): v for k, v in page.evaluate("Object.fromEntries(equityMap.unmet.marked)").items()}


def expected_marks(publication: dict, legend: dict, key: str) -> dict[int, str]:
    ids = dict(Locality.objects.values_list("code", "pk"))
    marks = {}
    for loc in publication["localities"]:
        if loc["code"] == OTHER:
            continue
        value = loc["options"][key]["not_reachable"]
        category = "suppressed"
        if value is not None:
            category = f"class-{max(i for i, item in enumerate(legend['classes']) if value >= item['min'])}"
        marks[ids[loc["code"]]] = category
    for loc in publication["pooled_localities"]:
        marks[ids[loc["code"]]] = "pooled"
    return marks


def panel_screenshot(page, name: str):
    """The panel scrolled to its unmet-preference section."""
    page.evaluate("document.getElementById('unmet-section').scrollIntoView()")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#locality-panel").screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_locality(page, code: str):
    page.fill("#find-query", code)
    page.press("#find-query", "Enter")
    expect(page.locator("#panel-title")).to_contain_text(f"({code})")


def published_cells(publication: dict) -> dict[tuple[str, str, str], int | None]:
    cells = {
        (ALL, option, measure): value for option, cell in publication["area"].items() for measure, value in cell.items()
    }
    return cells | {
        (loc["code"], option, measure): value
        for loc in publication["localities"]
        for option, cell in loc["options"].items()
        for measure, value in cell.items()
    }


def test_the_commissioner_sees_the_unmet_layer_and_panel_section(page, live_server, recorded):
    counts = counted().counts
    options = list(MenuOption.objects.order_by("display_order", "code").values_list("code", "name"))
    open_map(page, live_server)

    # The layer is in the switch, off until chosen.
    switch = page.get_by_label("Unmet preference")
    expect(switch).not_to_be_checked()
    switch.check()
    page.wait_for_function("equityMap.unmet.data !== null && equityMap.unmet.shownKey === 'ALL'", timeout=LOAD_MS)
    data = page.evaluate("equityMap.unmet.data")
    publication = data["publication"]
    shown = [loc for loc in publication["localities"] if loc["code"] != OTHER]
    shown_names = {loc["name"] for loc in shown}
    assert set(SHOWN) <= shown_names  # the fixture's localities, beside the demo's own towns and villages
    # Every other locality is in OTHER, with people or none, and listed only as the map's locality codes.
    assert {loc["code"] for loc in publication["pooled_localities"]} == set(
        Locality.objects.exclude(name__in=shown_names).values_list("code", flat=True)
    )
    assert [(o["code"], o["name"]) for o in publication["options"]] == options
    cells = published_cells(publication)
    assert set(cells) == set(counts)
    small = [key for key, count in counts.items() if 1 <= count <= 7]
    assert small and all(cells[key] is None for key in small)  # no count of 1 to 7 reached the page
    assert marked(page) and {k: v["category"] for k, v in marked(page).items()} == expected_marks(
        publication, data["legends"][ALL], ALL
    )
    assert page.evaluate("equityMap.unmet.canvas.size()") == len(marked(page))
    assert page.evaluate("equityMap.map.hasLayer(equityMap.unmet.canvas)")
    legend = page.locator(".unmet-legend")
    expect(legend).to_contain_text("Fewer than 8 / suppressed")
    expect(legend).to_contain_text("Pooled with other small localities")
    expect(legend.locator("[data-unmet-option]")).to_have_text("all options")
    for item in data["legends"][ALL]["classes"]:
        expect(legend).to_contain_text(item["label"])
    # A suppressed count is never drawn or read as 0.
    for mark in marked(page).values():
        assert (mark["category"] == "suppressed") == (mark["value"] is None and mark["category"] != "pooled")
    screenshot(page, "map-unmet-layer")

    # The option chosen in the map's option selector is the layer's option.
    # An option someone in a shown locality preferred (its count shown or suppressed, not 0).
    option = next(
        o for o in publication["options"] if any(loc["options"][o["code"]]["preferred"] != 0 for loc in shown)
    )
    page.select_option("#measure-select", "providers_without_car")
    page.select_option("#option-select", option["code"])
    page.wait_for_function(f"equityMap.unmet.shownKey === {option['code']!r}")
    expect(legend.locator("[data-unmet-option]")).to_have_text(option["name"])
    assert {k: v["category"] for k, v in marked(page).items()} == expected_marks(
        publication, data["legends"][option["code"]], option["code"]
    )
    page.select_option("#measure-select", "expected_menu")  # no option: all options again
    page.wait_for_function("equityMap.unmet.shownKey === 'ALL'")

    # The panel section of a locality shown on its own: every protected value, suppressed as text.
    dorchester = next(loc for loc in shown if loc["name"] == "Dorchester 02")
    open_locality(page, dorchester["code"])
    section = page.locator("#unmet-section")
    expect(section.locator("[data-unmet-status=shown]")).to_be_visible()
    option_names = {o["code"]: o["name"] for o in publication["options"]} | {ALL: "All options"}
    rows = {code: cell for code, cell in dorchester["options"].items() if code == ALL or cell["preferred"] != 0}
    expect(section.locator("tbody[data-unmet-option]")).to_have_count(len(rows))
    seen_suppressed = False
    for code, cell in rows.items():
        group = section.locator(f"tbody[data-unmet-option='{code}']")
        expect(group.locator("th")).to_have_text(option_names[code])
        for measure in ["preferred", "not_reachable", "agreed_different"]:
            shown_cell = group.locator(f"td[data-measure={measure}]")
            if cell[measure] is None:
                expect(shown_cell).to_have_text("suppressed")
                seen_suppressed = True
            else:
                expect(shown_cell).to_have_text(f"{cell[measure]:,}")
        for reason in [m["code"] for m in publication["measures"] if m["code"].startswith("reason_")]:
            if cell["agreed_different"] != 0 and cell[reason] != 0:
                text = group.locator(f"[data-measure={reason}]").inner_text()
                assert text.endswith("suppressed" if cell[reason] is None else f" {cell[reason]:,}"), text
    assert seen_suppressed  # the demo's small counts are there, and shown as suppressed
    expect(section.locator("#unmet-csv")).to_have_attribute("href", "/careplans/unmet.csv")
    panel_screenshot(page, "map-unmet-panel")

    # A locality with a few people and one with none read the same: both are in OTHER.
    people = {row["home_locality__code"] for row in latest_demo_choices()}
    few = Locality.objects.exclude(name__in=shown_names).filter(code__in=people).order_by("name").first()
    none = Locality.objects.exclude(code__in=people).order_by("name").first()
    assert few and none
    for locality in (few, none):
        open_locality(page, locality.code)
        expect(section.locator("[data-unmet-status=pooled]")).to_contain_text("Pooled with other small localities")
        expect(section.locator("[data-unmet-status=none]")).to_have_count(0)
    panel_screenshot(page, "map-unmet-panel-pooled")


def latest_demo_choices():
    return latest_choices(cutoff=timezone.now())


def test_the_keyworker_never_sees_unmet_preference(page, live_server, demo_run):
    sign_in(page, live_server, "keyworker", next_url="/")
    page.wait_for_url(f"{live_server.url}/")
    assert "Unmet preference" not in page.content()
    for url in ["/map/", "/map/api/unmet/", "/careplans/unmet.json", "/careplans/unmet.csv"]:
        response = page.request.get(f"{live_server.url}{url}")
        assert response.status == 403, url
        assert b"not_reachable" not in response.body(), url
    page.goto(f"{live_server.url}/map/")
    assert page.locator("#equity-map").count() == 0 and page.get_by_label("Unmet preference").count() == 0
    screenshot(page, "map-unmet-keyworker-refused")
