"""Reads for the equity map, built on reach.selectors: drawing geometry, measure values, panels, charts."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.gis.db.models import Extent
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Floor

from areas.models import Locality, Rurality
from careplans.unmet import OTHER
from choicemap.versions import tables_version
from reach.models import ChangeKind, LocalityResult, ReachProfile, ReachRun, RunStatus, Scenario
from reach.scenario_catalogue import ScenarioInvalid, clean_change
from reach.scenario_selectors import base_run_for, chain_changes, scenario_catalogue
from reach.selectors import current_run, option_detail, run_provenance_text
from services.models import Delivery, MenuOption, Site, SiteOffer

from .measures import DIFFERENCE_DIGITS, Measure, difference_classes, legend_classes, protected_count_classes

# Localities drawn from the coarse band below this zoom and from geometry_simplified at or above it.
DETAIL_ZOOM = 10
# Detailed geometry is sent per grid cell of this many degrees (a locality belongs to the cell of its origin).
DETAIL_CELL_DEGREES = 0.5
# Encoded-polyline precision: 4 digits ≈ 10 m, 5 digits ≈ 1 m.
BAND_PRECISION = {"coarse": 4, "detail": 5}
RECENT_RUNS = 20
CACHE_SECONDS = 24 * 3600
ACTIVE_STATUSES = [RunStatus.QUEUED, RunStatus.RUNNING]


# ---- drawing geometry ----------------------------------------------------------------------


def _cached_gzipped(key: str, build: Callable[[], bytes]) -> bytes:
    """Large JSON bodies are cached compressed: compressing them per request costs more than sending."""
    body = cache.get(key)
    if body is None:
        body = gzip.compress(build(), compresslevel=6)
        cache.set(key, body, timeout=CACHE_SECONDS)
    return body


def geometry_version() -> str:
    """Changes whenever localities are added, removed or edited; part of the cache keys and URLs."""
    stats = Locality.objects.aggregate(n=Count("id"), last=Max("updated_at"), top=Max("id"))
    raw = f"{stats['n']}:{stats['top']}:{stats['last'].isoformat() if stats['last'] else ''}"
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:12]


def detail_cell_bounds(x: int, y: int) -> tuple[float, float, float, float]:
    return (
        x * DETAIL_CELL_DEGREES,
        y * DETAIL_CELL_DEGREES,
        (x + 1) * DETAIL_CELL_DEGREES,
        (y + 1) * DETAIL_CELL_DEGREES,
    )


# Rings as Google encoded polylines (lat,lon order, what Leaflet wants), closing point dropped.
_SHAPES_SQL = """
WITH parts AS (
    SELECT l.id, d.path[1] AS part,
           array_agg(ST_AsEncodedPolyline(ST_RemovePoint(ST_ExteriorRing(r.geom),
                                                         ST_NPoints(ST_ExteriorRing(r.geom)) - 1), %(precision)s)
                     ORDER BY r.path[1]) AS rings
    FROM areas_locality l
         CROSS JOIN LATERAL ST_Dump({column}) d
         CROSS JOIN LATERAL ST_DumpRings(d.geom) r
    WHERE {where}
    GROUP BY l.id, d.path[1]
)
SELECT json_build_object(
    'ids', coalesce(json_agg(id ORDER BY id), '[]'::json),
    'shapes', coalesce(json_agg(polygons ORDER BY id), '[]'::json))::text
FROM (SELECT id, json_agg(rings ORDER BY part) AS polygons FROM parts GROUP BY id) AS shaped
"""


def drawing_shapes(*, band: str, cell: tuple[int, int] | None = None) -> tuple[str, bytes]:
    """(version, gzipped JSON) of one geometry band: `ids` and, per locality, polygons of encoded rings.

    `coarse` covers every locality; `detail` one grid cell. Cached per geometry version.
    """
    version = geometry_version()

    def build() -> bytes:
        if band == "coarse":
            column, where, params = "coalesce(l.geometry_coarse, l.geometry_simplified, l.geometry)", "TRUE", {}
        else:
            if cell is None:
                raise ValueError("the detail band is sent per cell: give a cell")
            west, south, east, north = detail_cell_bounds(*cell)
            column = "coalesce(l.geometry_simplified, l.geometry)"
            where = (
                "l.origin && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326) "
                "AND ST_X(l.origin) >= %(west)s AND ST_X(l.origin) < %(east)s "
                "AND ST_Y(l.origin) >= %(south)s AND ST_Y(l.origin) < %(north)s"
            )
            params = {"west": west, "south": south, "east": east, "north": north}
        with connection.cursor() as cursor:
            cursor.execute(
                _SHAPES_SQL.format(column=column, where=where), {**params, "precision": BAND_PRECISION[band]}
            )
            shapes = cursor.fetchone()[0]
        # The rows' JSON is spliced in as PostGIS wrote it: no decoding and re-encoding in Python.
        head = (
            f'{{"band": {json.dumps(band)}, "version": {json.dumps(version)}, "precision": {BAND_PRECISION[band]:d}, '
        )
        return (head + shapes[1:]).encode()

    key = f"maps:shapes:{version}:{band}:" + (f"{cell[0]}_{cell[1]}" if cell else "all")
    return version, _cached_gzipped(key, build)


def drawing_bounds(*, version: str) -> list[list[float]] | None:
    """[[south, west], [north, east]] of every locality, for the first view."""

    def extent():
        return Locality.objects.aggregate(extent=Extent("geometry"))["extent"]

    found = cache.get_or_set(f"maps:bounds:{version}", extent, timeout=CACHE_SECONDS)
    if found is None:
        return None
    west, south, east, north = found
    return [[south, west], [north, east]]


# ---- runs ------------------------------------------------------------------------------------


def run_status(run: ReachRun) -> dict:
    """What the page shows of a run, the polling endpoint included; the traceback stays in the admin."""
    return {
        "id": run.pk,
        "status": run.status,
        "progress": run.progress,
        "profile": run.profile_name,
        "profile_id": run.profile_id,
        "provider": run.provider,
        "travel": run_provenance_text(run),
        "automatic": run.automatic,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "error": run.error.splitlines()[0] if run.error else "",
        "n_localities": run.snapshot_counts.get("localities") if run.snapshot_counts else None,
        "scenario": run.scenario_id,
    }


def recent_runs(*, limit: int = RECENT_RUNS) -> list[ReachRun]:
    """Succeeded runs of the live catalogue, newest first (a scenario's runs belong to its scenario)."""
    runs = ReachRun.objects.filter(status=RunStatus.SUCCEEDED, scenario__isnull=True)
    return list(runs.order_by("-finished_at", "-id")[:limit])


def active_runs() -> list[ReachRun]:
    """Queued and running runs of the live catalogue, oldest first."""
    runs = ReachRun.objects.filter(status__in=ACTIVE_STATUSES, scenario__isnull=True)
    return list(runs.order_by("created_at", "id"))


def succeeded_run(run_id: int) -> ReachRun | None:
    return ReachRun.objects.filter(pk=run_id, status=RunStatus.SUCCEEDED).first()


def runs_overview() -> dict:
    current = current_run()
    return {
        "current": current.pk if current else None,
        "runs": [run_status(run) for run in recent_runs()],
        "active": [run_status(run) for run in active_runs()],
        "profiles": [
            {"id": p.pk, "name": p.name, "is_default": p.is_default}
            for p in ReachProfile.objects.order_by("-is_default", "name")
        ],
    }


def run_options(run: ReachRun) -> list[dict]:
    """The run's menu options in result order, named from the catalogue (the code if since deleted)."""
    names = dict(MenuOption.objects.filter(code__in=run.option_codes).values_list("code", "name"))
    return [{"code": code, "name": names.get(code, code)} for code in run.option_codes]


# ---- measure values ----------------------------------------------------------------------------


def measure_values_gzipped(*, run: ReachRun, measure: Measure, option: str | None) -> bytes:
    """measure_values as gzipped JSON; cached, since a succeeded run's results never change."""
    return _cached_gzipped(
        f"maps:values:{run.pk}:{measure.key}:{option or ''}",
        lambda: json.dumps(measure_values(run=run, measure=measure, option=option)).encode(),
    )


def measure_values(*, run: ReachRun, measure: Measure, option: str | None) -> dict:
    """One value per drawn locality of the run, with the legend classes that colour them."""
    field = measure.field
    if measure.per_option:
        if option is None:
            raise ValueError(f"{measure.key} is per option: give an option")
        field = f"{field}__{run.option_codes.index(option)}"
    rows = (
        LocalityResult.objects.filter(run=run, locality_id__isnull=False)
        .order_by("locality_id")
        .values_list("locality_id", field)
    )
    ids, values = [], []
    for locality_id, value in rows.iterator(chunk_size=5000):
        ids.append(locality_id)
        values.append(
            None
            if value is None or (isinstance(value, float) and math.isnan(value))
            else round(value, 4)
            if isinstance(value, float)
            else value
        )
    return {
        "run": run.pk,
        "measure": {**measure.describe(), "option": option, "digits": measure.digits},
        "ids": ids,
        "values": values,
        "legend": legend_classes(measure, values, n_options=len(run.option_codes)),
    }


# ---- one locality ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSite:
    """How the panel names a site: a catalogue site, or one a scenario adds (negative id in its runs)."""

    code: str
    name: str
    provider: str


def _sites_by_id(site_ids: set[int]) -> dict[int, Site]:
    return {site.pk: site for site in Site.objects.filter(pk__in=site_ids).select_related("provider")}


def locality_panel(*, run: ReachRun, locality_id: int, new_sites: dict[int, NewSite] | None = None) -> dict | None:
    """Everything the side panel shows about one locality in one run (`new_sites`: a scenario's, by run id)."""
    result = LocalityResult.objects.filter(run=run, locality_id=locality_id).select_related("locality").first()
    if result is None:
        return None
    locality = result.locality
    if locality is None:  # not after the filter on locality_id; says so to the type checker
        return None
    referenced = {
        site_id
        for mode in ("walk", "pt", "car")
        for site_id in getattr(result, f"nearest_{mode}_site")
        if site_id is not None
    }
    named = {
        pk: NewSite(code=site.code, name=site.name, provider=site.provider.name)
        for pk, site in _sites_by_id(referenced).items()
    } | (new_sites or {})
    detail = option_detail(result, run.option_codes, {pk: site.code for pk, site in named.items()})
    sites_by_code = {site.code: site for site in named.values()}
    threshold = int(run.params.get("real_choice_providers", 2))
    options = []
    for option in run_options(run):
        item = detail[option["code"]]
        for nearest in item["nearest"].values():
            site = sites_by_code.get(nearest["site_code"])
            nearest["site_name"] = site.name if site else None
            nearest["provider"] = site.provider if site else None
        options.append(
            {
                **option,
                **item,
                "real_choice_without_car": item["providers_without_car"] >= threshold,
                "real_choice_with_car": item["providers_with_car"] >= threshold,
            }
        )
    return {
        "run": run.pk,
        "locality": {
            "id": locality.pk,
            "code": result.locality_code,
            "name": result.locality_name,
            "population": result.population,
            "rurality": locality.rurality,
            "rurality_label": Rurality(locality.rurality).label if locality.rurality else "",
            "imd_decile": locality.imd_decile,
            "car_share": result.car_share,
            "car_share_is_default": locality.car_share is None,
            "la_name": locality.la_name,
            "origin": [locality.origin.y, locality.origin.x],
        },
        "figures": {
            "n_options": len(run.option_codes),
            "real_choice_providers": threshold,
            "menu_without_car": result.menu_without_car,
            "menu_with_car": result.menu_with_car,
            "expected_menu": result.expected_menu,
            "real_choice_without_car": result.real_choice_without_car,
            "real_choice_with_car": result.real_choice_with_car,
        },
        "options": options,
        "missing_without_car": [o["name"] for o in options if not o["reachable_without_car"]],
        "missing_with_car": [o["name"] for o in options if not o["reachable_with_car"]],
    }


def search_localities(*, query: str, limit: int = 20) -> list[dict]:
    query = query.strip()
    if not query:
        return []
    matches = Locality.objects.filter(
        Q(code__iexact=query) | Q(name__icontains=query) | Q(code__istartswith=query)
    ).order_by("name", "code")[:limit]
    return [
        {"id": loc.pk, "code": loc.code, "name": loc.name, "origin": [loc.origin.y, loc.origin.x]} for loc in matches
    ]


# ---- sites and outreach ------------------------------------------------------------------------


_CATALOGUE_TABLES = ("services_site", "services_siteoffer", "services_provider", "services_menuoption")


def catalogue_version() -> str:
    """Changes with any committed insert, update or delete of sites, offers, providers or options."""
    return tables_version(_CATALOGUE_TABLES).stamp


def cached_sites_json(build: Callable[[], bytes]) -> bytes:
    """The map's site markers as gzipped JSON (`build` renders them), cached per catalogue version."""
    return _cached_gzipped(f"maps:sites:{catalogue_version()}", build)


def sites_for_map() -> QuerySet[Site]:
    offers = SiteOffer.objects.select_related("option").order_by("option__display_order", "option__code", "delivery")
    return (
        Site.objects.filter(active=True)
        .select_related("provider")
        .prefetch_related(Prefetch("offers", queryset=offers))
        .order_by("code")
    )


def outreach_coverage() -> list[dict]:
    """Localities where active outreach sessions are held, with what is held there."""
    offers = (
        SiteOffer.objects.filter(delivery=Delivery.OUTREACH, active=True, site__active=True, option__active=True)
        .select_related("site__provider", "option")
        .prefetch_related(Prefetch("outreach_localities", queryset=Locality.objects.only("id")))
    )
    by_locality: dict[int, list[dict]] = {}
    for offer in offers:
        for locality in offer.outreach_localities.all():
            by_locality.setdefault(locality.pk, []).append(
                {"option": offer.option.name, "site": offer.site.name, "provider": offer.site.provider.name}
            )
    return [{"id": locality_id, "sessions": sessions} for locality_id, sessions in sorted(by_locality.items())]


# ---- charts and headline figures ---------------------------------------------------------------


def run_charts(*, run: ReachRun) -> dict:
    """Headline equity figures and the chart series, from the run's summary and its results."""
    summary = run.summary or {}
    n_options = summary.get("n_options", len(run.option_codes))
    by_rurality = [
        {
            "key": key,
            "label": Rurality(key).label if key in Rurality.values else key,
            "population": group["population"],
            "mean_expected_menu": group["mean"]["expected_menu"],
        }
        for key, group in sorted((summary.get("by_rurality") or {}).items())
    ]
    by_imd = [
        {
            "key": int(key),
            "label": f"Decile {key}",
            "population": group["population"],
            "mean_expected_menu": group["mean"]["expected_menu"],
        }
        for key, group in sorted((summary.get("by_imd_decile") or {}).items(), key=lambda kv: int(kv[0]))
    ]
    # People by whole number of options in their expected menu: bin k holds k ≤ expected < k + 1.
    bins = dict(
        LocalityResult.objects.filter(run=run)
        .annotate(bin=Floor("expected_menu"))
        .values("bin")
        .annotate(people=Sum("population"))
        .values_list("bin", "people")
    )
    distribution = [{"menu": k, "people": int(bins.get(k, 0))} for k in range(n_options + 1)]
    mean = summary.get("mean") or {}
    return {
        "run": run.pk,
        "cards": {
            "n_localities": summary.get("n_localities"),
            "population": summary.get("total_population"),
            "n_options": n_options,
            "mean_expected_menu": mean.get("expected_menu"),
            "mean_menu_without_car": mean.get("menu_without_car"),
            "mean_menu_with_car": mean.get("menu_with_car"),
            "full_menu_share_without_car": summary.get("full_menu_share_without_car"),
            "gini_expected_menu": summary.get("gini_expected_menu"),
            "worst_fifth_expected_menu": summary.get("worst_fifth_expected_menu"),
            "best_fifth_expected_menu": summary.get("best_fifth_expected_menu"),
            "best_to_worst_fifth_ratio": summary.get("best_to_worst_fifth_ratio"),
        },
        "by_rurality": by_rurality,
        "by_imd_decile": by_imd,
        "distribution": distribution,
    }


# ---- the table view ----------------------------------------------------------------------------

# Column key → (heading, the field it sorts by).
TABLE_COLUMNS = {
    "code": ("Code", "locality_code"),
    "name": ("Locality", "locality_name"),
    "population": ("Population", "population"),
    "rurality": ("Rurality", "locality__rurality"),
    "imd": ("IMD decile", "locality__imd_decile"),
    "car_share": ("Car share", "car_share"),
    "without_car": ("Menu without a car", "menu_without_car"),
    "with_car": ("Menu with a car", "menu_with_car"),
    "expected": ("Expected menu", "expected_menu"),
    "choice_without_car": ("Real choice without a car", "real_choice_without_car"),
    "choice_with_car": ("Real choice with a car", "real_choice_with_car"),
}


def table_rows(
    *, run: ReachRun, query: str = "", sort: str = "code", descending: bool = False
) -> QuerySet[LocalityResult]:
    rows = LocalityResult.objects.filter(run=run).select_related("locality")
    if query.strip():
        rows = rows.filter(Q(locality_name__icontains=query.strip()) | Q(locality_code__icontains=query.strip()))
    order = TABLE_COLUMNS.get(sort, TABLE_COLUMNS["code"])[1]
    return rows.order_by(f"-{order}" if descending else order, "locality_code")


# ---- unmet preference ------------------------------------------------------------------------

UNMET_MEASURE = "not_reachable"  # people whose preferred option was out of reach without a car


def unmet_layer(*, publication: dict) -> dict:
    """The unmet-preference layer and panel section: careplans' protected publication as it is, with the
    map ids of the localities and, per option (and ALL), legend classes of UNMET_MEASURE.

    The publication never lists the localities counted in OTHER; every locality not shown on its own is in
    it, with people or not, so the layer lists all of them as `pooled_localities` (what the map reads)."""
    shown = [loc for loc in publication["localities"] if loc["code"] != OTHER]
    ids = dict(Locality.objects.values_list("code", "pk"))
    shown_codes = {loc["code"] for loc in shown}
    pooled = [{"code": code} for code in sorted(ids) if code not in shown_codes]
    return {
        "measure": UNMET_MEASURE,
        "publication": {**publication, "pooled_localities": pooled},
        "locality_ids": ids,
        "legends": {
            key: protected_count_classes([loc["options"][key][UNMET_MEASURE] for loc in shown])
            for key in publication["area"]
        },
    }


# ---- scenarios -------------------------------------------------------------------------------


def latest_scenario_run(scenario: Scenario) -> ReachRun | None:
    return scenario.runs.filter(status=RunStatus.SUCCEEDED).order_by("-finished_at", "-id").first()


def scenario_summaries() -> list[dict]:
    """The picker: every scenario (commissioners and admins read them all), with its latest succeeded run."""
    latest: dict[int, int] = {}
    succeeded = ReachRun.objects.filter(scenario__isnull=False, status=RunStatus.SUCCEEDED)
    for scenario_id, run_id in succeeded.order_by("scenario_id", "-finished_at", "-id").values_list(
        "scenario_id", "id"
    ):
        latest.setdefault(scenario_id, run_id)
    scenarios = Scenario.objects.select_related("owner").order_by("name", "id")
    return [
        {
            "id": scenario.pk,
            "name": scenario.name,
            "owner": scenario.owner.username if scenario.owner else "",
            "run": latest.get(scenario.pk),
        }
        for scenario in scenarios
    ]


def _describe_add_offer(values: dict) -> str:
    where = values.get("outreach_localities") or []
    held = f", held in {', '.join(where)}" if where else ""
    return f"Add {values['option_code']} at {values['site_code']} ({Delivery(values['delivery']).label.lower()}{held})"


def _describe_change_offer(values: dict) -> str:
    changed = ", ".join(
        f"{name.replace('_', ' ')} {values[name]}" for name in ("capacity_per_week", "waiting_weeks") if name in values
    )
    return f"Change {values['option_code']} at {values['site_code']} ({values['delivery']}): {changed}"


_CHANGE_WORDS: dict[str, Callable[[dict], str]] = {
    ChangeKind.ADD_SITE: lambda v: (
        f"Add site {v['name']} ({v['code']}) of {v['provider']} at {v['lat']:.5f}, {v['lon']:.5f}"
    ),
    ChangeKind.ADD_OFFER: _describe_add_offer,
    ChangeKind.CLOSE_SITE: lambda v: f"Close site {v['site_code']}",
    ChangeKind.CLOSE_OFFER: lambda v: f"Close {v['option_code']} at {v['site_code']} ({v['delivery']})",
    ChangeKind.CHANGE_OFFER: _describe_change_offer,
    ChangeKind.ADD_OUTREACH: lambda v: (
        f"Hold outreach of {v['option_code']} from {v['site_code']} in {', '.join(v['localities'])}"
    ),
    ChangeKind.REMOVE_OUTREACH: lambda v: (
        f"Stop holding outreach of {v['option_code']} from {v['site_code']} in {', '.join(v['localities'])}"
    ),
    ChangeKind.MAKE_REMOTE: lambda v: f"Offer {v['option_code']} remotely from {v['site_code']}",
}


def describe_change(kind: str, values: dict) -> str:
    """A change in words, for the list of a scenario's changes."""
    describe = _CHANGE_WORDS.get(kind)
    try:
        return describe(values) if describe else kind
    except (KeyError, TypeError, ValueError):  # stored before a rule tightened: say what it is, not why
        return ChangeKind(kind).label if kind in ChangeKind.values else kind


def _scenario_sites(scenario: Scenario) -> tuple[list[dict], list[str]]:
    """The sites the scenario (with its unapplied bases) adds, with the offers it adds there, and the codes
    of the sites it closes."""
    added: dict[str, dict] = {}
    closed: list[str] = []
    for link, change in chain_changes(scenario):
        values, problems = clean_change(change.kind, change.values)
        if problems:  # stored before a rule tightened (or by hand): the scenario's own checks name it
            continue
        if change.kind == ChangeKind.ADD_SITE:
            added[values["code"]] = {
                "code": values["code"],
                "name": values["name"],
                "provider": values["provider"],
                "lat": values["lat"],
                "lon": values["lon"],
                "scenario": link.name,
                "offers": [],
            }
        elif change.kind in (ChangeKind.ADD_OFFER, ChangeKind.MAKE_REMOTE) and values["site_code"] in added:
            delivery = values.get("delivery", Delivery.REMOTE)
            added[values["site_code"]]["offers"].append(
                {"option": values["option_code"], "delivery": delivery, "delivery_label": Delivery(delivery).label}
            )
        elif change.kind == ChangeKind.CLOSE_SITE:
            closed.append(values["site_code"])
    return list(added.values()), closed


def scenario_detail(*, scenario: Scenario, user) -> dict:
    """One scenario as the map shows it: its runs (latest, its base's, any under way), changes and sites."""
    run = latest_scenario_run(scenario)
    base = base_run_for(run) if run else None
    if base is None and run is None and scenario.base_id is None:
        base = current_run()
    active = scenario.runs.filter(status__in=ACTIVE_STATUSES).order_by("-created_at", "-id").first()
    new_sites, closed_sites = _scenario_sites(scenario)
    return {
        "id": scenario.pk,
        "name": scenario.name,
        "description": scenario.description,
        "owner": scenario.owner.username if scenario.owner else "",
        "can_edit": scenario.owner_id == user.pk and scenario.applied_at is None,
        "applied": scenario.applied_at is not None,
        "base": {"id": scenario.base_id, "name": scenario.base.name} if scenario.base else None,
        "run": run_status(run) if run else None,
        # Changed since its latest run was started: that run no longer shows it as it is.
        "changed_since_run": bool(run and scenario.updated_at > run.created_at),
        "base_run": run_status(base) if base else None,
        "active_run": run_status(active) if active else None,
        "changes": [
            {"position": change.position, "kind": change.kind, "text": describe_change(change.kind, change.values)}
            for change in scenario.changes.order_by("position")
        ],
        "new_sites": new_sites,
        "closed_sites": closed_sites,
    }


def scenario_site_names(scenario: Scenario) -> dict[int, NewSite]:
    """The sites a scenario adds, by the (negative) ids its runs give them, replayed from its changes.

    Ids are handed out in change order, so a run's ids hold while changes are only added after it."""
    try:
        catalogue = scenario_catalogue(scenario)
    except ScenarioInvalid:  # the live catalogue moved under it: the panel names such sites by code only
        return {}
    added = {site["code"]: site for site in _scenario_sites(scenario)[0]}
    return {
        site.site_id: NewSite(code=site.code, name=added[site.code]["name"], provider=added[site.code]["provider"])
        for site in catalogue.sites
        if site.site_id < 0 and site.code in added
    }


def _measure_by_locality(run: ReachRun, measure: Measure, option: str | None) -> dict[int, float | None]:
    field = measure.field
    if measure.per_option:
        if option is None or option not in run.option_codes:
            return {}
        field = f"{field}__{run.option_codes.index(option)}"
    rows = LocalityResult.objects.filter(run=run, locality_id__isnull=False).values_list("locality_id", field)
    return dict(rows.iterator(chunk_size=5000))


def difference_values(*, run: ReachRun, base: ReachRun, measure: Measure, option: str | None) -> dict:
    """Scenario minus base per locality in both runs, with the diverging legend and each one's class."""
    after = _measure_by_locality(run, measure, option)
    before = _measure_by_locality(base, measure, option)
    ids = sorted(set(after) & set(before))
    differences: list[float | None] = []
    for locality_id in ids:
        a, b = after[locality_id], before[locality_id]
        differences.append(None if a is None or b is None else round(float(a) - float(b), DIFFERENCE_DIGITS))
    legend, class_index = difference_classes(measure, differences)
    return {
        "run": run.pk,
        "base_run": base.pk,
        "measure": {
            **measure.describe(),
            "label": f"Change in {measure.label[0].lower()}{measure.label[1:]}",
            "option": option,
            "digits": measure.digits,
        },
        "ids": ids,
        "values": differences,
        "class_index": class_index,
        "legend": legend,
    }


_MODES_WITHOUT_CAR = ("walk", "pt")


def _fastest(option: dict, modes: tuple[str, ...]) -> float | None:
    minutes = [option["nearest"][m]["minutes"] for m in modes if m in option["nearest"]]
    known = [m for m in minutes if m is not None]
    return min(known) if known else None


def _minutes_text(minutes: float | None) -> str:
    return "none within the limit" if minutes is None else f"{minutes:.1f} min"


def option_changes(before: dict, after: dict) -> list[str]:
    """What changes for one option in one locality, in words (the panel never says it by colour only)."""
    words = []
    for key, how in (("without_car", "without a car"), ("with_car", "with a car")):
        was, now = before[f"providers_{key}"], after[f"providers_{key}"]
        if not was and now:
            words.append(f"Now reachable {how} ({now} provider{'' if now == 1 else 's'})")
        elif was and not now:
            words.append(f"No longer reachable {how}")
        elif was != now:
            words.append(f"Providers {how}: {was} → {now}")
        if before[f"real_choice_{key}"] != after[f"real_choice_{key}"]:
            words.append(f"{'Gains' if after[f'real_choice_{key}'] else 'Loses'} real choice {how}")
    for modes, how in ((_MODES_WITHOUT_CAR, "without a car"), (("car",), "by car")):
        was, now = _fastest(before, modes), _fastest(after, modes)
        if was != now:
            words.append(f"Nearest {how}: {_minutes_text(was)} → {_minutes_text(now)}")
    return words


_PANEL_FIGURES = {
    "menu_without_car": "Menu without a car",
    "menu_with_car": "Menu with a car",
    "expected_menu": "Expected menu",
    "real_choice_without_car": "Options with real choice without a car",
    "real_choice_with_car": "Options with real choice with a car",
}


def scenario_locality_panel(*, scenario: Scenario, run: ReachRun, base: ReachRun, locality_id: int) -> dict | None:
    """One locality before (base run) and after (scenario run): figures and each option, changes in words."""
    before = locality_panel(run=base, locality_id=locality_id)
    after = locality_panel(run=run, locality_id=locality_id, new_sites=scenario_site_names(scenario))
    if before is None or after is None:
        return None
    figures = []
    for key, label in _PANEL_FIGURES.items():
        was, now = before["figures"][key], after["figures"][key]
        figures.append({"key": key, "label": label, "before": was, "after": now, "change": round(now - was, 4)})
    before_options = {o["code"]: o for o in before["options"]}
    options = [
        {
            "code": option["code"],
            "name": option["name"],
            "before": before_options[option["code"]],
            "after": option,
            "changes": option_changes(before_options[option["code"]], option),
        }
        for option in after["options"]
        if option["code"] in before_options
    ]
    return {
        "scenario": scenario.pk,
        "run": run.pk,
        "base_run": base.pk,
        "locality": after["locality"],
        "n_options": after["figures"]["n_options"],
        "figures": figures,
        "options": options,
    }
