"""The equity map page, its table view and downloads, and the JSON it reads (session auth, role-checked)."""

from __future__ import annotations

import gzip
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.gzip import gzip_page
from django.views.generic import TemplateView
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import RoleRequiredMixin, role_permission
from accounts.roles import ADMIN, COMMISSIONER, UNMET_ROLES
from accounts.selectors import has_role
from careplans.access import actor_for
from careplans.selectors import latest_publication
from careplans.services import record_aggregate_read
from careplans.unmet import NOTHING_PUBLISHED, publication_json, unmet_of
from choicemap.params import parse_id
from reach.exports import write_reach_export
from reach.models import ChangeKind, ReachProfile, ReachRun, Scenario
from reach.queue import queue_status
from reach.scenario_catalogue import CHANGE_FIELDS
from reach.scenario_selectors import base_run_for
from reach.selectors import current_run, default_profile
from reach.services import RunAlreadyActive, start_run
from services.models import Delivery, ProviderKind

from . import selectors
from .measures import DEFAULT_MEASURE, DIFFERENCE_UNAVAILABLE, MEASURES, Measure, difference_available
from .serializers import SiteMapSerializer

MAP_ROLES = (ADMIN, COMMISSIONER)
EXPORT_FORMATS = {"csv": "text/csv", "geojson": "application/geo+json"}


class MapView(RoleRequiredMixin, TemplateView):
    allowed_roles = MAP_ROLES
    template_name = "maps/map.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run_id = parse_id(self.request.GET.get("run"))
        run = (selectors.succeeded_run(run_id) if run_id else None) or current_run()
        measure = self.request.GET.get("measure", DEFAULT_MEASURE)
        measure = measure if measure in MEASURES else DEFAULT_MEASURE
        version = selectors.geometry_version()
        # The first requests the script makes, so the browser can start them while scripts load.
        first_requests = {"shapes": f"{reverse('maps:api-shapes')}?{urlencode({'v': version, 'band': 'coarse'})}"}
        if run is not None:
            first_requests["run"] = reverse("maps:api-run", args=[run.pk])
            if not MEASURES[measure].per_option:
                first_requests["values"] = (
                    f"{reverse('maps:api-values', args=[run.pk])}?{urlencode({'measure': measure})}"
                )
        context["preload_urls"] = list(first_requests.values())
        scenario_id = parse_id(self.request.GET.get("scenario"))
        scenario = Scenario.objects.filter(pk=scenario_id).first() if scenario_id else None
        context["queue_problem"] = queue_status().problem
        context["config"] = {
            "run": run.pk if run else None,
            "measure": measure,
            "option": self.request.GET.get("option", ""),
            "locality": self.request.GET.get("locality", ""),
            "measures": [{**m.describe(), "difference": difference_available(m)} for m in MEASURES.values()],
            "geometry_version": version,
            "first_requests": first_requests,
            "bounds": selectors.drawing_bounds(version=version),
            "detail_zoom": selectors.DETAIL_ZOOM,
            "detail_cell_degrees": selectors.DETAIL_CELL_DEGREES,
            "has_basemap": bool(settings.BASEMAP_TILE_URL),
            "scenario": scenario.pk if scenario else None,
            "view_mode": self.request.GET.get("view", ""),
            "scenario_editor": _scenario_editor_config(),
            # The unmet-preference layer and panel section, for those who may see careplans' publication.
            "unmet": {"url": reverse("maps:api-unmet"), "csv": reverse("careplans:unmet_csv")}
            if has_role(self.request.user, *UNMET_ROLES)
            else None,
            "urls": {
                "runs": reverse("maps:api-runs"),
                "shapes": reverse("maps:api-shapes"),
                "sites": reverse("maps:api-sites"),
                "outreach": reverse("maps:api-outreach"),
                "localities": reverse("maps:api-localities"),
                "table": reverse("maps:table"),
                "map": reverse("maps:map"),
                "scenarios": reverse("maps:api-scenarios"),
                "scenario_api": reverse("api:scenario-list"),
            },
        }
        context["site_form_fields"] = [
            (name, SITE_FIELD_LABELS.get(name, name.replace("_", " ").capitalize()))
            for name in context["config"]["scenario_editor"]["site_fields"]
        ]
        return context


SITE_FIELD_LABELS = {
    "code": "Site code",
    "name": "Site name",
    "provider": "Provider (an existing name, or a new one)",
    "provider_kind": "Kind of provider (for a new one)",
    "lat": "Latitude",
    "lon": "Longitude",
}


def _scenario_editor_config() -> dict:
    """What the map's scenario forms offer: the fields an added site takes (the API says which), provider
    kinds and the delivery modes a new site's offer may have (outreach is added from its own form)."""
    required, optional = CHANGE_FIELDS[ChangeKind.ADD_SITE]
    return {
        "site_fields": [*required, *optional],
        "provider_kinds": [{"value": value, "label": label} for value, label in ProviderKind.choices],
        "deliveries": [
            {"value": value, "label": label} for value, label in Delivery.choices if value != Delivery.OUTREACH
        ],
    }


class TableView(RoleRequiredMixin, TemplateView):
    """The map's figures as a sortable, searchable table that works without script or a mouse."""

    allowed_roles = MAP_ROLES
    template_name = "maps/table.html"
    page_size = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run_id = parse_id(self.request.GET.get("run"))
        run = selectors.succeeded_run(run_id) if run_id else current_run()
        query = self.request.GET.get("q", "")
        sort = self.request.GET.get("sort", "code")
        sort = sort if sort in selectors.TABLE_COLUMNS else "code"
        descending = self.request.GET.get("dir") == "desc"
        columns = [(key, label) for key, (label, _) in selectors.TABLE_COLUMNS.items()]
        context.update(
            {
                "run": run,
                "query": query,
                "sort": sort,
                "descending": descending,
                "runs": selectors.recent_runs(),
                "columns": columns,
                "travel": selectors.run_provenance_text(run) if run else "",
            }
        )
        if run is not None:
            rows = selectors.table_rows(run=run, query=query, sort=sort, descending=descending)
            context["page"] = Paginator(rows, self.page_size).get_page(self.request.GET.get("page"))
        return context


class ExportView(RoleRequiredMixin, View):
    """The shown run as a file, in export_reach's formats."""

    allowed_roles = MAP_ROLES

    def get(self, request, run_id: int, fmt: str):
        run = selectors.succeeded_run(run_id)
        if run is None or fmt not in EXPORT_FORMATS:
            raise Http404("No such run or format.")
        response = HttpResponse(content_type=EXPORT_FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="reach-run-{run.pk}.{fmt}"'
        write_reach_export(run=run, fmt=fmt, output=response)
        return response


# ---- JSON for the page ---------------------------------------------------------------------------


class MapApiView(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [role_permission(*MAP_ROLES)]
    renderer_classes = [JSONRenderer]
    schema = None  # the page's own endpoints, not part of the public API


def _gzipped_json_response(request, compressed: bytes) -> HttpResponse:
    """A body the selectors keep compressed, sent as it is to every client that accepts gzip."""
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(compressed, content_type="application/json", headers={"Content-Encoding": "gzip"})
    else:
        response = HttpResponse(gzip.decompress(compressed), content_type="application/json")
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _run_or_404(run_id: int):
    run = selectors.succeeded_run(run_id)
    if run is None:
        raise NotFound(f"No succeeded reach run {run_id}.")
    return run


def _measure_asked_for(request) -> Measure:
    key = request.query_params.get("measure", DEFAULT_MEASURE)
    measure = MEASURES.get(key)
    if measure is None:
        raise ValidationError({"measure": f"Unknown measure {key!r}; one of {', '.join(MEASURES)}."})
    return measure


class RunsApi(MapApiView):
    def get(self, request):
        return Response(selectors.runs_overview())

    def post(self, request):
        """Recompute: start a run of the chosen (or default) profile on the worker."""
        profile_id = str((request.data if isinstance(request.data, dict) else {}).get("profile") or "")
        if not profile_id:
            try:
                profile = default_profile()
            except ReachProfile.DoesNotExist as exc:
                raise ValidationError({"profile": str(exc)}) from None
        else:
            profile_pk = parse_id(profile_id)
            profile = ReachProfile.objects.filter(pk=profile_pk).first() if profile_pk else None
            if profile is None:
                raise ValidationError({"profile": f"No reach profile {profile_id!r}."})
        try:
            run = start_run(profile=profile, started_by=request.user)
        except RunAlreadyActive as exc:
            return Response({"detail": str(exc), "run": selectors.run_status(exc.run)}, status=status.HTTP_409_CONFLICT)
        return Response({"run": selectors.run_status(run)}, status=status.HTTP_202_ACCEPTED)


class RunApi(MapApiView):
    """A run's status and progress (polled while it computes) and, once succeeded, its menu options."""

    def get(self, request, run_id: int):
        run = get_object_or_404(ReachRun, pk=run_id)
        return Response({**selectors.run_status(run), "options": selectors.run_options(run)})


class ValuesApi(MapApiView):
    def get(self, request, run_id: int):
        run = _run_or_404(run_id)
        measure = _measure_asked_for(request)
        option = request.query_params.get("option") or None
        if measure.per_option and option not in run.option_codes:
            raise ValidationError(
                {
                    "option": f"{measure.label} needs an option of run {run.pk}: "
                    f"{', '.join(run.option_codes) or 'it has none'}."
                }
            )
        return _gzipped_json_response(
            request,
            selectors.measure_values_gzipped(run=run, measure=measure, option=option if measure.per_option else None),
        )


class ChartsApi(MapApiView):
    def get(self, request, run_id: int):
        return Response(selectors.run_charts(run=_run_or_404(run_id)))


class LocalityApi(MapApiView):
    def get(self, request, run_id: int, locality_id: int):
        panel = selectors.locality_panel(run=_run_or_404(run_id), locality_id=locality_id)
        if panel is None:
            raise NotFound(f"Locality {locality_id} is not in run {run_id}.")
        return Response(panel)


class LocalitySearchApi(MapApiView):
    def get(self, request):
        return Response({"results": selectors.search_localities(query=request.query_params.get("q", ""))})


class ShapesApi(MapApiView):
    """Drawing geometry by zoom band; the page asks with ?v=<version> so browsers may cache it."""

    def get(self, request):
        band = request.query_params.get("band", "coarse")
        cell = None
        if band == "detail":
            try:
                x, y = (int(part) for part in request.query_params.get("cell", "").split(","))
            except ValueError:
                raise ValidationError({"cell": "Give the grid cell as x,y (whole numbers)."}) from None
            cell = (x, y)
        elif band != "coarse":
            raise ValidationError({"band": "One of coarse, detail."})
        version, compressed = selectors.drawing_shapes(band=band, cell=cell)
        response = _gzipped_json_response(request, compressed)
        if request.query_params.get("v") == version:
            patch_cache_control(response, private=True, max_age=24 * 3600)
        return response


class SitesApi(MapApiView):
    """Every active site: rendered once per catalogue version and kept compressed (the map's heaviest list)."""

    def get(self, request):
        compressed = selectors.cached_sites_json(
            lambda: JSONRenderer().render(SiteMapSerializer(selectors.sites_for_map(), many=True).data)
        )
        return _gzipped_json_response(request, compressed)


@method_decorator(gzip_page, name="dispatch")
class OutreachApi(MapApiView):
    def get(self, request):
        return Response({"localities": selectors.outreach_coverage()})


class UnmetApi(MapApiView):
    """Unmet preference for the layer and the panel: careplans' disclosure-controlled publication, audited
    like every other read of it, with the map's locality ids and legend classes (never a raw count)."""

    permission_classes = [role_permission(*UNMET_ROLES)]

    def get(self, request):
        stored = latest_publication()
        if stored is None:
            return Response({"detail": NOTHING_PUBLISHED}, status=404)
        publication = publication_json(unmet_of(stored))
        record_aggregate_read(actor=actor_for(request))
        return Response(selectors.unmet_layer(publication=publication))


# ---- scenarios on the map ------------------------------------------------------------------------


class NoComparison(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "no_comparison"


def _scenario_or_404(scenario_id: int) -> Scenario:
    scenario = Scenario.objects.select_related("owner", "base").filter(pk=scenario_id).first()
    if scenario is None:
        raise NotFound(f"No scenario {scenario_id}.")
    return scenario


def _scenario_and_base_runs(request, scenario: Scenario) -> tuple[ReachRun, ReachRun]:
    """The scenario's run asked for (?run=, else its newest succeeded one) and the base run it is compared with."""
    run_id = parse_id(request.query_params.get("run"))
    run = selectors.succeeded_run(run_id) if run_id else selectors.latest_scenario_run(scenario)
    if run is None or run.scenario_id != scenario.pk:
        raise NoComparison(f"Scenario {scenario.pk} has no succeeded run{f' {run_id}' if run_id else ''} yet.")
    base = base_run_for(run)
    if base is None:
        raise NoComparison("The scenario's base has no succeeded run of the same profile yet.")
    return run, base


class ScenariosApi(MapApiView):
    def get(self, request):
        return Response({"scenarios": selectors.scenario_summaries()})


class ScenarioApi(MapApiView):
    def get(self, request, scenario_id: int):
        return Response(selectors.scenario_detail(scenario=_scenario_or_404(scenario_id), user=request.user))


class ScenarioDifferenceApi(MapApiView):
    """Scenario minus base, per locality, for a measure whose difference means something."""

    def get(self, request, scenario_id: int):
        scenario = _scenario_or_404(scenario_id)
        measure = _measure_asked_for(request)
        if not difference_available(measure):
            raise ValidationError({"measure": f"{measure.label}: {DIFFERENCE_UNAVAILABLE}"})
        run, base = _scenario_and_base_runs(request, scenario)
        option = request.query_params.get("option") or None
        if measure.per_option and (option not in run.option_codes or option not in base.option_codes):
            raise ValidationError({"option": f"{measure.label} needs an option both runs have."})
        return Response(
            selectors.difference_values(
                run=run, base=base, measure=measure, option=option if measure.per_option else None
            )
        )


class ScenarioLocalityApi(MapApiView):
    def get(self, request, scenario_id: int, locality_id: int):
        scenario = _scenario_or_404(scenario_id)
        run, base = _scenario_and_base_runs(request, scenario)
        panel = selectors.scenario_locality_panel(scenario=scenario, run=run, base=base, locality_id=locality_id)
        if panel is None:
            raise NotFound(f"Locality {locality_id} is not in both run {run.pk} and its base run {base.pk}.")
        return Response(panel)
