"""Pseudonymous service users, their care-plan choices, and the audit trail of every access to them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from services.models import WorkerGender


class AgeBand(models.TextChoices):
    UNDER_18 = "under_18", "Under 18"
    AGE_18_24 = "18_24", "18–24"
    AGE_25_34 = "25_34", "25–34"
    AGE_35_44 = "35_44", "35–44"
    AGE_45_54 = "45_54", "45–54"
    AGE_55_64 = "55_64", "55–64"
    AGE_65_PLUS = "65_plus", "65 and over"


class CaseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class TravelAccess(models.TextChoices):
    CAR = "car", "Car in the household"
    LIFTS = "lifts", "Can get lifts"
    NO_CAR = "no_car", "No car"


class Session(models.TextChoices):
    """When a person can attend; an offer's opening hours are matched against the same four."""

    WEEKDAY_MORNING = "weekday_morning", "Weekday mornings"
    WEEKDAY_AFTERNOON = "weekday_afternoon", "Weekday afternoons"
    WEEKDAY_EVENING = "weekday_evening", "Weekday evenings"
    WEEKEND = "weekend", "Weekends"


# The person's needs: every one optional. Empty or null means "not asked", which rules nothing out.
LONGEST_JOURNEY_MINUTES = (5, 240)
NEEDS_FIELDS = (
    "travel_access",
    "walking_limited",
    "longest_journey_minutes",
    "can_attend",
    "accepts_remote",
    "accepts_home_visits",
    "accepts_groups",
    "worker_gender",
    "needs_childcare",
    "interpreter_language",
)


class Team(models.Model):
    """Keyworkers who share a caseload: each sees the service users assigned to the team."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="careplan_teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceUser(models.Model):
    """A person on a keyworker's caseload, known only by a generated reference: no name, birth date or address."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices)
    home_locality = models.ForeignKey("areas.Locality", on_delete=models.PROTECT, related_name="+")
    keyworker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caseload")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="service_users")
    status = models.CharField(max_length=6, choices=CaseStatus.choices, default=CaseStatus.ACTIVE)
    closed_on = models.DateField(null=True, blank=True, help_text="When the case closed; retention counts from here.")
    travel_access = models.CharField(max_length=6, choices=TravelAccess.choices, blank=True)
    walking_limited = models.BooleanField(null=True, blank=True)
    longest_journey_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    can_attend = ArrayField(models.CharField(max_length=20, choices=Session.choices), default=list, blank=True)
    accepts_remote = models.BooleanField(null=True, blank=True)
    accepts_home_visits = models.BooleanField(null=True, blank=True)
    accepts_groups = models.BooleanField(null=True, blank=True)
    worker_gender = models.CharField(max_length=6, choices=WorkerGender.choices, blank=True)
    needs_childcare = models.BooleanField(null=True, blank=True)
    interpreter_language = models.CharField(
        max_length=10, blank=True, help_text="A language code (as Django's LANG_INFO names them); empty for none."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Retention removes a record's history with it, or the history would outlive the record.
    history = HistoricalRecords(cascade_delete_history=True)

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=Q(age_band__in=AgeBand.values), name="serviceuser_age_band_known"),
            models.CheckConstraint(
                condition=(Q(status=CaseStatus.ACTIVE) & Q(closed_on__isnull=True))
                | (Q(status=CaseStatus.CLOSED) & Q(closed_on__isnull=False)),
                name="serviceuser_closed_date_only_and_always_when_closed",
                violation_error_message="A closed case needs the date it closed; an active one has none.",
            ),
            models.CheckConstraint(
                condition=Q(travel_access="") | Q(travel_access__in=TravelAccess.values),
                name="serviceuser_travel_access_known",
            ),
            models.CheckConstraint(
                condition=Q(worker_gender="") | Q(worker_gender__in=WorkerGender.values),
                name="serviceuser_worker_gender_known",
            ),
            models.CheckConstraint(
                condition=Q(can_attend__contained_by=Session.values),
                name="serviceuser_sessions_known",
            ),
            models.CheckConstraint(
                condition=Q(longest_journey_minutes__isnull=True)
                | Q(longest_journey_minutes__range=LONGEST_JOURNEY_MINUTES),
                name="serviceuser_longest_journey_in_range",
                violation_error_message="The longest journey must be between 5 and 240 minutes.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class DifferenceReason(models.TextChoices):
    """Why the agreed option is not the one the person preferred."""

    NOT_REACHABLE = "not_reachable", "Not reachable from home"
    WAITING_LIST = "waiting_list", "Waiting list"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    CLINICAL_ADVICE = "clinical_advice", "Clinical advice"
    CHANGED_MIND = "changed_mind", "Person changed their mind"
    NO_CAPACITY = "no_capacity", "No capacity"
    OTHER = "other", "Other"


class CarePlanChoice(models.Model):
    """One care-plan conversation: what was discussed, preferred and agreed, and why those differ.

    The reach fields are a snapshot taken at save, from the then current run for the person's then
    home locality, so the record stays true after the catalogue, the run or the person's home changes.
    """

    service_user = models.ForeignKey(ServiceUser, on_delete=models.CASCADE, related_name="choices")
    discussed_on = models.DateField()
    options_discussed = models.ManyToManyField("services.MenuOption", related_name="+")
    preferred_option = models.ForeignKey("services.MenuOption", on_delete=models.PROTECT, related_name="+")
    agreed_option = models.ForeignKey("services.MenuOption", on_delete=models.PROTECT, related_name="+")
    joint_decision = models.BooleanField(help_text="Whether the person and keyworker decided together.")
    difference_reason = models.CharField(max_length=20, choices=DifferenceReason.choices, blank=True)
    difference_other = models.CharField("other reason", max_length=300, blank=True)
    review_on = models.DateField("review date")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The snapshot (see the class docstring). Null reachability: no run covered the locality and option.
    home_locality = models.ForeignKey("areas.Locality", on_delete=models.PROTECT, related_name="+")
    reach_run = models.ForeignKey("reach.ReachRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    preferred_reachable_without_car = models.BooleanField(null=True)
    preferred_reachable_with_car = models.BooleanField(null=True)
    # The person's own menu at save: per option its reason code, providers and nearest time (see
    # careplans.selectors.PersonalMenuView.as_snapshot). Null for choices recorded before it existed.
    personal_menu = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(cascade_delete_history=True, m2m_fields=[options_discussed])

    class Meta:
        ordering = ["-discussed_on", "-id"]
        indexes = [models.Index(fields=["service_user", "-discussed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(difference_reason="") | Q(difference_reason__in=DifferenceReason.values),
                name="careplanchoice_reason_known",
            ),
            models.CheckConstraint(
                condition=(Q(agreed_option=F("preferred_option")) & Q(difference_reason=""))
                | (~Q(agreed_option=F("preferred_option")) & ~Q(difference_reason="")),
                name="careplanchoice_reason_only_and_always_when_agreed_differs",
                violation_error_message="Give a reason exactly when the agreed option differs from the preferred one.",
            ),
            models.CheckConstraint(
                condition=~Q(difference_reason=DifferenceReason.OTHER) | ~Q(difference_other=""),
                name="careplanchoice_other_reason_explained",
                violation_error_message="Say what the other reason is.",
            ),
            models.CheckConstraint(
                condition=Q(review_on__gte=F("discussed_on")),
                name="careplanchoice_review_not_before_discussion",
                violation_error_message="The review date cannot be before the conversation.",
            ),
        ]

    def __str__(self) -> str:
        return f"Choice {self.pk} for {self.service_user_id}"


GOAL_SCORE = (0, 10)
TOP_SCORE = (0, 20)
DAYS_IN_PERIOD = 28


class Review(models.Model):
    """Outcomes that matter to the person, recorded at a review: up to three goals in their own words,
    each rated 0–10 for how things are now; the three Treatment Outcomes Profile health and well-being
    scores (0–20); and days of use in the last 28. Every score is optional."""

    service_user = models.ForeignKey(ServiceUser, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    goal_1 = models.CharField(max_length=200, blank=True)
    goal_1_score = models.PositiveSmallIntegerField(null=True, blank=True)
    goal_2 = models.CharField(max_length=200, blank=True)
    goal_2_score = models.PositiveSmallIntegerField(null=True, blank=True)
    goal_3 = models.CharField(max_length=200, blank=True)
    goal_3_score = models.PositiveSmallIntegerField(null=True, blank=True)
    psychological_health = models.PositiveSmallIntegerField(null=True, blank=True)
    physical_health = models.PositiveSmallIntegerField(null=True, blank=True)
    quality_of_life = models.PositiveSmallIntegerField(null=True, blank=True)
    days_of_use = models.PositiveSmallIntegerField("days of use in the last 28", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(cascade_delete_history=True)

    class Meta:
        ordering = ["service_user", "reviewed_on", "id"]
        constraints = [
            *[
                models.CheckConstraint(
                    condition=Q(**{f"goal_{n}_score__isnull": True}) | Q(**{f"goal_{n}_score__range": GOAL_SCORE}),
                    name=f"review_goal_{n}_score_in_range",
                )
                for n in (1, 2, 3)
            ],
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__range": TOP_SCORE}),
                    name=f"review_{name}_in_range",
                )
                for name in ("psychological_health", "physical_health", "quality_of_life")
            ],
            models.CheckConstraint(
                condition=Q(days_of_use__isnull=True) | Q(days_of_use__range=(0, DAYS_IN_PERIOD)),
                name="review_days_of_use_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.pk} for {self.service_user_id}"

    def goals(self) -> list[tuple[str, int | None]]:
        return [
            (getattr(self, f"goal_{n}"), getattr(self, f"goal_{n}_score"))
            for n in (1, 2, 3)
            if getattr(self, f"goal_{n}")
        ]


class AuditAction(models.TextChoices):
    LIST = "list", "Listed"
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Deleted"
    AGGREGATE = "aggregate", "Read in aggregate"
    PUBLISH = "publish", "Published"
    REFUSE = "refuse", "Refused"


class AuditedKind(models.TextChoices):
    SERVICE_USER = "service_user", "Service user"
    CARE_PLAN_CHOICE = "care_plan_choice", "Care-plan choice"
    REVIEW = "review", "Review"
    PUBLICATION = "publication", "Publication"


class AuditEvent(models.Model):
    """Who did what to which care record, when and from where. Kept after the record itself is removed."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, help_text="Copied, so the trail survives the account.")
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    kind = models.CharField(max_length=20, choices=AuditedKind.choices)
    object_id = models.BigIntegerField(null=True, blank=True)
    reference = models.CharField(
        max_length=20, blank=True, db_index=True, help_text="The service user's pseudonymous reference."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300, help_text="The page, endpoint or task that did it.")
    detail = models.CharField(max_length=600, blank=True, help_text="Why, for a refusal.")

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AuditAction.values), name="auditevent_action_known"),
            models.CheckConstraint(condition=Q(kind__in=AuditedKind.values), name="auditevent_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.kind} {self.object_id} at {self.at:%Y-%m-%d %H:%M}"


class PublicationTrigger(models.TextChoices):
    SCHEDULE = "schedule", "On the schedule"
    COMMAND = "command", "By manage.py publish_unmet"
    FORCED = "forced", "Forced by a superuser before the minimum interval"


class Publication(models.Model):
    """A frozen snapshot of the figures commissioners see, built on a schedule and served unchanged until
    the next one. `tables` holds named tables (`{"unmet": {...}}`), each protected by careplans.disclosure;
    more tables of the same people go in as more names of the same publication."""

    built_at = models.DateTimeField(db_index=True)
    data_cutoff = models.DateTimeField(help_text="Only care-plan choices recorded before this are counted.")
    method = models.CharField(max_length=60, help_text="The disclosure-control method the tables were built with.")
    trigger = models.CharField(max_length=10, choices=PublicationTrigger.choices)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    built_by_name = models.CharField(max_length=150, help_text="Copied, so the record survives the account.")
    tables = models.JSONField()

    class Meta:
        ordering = ["-built_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=PublicationTrigger.values), name="publication_trigger_known"
            ),
            models.CheckConstraint(
                condition=Q(data_cutoff__lte=F("built_at")), name="publication_cutoff_not_after_build"
            ),
        ]

    def __str__(self) -> str:
        return f"Publication {self.pk} of {self.built_at:%Y-%m-%d %H:%M} (data to {self.data_cutoff:%Y-%m-%d %H:%M})"
