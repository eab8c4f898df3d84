"""Open Referral UK endpoints: open (no sign-in), read-only, paginated the HSDS way."""

from __future__ import annotations

import math

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from areas.selectors import postcode_point, postcodes_loaded

from . import mapping as m
from . import selectors

TAG = ["Open Referral UK"]


class PageQuerySerializer(serializers.Serializer):
    """Every ORUK list takes these; a parameter an endpoint does not know is a 400, never ignored."""

    page = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=1_000_000, help_text="Page number, from 1."
    )
    per_page = serializers.IntegerField(
        required=False, default=50, min_value=1, max_value=500, help_text="Items per page (at most 500)."
    )
    format = serializers.ChoiceField(
        choices=["json"], required=False, default="json", help_text="Only json (ndjson is not offered)."
    )

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            known = ", ".join(self.fields)
            raise serializers.ValidationError(
                {name: [f"Unknown parameter; this endpoint takes {known}."] for name in unknown}
            )
        return super().to_internal_value(data)


class SearchQuerySerializer(PageQuerySerializer):
    search = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=200, help_text="Text in the name."
    )


class ServiceAtLocationQuerySerializer(SearchQuerySerializer):
    search = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=200,
        help_text="Text in the option, site or provider name, or the option's description.",
    )
    taxonomy_term_id = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=100,
        help_text="Services with this term: a menu category, menu option or delivery mode.",
    )
    taxonomy_id = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=100, help_text="Services with a term of this taxonomy."
    )
    organization_id = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=100, help_text="Services of this organization."
    )
    minimum_age = serializers.IntegerField(
        required=False, min_value=0, max_value=130, help_text="Services open to someone this old or older."
    )
    maximum_age = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=130,
        help_text="Services open to someone this old or younger (both: someone in the range; equal: that age).",
    )
    day = serializers.ChoiceField(
        choices=m.ICAL_DAYS, required=False, default="", help_text="Open on this day (MO … SU), by the opening hours."
    )
    start_time = serializers.RegexField(
        r"^([01]\d|2[0-3]):[0-5]\d$", required=False, default="", help_text="Open at this time (HH:MM, UK time)."
    )
    end_time = serializers.RegexField(
        r"^([01]\d|2[0-4]):[0-5]\d$",
        required=False,
        default="",
        help_text="Open until this time (HH:MM, UK time); with start_time, open throughout.",
    )
    modified_after = serializers.DateTimeField(
        required=False, help_text="Services changed on or after this date-time (ISO 8601; UTC when no offset)."
    )
    postcode = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=10,
        help_text="A UK postcode. Alone: services whose service area covers it (outreach localities, home-visit "
        "radius; on-site and remote services have none). With proximity: services within that distance.",
    )
    proximity = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1_000_000,
        help_text="Metres from the postcode's point to the service's site; needs postcode.",
    )
    full = serializers.BooleanField(required=False, default=False, help_text="Fully nested records.")

    def validate(self, attrs):
        if "proximity" in attrs and not attrs["postcode"]:
            raise serializers.ValidationError({"proximity": ["Give a postcode to measure the proximity from."]})
        minimum, maximum = attrs.get("minimum_age"), attrs.get("maximum_age")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise serializers.ValidationError({"maximum_age": ["Must not be below minimum_age."]})
        if attrs["start_time"] and attrs["end_time"] and attrs["start_time"] >= attrs["end_time"]:
            raise serializers.ValidationError({"end_time": ["Must be after start_time."]})
        point = None
        if attrs["postcode"]:
            point = postcode_point(attrs["postcode"])
            if point is None:
                reason = (
                    "Unknown postcode."
                    if postcodes_loaded()
                    else "Postcode search is not available: no postcode table has been imported (import_postcodes)."
                )
                raise serializers.ValidationError({"postcode": [reason]})
        attrs["filters"] = selectors.ServiceFilters(
            search=attrs["search"],
            term_id=attrs["taxonomy_term_id"],
            taxonomy_id=attrs["taxonomy_id"],
            organization=attrs["organization_id"],
            minimum_age=minimum,
            maximum_age=maximum,
            day=attrs["day"],
            start_time=attrs["start_time"],
            end_time=attrs["end_time"],
            modified_after=attrs.get("modified_after"),
            point=point,
            proximity_m=attrs.get("proximity"),
        )
        return attrs


class ServiceQuerySerializer(ServiceAtLocationQuerySerializer):
    minimal = serializers.BooleanField(
        required=False, default=False, help_text="Only each service's id and last_modified."
    )

    def validate(self, attrs):
        if attrs["minimal"] and attrs["full"]:
            raise serializers.ValidationError({"minimal": ["Ask for minimal or full, not both."]})
        return super().validate(attrs)


class OrganizationQuerySerializer(SearchQuerySerializer):
    full = serializers.BooleanField(required=False, default=False, help_text="With the organization's services.")
    full_service = serializers.BooleanField(
        required=False, default=False, help_text="With the organization's services, each fully nested."
    )


class TaxonomyTermQuerySerializer(SearchQuerySerializer):
    taxonomy_id = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    parent_id = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    top_only = serializers.BooleanField(required=False, default=False, help_text="Only terms with no parent.")


class DetailQuerySerializer(PageQuerySerializer):
    """Detail endpoints take no parameters but format."""

    # None removes a field the base serializer declares (DRF's way); the stubs only know the field type.
    page = None  # type: ignore[assignment]
    per_page = None  # type: ignore[assignment]


class OrganizationDetailQuerySerializer(DetailQuerySerializer):
    full_service = serializers.BooleanField(
        required=False, default=False, help_text="With the organization's services, each fully nested."
    )


class PageSerializer(serializers.Serializer):
    total_items = serializers.IntegerField()
    total_pages = serializers.IntegerField()
    page_number = serializers.IntegerField()
    size = serializers.IntegerField(help_text="Items on this page.")
    first_page = serializers.BooleanField()
    last_page = serializers.BooleanField()
    empty = serializers.BooleanField(help_text="True when nothing matched.")
    contents = serializers.ListField(child=serializers.DictField())


class ApiDetailsSerializer(serializers.Serializer):
    version = serializers.CharField()
    profile = serializers.URLField()
    openapi_url = serializers.URLField()


class OpenReferralView(APIView):
    """Open to anyone, as ORUK requires, with CORS allowed from any origin. Always JSON."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    query_serializer: type[serializers.Serializer] = DetailQuerySerializer

    def perform_content_negotiation(self, request, force=False):
        # `format` is an ORUK parameter here, checked with the others, not DRF's renderer switch.
        return JSONRenderer(), JSONRenderer.media_type

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    def query(self, request) -> dict:
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data

    def base_url(self, request) -> str:
        return request.build_absolute_uri("/").rstrip("/")

    def page(self, query: dict, items, to_record) -> Response:
        """HSDS pagination over a queryset or list, building records for the page's items only."""
        per_page, number = query["per_page"], query["page"]
        total = items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
        start = (number - 1) * per_page
        contents = [to_record(item) for item in items[start : start + per_page]]
        pages = math.ceil(total / per_page)
        return Response(
            {
                "total_items": total,
                "total_pages": pages,
                "page_number": number,
                "size": len(contents),
                "first_page": number == 1,
                "last_page": number >= pages,
                "empty": total == 0,
                "contents": contents,
            }
        )


def _found(value, what: str, record_id: str):
    if value is None:
        raise NotFound(f"No {what} {record_id}.")
    return value


SERVICE_EXAMPLE = OpenApiExample(
    "A service",
    response_only=True,
    value={
        "id": "5d2c…",
        "organization_id": "8f0e…",
        "name": "Opioid substitution: buprenorphine, Boscombe Recovery Hub",
        "description": "Sublingual buprenorphine…",
        "url": "https://choicemap.example/openreferral/services/5d2c…",
        "status": "active",
        "minimum_age": 18,
        "last_modified": "2026-11-29T02:47:14.123456Z",
        "schedules": [
            {
                "id": "…",
                "service_id": "5d2c…",
                "freq": "WEEKLY",
                "byday": "MO,TU,WE,TH,FR",
                "opens_at": "09:00",
                "closes_at": "17:00",
                "description": "Mo-Fr 09:00-17:00",
                "notes": m.SCHEDULE_TIMEZONE_NOTE,
            }
        ],
        "service_areas": [],
        "service_at_locations": [{"id": "…", "service_id": "5d2c…", "location_id": "…"}],
        "attributes": [{"taxonomy_term_id": "…", "link_entity": "service", "link_type": "service_type"}],
        m.EXTENSION: {"active": True, "capacity_per_week": 35, "waiting_weeks": 2.0, "home_visit_km": None},
    },
)


class ApiDetailsView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_api_details",
        summary="About this Open Referral UK feed",
        tags=TAG,
        parameters=[DetailQuerySerializer],
        responses=ApiDetailsSerializer,
    )
    def get(self, request):
        self.query(request)
        return Response(
            {
                "version": m.HSDS_VERSION,
                "profile": m.PROFILE_URL,
                "openapi_url": request.build_absolute_uri(reverse("openreferral:openapi")),
            }
        )


class BareRootView(ApiDetailsView):
    """/openreferral without its slash answers the same, rather than a redirect whose 301 has no CORS header."""

    @extend_schema(exclude=True)
    def get(self, request):
        return super().get(request)


class OpenApiView(OpenReferralView):
    """The ORUK 3.0 OpenAPI document (as the ORUK validator publishes it), pointed at this server."""

    @extend_schema(exclude=True)
    def get(self, request):
        self.query(request)
        return Response(selectors.oruk_openapi(server_url=self.base_url(request) + "/openreferral"))


class ServiceListView(OpenReferralView):
    query_serializer = ServiceQuerySerializer

    @extend_schema(
        operation_id="openreferral_service_list",
        summary="Services (one per site offer)",
        tags=TAG,
        parameters=[ServiceQuerySerializer],
        responses=PageSerializer,
        description="One service per site offer: a menu option offered at one site in one delivery "
        "mode. One-to-one fields only unless full=true; minimal=true gives only id and last_modified.",
    )
    def get(self, request):
        query = self.query(request)
        base = self.base_url(request)
        if query["minimal"]:
            return self.page(query, selectors.offers(query["filters"]), selectors.service_minimal)
        if query["full"]:
            return self.page(
                query,
                selectors.offers(query["filters"]),
                lambda offer: selectors.service_record(offer, base_url=base, nested=True),
            )
        return self.page(
            query, selectors.offers(query["filters"]), lambda offer: selectors.service_summary(offer, base_url=base)
        )


class ServiceDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_service_detail",
        summary="One service, fully nested",
        tags=TAG,
        parameters=[DetailQuerySerializer],
        responses=OpenApiTypes.OBJECT,
        examples=[SERVICE_EXAMPLE],
        description="With its organization, schedules (from the opening hours), service areas "
        "(outreach localities), service_at_location with its location, and taxonomy "
        "terms (menu option, delivery mode).",
    )
    def get(self, request, record_id: str):
        self.query(request)
        offer = _found(selectors.offer_by_service_id(record_id), "service", record_id)
        return Response(selectors.service_record(offer, base_url=self.base_url(request), nested=True))


class ServiceAtLocationListView(OpenReferralView):
    query_serializer = ServiceAtLocationQuerySerializer

    @extend_schema(
        operation_id="openreferral_service_at_location_list",
        summary="Services at locations",
        tags=TAG,
        parameters=[ServiceAtLocationQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        query = self.query(request)
        base = self.base_url(request)
        return self.page(
            query,
            selectors.offers(query["filters"]),
            lambda offer: selectors.service_at_location_record(offer, base_url=base, nested=query["full"]),
        )


class ServiceAtLocationDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_service_at_location_detail",
        summary="One service at a location, with the service and the location",
        tags=TAG,
        parameters=[DetailQuerySerializer],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, record_id: str):
        self.query(request)
        offer = _found(selectors.offer_by_service_id(record_id, at_location=True), "service_at_location", record_id)
        return Response(selectors.service_at_location_record(offer, base_url=self.base_url(request), nested=True))


class OrganizationListView(OpenReferralView):
    query_serializer = OrganizationQuerySerializer

    @extend_schema(
        operation_id="openreferral_organization_list",
        summary="Organizations (providers)",
        tags=TAG,
        parameters=[OrganizationQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        query = self.query(request)
        base = self.base_url(request)
        services = "full" if query["full_service"] else "summary" if query["full"] else ""
        return self.page(
            query,
            selectors.providers(search=query["search"]),
            lambda provider: selectors.organization_record(provider, services=services, base_url=base),
        )


class OrganizationDetailView(OpenReferralView):
    query_serializer = OrganizationDetailQuerySerializer

    @extend_schema(
        operation_id="openreferral_organization_detail",
        summary="One organization, with its services",
        tags=TAG,
        parameters=[OrganizationDetailQuerySerializer],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, record_id: str):
        query = self.query(request)
        provider = _found(selectors.provider_by_id(record_id), "organization", record_id)
        services = "full" if query["full_service"] else "summary"
        return Response(selectors.organization_record(provider, services=services, base_url=self.base_url(request)))


class LocationListView(OpenReferralView):
    query_serializer = PageQuerySerializer

    @extend_schema(
        operation_id="openreferral_location_list",
        summary="Locations (sites)",
        tags=TAG,
        parameters=[PageQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        return self.page(self.query(request), selectors.sites(), selectors.location_record)


class LocationDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_location_detail",
        summary="One location",
        tags=TAG,
        parameters=[DetailQuerySerializer],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, record_id: str):
        self.query(request)
        return Response(selectors.location_record(_found(selectors.site_by_id(record_id), "location", record_id)))


class TaxonomyListView(OpenReferralView):
    query_serializer = SearchQuerySerializer

    @extend_schema(
        operation_id="openreferral_taxonomy_list",
        summary="Taxonomies: the treatment menu and delivery modes",
        tags=TAG,
        parameters=[SearchQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        query = self.query(request)
        return self.page(query, selectors.taxonomies(search=query["search"]), dict)


class TaxonomyDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_taxonomy_detail",
        summary="One taxonomy",
        tags=TAG,
        parameters=[DetailQuerySerializer],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, record_id: str):
        self.query(request)
        taxonomy = next((t for t in m.TAXONOMIES if t["id"] == record_id), None)
        return Response(_found(taxonomy, "taxonomy", record_id))


class TaxonomyTermListView(OpenReferralView):
    query_serializer = TaxonomyTermQuerySerializer

    @extend_schema(
        operation_id="openreferral_taxonomy_term_list",
        summary="Taxonomy terms: menu categories, menu options, delivery modes",
        tags=TAG,
        parameters=[TaxonomyTermQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        query = self.query(request)
        terms = selectors.taxonomy_terms(
            search=query["search"],
            taxonomy_id=query["taxonomy_id"],
            parent_id=query["parent_id"],
            top_only=query["top_only"],
        )
        return self.page(query, terms, dict)


class TaxonomyTermDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_taxonomy_term_detail",
        summary="One taxonomy term",
        tags=TAG,
        parameters=[DetailQuerySerializer],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, record_id: str):
        self.query(request)
        return Response(_found(selectors.term_by_id(record_id), "taxonomy term", record_id))
