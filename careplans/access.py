"""Who an HTTP request acts as, for the audit trail (who may read what: accounts.roles, careplans.selectors)."""

from axes.helpers import get_client_ip_address

from .services import Actor


def actor_for(request) -> Actor:
    """The signed-in user and the address django-axes attributes the request to."""
    return Actor(user=request.user, path=request.get_full_path(), ip_address=get_client_ip_address(request))
