"""Property-based fuzzing (hypothesis) of every page's query parameters and of every import: whatever comes
in, the answer is a page, a 4xx or a named import problem, never a 500 or a traceback. The REST API's
operations are fuzzed from its OpenAPI schema by schemathesis in tests/api/test_api_fuzz.py.

Bounded (FUZZ_EXAMPLES per target, derandomized) so the suite stays fast; raise it for a longer hunt."""

import io
import json
import os
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reach.models import ReachRun

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Text a browser can put in a query string (no lone surrogates), with the troublemakers made likely.
hostile_text = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(["\x00", "²", "٣", "-1", "0", "1e308", "nan", "9" * 30, "'; drop table x; --", "%00", "<script>"]),
    st.integers().map(str),
)

# (role, path, the query parameters the page reads). Add a page here when one is added.
PAGES = [
    ("commissioner", "/map/", ["run", "measure", "option", "locality"]),
    ("commissioner", "/map/table/", ["run", "q", "sort", "dir", "page"]),
    ("commissioner", "/map/api/runs/", []),
    ("commissioner", "/map/api/runs/{run}/values/", ["measure", "option"]),
    ("commissioner", "/map/api/localities/", ["q"]),
    ("commissioner", "/map/api/shapes/", ["band", "cell", "v"]),
    ("commissioner", "/map/api/sites/", []),
    ("commissioner", "/map/api/unmet/", ["locality", "option"]),
    ("commissioner", "/map/runs/{run}/export.csv", []),
    ("commissioner", "/careplans/unmet/", ["option"]),
    ("commissioner", "/careplans/unmet.json", ["locality", "option"]),
    ("keyworker", "/careplans/", ["q", "status", "age_band", "locality", "review_before", "page"]),
    ("keyworker", "/careplans/people/new/", []),
    (
        None,
        "/openreferral/services",
        ["search", "taxonomy_term_id", "taxonomy_id", "organization_id", "page", "per_page"],
    ),
    (None, "/openreferral/organizations", ["page", "per_page"]),
    (None, "/accounts/login/", ["next"]),
]


@pytest.mark.parametrize("page", PAGES, ids=[path for _, path, _ in PAGES])
def test_no_query_string_makes_a_page_fail(client, users, world, page):
    role, path, names = page
    if role:
        client.force_login(users[role])
    url = path.format(run=ReachRun.objects.get().pk)

    @FUZZ
    @given(params=st.dictionaries(st.sampled_from(names + ["other"]), hostile_text, max_size=len(names) + 1))
    def check(params):
        response = client.get(f"{url}?{urlencode(params)}")
        assert response.status_code < 500, (url, params, response.status_code)

    check()


# --- imports ---------------------------------------------------------------------------------------

cell = st.one_of(hostile_text, st.sampled_from(["", "OST", "TOWN", "on_site", "outreach", "walk", "nhs", "50.7", "-2"]))


def csv_text(columns: list[str]):
    """A header that is usually right, rows of hostile cells, sometimes too many or too few of them."""
    header = st.one_of(st.just(columns), st.lists(st.sampled_from([*columns, "extra", ""]), max_size=len(columns) + 1))
    return st.tuples(header, st.lists(st.lists(cell, min_size=0, max_size=len(columns) + 1), max_size=4)).map(
        lambda parts: "\n".join(
            ",".join(json.dumps(v) if "," in v else v for v in row) for row in [parts[0], *parts[1]]
        )
    )


IMPORTS = {
    "import_options": ["code", "name", "category", "description"],
    "import_providers": ["name", "kind", "contact"],
    "import_catalogue": [
        "provider", "site_code", "site_name", "lat", "lon", "option_code", "delivery", "capacity_per_week",
        "waiting_weeks", "min_age", "max_age", "outreach_localities", "home_visit_km", "active", "provider_kind",
    ],
    "import_travel_times": ["locality_code", "site_code", "mode", "minutes"],
}  # fmt: skip


def imports_cleanly_or_names_problems(command: str, path) -> None:
    try:
        call_command(command, str(path), dry_run=True, stdout=io.StringIO())
    except CommandError as error:
        assert "nothing was written" in str(error)


@pytest.mark.parametrize("command", sorted(IMPORTS))
def test_no_csv_makes_an_import_fail_with_a_traceback(tmp_path, world, command):
    path = tmp_path / "fuzz.csv"

    @FUZZ
    @given(text=csv_text(IMPORTS[command]), encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    def check(text, encoding):
        path.write_bytes(text.encode(encoding, errors="replace"))
        imports_cleanly_or_names_problems(command, path)

    check()


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), hostile_text),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3),
    max_leaves=12,
)
polygon = st.just({"type": "Polygon", "coordinates": [[[-2, 50], [-2, 50.1], [-1.9, 50.1], [-2, 50]]]})
feature = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "feature"]),
        "properties": st.dictionaries(
            st.sampled_from(["code", "name", "population", "rurality", "imd_decile", "car_share", "origin_lat"]),
            json_value,
        ),
        "geometry": st.one_of(polygon, json_value),
    }
)


def test_no_geojson_makes_the_locality_import_fail_with_a_traceback(tmp_path, world):
    path = tmp_path / "fuzz.geojson"

    @FUZZ
    @given(
        document=st.one_of(
            st.fixed_dictionaries({"type": st.just("FeatureCollection"), "features": st.lists(feature, max_size=3)}),
            json_value,
        )
    )
    def check(document):
        path.write_text(json.dumps(document))
        imports_cleanly_or_names_problems("import_localities", path)

    check()


def test_no_json_makes_the_open_referral_import_fail_with_a_traceback(tmp_path, world):
    path = tmp_path / "fuzz.json"
    sections = ["organizations", "services", "locations", "service_at_locations", "taxonomies", "taxonomy_terms"]

    @FUZZ
    @given(
        document=st.one_of(
            st.dictionaries(
                st.sampled_from(sections), st.lists(st.dictionaries(hostile_text, json_value, max_size=4), max_size=2)
            ),
            json_value,
        )
    )
    def check(document):
        path.write_text(json.dumps(document))
        imports_cleanly_or_names_problems("import_openreferral", path)

    check()
