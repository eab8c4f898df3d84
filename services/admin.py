from django import forms
from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from choicemap.admin_base import CatalogueChangeAdmin

from .models import MenuOption, Provider, Site, SiteOffer
from .rules import offer_problems


@admin.register(MenuOption)
class MenuOptionAdmin(CatalogueChangeAdmin):
    list_display = ["code", "name", "category", "active", "display_order"]
    list_editable = ["active", "display_order"]
    list_filter = ["category", "active"]
    search_fields = ["code", "name", "description"]

    def get_changelist_form(self, request, **kwargs):
        """Name each editable box in the list by its column and row: Django's list gives them no label."""
        form_class = super().get_changelist_form(request, **kwargs)

        class LabelledRowForm(form_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for name in MenuOptionAdmin.list_editable:
                    field = self.fields[name]
                    field.widget.attrs["aria-label"] = f"{field.label} of {self.instance.name}"

        return LabelledRowForm


class SiteInline(admin.TabularInline):
    model = Site
    fields = readonly_fields = ("code", "name", "postcode", "active")
    extra = 0
    show_change_link = True
    can_delete = False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "contact"]
    list_filter = ["kind"]
    search_fields = ["name", "contact"]
    inlines = [SiteInline]


class SiteOfferForm(forms.ModelForm):
    class Meta:
        model = SiteOffer
        fields = [
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
            "active",
        ]

    def clean(self):
        cleaned = super().clean()
        for field_name, message in offer_problems(cleaned).items():
            if field_name in self.fields and field_name not in self.errors:
                self.add_error(field_name, message)
        return cleaned


class SiteOfferInline(admin.StackedInline):
    model = SiteOffer
    form = SiteOfferForm
    extra = 0
    autocomplete_fields = ["option", "outreach_localities"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("option", "delivery", "active"),
                    ("capacity_per_week", "waiting_weeks"),
                    ("min_age", "max_age"),
                    "opening_hours",
                ]
            },
        ),
        ("Who it suits", {"fields": ["session_format", "worker_genders", "creche", "languages"]}),
        ("Where it reaches", {"fields": ["outreach_localities", "home_visit_km"]}),
    ]


@admin.register(Site)
class SiteAdmin(CatalogueChangeAdmin, LeafletGeoAdmin):
    list_display = ["code", "name", "provider", "postcode", "active", "offer_count"]
    list_filter = ["active", "provider", "offers__option", "offers__delivery"]
    search_fields = ["code", "name", "address", "postcode", "provider__name"]
    list_select_related = ["provider"]
    inlines = [SiteOfferInline]
    fields = [("code", "name"), "provider", ("address", "postcode"), "location", "active"]

    @admin.display(description="offers")
    def offer_count(self, site: Site) -> int:
        return site.offers.count()


@admin.register(SiteOffer)
class SiteOfferAdmin(CatalogueChangeAdmin):
    form = SiteOfferForm
    list_display = ["site", "option", "delivery", "capacity_per_week", "waiting_weeks", "active"]
    list_filter = ["delivery", "active", "option", "site__provider"]
    search_fields = ["site__code", "site__name", "option__code", "option__name"]
    list_select_related = ["site", "option"]
    autocomplete_fields = ["site", "option", "outreach_localities"]
