"""OpenAPI: every operation also documents the error responses it can give, in the one error format."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import AllowAny

from .errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `fields` names each field to fix.",
    "401": "Not signed in: send `Authorization: Token <key>` (see /api/v1/auth/token/) or a session cookie.",
    "403": "Signed in, but your role may not do this.",
    "404": "No such object.",
    "409": "The object is in a state that does not allow this (e.g. a run that has not succeeded).",
}


class ChoicemapAutoSchema(AutoSchema):
    def _is_open(self) -> bool:
        return any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _has_query_serializer(self) -> bool:
        # Query parameters given as a serializer (not single OpenApiParameters) are validated: a 400 when wrong.
        return any(not isinstance(parameter, OpenApiParameter) for parameter in self.get_override_parameters())

    def _error_codes(self) -> list[str]:
        codes = []
        if (
            self.method in ("POST", "PUT", "PATCH")
            or self._get_filter_parameters()
            or self._get_pagination_parameters()
            or self._has_query_serializer()
        ):
            codes.append("400")
        if not self._is_open():
            codes += ["401", "403"]
        if "{" in self.path:
            codes.append("404")
        # Views name the actions (viewsets) or methods (plain views) that can answer 409.
        if (getattr(self.view, "action", None) or self.method.lower()) in getattr(self.view, "conflict_actions", ()):
            codes.append("409")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                body = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                body["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = body
        return responses
