"""Who may do what through the API: the same roles as the pages (accounts.roles)."""

from rest_framework.permissions import SAFE_METHODS

from accounts.access import role_permission
from accounts.roles import ADMIN, COMMISSIONER, ROLES


class RoleAccessMixin:
    """Views set `read_roles` (GET, HEAD, OPTIONS) and `write_roles` (everything else)."""

    read_roles: tuple[str, ...] = ROLES
    write_roles: tuple[str, ...] = (ADMIN,)

    def get_permissions(self):
        roles = self.read_roles if self.request.method in SAFE_METHODS else self.write_roles
        return [role_permission(*roles)()]


PLANNERS = (ADMIN, COMMISSIONER)
