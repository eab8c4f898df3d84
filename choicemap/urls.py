from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views import defaults
from django.views.generic import RedirectView, TemplateView

from api.errors import NOT_FOUND_BODY, json_for_api
from choicemap.health import ReadyView, live
from openreferral.apis import BareRootView

admin.site.site_header = "choicemap administration"
admin.site.site_title = "choicemap"


class FaviconRedirect(RedirectView):
    """/favicon.ico for pages without an icon link (admin, API docs): the static icon."""

    permanent = False  # the static URL may change (hashed names in a deployment)

    def get_redirect_url(self, *args, **kwargs):
        return static("choicemap/favicon.ico")


urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("favicon.ico", FaviconRedirect.as_view(), name="favicon"),
    path(
        "accessibility/",
        TemplateView.as_view(
            template_name="accessibility.html", extra_context={"contact": settings.ACCESSIBILITY_CONTACT}
        ),
        name="accessibility",
    ),
    # Sign-in and sign-out only: password reset needs an email backend, and choicemap has none
    # (an administrator sets a forgotten password in the admin).
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("openreferral", BareRootView.as_view(), name="openreferral-root"),
    path("openreferral/", include("openreferral.urls")),
    path("map/", include("maps.urls")),
    path("careplans/", include("careplans.urls")),
    path("health/live", live, name="health-live"),
    path("health/ready", ReadyView.as_view(), name="health-ready"),
]

# Outside the API's views (an unknown /api/ address, an error in a middleware) the API still answers JSON.
handler404 = json_for_api(defaults.page_not_found, NOT_FOUND_BODY)
# A database that cannot be reached answers 503 saying so (choicemap.errors); other errors stay 500s,
# in the JSON error format under /api/.
handler500 = "choicemap.errors.server_error"
