"""The person's own record through the API: needs and their history, reviews, and the personal menu.

The same access as the pages (careplans.views): keyworkers only, and only their own and their teams'
caseload (any other id is a 404). Writes go through careplans.services (update_needs, record_review),
so they are refused for the same rules, with the same messages, as the pages' forms (careplans.rules),
and audited in the same transaction. Every read is audited as the pages audit it.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from careplans.access import actor_for
from careplans.models import NEEDS_FIELDS, AuditAction, AuditedKind, Review, ServiceUser
from careplans.rules import needs_problems, review_problems
from careplans.selectors import needs_history, personal_menu, visible_service_users
from careplans.services import REVIEW_FIELDS, Needs, record_access, record_review, update_needs

from .careplans import CARE_RECORDS, KEYWORKERS, SERVICE_USER_ID, PersonRecordsViewSet, refuse
from .permissions import RoleAccessMixin


def visible_service_user(request, service_user_id) -> ServiceUser:
    """Only the keyworker's own and team caseload exist here: any other id is a 404."""
    people = visible_service_users(user=request.user).select_related("home_locality")
    return get_object_or_404(people, pk=service_user_id)


def viewed_service_user(request, service_user_id) -> ServiceUser:
    """The person, audited as viewed (as the pages audit opening their record)."""
    service_user = visible_service_user(request, service_user_id)
    record_access(
        actor=actor_for(request), action=AuditAction.VIEW, kind=AuditedKind.SERVICE_USER, records=[service_user]
    )
    return service_user


# --- serializers -------------------------------------------------------------------------------


def _optional_yes_no(help_text: str) -> serializers.BooleanField:
    return serializers.BooleanField(required=False, allow_null=True, default=None, help_text=help_text)


class NeedsSerializer(serializers.Serializer):
    """The person's needs and constraints; every one optional: empty, [] or null means "not asked".

    Choice fields are plain text here so that careplans.rules refuses an unknown value with the pages' message."""

    travel_access = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="car, lifts or no_car; empty: not asked."
    )
    walking_limited = _optional_yes_no("Is their walking limited?")
    longest_journey_minutes = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The longest journey they will make, 5–240 minutes."
    )
    can_attend = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="When they can attend: weekday_morning, weekday_afternoon, weekday_evening, weekend.",
    )
    accepts_remote = _optional_yes_no("Would they accept remote sessions?")
    accepts_home_visits = _optional_yes_no("Would they accept home visits?")
    accepts_groups = _optional_yes_no("Would they accept groups?")
    worker_gender = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="female or male; empty: no preference."
    )
    needs_childcare = _optional_yes_no("Do they need childcare at the session?")
    interpreter_language = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A language code such as pl or ur; empty: none."
    )

    def validate(self, attrs):
        # PATCH: what is not sent stays as it is, and the rules judge the needs as they would be saved.
        current = {name: getattr(self.instance, name) for name in NEEDS_FIELDS} if self.partial else {}
        merged = {**current, **attrs}
        refuse(needs_problems(merged))
        return merged

    def needs(self) -> Needs:
        return Needs(**self.validated_data)


class NeedsVersionSerializer(serializers.Serializer):
    """One version of the needs, as kept in the record's history."""

    at = serializers.DateTimeField()
    by = serializers.CharField(help_text="Username of whoever changed them (system: the demo or a task).")
    changed = serializers.ListField(
        child=serializers.CharField(), help_text="The needs this version changed; empty for the record's creation."
    )
    needs = NeedsSerializer()


class ReviewSerializer(serializers.ModelSerializer):
    """Outcomes at a review. Scores are plain numbers here so that careplans.rules refuses one out of range
    with the pages' message."""

    recorded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Username of whoever recorded it."
    )
    goal_1_score = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="0–10.")
    goal_2_score = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="0–10.")
    goal_3_score = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="0–10.")
    psychological_health = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="TOP psychological health, 0–20."
    )
    physical_health = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="TOP physical health, 0–20."
    )
    quality_of_life = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="TOP overall quality of life, 0–20."
    )
    days_of_use = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Days of use in the last 28 days, 0–28."
    )

    class Meta:
        model = Review
        fields = ["id", "service_user", *REVIEW_FIELDS, "recorded_by", "created_at"]
        read_only_fields = ["service_user"]
        extra_kwargs = {
            **{
                f"goal_{n}": {"default": "", "help_text": "A goal in the person's own words (a score needs one)."}
                for n in (1, 2, 3)
            },
            "reviewed_on": {"help_text": "The date of the review (not in the future)."},
        }

    def validate(self, attrs):
        refuse(review_problems(attrs))
        return attrs


class MenuOptionRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class PersonalOptionSerializer(serializers.Serializer):
    option = serializers.CharField(source="option.code", help_text="The menu option's code.")
    name = serializers.CharField(source="option.name")
    reason = serializers.CharField(
        help_text="reachable, too_far, wait_over_limit, not_open_when_available, not_eligible, "
        "format_not_acceptable or no_provider."
    )
    text = serializers.CharField(help_text="The reason as the page says it, e.g. with the nearest time.")
    providers = serializers.IntegerField(help_text="Distinct providers within the person's reach.")
    nearest_minutes = serializers.FloatField(
        allow_null=True, help_text="The nearest time by the ways they can travel (null: none within 240 minutes)."
    )
    nearest_mode = serializers.CharField(help_text="The mode of that time: walk, cycle, pt or car (empty: none).")


class WhatWouldChangeSerializer(serializers.Serializer):
    change = serializers.CharField(help_text="The change in the person's circumstances, e.g. with lifts.")
    options = MenuOptionRefSerializer(many=True, help_text="The options it would bring within reach.")


class PersonalMenuSerializer(serializers.Serializer):
    """Documents and shapes careplans.selectors.PersonalMenuView."""

    service_user = serializers.IntegerField()
    home_locality = serializers.CharField(source="locality.code", help_text="The home locality looked from.")
    home_locality_name = serializers.CharField(source="locality.name")
    count_reachable = serializers.IntegerField(help_text="How many options are within the person's reach.")
    options = PersonalOptionSerializer(many=True, source="rows")
    what_would_change = WhatWouldChangeSerializer(many=True)


def personal_menu_body(service_user: ServiceUser) -> dict:
    menu = personal_menu(service_user=service_user)
    by_name = {row.option.name: row.option for row in menu.rows}
    what_would_change = [
        {"change": change, "options": [by_name[name] for name in names]} for change, names in menu.changes
    ]
    return PersonalMenuSerializer(
        {
            "service_user": service_user.pk,
            "locality": menu.locality,
            "count_reachable": menu.count_reachable,
            "rows": menu.rows,
            "what_would_change": what_would_change,
        }
    ).data


# --- examples ---------------------------------------------------------------------------------

NEEDS_EXAMPLE = OpenApiExample(
    "No car, evenings only",
    value={
        "travel_access": "no_car",
        "walking_limited": False,
        "longest_journey_minutes": 45,
        "can_attend": ["weekday_evening"],
        "accepts_remote": True,
        "accepts_home_visits": None,
        "accepts_groups": False,
        "worker_gender": "female",
        "needs_childcare": None,
        "interpreter_language": "pl",
    },
)
REVIEW_EXAMPLE = OpenApiExample(
    "A review",
    request_only=True,
    value={
        "reviewed_on": "2025-04-21",
        "goal_1": "Have the kids at weekends again",
        "goal_1_score": 6,
        "psychological_health": 12,
        "physical_health": 11,
        "quality_of_life": 13,
        "days_of_use": 4,
    },
)
REVIEW_RESPONSE_EXAMPLE = OpenApiExample(
    "A recorded review",
    response_only=True,
    value={
        "id": 7,
        "service_user": 12,
        "reviewed_on": "2025-04-21",
        "goal_1": "Have the kids at weekends again",
        "goal_1_score": 6,
        "goal_2": "",
        "goal_2_score": None,
        "goal_3": "",
        "goal_3_score": None,
        "psychological_health": 12,
        "physical_health": 11,
        "quality_of_life": 13,
        "days_of_use": 4,
        "recorded_by": "keyworker",
        "created_at": "2025-04-21T10:02:00Z",
    },
)
NEEDS_HISTORY_EXAMPLE = OpenApiExample(
    "Lifts found since the first visit",
    response_only=True,
    value=[
        {
            "at": "2025-04-21T10:02:00Z",
            "by": "keyworker",
            "changed": ["travel_access"],
            "needs": {**NEEDS_EXAMPLE.value, "travel_access": "lifts"},
        },
        {"at": "2025-03-10T14:03:00Z", "by": "keyworker", "changed": [], "needs": NEEDS_EXAMPLE.value},
    ],
)
PERSONAL_MENU_EXAMPLE = OpenApiExample(
    "From a village, no car",
    response_only=True,
    value={
        "service_user": 12,
        "home_locality": "E01900042",
        "home_locality_name": "Maiden Newton",
        "count_reachable": 1,
        "options": [
            {
                "option": "OST-METH",
                "name": "Opioid substitution: methadone",
                "reason": "too_far",
                "text": "Too far by the ways they can travel: nearest 53 min by public transport",
                "providers": 0,
                "nearest_minutes": 53.2,
                "nearest_mode": "pt",
            },
            {
                "option": "PSYCHO",
                "name": "Structured psychosocial therapy",
                "reason": "reachable",
                "text": "Within reach",
                "providers": 1,
                "nearest_minutes": 0.0,
                "nearest_mode": "remote",
            },
        ],
        "what_would_change": [
            {"change": "with lifts", "options": [{"code": "OST-METH", "name": "Opioid substitution: methadone"}]}
        ],
    },
)


# --- views ------------------------------------------------------------------------------------


class NeedsView(RoleAccessMixin, APIView):
    read_roles = write_roles = KEYWORKERS

    @extend_schema(
        summary="A service user's needs and constraints",
        parameters=[SERVICE_USER_ID],
        responses=NeedsSerializer,
        examples=[NEEDS_EXAMPLE],
        description=f"How they travel, when they can attend, what they will accept. Audited as a view of the "
        f"record. {CARE_RECORDS}",
    )
    def get(self, request, service_user_id):
        service_user = viewed_service_user(request, service_user_id)
        return Response(NeedsSerializer(service_user).data)

    @extend_schema(
        summary="Record a service user's needs",
        parameters=[SERVICE_USER_ID],
        request=NeedsSerializer,
        responses=NeedsSerializer,
        examples=[NEEDS_EXAMPLE],
        description='Every need as the page records it; one left out becomes "not asked". Refused, by field and '
        "with the page's message, for an unknown travel, session, worker or language value or a longest journey "
        f"outside 5–240 minutes. Kept in the record's history and audited as changed. {CARE_RECORDS}",
    )
    def put(self, request, service_user_id):
        return self._write(request, service_user_id, partial=False)

    @extend_schema(
        summary="Change some of a service user's needs",
        parameters=[SERVICE_USER_ID],
        request=NeedsSerializer,
        responses=NeedsSerializer,
        examples=[NEEDS_EXAMPLE],
        description=f"Only the needs sent change; the rules judge the needs as they would be saved. {CARE_RECORDS}",
    )
    def patch(self, request, service_user_id):
        return self._write(request, service_user_id, partial=True)

    def _write(self, request, service_user_id, *, partial: bool) -> Response:
        service_user = visible_service_user(request, service_user_id)
        serializer = NeedsSerializer(service_user, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        update_needs(actor=actor_for(request), service_user=service_user, needs=serializer.needs())
        return Response(NeedsSerializer(service_user).data)


class NeedsHistoryView(RoleAccessMixin, APIView):
    read_roles = write_roles = KEYWORKERS

    @extend_schema(
        summary="The history of a service user's needs",
        parameters=[SERVICE_USER_ID],
        responses=NeedsVersionSerializer(many=True),
        examples=[NEEDS_HISTORY_EXAMPLE],
        description="Each version of the needs, newest first: when, by whom, which needs changed, and the needs "
        f"then. Changes to anything but the needs are left out. Audited as a view of the record. {CARE_RECORDS}",
    )
    def get(self, request, service_user_id):
        service_user = viewed_service_user(request, service_user_id)
        return Response(NeedsVersionSerializer(needs_history(service_user=service_user), many=True).data)


class PersonalMenuView(RoleAccessMixin, APIView):
    read_roles = write_roles = KEYWORKERS

    @extend_schema(
        summary="A service user's personal menu",
        parameters=[SERVICE_USER_ID],
        responses=PersonalMenuSerializer,
        examples=[PERSONAL_MENU_EXAMPLE],
        description="The menu from the person's home with their own modes, time limit, sessions, formats and age "
        "band, as the choice page shows it: per option the reason code (reachable or why not), the providers "
        "within reach and the nearest time with its mode; and what would change it (with lifts, with evenings, "
        f"if walking were not limited). Audited as a view of the record. {CARE_RECORDS}",
    )
    def get(self, request, service_user_id):
        service_user = viewed_service_user(request, service_user_id)
        return Response(personal_menu_body(service_user))


@extend_schema_view(
    list=extend_schema(
        summary="A service user's reviews",
        parameters=[SERVICE_USER_ID],
        examples=[REVIEW_RESPONSE_EXAMPLE],
        description=f"Oldest first, as the person's chart draws them; each review returned is audited as listed. "
        f"{CARE_RECORDS}",
    ),
    retrieve=extend_schema(
        summary="One review",
        parameters=[SERVICE_USER_ID],
        examples=[REVIEW_RESPONSE_EXAMPLE],
        description=f"Audited as viewed. A review of another person is a 404. {CARE_RECORDS}",
    ),
    create=extend_schema(
        summary="Record a review",
        parameters=[SERVICE_USER_ID],
        responses={201: ReviewSerializer},
        examples=[REVIEW_EXAMPLE, REVIEW_RESPONSE_EXAMPLE],
        description="Up to three goals in the person's own words, each rated 0–10 (a score needs its goal); the "
        "three TOP scores, 0–20; days of use in the last 28. Only the date is required, and it cannot be in the "
        f"future. Refused with the page's messages. Audited as created. {CARE_RECORDS}",
    ),
)
class ReviewViewSet(PersonRecordsViewSet):
    serializer_class = ReviewSerializer
    audited_kind = AuditedKind.REVIEW
    http_method_names = ["get", "post", "head", "options"]

    def records_of(self, service_user: ServiceUser):
        return service_user.reviews.select_related("service_user", "recorded_by").order_by("reviewed_on", "id")

    def create(self, request, service_user_id=None):
        service_user = self.service_user()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = record_review(actor=actor_for(request), service_user=service_user, outcomes=serializer.validated_data)
        return self.created(
            ReviewSerializer(review).data, "api:review-detail", service_user_id=service_user.pk, pk=review.pk
        )
