"""Issue 15's commissioner tables through the API: unmet preference by reason, segments, outcomes.

Each reads one named table of a stored `Publication` (careplans.publication_tables), the same figures as the
commissioners' pages and their CSV; commissioners and admins only, every read audited, as
/api/v1/unmet-preference/.
"""

from __future__ import annotations

import io

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import UNMET_ROLES
from careplans.access import actor_for
from careplans.publication_tables import (
    ANY,
    DIMENSIONS,
    METHOD_NOTE,
    OUTCOMES_TABLE,
    REASONS_TABLE,
    SEGMENTS_TABLE,
    TABLE_FORMATS,
    NotInPublication,
    Segment,
    segments_json,
    stored_table,
)
from careplans.selectors import publication_or_latest
from careplans.services import record_aggregate_read
from careplans.unmet import NOTHING_PUBLISHED, publication_meta

from .errors import JsonErrorsMixin
from .permissions import RoleAccessMixin


class TableCsvRenderer(BaseRenderer):
    """The whole table as its page's CSV writes it (`data` is the view's (writer, stored table) pair)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict):  # an error body
            return JSONRenderer().render(data)
        write, stored = data
        output = io.StringIO()
        write(stored, output)
        return output.getvalue().encode(self.charset)


class PublicationQuerySerializer(serializers.Serializer):
    publication = serializers.IntegerField(
        required=False, min_value=1, help_text="A past publication's id (default: the latest)."
    )

    def validate_publication(self, pk: int) -> int:
        found = publication_or_latest(pk)
        if found is None or found.pk != pk:
            raise serializers.ValidationError(f"No publication with id {pk}.")
        return pk


class SegmentQuerySerializer(PublicationQuerySerializer):
    travel = serializers.ChoiceField(choices=[*DIMENSIONS["travel"], ANY], required=False)
    sessions = serializers.ChoiceField(choices=[*DIMENSIONS["sessions"], ANY], required=False)
    formats = serializers.ChoiceField(choices=[*DIMENSIONS["formats"], ANY], required=False)


FORMAT = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="json (default) or csv (the whole table, as the page's CSV)."
)
PROTECTED = (
    "From a stored publication built on a schedule (the latest, or `publication`), protected together with the "
    "other tables of the same people: counts of 1–7 suppressed (null), the rest rounded to a multiple of 5 by cell "
    "key, secondary suppression so no hidden count of 1–7 can be narrowed below 0 to 8. Localities with too few "
    "people are counted together as OTHER, never named. Commissioners and admins; each read is audited; 404 "
    "before the first publication or for a publication built before the table existed."
)


RESPONSES = {
    (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR),
}


def documented(summary: str, description: str, query: type[serializers.Serializer] = PublicationQuerySerializer):
    return extend_schema_view(
        get=extend_schema(
            summary=summary, parameters=[query, FORMAT], description=f"{description} {PROTECTED}", responses=RESPONSES
        )
    )


class PublishedTableApi(JsonErrorsMixin, RoleAccessMixin, APIView):
    read_roles = write_roles = UNMET_ROLES
    renderer_classes = [JSONRenderer, TableCsvRenderer]
    table = ""
    query_serializer: type[serializers.Serializer] = PublicationQuerySerializer

    def get(self, request):
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stored = publication_or_latest(query.validated_data.get("publication"))
        if stored is None:
            raise NotFound(NOTHING_PUBLISHED)
        try:
            tables = stored_table(stored, self.table)
        except NotInPublication as missing:
            raise NotFound(str(missing)) from missing
        record_aggregate_read(actor=actor_for(request))
        write_csv, as_json = TABLE_FORMATS[self.table]
        if request.accepted_renderer.format == TableCsvRenderer.format:
            return Response(
                (write_csv, tables),
                headers={"Content-Disposition": f'attachment; filename="{self.table}-{stored.pk}.csv"'},
            )
        body = self.body(tables, query.validated_data) or as_json(tables)
        return Response({"published": publication_meta(stored), "method": METHOD_NOTE, **body})

    def body(self, tables, query: dict) -> dict | None:
        """The JSON, when the query narrows it (None: the whole table)."""
        return None


@documented(
    "Unmet preference by reason (protected)",
    "Per locality and option: people who preferred it and could not reach it on their own menu (kept with "
    "their latest choice), by reason code, with totals.",
)
class UnmetReasonsApi(PublishedTableApi):
    table = REASONS_TABLE


@documented(
    "People by needs segment and locality (protected)",
    "People by their needs at the cut-off (travel, when they can attend, remote sessions; ANY for every value) "
    "per locality, and how many of them could reach every option on their own menu. Every segment was built "
    "into the publication; the filters only pick from it (without them, every segment).",
    SegmentQuerySerializer,
)
class SegmentsApi(PublishedTableApi):
    table = SEGMENTS_TABLE
    query_serializer = SegmentQuerySerializer

    def body(self, tables, query):
        picked = {name: query[name] for name in DIMENSIONS if name in query}
        return segments_json(tables, Segment(**picked)) if picked else None


@documented(
    "Outcomes: change from first to latest review (protected)",
    "Mean change (95% Student's t interval) in goal ratings, the three TOP scores and days of use, for everyone, "
    "by whether people got their preferred option and whether it was reachable without a car. No group of "
    "fewer than 8 people is shown; a mean is null wherever its group's size is hidden, or where it would give "
    "a smaller group's away.",
)
class OutcomesApi(PublishedTableApi):
    table = OUTCOMES_TABLE
