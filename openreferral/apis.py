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

from . import mapping as m
from . import selectors

TAG = ["Open Referral UK"]


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=1_000_000, help_text="Page number, from 1."
    )
    per_page = serializers.IntegerField(
        required=False, default=50, min_value=1, max_value=500, help_text="Items per page (at most 500)."
    )


class ServiceQuerySerializer(PageQuerySerializer):
    search = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=200,
        help_text="Text in the option, site or provider name.",
    )
    taxonomy_term_id = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=100,
        help_text="Services with this term: a menu category, menu option or delivery mode.",
    )
    taxonomy_id = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    organization_id = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)


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
    """Open to anyone, as ORUK requires, with CORS allowed from any origin."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    query_serializer = PageQuerySerializer

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

    def page(self, request, items, to_record) -> Response:
        """HSDS pagination over a queryset or list, building records for the page's items only."""
        query = self.query(request)
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
        "maximum_age": None,
        "schedules": [
            {
                "id": "…",
                "service_id": "5d2c…",
                "freq": "WEEKLY",
                "byday": "MO,TU,WE,TH,FR",
                "opens_at": "09:00",
                "closes_at": "17:00",
                "description": "Mo-Fr 09:00-17:00",
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
        responses=ApiDetailsSerializer,
    )
    def get(self, request):
        return Response(
            {
                "version": m.HSDS_VERSION,
                "profile": m.PROFILE_URL,
                "openapi_url": request.build_absolute_uri(reverse("openreferral:schema")),
            }
        )


class ServiceListView(OpenReferralView):
    query_serializer = ServiceQuerySerializer

    @extend_schema(
        operation_id="openreferral_service_list",
        summary="Services (one per site offer)",
        tags=TAG,
        parameters=[ServiceQuerySerializer],
        responses=PageSerializer,
        description="One service per site offer: a menu option offered at one site in one delivery "
        "mode. One-to-one fields only; /services/{id} has the rest.",
    )
    def get(self, request):
        query = self.query(request)
        offers = selectors.offers(
            search=query["search"],
            term_id=query["taxonomy_term_id"],
            taxonomy_id=query["taxonomy_id"],
            organization=query["organization_id"],
        )
        base = self.base_url(request)
        return self.page(request, offers, lambda offer: selectors.service_summary(offer, base_url=base))


class ServiceDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_service_detail",
        summary="One service, fully nested",
        tags=TAG,
        responses=OpenApiTypes.OBJECT,
        examples=[SERVICE_EXAMPLE],
        description="With its organization, schedules (from the opening hours), service areas "
        "(outreach localities), service_at_location with its location, and taxonomy "
        "terms (menu option, delivery mode).",
    )
    def get(self, request, record_id: str):
        offer = _found(selectors.offer_by_service_id(record_id), "service", record_id)
        return Response(selectors.service_record(offer, base_url=self.base_url(request), nested=True))


class ServiceAtLocationListView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_service_at_location_list",
        summary="Services at locations",
        tags=TAG,
        parameters=[PageQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        return self.page(request, selectors.offers(), selectors.service_at_location_record)


class ServiceAtLocationDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_service_at_location_detail",
        summary="One service at a location, with the service and the location",
        tags=TAG,
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, record_id: str):
        offer = _found(selectors.offer_by_service_id(record_id, at_location=True), "service_at_location", record_id)
        return Response(selectors.service_at_location_record(offer, base_url=self.base_url(request), nested=True))


class OrganizationListView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_organization_list",
        summary="Organizations (providers)",
        tags=TAG,
        parameters=[PageQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        return self.page(request, selectors.providers(), selectors.organization_record)


class OrganizationDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_organization_detail",
        summary="One organization",
        tags=TAG,
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, record_id: str):
        return Response(
            selectors.organization_record(_found(selectors.provider_by_id(record_id), "organization", record_id))
        )


class LocationListView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_location_list",
        summary="Locations (sites)",
        tags=TAG,
        parameters=[PageQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        return self.page(request, selectors.sites(), selectors.location_record)


class LocationDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_location_detail", summary="One location", tags=TAG, responses=OpenApiTypes.OBJECT
    )
    def get(self, request, record_id: str):
        return Response(selectors.location_record(_found(selectors.site_by_id(record_id), "location", record_id)))


class TaxonomyListView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_taxonomy_list",
        summary="Taxonomies: the treatment menu and delivery modes",
        tags=TAG,
        parameters=[PageQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        return self.page(request, m.TAXONOMIES, dict)


class TaxonomyDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_taxonomy_detail", summary="One taxonomy", tags=TAG, responses=OpenApiTypes.OBJECT
    )
    def get(self, request, record_id: str):
        taxonomy = next((t for t in m.TAXONOMIES if t["id"] == record_id), None)
        return Response(_found(taxonomy, "taxonomy", record_id))


class TaxonomyTermListView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_taxonomy_term_list",
        summary="Taxonomy terms: menu categories, menu options, delivery modes",
        tags=TAG,
        parameters=[PageQuerySerializer],
        responses=PageSerializer,
    )
    def get(self, request):
        return self.page(request, selectors.taxonomy_terms(), dict)


class TaxonomyTermDetailView(OpenReferralView):
    @extend_schema(
        operation_id="openreferral_taxonomy_term_detail",
        summary="One taxonomy term",
        tags=TAG,
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, record_id: str):
        return Response(_found(selectors.term_by_id(record_id), "taxonomy term", record_id))
