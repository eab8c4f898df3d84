from django.contrib import admin
from django.contrib.auth import get_user_model

from accounts.roles import KEYWORKER

from .models import AuditEvent, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "member_count"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            kwargs["queryset"] = get_user_model().objects.filter(groups__name=KEYWORKER).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="members")
    def member_count(self, team: Team) -> int:
        return team.members.count()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit page: who read or changed which care record, when and from where. Read-only."""

    list_display = ["at", "username", "action", "kind", "reference", "object_id", "ip_address", "path"]
    list_filter = ["action", "kind", ("at", admin.DateFieldListFilter)]
    search_fields = ["username", "reference", "ip_address", "path"]
    date_hierarchy = "at"
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
