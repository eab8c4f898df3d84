from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import TemplateView

admin.site.site_header = "choicemap administration"
admin.site.site_title = "choicemap"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    # Sign-in and sign-out only: password reset needs an email backend, and choicemap has none
    # (an administrator sets a forgotten password in the admin).
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("openreferral/", include("openreferral.urls")),
    path("map/", include("maps.urls")),
    path("careplans/", include("careplans.urls")),
]
