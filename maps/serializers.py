from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from services.models import Site, SiteOffer


class SiteOfferMapSerializer(serializers.ModelSerializer):
    option = serializers.CharField(source="option.code")
    option_name = serializers.CharField(source="option.name")
    delivery_label = serializers.CharField(source="get_delivery_display")

    class Meta:
        model = SiteOffer
        fields = [
            "option",
            "option_name",
            "delivery",
            "delivery_label",
            "capacity_per_week",
            "waiting_weeks",
            "home_visit_km",
            "active",
        ]


class SiteMapSerializer(GeoFeatureModelSerializer):
    """A site marker and its popup: provider and what is offered there, how, how much and how soon."""

    provider = serializers.CharField(source="provider.name")
    offers = SiteOfferMapSerializer(many=True)

    class Meta:
        model = Site
        geo_field = "location"
        fields = ["id", "code", "name", "provider", "address", "postcode", "offers"]
