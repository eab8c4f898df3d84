"""ORUK paths have no trailing slash, as the standard writes them."""

from django.urls import path

from . import apis

app_name = "openreferral"
urlpatterns = [
    path("", apis.ApiDetailsView.as_view(), name="root"),
    path("openapi.json", apis.OpenApiView.as_view(), name="openapi"),
    path("services", apis.ServiceListView.as_view(), name="services"),
    path("services/<str:record_id>", apis.ServiceDetailView.as_view(), name="service"),
    path("service_at_locations", apis.ServiceAtLocationListView.as_view(), name="service-at-locations"),
    path(
        "service_at_locations/<str:record_id>", apis.ServiceAtLocationDetailView.as_view(), name="service-at-location"
    ),
    path("organizations", apis.OrganizationListView.as_view(), name="organizations"),
    path("organizations/<str:record_id>", apis.OrganizationDetailView.as_view(), name="organization"),
    path("locations", apis.LocationListView.as_view(), name="locations"),
    path("locations/<str:record_id>", apis.LocationDetailView.as_view(), name="location"),
    path("taxonomies", apis.TaxonomyListView.as_view(), name="taxonomies"),
    path("taxonomies/<str:record_id>", apis.TaxonomyDetailView.as_view(), name="taxonomy"),
    path("taxonomy_terms", apis.TaxonomyTermListView.as_view(), name="taxonomy-terms"),
    path("taxonomy_terms/<str:record_id>", apis.TaxonomyTermDetailView.as_view(), name="taxonomy-term"),
]
