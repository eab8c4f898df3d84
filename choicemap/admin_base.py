from django.contrib import admin

from .events import catalogue_changed


class CatalogueChangeAdmin(admin.ModelAdmin):
    """Catalogue and locality edits announce `catalogue_changed()`, which queues one coalesced recompute."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalogue_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue_changed()
