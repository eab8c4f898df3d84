from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from choicemap.health import ReadyView, live
from openreferral.apis import BareRootView

admin.site.site_header = "choicemap administration"
admin.site.site_title = "choicemap"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("openreferral", BareRootView.as_view(), name="openreferral-root"),
    path("openreferral/", include("openreferral.urls")),
    path("map/", include("maps.urls")),
    path("careplans/", include("careplans.urls")),
    path("health/live", live, name="health-live"),
    path("health/ready", ReadyView.as_view(), name="health-ready"),
]

# A database that cannot be reached answers 503 saying so (choicemap.errors); other errors stay 500s.
handler500 = "choicemap.errors.server_error"
