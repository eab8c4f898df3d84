"""Sign-in lock-outs (django-axes): per username and address, and per address across usernames.

django-axes locks a username from one address after AXES_FAILURE_LIMIT failures. Password spraying
tries a few passwords on many usernames from one address, which that never counts; so failures from
one address are also summed over every username, and AXES_ADDRESS_FAILURE_LIMIT of them within the
cool-off time lock that address out. The sign-in page, the admin's and the API token endpoint share
both limits, and all answer 429 while locked (the API in its JSON error format).
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

LOCKED_OUT_MESSAGE = "Too many failed sign-ins from here: signing in is paused for a while. Try again later."


def address_failures(request) -> int:
    """Failed sign-ins from the request's address within the cool-off time, over all usernames."""
    total = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


class SprayLimitingHandler(AxesDatabaseHandler):
    """django-axes' database handler, also counting an address's failures across usernames."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the API's error format under /api/, the lock-out page elsewhere."""
    status: int = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)  # django-axes sets its default
    if request.path.startswith("/api/"):
        body = {"status": status, "code": "locked_out", "message": LOCKED_OUT_MESSAGE, "fields": {}}
        return JsonResponse(body, status=status)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=status)
