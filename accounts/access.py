"""Role checks for views: anonymous users are sent to sign in, signed-in users without the role get 403."""

from __future__ import annotations

from django.contrib.auth.mixins import AccessMixin
from rest_framework.permissions import BasePermission

from .selectors import has_role


class RoleRequiredMixin(AccessMixin):
    """Django class-based views: set `allowed_roles`."""

    allowed_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not has_role(request.user, *self.allowed_roles):
            self.raise_exception = True
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


def role_permission(*roles: str) -> type[BasePermission]:
    """A DRF permission class admitting signed-in users with any of the roles."""

    class HasRole(BasePermission):
        message = f"Only {' or '.join(roles)} users may do this."

        def has_permission(self, request, view) -> bool:
            return has_role(request.user, *roles)

    HasRole.__name__ = "HasRole_" + "_".join(roles)
    return HasRole
