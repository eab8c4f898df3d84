from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from choicemap.admin_base import CatalogueChangeAdmin

from .models import Locality
from .services import refresh_drawing_geometries


@admin.register(Locality)
class LocalityAdmin(CatalogueChangeAdmin, LeafletGeoAdmin):
    list_display = ["code", "name", "population", "rurality", "imd_decile", "car_share", "la_name"]
    list_filter = ["rurality", "imd_decile", "la_name"]
    search_fields = ["code", "name", "la_name"]
    readonly_fields = ["updated_at"]
    exclude = ["geometry_simplified", "geometry_coarse"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "geometry" in form.changed_data:
            refresh_drawing_geometries()
