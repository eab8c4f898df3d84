"""The service catalogue: menu options, providers, sites (GeoJSON) and site offers.

Everyone with a role reads; admins write. Every write goes through services.services, which
validates the whole object (fields and database constraints) before saving anything.
"""

from __future__ import annotations

import math

from django.contrib.gis.geos import GEOSGeometry
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.settings import api_settings
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from areas.models import Locality
from services.models import MenuOption, Provider, Site, SiteOffer
from services.rules import OFFER_RULE_FIELDS, offer_problems
from services.services import (
    create_option,
    create_provider,
    create_site,
    delete_catalogue_object,
    save_offer,
    update_catalogue_object,
)

from .filters import CheckedBBoxFilter, OfferFilter, OptionFilter, ProviderFilter, SiteFilter
from .pagination import GeoJsonPagination
from .permissions import RoleAccessMixin

READ_WRITE = "Signed-in users with any role read; admins write."


# --- serializers -------------------------------------------------------------------------------


class OptionSerializer(serializers.ModelSerializer):
    display_order = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2_147_483_647,
        help_text="Position on the menu; a new option without one goes to the end.",
    )

    class Meta:
        model = MenuOption
        fields = ["code", "name", "category", "description", "active", "display_order"]


class ProviderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Provider
        fields = ["id", "name", "kind", "contact"]


class PointField(GeometryField):
    """A WGS84 point, as GeoJSON or WKT."""

    def to_internal_value(self, value):
        point = super().to_internal_value(value)
        if not isinstance(point, GEOSGeometry) or point.geom_type != "Point" or point.empty:
            raise serializers.ValidationError("Give a GeoJSON Point (longitude, latitude in WGS84).")
        if point.srid not in (None, 4326):
            raise serializers.ValidationError("Coordinates must be WGS84 (EPSG:4326) longitude and latitude.")
        lon, lat = point.x, point.y
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise serializers.ValidationError("Longitude must lie in -180..180 and latitude in -90..90.")
        point.srid = 4326
        return point


class SiteSerializer(GeoFeatureModelSerializer):
    location = PointField()
    provider_name = serializers.CharField(source="provider.name", read_only=True)

    class Meta:
        model = Site
        geo_field = "location"
        id_field = "code"
        fields = ["code", "name", "provider", "provider_name", "address", "postcode", "active"]

    def to_internal_value(self, data):
        if not isinstance(data, dict) or not isinstance(data.get("properties", {}), dict):
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: ["Send a GeoJSON Feature whose properties are an object."]}
            )
        if "properties" in data:
            data = {**data, "properties": dict(data["properties"])}
        return super().to_internal_value(data)


class OfferSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="code", queryset=Site.objects.all(), help_text="Site code.")
    option = serializers.SlugRelatedField(
        slug_field="code", queryset=MenuOption.objects.all(), help_text="Menu option code."
    )
    outreach_localities = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Locality.objects.all(),
        many=True,
        required=False,
        help_text="Locality codes where outreach sessions are held (outreach offers only).",
    )

    class Meta:
        model = SiteOffer
        fields = [
            "id",
            "site",
            "option",
            "delivery",
            "capacity_per_week",
            "waiting_weeks",
            "min_age",
            "max_age",
            "outreach_localities",
            "home_visit_km",
            "opening_hours",
            "session_format",
            "worker_genders",
            "creche",
            "languages",
            "active",
        ]
        extra_kwargs = {
            "waiting_weeks": {"min_value": 0},
            "home_visit_km": {"min_value": 0},
            "min_age": {"max_value": 130},
            "max_age": {"max_value": 130},
            "capacity_per_week": {"max_value": 2_147_483_647},
        }

    def validate(self, attrs):
        """The offer rules (services/rules.py) on the offer as it would be after this request."""
        entered = {name: getattr(self.instance, name) for name in OFFER_RULE_FIELDS} if self.instance else {}
        if self.instance and "outreach_localities" not in attrs:
            entered["outreach_localities"] = list(self.instance.outreach_localities.all())
        entered.update(attrs)
        entered.setdefault("delivery", SiteOffer._meta.get_field("delivery").default)
        problems = offer_problems(entered)
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


# --- views -----------------------------------------------------------------------------------


class CatalogueViewSet(RoleAccessMixin, viewsets.ModelViewSet):
    """Shared behaviour: updates and deletes through the catalogue services."""

    conflict_actions: tuple[str, ...] = ("destroy",)

    def perform_update(self, serializer):
        serializer.instance = update_catalogue_object(
            instance=serializer.instance, changes=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        delete_catalogue_object(instance=instance)


OPTION_EXAMPLE = OpenApiExample(
    "A menu option",
    value={
        "code": "OST-METH",
        "name": "Opioid substitution: methadone",
        "category": "pharmacological",
        "description": "Daily oral methadone.",
        "active": True,
        "display_order": 10,
    },
)


@extend_schema_view(
    list=extend_schema(summary="List menu options", description=f"The treatment menu, in menu order. {READ_WRITE}"),
    retrieve=extend_schema(summary="One menu option", description="Looked up by its code."),
    create=extend_schema(summary="Add a menu option", description="Admins only.", examples=[OPTION_EXAMPLE]),
    update=extend_schema(summary="Replace a menu option", description="Admins only."),
    partial_update=extend_schema(summary="Change a menu option", description="Admins only."),
    destroy=extend_schema(
        summary="Delete a menu option",
        description="Admins only. An option that sites still offer cannot be deleted (409): "
        "set active to false instead.",
    ),
)
class OptionViewSet(CatalogueViewSet):
    queryset = MenuOption.objects.all()
    serializer_class = OptionSerializer
    filterset_class = OptionFilter
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def perform_create(self, serializer):
        serializer.instance = create_option(**serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="List providers", description=READ_WRITE),
    retrieve=extend_schema(summary="One provider"),
    create=extend_schema(
        summary="Add a provider",
        description="Admins only.",
        examples=[
            OpenApiExample(
                "A provider",
                value={"name": "Recovery Together Dorset", "kind": "voluntary", "contact": "hello@example.org"},
            )
        ],
    ),
    update=extend_schema(summary="Replace a provider", description="Admins only."),
    partial_update=extend_schema(summary="Change a provider", description="Admins only."),
    destroy=extend_schema(
        summary="Delete a provider", description="Admins only. A provider that still has sites cannot be deleted (409)."
    ),
)
class ProviderViewSet(CatalogueViewSet):
    queryset = Provider.objects.all()
    serializer_class = ProviderSerializer
    filterset_class = ProviderFilter

    def perform_create(self, serializer):
        serializer.instance = create_provider(**serializer.validated_data)


SITE_EXAMPLE = OpenApiExample(
    "A site",
    value={
        "type": "Feature",
        "id": "BOU-01",
        "geometry": {"type": "Point", "coordinates": [-1.8425, 50.7258]},
        "properties": {
            "name": "Boscombe Recovery Hub",
            "provider": 1,
            "address": "1 Christchurch Rd",
            "postcode": "BH1 4AA",
            "active": True,
        },
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="List sites (GeoJSON)",
        description=f"A page of sites as a GeoJSON FeatureCollection; `in_bbox` keeps the sites "
        f"inside a box. {READ_WRITE}",
    ),
    retrieve=extend_schema(summary="One site (GeoJSON Feature)", description="Looked up by its code."),
    create=extend_schema(
        summary="Add a site",
        description="Admins only. A GeoJSON Feature whose `id` (or `properties.code`) is the site code.",
        examples=[SITE_EXAMPLE],
    ),
    update=extend_schema(summary="Replace a site", description="Admins only."),
    partial_update=extend_schema(summary="Change a site", description="Admins only."),
    destroy=extend_schema(summary="Delete a site", description="Admins only; its offers go with it."),
)
class SiteViewSet(CatalogueViewSet):
    queryset = Site.objects.select_related("provider")
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    filter_backends = [DjangoFilterBackend, CheckedBBoxFilter]
    bbox_filter_field = "location"
    pagination_class = GeoJsonPagination
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def perform_create(self, serializer):
        serializer.instance = create_site(**serializer.validated_data)


OFFER_EXAMPLE = OpenApiExample(
    "An outreach offer",
    value={
        "site": "BOU-01",
        "option": "OST-BUP",
        "delivery": "outreach",
        "capacity_per_week": 10,
        "waiting_weeks": 1.5,
        "min_age": 18,
        "max_age": None,
        "outreach_localities": ["E01900012"],
        "home_visit_km": None,
        "opening_hours": "Tu 10:00-13:00",
        "active": True,
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="List site offers",
        description=f"What each site offers: one menu option in one delivery mode. {READ_WRITE}",
    ),
    retrieve=extend_schema(summary="One site offer"),
    create=extend_schema(
        summary="Add a site offer",
        description="Admins only. Outreach offers list their "
        "localities; home visits give a radius; the rest give neither.",
        examples=[OFFER_EXAMPLE],
    ),
    update=extend_schema(summary="Replace a site offer", description="Admins only."),
    partial_update=extend_schema(summary="Change a site offer", description="Admins only."),
    destroy=extend_schema(summary="Delete a site offer", description="Admins only."),
)
class OfferViewSet(CatalogueViewSet):
    queryset = SiteOffer.objects.select_related("site", "option").prefetch_related("outreach_localities")
    serializer_class = OfferSerializer
    filterset_class = OfferFilter
    conflict_actions = ()

    def perform_create(self, serializer):
        serializer.instance = save_offer(changes=dict(serializer.validated_data))

    def perform_update(self, serializer):
        serializer.instance = save_offer(offer=serializer.instance, changes=dict(serializer.validated_data))
