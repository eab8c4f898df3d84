"""Who may see what of care records, and who an HTTP request acts as (for the audit trail)."""

from axes.helpers import get_client_ip_address

from accounts.roles import ADMIN, COMMISSIONER

from .services import Actor

# Aggregates only: commissioners and admins never open a single care record.
UNMET_ROLES = (COMMISSIONER, ADMIN)


def actor_for(request) -> Actor:
    """The signed-in user and the address django-axes attributes the request to."""
    return Actor(user=request.user, path=request.get_full_path(), ip_address=get_client_ip_address(request))
