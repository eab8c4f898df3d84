"""Writes for roles and users."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .models import RoleChange
from .roles import ADMIN, ROLE_PERMISSIONS, ROLES
from .rules import AccessState, access_change_problems, access_changes


@transaction.atomic
def ensure_role_groups() -> dict[str, Group]:
    """Create or refresh the role groups so their permissions match ROLE_PERMISSIONS exactly."""
    groups = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        wanted = Permission.objects.none()
        for app_label, model, actions in ROLE_PERMISSIONS[role]:
            perms = Permission.objects.filter(
                content_type__app_label=app_label, codename__regex=rf"^({'|'.join(actions)})_"
            )
            if model != "*":
                perms = perms.filter(content_type__model=model)
            wanted = wanted | perms
        group.permissions.set(wanted)
        groups[role] = group
    return groups


@transaction.atomic
def ensure_user(*, username: str, password: str, role: str, superuser: bool = False):
    """Create the user with this role, or reset an existing one to it (demo and first set-up)."""
    groups = ensure_role_groups()
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.is_active = True
    user.is_staff = role == ADMIN
    user.is_superuser = superuser
    user.save()
    user.groups.set([groups[role]])
    return user


@transaction.atomic
def record_access_changes(
    *, actor, user, before: AccessState, after: AccessState, path: str, ip_address: str | None
) -> list[RoleChange]:
    """Check a change to `user`'s care-record access against the rules and audit it, one row per change.
    Called after the change is saved, inside the same transaction: a refusal rolls it back."""
    problems = access_change_problems(actor=actor, user=user, before=before, after=after)
    if problems:
        raise PermissionDenied(" ".join(problems))
    return RoleChange.objects.bulk_create(
        RoleChange(
            actor=actor,
            actor_username=actor.get_username(),
            user=user,
            username=user.get_username(),
            change=change,
            ip_address=ip_address,
            path=path[:300],
        )
        for change in access_changes(before, after)
    )
