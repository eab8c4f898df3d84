from django.contrib import admin, messages

from .models import ReachProfile, ReachRun, RunStatus
from .queue import queue_status
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
