"""Query-string filters (django-filter) and the bounding-box filter (djangorestframework-gis)."""

from __future__ import annotations

import math

import django_filters
from django.contrib.gis.geos import Polygon
from rest_framework.exceptions import ValidationError
from rest_framework_gis.filters import InBBoxFilter

from areas.models import Locality, Rurality
from reach.models import ReachRun, RunStatus, TravelProvider
from services.models import Delivery, MenuOption, OptionCategory, Provider, ProviderKind, Site, SiteOffer


class CheckedBBoxFilter(InBBoxFilter):
    """`in_bbox=min_lon,min_lat,max_lon,max_lat` in WGS84; a malformed box is a field error, not a 500."""

    def get_filter_bbox(self, request):
        raw = request.query_params.get(self.bbox_param)
        if not raw:
            return None
        parts = raw.split(",")
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            numbers = []
        if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
            raise ValidationError({self.bbox_param: ["Give four numbers: min_lon,min_lat,max_lon,max_lat."]})
        min_lon, min_lat, max_lon, max_lat = numbers
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise ValidationError(
                {
                    self.bbox_param: [
                        "Longitudes must lie in -180..180 and latitudes in -90..90, each minimum not above its maximum."
                    ]
                }
            )
        return Polygon.from_bbox((min_lon, min_lat, max_lon, max_lat))


class OptionFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=OptionCategory.choices)
    search = django_filters.CharFilter(method="filter_search", label="Code or name contains")

    class Meta:
        model = MenuOption
        fields = ["category", "active"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(code__icontains=value) | queryset.filter(name__icontains=value)


class ProviderFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ProviderKind.choices)
    name = django_filters.CharFilter(lookup_expr="icontains", label="Name contains")

    class Meta:
        model = Provider
        fields = ["kind", "name"]


class SiteFilter(django_filters.FilterSet):
    provider = django_filters.ModelChoiceFilter(queryset=Provider.objects.all(), label="Provider id")
    option = django_filters.CharFilter(
        field_name="offers__option__code", distinct=True, label="Offers this menu option (code)"
    )
    delivery = django_filters.ChoiceFilter(
        field_name="offers__delivery",
        choices=Delivery.choices,
        distinct=True,
        label="Offers something in this delivery mode",
    )

    class Meta:
        model = Site
        fields = ["provider", "active", "option", "delivery"]


class OfferFilter(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__code", label="Site code")
    option = django_filters.CharFilter(field_name="option__code", label="Menu option code")
    provider = django_filters.ModelChoiceFilter(
        field_name="site__provider", queryset=Provider.objects.all(), label="Provider id"
    )
    delivery = django_filters.ChoiceFilter(choices=Delivery.choices)

    class Meta:
        model = SiteOffer
        fields = ["site", "option", "provider", "delivery", "active"]


class LocalityFilter(django_filters.FilterSet):
    rurality = django_filters.ChoiceFilter(choices=Rurality.choices)
    imd_decile = django_filters.TypedChoiceFilter(
        choices=[(d, str(d)) for d in range(1, 11)], coerce=int, label="IMD decile (1 = most deprived)"
    )
    la_code = django_filters.CharFilter(label="Local authority code")

    class Meta:
        model = Locality
        fields = ["rurality", "imd_decile", "la_code"]


class RunFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)
    provider = django_filters.ChoiceFilter(choices=TravelProvider.choices)

    class Meta:
        model = ReachRun
        fields = ["status", "provider", "automatic", "profile"]
