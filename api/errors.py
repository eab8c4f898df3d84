"""One error format for every API response that is not a success.

    {"status": 400, "code": "invalid", "message": "2 fields are invalid.",
     "fields": {"name": ["This field is required."], "outreach_localities.1": ["..."]}}

`fields` is always there (empty when the error is not about fields); keys are dotted paths into
the request body or query string; messages about the request as a whole sit under
"non_field_errors".
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("django.request")

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
SERVER_ERROR_BODY = {
    "status": 500,
    "code": "server_error",
    "message": "Something went wrong on the server. It has been logged; please try again later.",
    "fields": {},
}


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of this object."
    default_code = "conflict"


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as {"a.b.0.c": ["message", ...]}."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            path = str(key) if not prefix or key == NON_FIELD else f"{prefix}.{key}"
            for name, messages in _flatten(value, path).items():
                fields.setdefault(name, []).extend(messages)
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or NON_FIELD: [str(item) for item in detail]} if detail else {}
        fields = {}
        for index, item in enumerate(detail):
            for name, messages in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                fields.setdefault(name, []).extend(messages)
        return fields
    return {prefix or NON_FIELD: [str(detail)]}


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        # Services validate with full_clean(); their messages keep their field names.
        return exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    if isinstance(exc, ProtectedError):
        used_by = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        return Conflict(f"Still used by {', '.join(used_by)}: deactivate it instead of deleting it.", code="protected")
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def exception_handler(exc, context):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, (OperationalError, InterfaceError)):
        return None  # the database is unreachable: choicemap.errors answers 503 saying so
    if response is None:
        # An unexpected error: logged with its traceback as Django would, answered in the error format.
        set_rollback()
        request = context.get("request")
        logger.error(
            "Internal Server Error: %s",
            getattr(request, "path", "?"),
            exc_info=(type(exc), exc, exc.__traceback__),
            extra={"status_code": 500, "request": getattr(request, "_request", request)},
        )
        return Response(SERVER_ERROR_BODY, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.get(NON_FIELD, [])
        field_count = len([name for name in fields if name != NON_FIELD])
        if general and not field_count:
            message = " ".join(general)
        else:
            message = f"{field_count} field{'s are' if field_count != 1 else ' is'} invalid."
        body = {"status": response.status_code, "code": "invalid", "message": message, "fields": fields}
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {
            "status": response.status_code,
            "code": code if isinstance(code, str) else "error",
            "message": str(getattr(exc, "detail", exc)),
            "fields": {},
        }
    response.data = body
    return response


class JsonErrorsMixin:
    """For views with download formats: errors are JSON in the one error format, whichever format was asked for."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class ErrorSerializer(serializers.Serializer):
    """Documents the error body in the OpenAPI schema."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text="A short machine-readable reason, e.g. invalid, not_found, "
        "not_authenticated, permission_denied, conflict, protected."
    )
    message = serializers.CharField(help_text="What went wrong, for people.")
    # Named as the error body names it. DRF moves declared fields out of the class body, so the
    # Serializer.fields property still works; only the type checker sees a clash.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (dotted paths); 'non_field_errors' for the request as a whole.",
    )


NOT_FOUND_BODY = {"status": 404, "code": "not_found", "message": "No API endpoint at this address.", "fields": {}}


def json_for_api(default_view, body: dict):
    """Wrap one of Django's error page views: under /api/ the answer is `body`, in the JSON error format."""

    def view(request, *args, **kwargs):
        if request.path.startswith("/api/"):
            return JsonResponse(body, status=body["status"])
        return default_view(request, *args, **kwargs)

    return view
