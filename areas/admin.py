from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from choicemap.admin_base import CatalogueChangeAdmin

from .models import Locality
from .services import refresh_drawing_geometries


class LocalAuthorityFilter(admin.AllValuesFieldListFilter):
    """The stock filter gives a blank local authority a link with no text; this one calls it "(none)"."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": "(none)"} if choice["display"] == "" else choice


@admin.register(Locality)
class LocalityAdmin(CatalogueChangeAdmin, LeafletGeoAdmin):
    list_display = ["code", "name", "population", "rurality", "imd_decile", "car_share", "la_name"]
    list_filter = ["rurality", "imd_decile", ("la_name", LocalAuthorityFilter)]
    search_fields = ["code", "name", "la_name"]
    readonly_fields = ["updated_at"]
    exclude = ["geometry_simplified", "geometry_coarse"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "geometry" in form.changed_data:
            refresh_drawing_geometries()
