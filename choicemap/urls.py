from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from openreferral.apis import BareRootView

admin.site.site_header = "choicemap administration"
admin.site.site_title = "choicemap"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path(
        "accessibility/",
        TemplateView.as_view(
            template_name="accessibility.html", extra_context={"contact": settings.ACCESSIBILITY_CONTACT}
        ),
        name="accessibility",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("openreferral", BareRootView.as_view(), name="openreferral-root"),
    path("openreferral/", include("openreferral.urls")),
    path("map/", include("maps.urls")),
    path("careplans/", include("careplans.urls")),
]
