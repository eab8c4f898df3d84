"""Reads about who a user is in choicemap's terms."""

from __future__ import annotations

from .roles import ADMIN, ROLES


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
