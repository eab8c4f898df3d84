"""Requests no view should see."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse

NUL_MESSAGE = "The address contains a NUL character (%00), which no choicemap page accepts."


class RejectNulBytesMiddleware:
    """A NUL character in the path or a query parameter is answered 400 before any view runs: PostgreSQL
    refuses NUL in text, so one reaching a query would otherwise be a 500. Forms and the API's serializers
    refuse NUL in what is posted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):
                body = {"status": 400, "code": "invalid", "message": NUL_MESSAGE, "fields": {}}
                return JsonResponse(body, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
