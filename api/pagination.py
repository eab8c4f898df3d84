from rest_framework import pagination
from rest_framework_gis.pagination import GeoJsonPagination as GisGeoJsonPagination


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=N&page_size=M (at most 500); the default page size is settings PAGE_SIZE."""

    page_size_query_param = "page_size"
    max_page_size = 500


class GeoJsonPagination(GisGeoJsonPagination):
    """A page of features as a GeoJSON FeatureCollection with count, next and previous."""

    page_size_query_param = "page_size"
    max_page_size = 500
