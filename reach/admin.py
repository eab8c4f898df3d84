from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from .models import (
    BuildStatus,
    NetworkBuild,
    ReachProfile,
    ReachRun,
    RunStatus,
    Scenario,
    ScenarioChange,
    TravelNetwork,
)
from .network_services import cancel_network_build
from .queue import queue_status
from .scenario_catalogue import ScenarioInvalid
from .scenario_services import apply_scenario
from .services import RunAlreadyActive, cancel_run, start_run


class QueueNoticeMixin:
    """Lists of profiles and runs say when no worker is running (or the broker is down)."""

    def changelist_view(self, request, extra_context=None):
        if problem := queue_status().problem:
            messages.warning(request, problem)
        return super().changelist_view(request, extra_context)


@admin.register(ReachProfile)
class ReachProfileAdmin(QueueNoticeMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "is_default",
        "walk_minutes",
        "pt_minutes",
        "car_minutes",
        "max_wait_weeks",
        "count_remote",
        "real_choice_providers",
    ]
    fieldsets = [
        (None, {"fields": ["name", "description", "is_default"]}),
        ("Time limits (minutes)", {"fields": [("walk_minutes", "pt_minutes", "car_minutes")]}),
        (
            "Crow-fly estimate",
            {
                "fields": [
                    ("walk_kmh", "pt_kmh", "car_kmh"),
                    ("walk_access_minutes", "pt_access_minutes", "car_access_minutes"),
                    "detour_factor",
                ]
            },
        ),
        ("What counts", {"fields": ["max_wait_weeks", "count_remote", "real_choice_providers", "default_car_share"]}),
        ("Cycling", {"fields": [("cycle_minutes", "cycle_kmh", "cycle_access_minutes"), "count_cycle"]}),
        (
            "Travel-time sources",
            {
                "fields": [("walk_source", "pt_source", "car_source", "cycle_source"), "network", "snap_max_m"],
                "description": "Per mode: crow-fly estimate, imported matrix, or the named travel network.",
            },
        ),
        (
            "Public transport timetable window",
            {"fields": ["pt_date", ("pt_window_start", "pt_window_end"), "pt_step_minutes", "pt_percentile"]},
        ),
    ]
    actions = ["compute_now"]

    @admin.action(description="Compute reach now with the selected profiles")
    def compute_now(self, request, queryset):
        for profile in queryset:
            try:
                run = start_run(profile=profile, started_by=request.user)
            except RunAlreadyActive as exc:
                self.message_user(request, f"{exc} Wait for it or cancel it first.", messages.WARNING)
            else:
                self.message_user(request, f"Run {run.pk} queued for {profile.name}.", messages.SUCCESS)


@admin.register(ReachRun)
class ReachRunAdmin(QueueNoticeMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "profile_name",
        "provider",
        "status",
        "progress",
        "network_build",
        "scenario",
        "automatic",
        "created_at",
        "finished_at",
        "started_by",
    ]
    list_filter = ["status", "provider", "automatic", "profile_name"]
    readonly_fields = [f.name for f in ReachRun._meta.fields]
    actions = ["cancel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected queued or running runs")
    def cancel(self, request, queryset):
        cancelled = sum(
            cancel_run(run=run) for run in queryset.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        )
        self.message_user(request, f"{cancelled} run(s) cancelled.")


class NetworkBuildInline(admin.TabularInline):
    model = NetworkBuild
    fields = ["id", "status", "progress", "modes", "osm_extract_date", "built_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TravelNetwork)
class TravelNetworkAdmin(admin.ModelAdmin):
    """Networks are built with `manage.py build_network`; here admins see them and their builds."""

    list_display = ["name", "current_build", "created_at"]
    readonly_fields = ["current_build", "created_at"]
    inlines = [NetworkBuildInline]


@admin.register(NetworkBuild)
class NetworkBuildAdmin(admin.ModelAdmin):
    list_display = ["id", "network", "status", "progress", "modes", "osm_extract_date", "created_at", "built_at"]
    list_filter = ["status", "network"]
    readonly_fields = [f.name for f in NetworkBuild._meta.fields]
    actions = ["cancel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected queued or running builds")
    def cancel(self, request, queryset):
        cancelled = sum(
            cancel_network_build(build=build)
            for build in queryset.filter(status__in=[BuildStatus.QUEUED, BuildStatus.BUILDING])
        )
        self.message_user(request, f"{cancelled} build(s) cancelled; the networks in use are unchanged.")


class ScenarioChangeInline(admin.TabularInline):
    model = ScenarioChange
    fields = ["position", "kind", "values"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    """Read-only here: commissioners build scenarios through the API; an admin applies them."""

    list_display = ["name", "owner", "base", "updated_at", "applied_at", "applied_by"]
    list_filter = ["applied_at"]
    readonly_fields = [f.name for f in Scenario._meta.fields]
    inlines = [ScenarioChangeInline]
    actions = ["apply"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Apply the selected scenarios to the catalogue")
    def apply(self, request, queryset):
        for scenario in queryset:
            try:
                apply_scenario(scenario=scenario, applied_by=request.user)
            except ScenarioInvalid as exc:
                self.message_user(request, f"{scenario.name}: not applied, nothing changed: {exc}", messages.ERROR)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(
                    request, f"{scenario.name}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )
            else:
                self.message_user(request, f"{scenario.name}: applied; a recompute follows.", messages.SUCCESS)
