from axes.helpers import get_client_ip_address
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.roles import KEYWORKER
from accounts.selectors import access_state
from accounts.services import record_access_changes

from .models import AuditEvent, Publication, Team
from .selectors import table_sizes


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            kwargs["queryset"] = get_user_model().objects.filter(groups__name=KEYWORKER).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Joining a team opens its caseload: only superusers change membership (accounts.rules).
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "members"]

    @transaction.atomic
    def save_related(self, request, form, formsets, change):
        members_before = set(form.instance.members.all()) if change else set()
        states_before = {
            user.pk: access_state(user) for user in members_before | set(form.cleaned_data.get("members", []))
        }
        super().save_related(request, form, formsets, change)
        for user in members_before | set(form.instance.members.all()):
            record_access_changes(
                actor=request.user,
                user=user,
                before=states_before.get(user.pk) or access_state(None),
                after=access_state(user),
                path=request.get_full_path(),
                ip_address=get_client_ip_address(request),
            )

    @admin.display(description="members")
    def member_count(self, team: Team) -> int:
        return team.members.count()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit page: who read or changed which care record, when and from where. Read-only."""

    list_display = ["at", "username", "action", "kind", "reference", "object_id", "ip_address", "path", "detail"]
    list_filter = ["action", "kind", ("at", admin.DateFieldListFilter)]
    search_fields = ["username", "reference", "ip_address", "path", "detail"]
    date_hierarchy = "at"
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    """Publications as built: when, on what data, how and by whom, and the size of each table. Read-only:
    the figures are what commissioners were shown. Refused attempts are in the audit (action Refused)."""

    list_display = ["id", "built_at", "data_cutoff", "method", "trigger", "built_by_name", "table_sizes"]
    list_filter = ["trigger", ("built_at", admin.DateFieldListFilter)]
    date_hierarchy = "built_at"
    fields = readonly_fields = ("built_at", "data_cutoff", "method", "trigger", "built_by_name", "table_sizes")
    list_per_page = 25

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description="tables")
    def table_sizes(self, publication: Publication) -> str:
        return "; ".join(
            f"{name}: {cells} cells, {hidden} suppressed" for name, cells, hidden in table_sizes(publication)
        )
