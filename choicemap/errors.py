"""The answer when a request fails because the database cannot be reached: 503 saying so, not a bare 500.

Django calls `server_error` (handler500) for any uncaught exception, still inside the `except` block, so
the exception is at hand. Nothing here touches the database: the page is rendered without the request's
context processors, which read the signed-in user's roles.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from api.errors import SERVER_ERROR_BODY

logger = logging.getLogger("choicemap.errors")

DATABASE_DOWN = "The database cannot be reached just now, so this page cannot be shown. Try again in a minute."


def _database_unreachable(exc: BaseException | None) -> bool:
    # OperationalError: connection refused, reset or closed by the server; InterfaceError: a connection
    # psycopg2 already knows is closed. Other DatabaseErrors (bad SQL, constraints) are ordinary 500s.
    return isinstance(exc, (OperationalError, InterfaceError))


@requires_csrf_token
def server_error(request, template_name: str = "500.html") -> HttpResponse:
    exc = sys.exc_info()[1]
    if not _database_unreachable(exc):
        if request.path.startswith("/api/"):
            return JsonResponse(SERVER_ERROR_BODY, status=500)
        return defaults.server_error(request, template_name)
    logger.error("database unreachable while answering %s %s: %s", request.method, request.path, exc)
    headers = {"Retry-After": "30"}
    if "/api/" in request.path or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {"status": 503, "code": "database_unavailable", "message": DATABASE_DOWN, "fields": {}},
            status=503,
            headers=headers,
        )
    body = loader.get_template("503.html").render({"message": DATABASE_DOWN})
    return HttpResponse(body, status=503, headers=headers)
