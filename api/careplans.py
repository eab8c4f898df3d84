"""Care plans for keyworkers, and unmet preference for commissioners (issue 5's records, through the API).

Keyworkers see their own and their teams' caseload (careplans.selectors): any other id is a 404, and
every record returned is audited as the pages audit it. Writes go through careplans.services, which
audit them and take the reach snapshot in the same transaction. Commissioners and admins never see a
single record: they read the disclosure-controlled unmet-preference publication (careplans.unmet).
"""

from __future__ import annotations

import io

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import KEYWORKER, UNMET_ROLES
from areas.models import Locality
from careplans.access import actor_for
from careplans.forms import CaseloadFilter
from careplans.models import AuditAction, AuditedKind, CarePlanChoice, ServiceUser, Team
from careplans.rules import choice_problems, service_user_problems
from careplans.selectors import caseload, choices_over_time, publication_or_latest, teams_of, visible_service_users
from careplans.services import (
    ChoiceFields,
    create_service_user,
    record_access,
    record_aggregate_read,
    record_choice,
    update_choice,
    update_service_user,
)
from careplans.unmet import (
    MEASURE_LABELS,
    MEASURES,
    NOTHING_PUBLISHED,
    publication_json,
    publication_meta,
    unmet_of,
    write_unmet_csv,
)
from services.models import MenuOption

from .commissioner_tables import PublicationQuerySerializer
from .errors import JsonErrorsMixin
from .permissions import RoleAccessMixin

KEYWORKERS = (KEYWORKER,)
CARE_RECORDS = (
    "Keyworkers only, and only their own and their teams' caseload: any other id is a 404. "
    "Commissioners and admins get 403, as on the pages."
)


def refuse(problems: dict[str, str]) -> None:
    """careplans.rules' findings as field errors."""
    if problems:
        raise serializers.ValidationError({field: [message] for field, message in problems.items()})


# --- serializers -------------------------------------------------------------------------------


class OwnTeamField(serializers.PrimaryKeyRelatedField):
    """A team the signed-in keyworker is a member of."""

    default_error_messages = {"does_not_exist": "You are not a member of a team with id {pk_value}."}

    def get_queryset(self):
        return teams_of(user=self.context["request"].user)


class ServiceUserSerializer(serializers.ModelSerializer):
    """A person on a keyworker's caseload, known only by a generated reference."""

    home_locality: serializers.SlugRelatedField[Locality] = serializers.SlugRelatedField(
        slug_field="code", queryset=Locality.objects.all(), help_text="Code of the locality the person lives in."
    )
    home_locality_name = serializers.CharField(source="home_locality.name", read_only=True)
    keyworker: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of the assigned keyworker (who added the person)."
    )
    team = OwnTeamField(
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        default=None,
        help_text="Id of one of your teams (its members share the record), or null.",
    )
    team_name = serializers.CharField(source="team.name", read_only=True, allow_null=True)
    latest_review = serializers.DateField(
        read_only=True, allow_null=True, help_text="Review date of the latest recorded choice."
    )
    choice_count = serializers.IntegerField(read_only=True, help_text="How many choices are recorded.")

    WRITABLE = ("age_band", "home_locality", "team", "status", "closed_on")

    class Meta:
        model = ServiceUser
        fields = [
            "id",
            "reference",
            "age_band",
            "home_locality",
            "home_locality_name",
            "keyworker",
            "team",
            "team_name",
            "status",
            "closed_on",
            "latest_review",
            "choice_count",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "reference": {"help_text": "The generated pseudonymous reference: the person has no name here."},
            "status": {"required": True, "help_text": "active, or closed (with closed_on)."},
            "closed_on": {
                "default": None,
                "help_text": "When the case closed (not in the future); retention counts from here.",
            },
        }

    def validate(self, attrs):
        # PATCH: what is not sent stays as it is, and the rules judge the record as it would be saved.
        current = {name: getattr(self.instance, name) for name in self.WRITABLE} if self.instance else {}
        merged = {**current, **attrs}
        refuse(service_user_problems(merged))
        return merged


class NewServiceUserSerializer(ServiceUserSerializer):
    """A new person is always an active case on the caller's caseload."""

    class Meta(ServiceUserSerializer.Meta):
        read_only_fields = ["status", "closed_on"]
        extra_kwargs = {
            key: value
            for key, value in ServiceUserSerializer.Meta.extra_kwargs.items()
            if key not in ("status", "closed_on")
        }


class ActiveOptionField(serializers.SlugRelatedField):
    """A menu option, by code, that is on the menu today."""

    default_error_messages = {"does_not_exist": "No active menu option has the code {value}."}

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=MenuOption.objects.filter(active=True), **kwargs)


class CarePlanChoiceSerializer(serializers.ModelSerializer):
    """One care-plan conversation, with the preferred option's reachability as it was on the day."""

    options_discussed = ActiveOptionField(
        many=True,
        required=False,
        default=list,
        help_text=("Codes of the options discussed; the preferred and agreed options count as discussed anyway."),
    )
    preferred_option = ActiveOptionField(help_text="Code of the option the person preferred.")
    agreed_option = ActiveOptionField(help_text="Code of the option agreed.")
    recorded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of whoever recorded it."
    )
    home_locality: serializers.SlugRelatedField[Locality] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Snapshot: the person's home locality when recorded."
    )

    class Meta:
        model = CarePlanChoice
        fields = [
            "id",
            "service_user",
            "discussed_on",
            "options_discussed",
            "preferred_option",
            "agreed_option",
            "joint_decision",
            "difference_reason",
            "difference_other",
            "review_on",
            "recorded_by",
            "home_locality",
            "reach_run",
            "preferred_reachable_without_car",
            "preferred_reachable_with_car",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "service_user",
            "reach_run",
            "preferred_reachable_without_car",
            "preferred_reachable_with_car",
        ]
        extra_kwargs = {
            "difference_reason": {
                "default": "",
                "help_text": "Why the agreed option differs from the preferred one; required exactly when they differ.",
            },
            "difference_other": {"default": "", "help_text": "What the reason is, when it is `other`."},
            "reach_run": {"help_text": "Snapshot: the run that judged reachability at the time (null: none)."},
            "preferred_reachable_without_car": {
                "help_text": "Snapshot: was the preferred option reachable "
                "from home without a car? (null: the run did not say)"
            },
            "preferred_reachable_with_car": {"help_text": "Snapshot: … and with a car?"},
        }

    def validate(self, attrs):
        # PATCH: what is not sent stays as it is, and the rules judge the choice as it would be saved.
        merged = {**self._current(), **attrs}
        refuse(choice_problems(merged))
        return merged

    def _current(self) -> dict:
        choice = self.instance
        if choice is None:
            return {}
        return {
            "discussed_on": choice.discussed_on,
            "options_discussed": list(choice.options_discussed.all()),
            "preferred_option": choice.preferred_option,
            "agreed_option": choice.agreed_option,
            "joint_decision": choice.joint_decision,
            "difference_reason": choice.difference_reason,
            "difference_other": choice.difference_other,
            "review_on": choice.review_on,
        }

    def choice_fields(self) -> ChoiceFields:
        return ChoiceFields(**self.validated_data)


# --- examples ---------------------------------------------------------------------------------

SERVICE_USER_EXAMPLE = OpenApiExample(
    "A person on the caseload",
    response_only=True,
    value={
        "id": 12,
        "reference": "SU-7KQ2-M9XD",
        "age_band": "25_34",
        "home_locality": "E01900012",
        "home_locality_name": "Boscombe West",
        "keyworker": "keyworker",
        "team": 1,
        "team_name": "North",
        "status": "active",
        "closed_on": None,
        "latest_review": "2025-04-21",
        "choice_count": 2,
        "created_at": "2025-01-06T10:12:00Z",
        "updated_at": "2025-03-10T14:03:00Z",
    },
)
NEW_SERVICE_USER_EXAMPLE = OpenApiExample(
    "Add a person", request_only=True, value={"age_band": "25_34", "home_locality": "E01900012", "team": None}
)
CLOSE_CASE_EXAMPLE = OpenApiExample(
    "Close a case", request_only=True, value={"status": "closed", "closed_on": "2025-03-31"}
)
CHOICE_REQUEST_EXAMPLE = OpenApiExample(
    "Preferred buprenorphine, agreed methadone",
    request_only=True,
    value={
        "discussed_on": "2025-03-10",
        "options_discussed": ["OST-METH", "OST-BUP", "PSY-1to1"],
        "preferred_option": "OST-BUP",
        "agreed_option": "OST-METH",
        "joint_decision": True,
        "difference_reason": "not_reachable",
        "difference_other": "",
        "review_on": "2025-04-21",
    },
)
CHOICE_RESPONSE_EXAMPLE = OpenApiExample(
    "A recorded choice",
    response_only=True,
    value={
        "id": 31,
        "service_user": 12,
        "discussed_on": "2025-03-10",
        "options_discussed": ["OST-METH", "OST-BUP", "PSY-1to1"],
        "preferred_option": "OST-BUP",
        "agreed_option": "OST-METH",
        "joint_decision": True,
        "difference_reason": "not_reachable",
        "difference_other": "",
        "review_on": "2025-04-21",
        "recorded_by": "keyworker",
        "home_locality": "E01900012",
        "reach_run": 7,
        "preferred_reachable_without_car": False,
        "preferred_reachable_with_car": True,
        "created_at": "2025-03-10T14:03:00Z",
        "updated_at": "2025-03-10T14:03:00Z",
    },
)
REVIEW_EXAMPLE = OpenApiExample("Move the review date", request_only=True, value={"review_on": "2025-05-05"})


# --- care records -----------------------------------------------------------------------------


class KeyworkerViewSet(RoleAccessMixin, viewsets.GenericViewSet):
    read_roles = write_roles = KEYWORKERS
    lookup_value_regex = r"\d+"

    def audit_read(self, action: str, kind: str, records) -> None:
        record_access(actor=actor_for(self.request), action=action, kind=kind, records=list(records))

    def created(self, data: dict, url_name: str, **kwargs) -> Response:
        location = self.request.build_absolute_uri(reverse(url_name, kwargs=kwargs))
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})


@extend_schema_view(
    list=extend_schema(
        summary="My caseload",
        examples=[SERVICE_USER_EXAMPLE],
        description=f"The service users you may see, newest review first, with the caseload page's search and "
        f"filters. Each person on the page returned is audited as listed. {CARE_RECORDS}",
    ),
    retrieve=extend_schema(
        summary="One service user", examples=[SERVICE_USER_EXAMPLE], description=f"Audited as viewed. {CARE_RECORDS}"
    ),
    create=extend_schema(
        summary="Add a service user",
        responses={201: ServiceUserSerializer},
        examples=[NEW_SERVICE_USER_EXAMPLE, SERVICE_USER_EXAMPLE],
        description="A new active case on your caseload under a fresh pseudonymous reference "
        "(no names, birth dates or addresses are kept). `team` must be one of your "
        f"teams. Audited as created. {CARE_RECORDS}",
    ),
    update=extend_schema(
        summary="Replace a service user's details",
        request=ServiceUserSerializer,
        examples=[CLOSE_CASE_EXAMPLE, SERVICE_USER_EXAMPLE],
        description="age_band, home_locality and status are required; a left-out team or "
        "closed_on becomes null. A closed case needs the date it closed. Audited as "
        f"changed, with the change kept in the record's history. {CARE_RECORDS}",
    ),
    partial_update=extend_schema(
        summary="Change a service user, e.g. close the case",
        examples=[CLOSE_CASE_EXAMPLE, SERVICE_USER_EXAMPLE],
        description="Only the fields sent change. Reopening a case (status active) clears "
        f"its closing date. Audited as changed. {CARE_RECORDS}",
    ),
)
class ServiceUserViewSet(KeyworkerViewSet):
    serializer_class = ServiceUserSerializer
    filterset_class = CaseloadFilter

    def get_queryset(self):
        return caseload(user=self.request.user)

    def get_serializer_class(self):
        return NewServiceUserSerializer if self.action == "create" else ServiceUserSerializer

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self.audit_read(AuditAction.LIST, AuditedKind.SERVICE_USER, page)
        return self.get_paginated_response(ServiceUserSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        service_user = self.get_object()
        self.audit_read(AuditAction.VIEW, AuditedKind.SERVICE_USER, [service_user])
        return Response(ServiceUserSerializer(service_user).data)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service_user = create_service_user(
            actor=actor_for(request), keyworker=request.user, **serializer.validated_data
        )
        return self.created(self._shown(service_user), "api:service-user-detail", pk=service_user.pk)

    def update(self, request, pk=None, partial=False):
        service_user = self.get_object()
        serializer = self.get_serializer(service_user, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        update_service_user(actor=actor_for(request), service_user=service_user, **serializer.validated_data)
        return Response(self._shown(service_user))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def _shown(self, service_user: ServiceUser) -> dict:
        # Read back with the caseload's figures (latest review, choices); the write's audit row covers it.
        return ServiceUserSerializer(self.get_queryset().get(pk=service_user.pk)).data


class PersonRecordsViewSet(KeyworkerViewSet):
    """One person's records (service-users/{id}/…): a person outside the caseload is a 404, and every record
    returned is audited, one `list` row per record listed, a `view` row for one record."""

    audited_kind: str

    def service_user(self) -> ServiceUser:
        """Only the keyworker's own and team caseload exist here: any other id is a 404."""
        return get_object_or_404(visible_service_users(user=self.request.user), pk=self.kwargs["service_user_id"])

    def records_of(self, service_user: ServiceUser) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: there is no caller
            return self.get_serializer_class().Meta.model.objects.none()
        return self.records_of(self.service_user())

    def list(self, request, service_user_id=None):
        page = self.paginate_queryset(self.get_queryset())
        self.audit_read(AuditAction.LIST, self.audited_kind, page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, service_user_id=None, pk=None):
        record = self.get_object()
        self.audit_read(AuditAction.VIEW, self.audited_kind, [record])
        return Response(self.get_serializer(record).data)


SERVICE_USER_ID = OpenApiParameter(
    "service_user_id", int, OpenApiParameter.PATH, description="The service user's id (from `service-users/`)."
)


@extend_schema_view(
    list=extend_schema(
        summary="A service user's care-plan choices",
        parameters=[SERVICE_USER_ID],
        examples=[CHOICE_RESPONSE_EXAMPLE],
        description=f"Newest conversation first; each choice returned is audited as listed. {CARE_RECORDS}",
    ),
    retrieve=extend_schema(
        summary="One care-plan choice",
        parameters=[SERVICE_USER_ID],
        examples=[CHOICE_RESPONSE_EXAMPLE],
        description=f"Audited as viewed. A choice of another person is a 404. {CARE_RECORDS}",
    ),
    create=extend_schema(
        summary="Record a care-plan choice",
        parameters=[SERVICE_USER_ID],
        responses={201: CarePlanChoiceSerializer},
        examples=[CHOICE_REQUEST_EXAMPLE, CHOICE_RESPONSE_EXAMPLE],
        description="What was discussed, preferred and agreed, and why those differ (a reason exactly when they "
        "differ; `other` needs its text). The conversation cannot be in the future, nor the review "
        "before it. At save the preferred option's reachability from the person's home (without and "
        "with a car) is recorded from the current run, with the run's id, so the record stays true "
        f"after the catalogue changes. Audited as created. {CARE_RECORDS}",
    ),
    update=extend_schema(
        summary="Correct a care-plan choice",
        parameters=[SERVICE_USER_ID],
        examples=[CHOICE_REQUEST_EXAMPLE, CHOICE_RESPONSE_EXAMPLE],
        description="Every field as for recording it. The reach snapshot is retaken only when the "
        "preferred option changes, from the home recorded with the choice. Audited as "
        f"changed. {CARE_RECORDS}",
    ),
    partial_update=extend_schema(
        summary="Change part of a care-plan choice",
        parameters=[SERVICE_USER_ID],
        examples=[REVIEW_EXAMPLE, CHOICE_RESPONSE_EXAMPLE],
        description="Only the fields sent change; the rules apply to the choice as it "
        f"would be saved. Audited as changed. {CARE_RECORDS}",
    ),
)
class CarePlanChoiceViewSet(PersonRecordsViewSet):
    serializer_class = CarePlanChoiceSerializer
    audited_kind = AuditedKind.CARE_PLAN_CHOICE

    def records_of(self, service_user: ServiceUser):
        return choices_over_time(service_user=service_user)

    def create(self, request, service_user_id=None):
        service_user = self.service_user()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        choice = record_choice(actor=actor_for(request), service_user=service_user, fields=serializer.choice_fields())
        return self.created(
            CarePlanChoiceSerializer(choice).data,
            "api:care-plan-choice-detail",
            service_user_id=service_user.pk,
            pk=choice.pk,
        )

    def update(self, request, service_user_id=None, pk=None, partial=False):
        choice = self.get_object()
        serializer = self.get_serializer(choice, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        choice = update_choice(actor=actor_for(request), choice=choice, fields=serializer.choice_fields())
        return Response(CarePlanChoiceSerializer(choice).data)

    def partial_update(self, request, service_user_id=None, pk=None):
        return self.update(request, service_user_id=service_user_id, pk=pk, partial=True)


# --- unmet preference -------------------------------------------------------------------------


class UnmetCsvRenderer(BaseRenderer):
    """The whole protected table, as /careplans/unmet.csv writes it."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        output = io.StringIO()
        write_unmet_csv(data, output)
        return output.getvalue().encode(self.charset)


class UnmetQuerySerializer(PublicationQuerySerializer):
    locality = serializers.CharField(
        required=False,
        help_text=(
            "Only this locality code (JSON only). A locality not shown on its own, with a few people or none, "
            "answers with the figures of OTHER."
        ),
    )
    option = serializers.CharField(required=False, help_text="Only this menu option code (JSON only).")

    def validate_locality(self, code: str) -> str:
        if not Locality.objects.filter(code=code).exists():
            raise serializers.ValidationError(f"Unknown locality code {code!r}.")
        return code

    def validate_option(self, code: str) -> str:
        if not MenuOption.objects.filter(code=code).exists():
            raise serializers.ValidationError(f"Unknown menu option code {code!r}.")
        return code


class UnmetCellSerializer(serializers.Serializer):
    """Documents one locality × option cell: every measure's published count, null where suppressed."""

    def get_fields(self):
        return {
            measure: serializers.IntegerField(allow_null=True, help_text=MEASURE_LABELS[measure])
            for measure in MEASURES
        }


class UnmetLocalitySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Locality code, or OTHER for the pool of small localities.")
    name = serializers.CharField()
    options = serializers.DictField(child=UnmetCellSerializer(), help_text="Per option code, and ALL.")


class UnmetPublicationSerializer(serializers.Serializer):
    """Documents the shape of careplans.unmet.publication_json()."""

    basis = serializers.CharField()
    disclosure = serializers.DictField(
        help_text="The rules applied: which counts are suppressed (null), the "
        "rounding, and that secondary suppression is on."
    )
    measures = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="Each measure's code and label, in table order.",
    )
    options = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="Code and name of each option someone preferred.",
    )
    area = serializers.DictField(child=UnmetCellSerializer(), help_text="All localities: per option code, and ALL.")
    localities = UnmetLocalitySerializer(many=True)
    other_localities = serializers.IntegerField(
        help_text="How many localities OTHER counts together: every one not shown on its own, with people or not."
    )
    published = serializers.DictField(
        help_text="The stored publication: id, built_at, data_cutoff (choices recorded before it count) and method."
    )


def _example_cell(**shown) -> dict:
    return {**dict.fromkeys(MEASURES, None), **shown}


UNMET_JSON_EXAMPLE = OpenApiExample(
    "Unmet preference, protected",
    value={
        "basis": "latest choice per person, in the home locality recorded with it",
        "disclosure": {
            "suppressed": "null",
            "suppressed_range": [1, 7],
            "rounded_to": 5,
            "secondary_suppression": True,
        },
        "measures": [{"code": m, "label": MEASURE_LABELS[m]} for m in MEASURES[:3]] + [{"code": "…", "label": "…"}],
        "options": [{"code": "OST-BUP", "name": "Opioid substitution: buprenorphine"}],
        "area": {
            "OST-BUP": _example_cell(
                preferred=45, agreed_preferred=30, agreed_different=15, reachable=25, not_reachable=20, reach_unknown=0
            ),
            "ALL": _example_cell(
                preferred=120, agreed_preferred=90, agreed_different=30, reachable=85, not_reachable=35, reach_unknown=0
            ),
        },
        "localities": [
            {
                "code": "E01900012",
                "name": "Boscombe West",
                "options": {
                    "OST-BUP": _example_cell(preferred=10, reach_unknown=0),
                    "ALL": _example_cell(preferred=25, agreed_preferred=20, reach_unknown=0),
                },
            }
        ],
        "other_localities": 37,
        "published": {
            "id": 4,
            "built_at": "2026-11-01T02:00:00+00:00",
            "data_cutoff": "2026-11-01T00:00:00+00:00",
            "method": "suppress 1-7, cell-key round 5, ILP ranges (v4, joint)",
        },
    },
)
UNMET_CSV_EXAMPLE = OpenApiExample(
    "Unmet preference as CSV",
    value=(
        "locality_code,locality_name,option_code,option_name," + ",".join(MEASURES) + "\n"
        "E01900012,Boscombe West,OST-BUP,Opioid substitution: buprenorphine,10,"
        + ",".join(["suppressed"] * (len(MEASURES) - 2))
        + ",0\n"
    ),
)
UNMET_FORMAT = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv"],
    description=(
        "json (default) or csv (the whole table, one row per locality and option, `suppressed` for hidden "
        "counts). The Accept header works too."
    ),
)


class UnmetPreferenceView(JsonErrorsMixin, RoleAccessMixin, APIView):
    read_roles = write_roles = UNMET_ROLES  # other methods: 405 for them, 403 for everyone else
    renderer_classes = [JSONRenderer, UnmetCsvRenderer]

    @extend_schema(
        summary="Unmet preference per locality and option (protected)",
        parameters=[UnmetQuerySerializer, UNMET_FORMAT],
        description="Per locality and option: how many preferred it, how many agreed it or another option (by "
        "reason), and whether it was reachable from home without a car. The same publication as the "
        "commissioners' page and its CSV, from a stored publication built on a schedule (the latest, or "
        "`publication`): counts of 1–7 are suppressed (null), the rest rounded to a multiple of 5 by cell key, "
        "with secondary suppression so no hidden count of 1–7 can be narrowed below 0 to 8; localities "
        "with too few people to show are counted together as OTHER, never listed. No single record is "
        "ever shown. Commissioners and admins; each read is audited; 404 before the first publication.",
        responses={
            (200, "application/json"): OpenApiResponse(UnmetPublicationSerializer, examples=[UNMET_JSON_EXAMPLE]),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, examples=[UNMET_CSV_EXAMPLE]),
        },
    )
    def get(self, request):
        query = UnmetQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_csv = request.accepted_renderer.format == UnmetCsvRenderer.format
        filters = {name: value for name, value in query.validated_data.items() if name != "publication"}
        if as_csv and filters:
            raise serializers.ValidationError(
                {
                    name: [
                        "The CSV is always the whole table: filter in the JSON "
                        "format, or filter the rows after download."
                    ]
                    for name in filters
                }
            )
        stored = publication_or_latest(query.validated_data.get("publication"))
        if stored is None:
            raise NotFound(NOTHING_PUBLISHED)
        publication = unmet_of(stored)
        record_aggregate_read(actor=actor_for(request))
        if as_csv:
            return Response(
                publication,
                headers={"Content-Disposition": f'attachment; filename="unmet-preference-{stored.pk}.csv"'},
            )
        return Response({"published": publication_meta(stored), **publication_json(publication, **filters)})
