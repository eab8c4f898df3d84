"""Reach profiles and runs: queue a run on the worker, follow it, fetch its results and equity summary.

Commissioners and admins only, except one locality's reachable menu (api.localities), which
keyworkers need too.
"""

from __future__ import annotations

import io

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from areas.models import Locality
from reach.exports import write_reach_export
from reach.models import ReachProfile, ReachRun, RunStatus, TravelSource
from reach.selectors import current_run, default_profile, locality_reach, run_provenance_text
from reach.services import RunAlreadyActive, cancel_run, check_overrides, start_run

from .errors import Conflict, JsonErrorsMixin
from .filters import RunFilter
from .permissions import PLANNERS, RoleAccessMixin

# --- profiles --------------------------------------------------------------------------------


class ProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReachProfile
        fields = "__all__"


@extend_schema_view(
    list=extend_schema(
        summary="List reach profiles",
        description="What 'realistically reach' means: time limits, speeds, the longest "
        "acceptable wait, the real-choice rule. Commissioners and admins; profiles "
        "are edited in the admin site.",
    ),
    retrieve=extend_schema(summary="One reach profile"),
)
class ProfileViewSet(RoleAccessMixin, viewsets.ReadOnlyModelViewSet):
    queryset = ReachProfile.objects.all()
    serializer_class = ProfileSerializer
    read_roles = PLANNERS
    filterset_fields = ["is_default"]


# --- runs ------------------------------------------------------------------------------------


class RunSerializer(serializers.ModelSerializer):
    error = serializers.SerializerMethodField(help_text="The first line of the error of a failed run.")
    started_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    travel = serializers.SerializerMethodField()

    class Meta:
        model = ReachRun
        fields = [
            "id",
            "status",
            "progress",
            "profile",
            "profile_name",
            "params",
            "provider",
            "travel",
            "provenance",
            "network_build",
            "automatic",
            "snapshot_id",
            "snapshot_counts",
            "option_codes",
            "error",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "timings",
        ]

    def get_error(self, run: ReachRun) -> str:
        return run.error.splitlines()[0] if run.error else ""

    def get_travel(self, run: ReachRun) -> str:
        """What the figures rest on, in words (crow-fly figures say they are estimates)."""
        return run_provenance_text(run)


class RunCreateSerializer(serializers.Serializer):
    profile = serializers.PrimaryKeyRelatedField(
        queryset=ReachProfile.objects.all(), required=False, help_text="Profile id; the default profile when left out."
    )
    provider = serializers.ChoiceField(
        choices=TravelSource.choices,
        required=False,
        help_text="Every mode from this one source; leave out to use the profile's source per mode.",
    )
    overrides = serializers.DictField(
        required=False, default=dict, help_text='Profile fields to change for this run only, e.g. {"car_minutes": 20}.'
    )

    def validate(self, attrs):
        try:
            attrs["profile"] = attrs.get("profile") or default_profile()
        except ReachProfile.DoesNotExist as exc:
            raise serializers.ValidationError({"profile": [str(exc)]}) from exc
        try:
            attrs["overrides"] = check_overrides(profile=attrs["profile"], overrides=attrs["overrides"])
        except DjangoValidationError as exc:
            # Per-field problems keep their field name; a broken profile rule is about the overrides as a whole.
            raise serializers.ValidationError(
                {"overrides": exc.message_dict if hasattr(exc, "error_dict") else exc.messages}
            ) from exc
        return attrs


class ProfileQuerySerializer(serializers.Serializer):
    profile = serializers.PrimaryKeyRelatedField(
        queryset=ReachProfile.objects.all(),
        required=False,
        help_text="Profile id; the newest succeeded run of any profile when left out.",
    )


class ReachExportRenderer(BaseRenderer):
    """Renders a run exactly as `export_reach --format <format>` writes it."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        output = io.StringIO()
        write_reach_export(run=data, fmt=self.format, output=output)
        return output.getvalue().encode(self.charset)


class CSVRenderer(ReachExportRenderer):
    media_type = "text/csv"
    format = "csv"


class GeoJSONRenderer(ReachExportRenderer):
    media_type = "application/geo+json"
    format = "geojson"


class ExportJSONRenderer(ReachExportRenderer):
    media_type = "application/json"
    format = "json"


RUN_CREATE_EXAMPLE = OpenApiExample(
    "What if the car limit were 20 minutes?",
    request_only=True,
    value={"profile": 1, "provider": "crowfly", "overrides": {"car_minutes": 20}},
)
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    enum=["json", "geojson", "csv"],
    description="json (default; the run and every locality with per-option detail), geojson (the same as "
    "features with simplified boundaries) or csv (one row per locality). The Accept header works too.",
)


def _succeeded(run: ReachRun) -> ReachRun:
    if run.status != RunStatus.SUCCEEDED:
        raise Conflict(f"Run {run.pk} is {run.status}; only succeeded runs have results.", code="not_succeeded")
    return run


@extend_schema_view(
    list=extend_schema(summary="List reach runs", description="Newest first. Commissioners and admins."),
    retrieve=extend_schema(
        summary="One run: status and progress",
        description="Poll this after queueing a run: status moves queued → running (with "
        "progress 0–100) → succeeded, failed or cancelled.",
    ),
)
class RunViewSet(
    JsonErrorsMixin, RoleAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = ReachRun.objects.select_related("started_by")
    serializer_class = RunSerializer
    filterset_class = RunFilter
    read_roles = write_roles = PLANNERS
    lookup_value_regex = r"\d+"
    conflict_actions = ("cancel", "results", "summary")

    @extend_schema(
        summary="Queue a run",
        request=RunCreateSerializer,
        responses={202: RunSerializer},
        examples=[RUN_CREATE_EXAMPLE],
        description="Creates a run and queues it on the Celery worker; answers at once with the "
        "run's id (202) and a Location to poll. A failed run never replaces the "
        "current results. 409 (code run_active) while the profile already has a queued or running run.",
    )
    def create(self, request):
        query = RunCreateSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        try:
            run = start_run(**query.validated_data, started_by=request.user)
        except RunAlreadyActive as exc:
            raise Conflict(f"{exc} Wait for it or cancel it first.", code="run_active") from None
        location = request.build_absolute_uri(f"{run.pk}/")
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    @extend_schema(
        summary="The current run",
        parameters=[ProfileQuerySerializer],
        filters=False,
        description="The newest succeeded run (of one profile, if given): the one pages show.",
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def current(self, request):
        query = ProfileQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        run = current_run(profile=query.validated_data.get("profile"))
        if run is None:
            raise NotFound("No run has succeeded yet.")
        return Response(RunSerializer(run).data)

    @extend_schema(
        summary="Cancel a run",
        request=None,
        responses=RunSerializer,
        description="Queued or running runs become cancelled; a running one stops before storing "
        "anything. 409 when the run has already finished.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        run = self.get_object()
        if not cancel_run(run=run):
            raise Conflict(f"Run {run.pk} is {run.status}; only queued or running runs can be cancelled.")
        run.refresh_from_db()
        return Response(RunSerializer(run).data)

    @extend_schema(
        summary="A run's results per locality",
        parameters=[FORMAT_PARAMETER],
        filters=False,
        description="Every locality of a succeeded run, byte for byte what `export_reach` writes: JSON, "
        "GeoJSON or CSV. Menu sizes without and with a car, expected menu, real choices, the "
        "reachable options, and (JSON, GeoJSON) per option providers, nearest sites and minutes by "
        "mode and 2SFCA accessibility.",
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="JSON export"),
            (200, "application/geo+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, one row per locality"),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[ExportJSONRenderer, GeoJSONRenderer, CSVRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def results(self, request, pk=None):
        run = _succeeded(self.get_object())
        fmt = request.accepted_renderer.format
        return Response(run, headers={"Content-Disposition": f'inline; filename="reach-run-{run.pk}.{fmt}"'})

    @extend_schema(
        summary="A run's equity summary",
        filters=False,
        responses=OpenApiTypes.OBJECT,
        description="Population-weighted figures for the whole run: Gini of the expected menu "
        "size, the share of people with the full menu, the worst and best fifths, and "
        "the same by rurality class and by IMD decile.",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def summary(self, request, pk=None):
        run = _succeeded(self.get_object())
        return Response(
            {
                "run": run.pk,
                "profile_name": run.profile_name,
                "finished_at": run.finished_at,
                "option_codes": run.option_codes,
                "summary": run.summary,
            }
        )


# --- one locality's reachable menu (served under /localities/{code}/menu/) --------------------


class LocalityMenuSerializer(serializers.Serializer):
    """Documents the shape of locality_menu() for the schema."""

    run = serializers.DictField(help_text="id, profile_name and finished_at of the run used.")
    locality_code = serializers.CharField()
    locality_name = serializers.CharField()
    population = serializers.IntegerField()
    car_share = serializers.FloatField()
    menu_without_car = serializers.IntegerField()
    menu_with_car = serializers.IntegerField()
    expected_menu = serializers.FloatField()
    real_choice_without_car = serializers.IntegerField()
    real_choice_with_car = serializers.IntegerField()
    options_without_car = serializers.CharField(help_text="Reachable option codes, ';'-separated.")
    options_with_car = serializers.CharField()
    options = serializers.ListField(
        child=serializers.DictField(),
        help_text=(
            "Per option in menu order: code, name, reachable_without_car, reachable_with_car, providers_without_car, "
            "providers_with_car, nearest {walk, pt, car: {minutes, site_code}}, access_without_car, access_with_car."
        ),
    )


def locality_menu(*, locality: Locality, profile: ReachProfile | None) -> dict:
    run = current_run(profile=profile)
    if run is None:
        raise NotFound("No run has succeeded yet.")
    reach = locality_reach(run=run, locality_code=locality.code)
    if reach is None:
        raise NotFound(f"Run {run.pk} has no result for {locality.code}: the locality is newer than the run.")
    return {"run": {"id": run.pk, "profile_name": run.profile_name, "finished_at": run.finished_at}, **reach}
