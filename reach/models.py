import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

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
    "cycle_minutes",
    "cycle_kmh",
    "cycle_access_minutes",
    "count_cycle",
]

# Where each mode's minutes come from, and the public-transport departure window: travel
# settings, not engine parameters (the engine only ever sees the minutes).
TRAVEL_FIELDS = [
    "walk_source",
    "pt_source",
    "car_source",
    "cycle_source",
    "network",
    "pt_date",
    "pt_window_start",
    "pt_window_end",
    "pt_step_minutes",
    "pt_percentile",
    "snap_max_m",
]


class TravelSource(models.TextChoices):
    CROWFLY = "crowfly", "Crow-fly estimate"
    MATRIX = "matrix", "Imported travel-time matrix"
    NETWORK = "network", "Travel network"


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
    cycle_minutes = models.FloatField(default=30, help_text="Longest acceptable cycle ride, minutes.")
    cycle_kmh = models.FloatField(default=15, help_text="Crow-fly cycling speed.")
    cycle_access_minutes = models.FloatField(default=0)
    count_cycle = models.BooleanField(
        default=False, help_text="Whether cycling counts towards the menu without a car (off by default)."
    )
    walk_source = models.CharField(max_length=10, choices=TravelSource.choices, default=TravelSource.CROWFLY)
    pt_source = models.CharField(
        "public transport source", max_length=10, choices=TravelSource.choices, default=TravelSource.CROWFLY
    )
    car_source = models.CharField(max_length=10, choices=TravelSource.choices, default=TravelSource.CROWFLY)
    cycle_source = models.CharField(max_length=10, choices=TravelSource.choices, default=TravelSource.CROWFLY)
    network = models.CharField(
        max_length=60, blank=True, help_text="The travel network (by name) that modes with source 'network' use."
    )
    pt_date = models.DateField(
        "public transport date",
        null=True,
        blank=True,
        help_text="Travel date for timetables; empty: the next weekday inside every feed's validity.",
    )
    pt_window_start = models.TimeField("departure window start", default=datetime.time(7, 0))
    pt_window_end = models.TimeField("departure window end", default=datetime.time(9, 0))
    pt_step_minutes = models.PositiveSmallIntegerField("minutes between departures", default=10)
    pt_percentile = models.FloatField(
        "departure percentile", default=50, help_text="Percentile of journey times over the window (50: median)."
    )
    snap_max_m = models.FloatField(
        "snapping distance, metres",
        default=500,
        help_text="Origins and sites further than this from the network are left out for that mode.",
    )

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
            models.CheckConstraint(
                condition=Q(cycle_minutes__gte=0, cycle_access_minutes__gte=0, cycle_kmh__gt=0),
                name="reachprofile_cycle_limits",
                violation_error_message="Cycle times cannot be negative and the cycle speed must be above zero.",
            ),
            models.CheckConstraint(
                condition=~Q(walk_source="network", network="")
                & ~Q(pt_source="network", network="")
                & ~Q(car_source="network", network="")
                & ~Q(cycle_source="network", network=""),
                name="reachprofile_network_named",
                violation_error_message="A mode with source 'network' needs a network name.",
            ),
            models.CheckConstraint(
                condition=Q(pt_window_end__gt=F("pt_window_start"), pt_step_minutes__gte=1),
                name="reachprofile_pt_window",
                violation_error_message="The departure window ends after it starts, with a step of at least 1 minute.",
            ),
            models.CheckConstraint(
                condition=Q(pt_percentile__gte=0, pt_percentile__lte=100, snap_max_m__gte=0),
                name="reachprofile_percentile_snap",
                violation_error_message="The percentile is 0 to 100 and the snapping distance is not negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (default)" if self.is_default else self.name

    def params(self) -> dict:
        """Engine parameters and travel settings, JSON-ready (dates and times as ISO text)."""
        values = {field: getattr(self, field) for field in PROFILE_FIELDS + TRAVEL_FIELDS}
        for name, value in values.items():
            if isinstance(value, (datetime.date, datetime.time)):
                values[name] = value.isoformat()
        return values


class Mode(models.TextChoices):
    WALK = "walk", "Walk"
    PT = "pt", "Public transport"
    CAR = "car", "Car"
    CYCLE = "cycle", "Cycle"


class TravelTime(models.Model):
    """Imported travel minutes (the `matrix` provider); a missing pair means not reachable."""

    locality = models.ForeignKey("areas.Locality", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("services.Site", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=5, choices=Mode.choices)
    minutes = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["locality", "site", "mode"], name="traveltime_unique_pair_mode"),
            models.CheckConstraint(condition=Q(minutes__gte=0), name="traveltime_minutes_not_negative"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="traveltime_mode_known"),
        ]

    def __str__(self) -> str:
        return f"locality {self.locality_id} to site {self.site_id} by {self.mode}: {self.minutes:g} min"


class TravelProvider(models.TextChoices):
    """A run's sources in one word: the one source all its modes use, or mixed."""

    CROWFLY = "crowfly", "Crow-fly estimate"
    MATRIX = "matrix", "Imported travel-time matrix"
    NETWORK = "network", "Travel network"
    MIXED = "mixed", "Mixed sources"


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
    scenario = models.ForeignKey(
        "Scenario",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="runs",
        help_text="Computed on this scenario's modified catalogue; blank for the live catalogue.",
    )
    network_build = models.ForeignKey(
        "NetworkBuild", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    provenance = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per mode: the source, network build and settings the minutes came from, and what was left out.",
    )

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
    nearest_cycle_minutes = ArrayField(models.FloatField(null=True), default=list)
    nearest_cycle_site = ArrayField(models.BigIntegerField(null=True), default=list)
    access_without_car = ArrayField(models.FloatField(), help_text="2SFCA places per week per 1,000 people.")
    access_with_car = ArrayField(models.FloatField())

    class Meta:
        ordering = ["run", "locality_code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "locality_code"], name="localityresult_unique_run_locality"),
        ]

    def __str__(self) -> str:
        return f"{self.locality_code} in run {self.run_id}"


class Scenario(models.Model):
    """A named set of changes on top of a base: the live catalogue (no base) or another scenario.

    A scenario never writes to the catalogue; `reach.scenario_services.apply_scenario` (admin
    only) does, once, and records it here.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="scenarios"
    )
    base = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="derived",
        help_text="Blank: the current catalogue.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(base=models.F("id")),
                name="scenario_not_its_own_base",
                violation_error_message="A scenario cannot be its own base.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BuildStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class TravelNetwork(models.Model):
    """A named road and transit network; runs use its current build, which only a finished build replaces."""

    name = models.CharField(
        max_length=60,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", "Letters, digits, - and _ only (it names a folder).")
        ],
    )
    description = models.TextField(blank=True)
    current_build = models.OneToOneField(
        "NetworkBuild", null=True, blank=True, on_delete=models.SET_NULL, related_name="current_of"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChangeKind(models.TextChoices):
    ADD_SITE = "add_site", "Add a site"
    ADD_OFFER = "add_offer", "Add an offer"
    CLOSE_SITE = "close_site", "Close a site"
    CLOSE_OFFER = "close_offer", "Close an offer"
    CHANGE_OFFER = "change_offer", "Change an offer's capacity or wait"
    ADD_OUTREACH = "add_outreach", "Add outreach localities"
    REMOVE_OUTREACH = "remove_outreach", "Remove outreach localities"
    MAKE_REMOTE = "make_remote", "Make an option available remotely"


class ScenarioChange(models.Model):
    """One typed change, in order. `values` holds the kind's fields (see reach/scenario_catalogue.py),
    checked by the same offer rules as every other door before it is saved."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="changes")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    values = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scenario", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "position"], name="scenariochange_unique_position"),
            models.CheckConstraint(condition=Q(kind__in=ChangeKind.values), name="scenariochange_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.scenario_id}#{self.position})"


class NetworkBuild(models.Model):
    """One build of a network from one OSM extract and its GTFS feeds, with its progress and log."""

    network = models.ForeignKey(TravelNetwork, on_delete=models.CASCADE, related_name="builds")
    status = models.CharField(max_length=10, choices=BuildStatus.choices, default=BuildStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    modes = ArrayField(models.CharField(max_length=5, choices=Mode.choices))
    osm_file = models.CharField(max_length=255)
    osm_sha256 = models.CharField(max_length=64)
    osm_size = models.BigIntegerField()
    osm_extract_date = models.DateField(null=True, blank=True)
    osm_bbox = ArrayField(
        models.FloatField(), size=4, null=True, blank=True, help_text="min lon, min lat, max lon, max lat"
    )
    gtfs_feeds = models.JSONField(
        default=list, blank=True, help_text="Per feed: file, SHA-256, size, agencies, service start and end dates."
    )
    directory = models.CharField(max_length=255, blank=True, help_text="Artefacts, relative to NETWORK_DIR.")
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="networkbuild_progress_0_to_100"),
            models.CheckConstraint(condition=Q(status__in=BuildStatus.values), name="networkbuild_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.network.name} build {self.pk} ({self.status})"


class TravelTimeColumn(models.Model):
    """Cached network minutes from every origin of one origin set to one site point, for one mode.

    Keyed by build, mode, settings (the PT window; empty for roads), origin set and site point,
    so adding a site computes one new column and a moved locality a new origin set.
    """

    build = models.ForeignKey(NetworkBuild, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=5, choices=Mode.choices)
    settings_key = models.CharField(max_length=64, help_text="Hash of the PT window and snapping rule.")
    origins_key = models.CharField(max_length=64, help_text="Hash of the ordered origin coordinates.")
    site_key = models.CharField(max_length=40, help_text="The site point as 'lat,lon' to 7 decimals.")
    minutes = models.BinaryField(help_text="float32 little-endian per origin; NaN = not reachable or off network.")
    site_off_network = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["build", "mode", "settings_key", "origins_key", "site_key"], name="traveltimecolumn_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mode} minutes to {self.site_key} (build {self.build_id})"


class MatrixJob(models.Model):
    """Missing cache columns for one run and mode, computed as a Celery group of origin chunks.

    The run continues only when every chunk is done; the columns are then written in one
    transaction, so a run never reads a half-built matrix.
    """

    run = models.ForeignKey(ReachRun, on_delete=models.CASCADE, related_name="matrix_jobs")
    build = models.ForeignKey(NetworkBuild, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=5, choices=Mode.choices)
    settings = models.JSONField(help_text="PT window and snapping rule the chunks use.")
    settings_key = models.CharField(max_length=64)
    origins_key = models.CharField(max_length=64)
    origins = models.BinaryField(help_text="float64 [lat, lon] per origin.")
    sites = models.BinaryField(help_text="float64 [lat, lon] per missing site point.")
    site_keys = models.JSONField()
    chunk_size = models.PositiveIntegerField()
    n_chunks = models.PositiveIntegerField()
    stored = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.mode} matrix for run {self.run_id} ({self.n_chunks} chunks)"


class MatrixChunk(models.Model):
    job = models.ForeignKey(MatrixJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    done = models.BooleanField(default=False)
    minutes = models.BinaryField(null=True, help_text="float32 (origins in chunk × sites).")
    origin_snap_m = models.BinaryField(null=True)
    site_snap_m = models.BinaryField(null=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="matrixchunk_unique")]

    def __str__(self) -> str:
        return f"chunk {self.index} of matrix {self.job_id}"
