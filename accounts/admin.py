from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin


class ChoicemapUserAdmin(UserAdmin):
    # Sign-in sets these two; shown as text, they also avoid Django's split date/time boxes, which have no labels.
    readonly_fields = ["last_login", "date_joined"]


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), ChoicemapUserAdmin)
