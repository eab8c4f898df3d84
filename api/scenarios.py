"""Scenarios and plans: commissioners build, run and compare scenarios; admins apply them.

Commissioners and admins read every scenario; only its owner changes it; only an admin applies
one to the catalogue. Keyworkers have no access.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from choicemap.imports import ImportFailed
from reach.models import ChangeKind, ReachProfile, RunStatus, Scenario, ScenarioChange, TravelProvider
from reach.plan_services import WEIGHTS, make_plan, save_plan_as_scenario
from reach.planner import OBJECTIVES
from reach.scenario_catalogue import ScenarioInvalid
from reach.scenario_selectors import base_run_for, compare_runs
from reach.scenario_services import add_change, apply_scenario, create_scenario, remove_change, start_scenario_runs
from reach.services import RunAlreadyActive

from .errors import Conflict
from .permissions import PLANNERS, RoleAccessMixin
from .reach import RunSerializer


class ScenarioErrorsMixin:
    """A broken scenario rule is a 400 naming the change and field, like any invalid field."""

    def handle_exception(self, exc):
        if isinstance(exc, ScenarioInvalid):
            exc = exceptions.ValidationError({where: [why] for where, why in exc.problems.items()})
        elif isinstance(exc, ImportFailed):
            exc = exceptions.ValidationError({f"{p.location}, {p.field}".strip(", "): [p.reason] for p in exc.problems})
        elif isinstance(exc, RunAlreadyActive):
            exc = Conflict(f"{exc} Wait for it or cancel it first.", code="run_active")
        return super().handle_exception(exc)


class ChangeSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    values = serializers.JSONField(help_text="The kind's fields; see docs/scenarios.md.")

    class Meta:
        model = ScenarioChange
        fields = ["position", "kind", "values", "created_at"]
        read_only_fields = ["position", "created_at"]


class ScenarioSerializer(serializers.ModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    applied_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    changes = ChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Scenario
        fields = [
            "id",
            "name",
            "description",
            "owner",
            "base",
            "created_at",
            "updated_at",
            "applied_at",
            "applied_by",
            "changes",
        ]
        read_only_fields = ["created_at", "updated_at", "applied_at", "applied_by"]


class ScenarioRunSerializer(serializers.Serializer):
    profile = serializers.PrimaryKeyRelatedField(
        queryset=ReachProfile.objects.all(), required=False, help_text="Profile id; the default when left out."
    )
    provider = serializers.ChoiceField(choices=TravelProvider.choices, default=TravelProvider.CROWFLY)


class ManyRunsSerializer(ScenarioRunSerializer):
    scenarios = serializers.PrimaryKeyRelatedField(queryset=Scenario.objects.all(), many=True)


def _own(request, scenario: Scenario) -> Scenario:
    if scenario.owner_id != request.user.pk:
        raise exceptions.PermissionDenied("Only the scenario's owner can change it.")
    return scenario


@extend_schema_view(
    list=extend_schema(summary="List scenarios", description="Every scenario; commissioners and admins."),
    retrieve=extend_schema(summary="One scenario with its changes in order"),
    create=extend_schema(summary="Create a scenario", description="Owned by the caller; base: another scenario."),
)
class ScenarioViewSet(
    ScenarioErrorsMixin,
    RoleAccessMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Scenario.objects.select_related("owner", "applied_by").prefetch_related("changes")
    serializer_class = ScenarioSerializer
    read_roles = write_roles = PLANNERS
    lookup_value_regex = r"\d+"

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = create_scenario(
            name=data["name"], owner=self.request.user, base=data.get("base"), description=data.get("description", "")
        )

    @extend_schema(
        summary="Add a change",
        request=ChangeSerializer,
        responses={201: ChangeSerializer},
        description="Checked against the catalogue the earlier changes leave, by the catalogue's offer "
        "rules and site checks; 400 names the change and field of each problem. Owner only.",
    )
    @action(detail=True, methods=["post"])
    def changes(self, request, pk=None):
        scenario = _own(request, self.get_object())
        query = ChangeSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        change = add_change(scenario=scenario, kind=query.validated_data["kind"], values=query.validated_data["values"])
        return Response(ChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove a change",
        parameters=[OpenApiParameter("position", int, OpenApiParameter.PATH)],
        responses={204: None},
        description="400 when a later change needs it. Owner only.",
    )
    @action(detail=True, methods=["delete"], url_path=r"changes/(?P<position>\d+)")
    def remove_change(self, request, pk=None, position=None):
        scenario = _own(request, self.get_object())
        change = scenario.changes.filter(position=int(position)).first()
        if change is None:
            raise exceptions.NotFound(f"Scenario {scenario.pk} has no change {position}.")
        remove_change(change=change)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Run the scenario on the worker",
        request=ScenarioRunSerializer,
        responses={202: RunSerializer},
        description="A versioned run on the scenario's modified catalogue; poll /api/v1/runs/{id}/. "
        "409 while this scenario already has a queued or running run of the profile.",
    )
    @action(detail=True, methods=["post"], url_path="run")
    def run(self, request, pk=None):
        [run] = _start_runs(request, ScenarioRunSerializer, scenarios=[self.get_object()])
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="The scenario's runs", responses={200: RunSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        return Response(RunSerializer(self.get_object().runs.order_by("-created_at", "-id"), many=True).data)

    @extend_schema(
        summary="Compare with the base",
        parameters=[
            OpenApiParameter("run", int, description="A succeeded run of this scenario; the newest when left out.")
        ],
        responses={200: OpenApiTypes.OBJECT},
        description="Per locality the change in menu without and with a car, expected menu and real choice; "
        "people who gain and lose; equity figures before and after. The base is the newest succeeded run "
        "of the same profile on the base (the base scenario, or the live catalogue). 409 when either is missing.",
    )
    @action(detail=True, methods=["get"])
    def compare(self, request, pk=None):
        scenario = self.get_object()
        runs = scenario.runs.filter(status=RunStatus.SUCCEEDED).order_by("-finished_at", "-id")
        requested = request.query_params.get("run", "")
        run = runs.filter(pk=int(requested)).first() if requested.isdigit() else runs.first()
        if run is None:
            raise Conflict("This scenario has no succeeded run to compare yet.", code="no_run")
        base = base_run_for(run)
        if base is None:
            raise Conflict("Its base has no succeeded run of the same profile yet.", code="no_base_run")
        return Response(compare_runs(base=base, scenario_run=run))

    @extend_schema(
        summary="Apply to the catalogue (admin)",
        request=None,
        responses={200: ScenarioSerializer},
        description="Makes the changes (and its unapplied bases') to the live catalogue in one "
        "transaction, after checking them again; a recompute follows. Admins only.",
    )
    @action(detail=True, methods=["post"], url_path="apply")
    def apply(self, request, pk=None):
        scenario = apply_scenario(scenario=self.get_object(), applied_by=request.user)
        return Response(ScenarioSerializer(scenario).data)

    @extend_schema(
        summary="Run many scenarios at once",
        request=ManyRunsSerializer,
        responses={202: RunSerializer(many=True)},
        description="One run per scenario, sent to the worker together as a Celery group.",
    )
    @action(detail=False, methods=["post"], url_path="run-many")
    def run_many(self, request):
        runs = _start_runs(request, ManyRunsSerializer)
        return Response(RunSerializer(runs, many=True).data, status=status.HTTP_202_ACCEPTED)


def _start_runs(request, query_class: type[serializers.Serializer], **given) -> list:
    """The request checked by its serializer, then one run per scenario, sent together (a Celery group)."""
    query = query_class(data=request.data)
    query.is_valid(raise_exception=True)
    return start_scenario_runs(started_by=request.user, **given, **query.validated_data)


class PlanRequestSerializer(serializers.Serializer):
    candidates = serializers.FileField(help_text="CSV: id,cost then the import_catalogue columns.")
    budget = serializers.FloatField(min_value=0)
    objective = serializers.ChoiceField(choices=OBJECTIVES)
    min_options = serializers.IntegerField(min_value=1, default=1)
    weight = serializers.ChoiceField(choices=WEIGHTS, default="none")
    profile = serializers.PrimaryKeyRelatedField(queryset=ReachProfile.objects.all(), required=False)
    save_scenario = serializers.CharField(required=False, max_length=200, help_text="Save the plan as this scenario.")


class PlanView(ScenarioErrorsMixin, RoleAccessMixin, APIView):
    read_roles = write_roles = PLANNERS
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Plan: the best candidate offers under a budget",
        request={"multipart/form-data": PlanRequestSerializer},
        responses={200: OpenApiTypes.OBJECT},
        description="Solved exactly (MILP, HiGHS) with optimality or the MIP gap stated, or by lazy "
        "greedy with its guarantee above a size limit. 400 lists candidate problems by row and field.",
    )
    def post(self, request):
        query = PlanRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(data["candidates"].name or "candidates.csv").name
            path.write_bytes(data["candidates"].read())
            plan, candidates = make_plan(
                path=path,
                budget=data["budget"],
                objective=data["objective"],
                min_options=data["min_options"],
                weight=data["weight"],
                profile=data.get("profile"),
            )
        if data.get("save_scenario"):
            scenario = save_plan_as_scenario(
                name=data["save_scenario"], owner=request.user, chosen=plan["chosen"], candidates=candidates
            )
            plan["scenario"] = scenario.pk
        return Response(plan)
