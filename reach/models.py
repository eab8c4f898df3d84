from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

# Field names and defaults mirror reach.engine.ReachParams, which the engine reads.
PROFILE_FIELDS = [
    "walk_minutes",
    "pt_minutes",
    "car_minutes",
    "walk_kmh",
    "pt_kmh",
    "car_kmh",
    "walk_access_minutes",
    "pt_access_minutes",
    "car_access_minutes",
    "detour_factor",
    "max_wait_weeks",
    "count_remote",
    "real_choice_providers",
    "default_car_share",
]


class ReachProfile(models.Model):
    """What 'realistically reach' means: time limits, speeds, waits and the real-choice rule."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    walk_minutes = models.FloatField(default=30, help_text="Longest acceptable walk, minutes.")
    pt_minutes = models.FloatField("public transport minutes", default=45)
    car_minutes = models.FloatField(default=30)
    walk_kmh = models.FloatField(default=4.8, help_text="Crow-fly walking speed (DfT uses 4.8 km/h).")
    pt_kmh = models.FloatField("public transport km/h", default=20)
    car_kmh = models.FloatField(default=40)
    walk_access_minutes = models.FloatField(default=0)
    pt_access_minutes = models.FloatField(
        "public transport access minutes", default=10, help_text="Fixed time to reach a stop and wait."
    )
    car_access_minutes = models.FloatField(default=5, help_text="Fixed time to get going and park.")
    detour_factor = models.FloatField(default=1.3, help_text="Network distance ÷ crow-fly distance.")
    max_wait_weeks = models.FloatField(default=3, help_text="Longest acceptable waiting time.")
    count_remote = models.BooleanField(default=False, help_text="Whether remote delivery counts as reachable.")
    real_choice_providers = models.PositiveSmallIntegerField(
        default=2, help_text="Distinct providers needed for a real choice of an option."
    )
    default_car_share = models.FloatField(default=0.77, help_text="Used for localities with no car share.")

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="reachprofile_one_default",
                violation_error_message="Another profile is already the default.",
            ),
            models.CheckConstraint(
                condition=Q(
                    walk_minutes__gte=0,
                    pt_minutes__gte=0,
                    car_minutes__gte=0,
                    walk_access_minutes__gte=0,
                    pt_access_minutes__gte=0,
                    car_access_minutes__gte=0,
                    max_wait_weeks__gte=0,
                ),
                name="reachprofile_times_not_negative",
                violation_error_message="Times and waits cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(walk_kmh__gt=0, pt_kmh__gt=0, car_kmh__gt=0),
                name="reachprofile_speeds_positive",
                violation_error_message="Speeds must be above zero.",
            ),
            models.CheckConstraint(
                condition=Q(detour_factor__gte=1),
                name="reachprofile_detour_at_least_1",
                violation_error_message="The detour factor is at least 1.",
            ),
            models.CheckConstraint(
                condition=Q(real_choice_providers__gte=1),
                name="reachprofile_real_choice_at_least_1",
                violation_error_message="A real choice needs at least one provider.",
            ),
            models.CheckConstraint(
                condition=Q(default_car_share__gte=0, default_car_share__lte=1),
                name="reachprofile_car_share_0_to_1",
                violation_error_message="The default car share is between 0 and 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (default)" if self.is_default else self.name

    def params(self) -> dict:
        return {field: getattr(self, field) for field in PROFILE_FIELDS}


class Mode(models.TextChoices):
    WALK = "walk", "Walk"
    PT = "pt", "Public transport"
    CAR = "car", "Car"


class TravelTime(models.Model):
    """Imported travel minutes (the `matrix` provider); a missing pair means not reachable."""

    locality = models.ForeignKey("areas.Locality", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("services.Site", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=4, choices=Mode.choices)
    minutes = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["locality", "site", "mode"], name="traveltime_unique_pair_mode"),
            models.CheckConstraint(condition=Q(minutes__gte=0), name="traveltime_minutes_not_negative"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="traveltime_mode_known"),
        ]


class TravelProvider(models.TextChoices):
    CROWFLY = "crowfly", "Crow-fly estimate"
    MATRIX = "matrix", "Imported travel-time matrix"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ReachRun(models.Model):
    """One computation: the profile and catalogue snapshot it used, its progress and its outcome."""

    profile = models.ForeignKey(ReachProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    profile_name = models.CharField(max_length=100)
    params = models.JSONField(help_text="The profile values this run used, overrides included.")
    provider = models.CharField(max_length=10, choices=TravelProvider.choices, default=TravelProvider.CROWFLY)
    automatic = models.BooleanField(default=False, help_text="Scheduled by a catalogue or locality change.")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    snapshot_id = models.CharField(
        max_length=64, blank=True, help_text="Content hash of the catalogue and localities used."
    )
    snapshot_counts = models.JSONField(default=dict, blank=True)
    option_codes = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text="Menu options in the order of the per-option result arrays.",
    )
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the worker computing it (claim and progress)."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds spent loading, computing, storing.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-finished_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="reachrun_progress_0_to_100"),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="reachrun_status_known"),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.profile_name}, {self.status})"


class LocalityResult(models.Model):
    """One locality's figures in one run. Per-option arrays follow run.option_codes."""

    run = models.ForeignKey(ReachRun, on_delete=models.CASCADE, related_name="results")
    # Kept as copied facts too, so an old run still reads true after the locality changes.
    locality = models.ForeignKey("areas.Locality", null=True, on_delete=models.SET_NULL, related_name="+")
    locality_code = models.CharField(max_length=20)
    locality_name = models.CharField(max_length=200)
    population = models.PositiveIntegerField()
    car_share = models.FloatField(help_text="The car share used (the profile default when unknown).")
    menu_without_car = models.PositiveSmallIntegerField()
    menu_with_car = models.PositiveSmallIntegerField()
    expected_menu = models.FloatField()
    real_choice_without_car = models.PositiveSmallIntegerField()
    real_choice_with_car = models.PositiveSmallIntegerField()
    providers_without_car = ArrayField(models.SmallIntegerField())
    providers_with_car = ArrayField(models.SmallIntegerField())
    nearest_walk_minutes = ArrayField(models.FloatField(null=True))
    nearest_pt_minutes = ArrayField(models.FloatField(null=True))
    nearest_car_minutes = ArrayField(models.FloatField(null=True))
    nearest_walk_site = ArrayField(models.BigIntegerField(null=True))
    nearest_pt_site = ArrayField(models.BigIntegerField(null=True))
    nearest_car_site = ArrayField(models.BigIntegerField(null=True))
    access_without_car = ArrayField(models.FloatField(), help_text="2SFCA places per week per 1,000 people.")
    access_with_car = ArrayField(models.FloatField())

    class Meta:
        ordering = ["run", "locality_code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "locality_code"], name="localityresult_unique_run_locality"),
        ]
