"""Users in the admin, with care-record access guarded: see accounts.rules."""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import RoleChange
from .roles import KEYWORKER
from .rules import AccessState, access_change_problems, may_edit_account
from .selectors import access_state
from .services import record_access_changes

User = get_user_model()
admin.site.unregister(User)


def _form_state(form, before: AccessState) -> AccessState:
    """The access state the submitted form asks for (fields it does not show keep their stored value)."""
    data = form.cleaned_data
    groups = data.get("groups")
    return AccessState(
        is_superuser=data.get("is_superuser", before.is_superuser),
        groups=frozenset(group.name for group in groups) if groups is not None else before.groups,
        teams=before.teams,
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Non-superusers never see the superuser flag or permissions, cannot hand out the keyworker role,
    cannot edit their own groups, and cannot edit anyone who can read care records."""

    def get_readonly_fields(self, request, obj=None):
        # Sign-in sets the last two; shown as text, they also avoid Django's split date/time boxes (no labels).
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
            if obj is not None and obj.pk == request.user.pk:
                readonly += ["groups", "is_staff"]
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and not may_edit_account(actor=request.user, before=access_state(obj)):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not may_edit_account(actor=request.user, before=access_state(obj)):
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = db_field.remote_field.model.objects.exclude(name=KEYWORKER)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        before = access_state(obj)
        actor = request.user

        class AccessCheckedForm(form_class):
            access_before = before

            def clean(self):
                cleaned = super().clean()
                after = _form_state(self, before)
                problems = access_change_problems(actor=actor, user=obj, before=before, after=after)
                if problems:
                    raise ValidationError(problems)
                return cleaned

        return AccessCheckedForm

    @transaction.atomic
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record_access_changes(
            actor=request.user,
            user=form.instance,
            before=form.access_before,
            after=access_state(form.instance),
            path=request.get_full_path(),
            ip_address=get_client_ip_address(request),
        )


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """Who changed whose care-record access, when and from where. Read-only."""

    list_display = ["at", "actor_username", "username", "change", "ip_address"]
    list_filter = [("at", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "username", "change"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
