from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from choicemap.health import LiveView, ReadyView

admin.site.site_header = "choicemap administration"
admin.site.site_title = "choicemap"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("openreferral/", include("openreferral.urls")),
    path("map/", include("maps.urls")),
    path("careplans/", include("careplans.urls")),
    path("health/live", LiveView.as_view(), name="health-live"),
    path("health/ready", ReadyView.as_view(), name="health-ready"),
]
