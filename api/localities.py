"""Localities as GeoJSON (simplified boundaries for drawing), and one locality's reachable menu."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from areas.models import Locality

from .filters import CheckedBBoxFilter, LocalityFilter
from .pagination import GeoJsonPagination
from .permissions import RoleAccessMixin
from .reach import LocalityMenuSerializer, ProfileQuerySerializer, locality_menu


class SimplifiedBoundaryField(GeometryField):
    """The coverage-simplified boundary (shared borders stay shared); the full one where none is stored yet."""

    def get_attribute(self, instance):
        return instance.geometry_simplified or instance.geometry


class LocalitySerializer(GeoFeatureModelSerializer):
    geometry_simplified = SimplifiedBoundaryField(
        read_only=True, help_text="Simplified boundary for drawing (MultiPolygon)."
    )
    origin = GeometryField(read_only=True, help_text="Where travel is measured from (Point).")

    class Meta:
        model = Locality
        geo_field = "geometry_simplified"
        id_field = "code"
        fields = [
            "code",
            "name",
            "population",
            "rurality",
            "imd_decile",
            "car_share",
            "la_code",
            "la_name",
            "origin",
            "origin_is_weighted",
        ]


@extend_schema_view(
    list=extend_schema(
        summary="List localities (GeoJSON)",
        description="A page of localities as a GeoJSON FeatureCollection with simplified "
        "boundaries; `in_bbox` keeps localities overlapping a box. Any role.",
    ),
    retrieve=extend_schema(summary="One locality (GeoJSON Feature)", description="Looked up by its code."),
)
class LocalityViewSet(RoleAccessMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Locality.objects.defer("geometry")  # full boundaries are read only where no simplified one exists
    serializer_class = LocalitySerializer
    filterset_class = LocalityFilter
    filter_backends = [DjangoFilterBackend, CheckedBBoxFilter]
    bbox_filter_field = "geometry"
    bbox_filter_include_overlapping = True
    pagination_class = GeoJsonPagination
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        summary="What is reachable from this locality",
        description="The current run's figures for one locality: menu sizes without and with a car, and per "
        "option whether it is reachable, from how many providers, the nearest site and minutes by "
        "each mode. What a keyworker needs for a care-plan conversation; any role.",
        parameters=[ProfileQuerySerializer],
        responses=LocalityMenuSerializer,
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def menu(self, request, code=None):
        locality = self.get_object()
        query = ProfileQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(locality_menu(locality=locality, profile=query.validated_data.get("profile")))
