"""Reads about who a user is in choicemap's terms."""

from __future__ import annotations

from .roles import ADMIN, ROLES
from .rules import AccessState


def user_roles(user) -> set[str]:
    """The user's choicemap roles; superusers count as admins."""
    if not user or not user.is_authenticated or not user.is_active:
        return set()
    roles = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if user.is_superuser:
        roles.add(ADMIN)
    return roles


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def access_state(user) -> AccessState:
    """What decides the user's care-record access, as stored now (an unsaved user has none)."""
    if user is None or user.pk is None:
        return AccessState()
    stored = type(user).objects.get(pk=user.pk)
    return AccessState(
        is_superuser=stored.is_superuser,
        groups=frozenset(stored.groups.values_list("name", flat=True)),
        teams=frozenset(stored.careplan_teams.values_list("name", flat=True)),
    )
