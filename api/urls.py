from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from .auth import MeView, TokenView
from .careplans import CarePlanChoiceViewSet, ServiceUserViewSet, UnmetPreferenceView
from .catalogue import OfferViewSet, OptionViewSet, ProviderViewSet, SiteViewSet
from .commissioner_tables import OutcomesApi, SegmentsApi, UnmetReasonsApi
from .localities import LocalityViewSet
from .person import NeedsHistoryView, NeedsView, PersonalMenuView, ReviewViewSet
from .reach import ProfileViewSet, RunViewSet
from .scenarios import PlanView, ScenarioViewSet

router = DefaultRouter()
router.register("options", OptionViewSet, basename="option")
router.register("providers", ProviderViewSet, basename="provider")
router.register("sites", SiteViewSet, basename="site")
router.register("offers", OfferViewSet, basename="offer")
router.register("localities", LocalityViewSet, basename="locality")
router.register("profiles", ProfileViewSet, basename="profile")
router.register("runs", RunViewSet, basename="run")
router.register("scenarios", ScenarioViewSet, basename="scenario")
router.register("service-users", ServiceUserViewSet, basename="service-user")
router.register(r"service-users/(?P<service_user_id>\d+)/choices", CarePlanChoiceViewSet, basename="care-plan-choice")
router.register(r"service-users/(?P<service_user_id>\d+)/reviews", ReviewViewSet, basename="review")

app_name = "api"
urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="token"),
    path("v1/me/", MeView.as_view(), name="me"),
    path("v1/unmet-preference/", UnmetPreferenceView.as_view(), name="unmet-preference"),
    path("v1/unmet-reasons/", UnmetReasonsApi.as_view(), name="unmet-reasons"),
    path("v1/segments/", SegmentsApi.as_view(), name="segments"),
    path("v1/outcomes/", OutcomesApi.as_view(), name="outcomes"),
    path("v1/plans/", PlanView.as_view(), name="plans"),
    path("v1/service-users/<int:service_user_id>/needs/", NeedsView.as_view(), name="needs"),
    path("v1/service-users/<int:service_user_id>/needs/history/", NeedsHistoryView.as_view(), name="needs-history"),
    path("v1/service-users/<int:service_user_id>/personal-menu/", PersonalMenuView.as_view(), name="personal-menu"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The schema needs sign-in (SERVE_PERMISSIONS); its pages send anonymous visitors to sign in. The
    # split Swagger view serves its start-up script as a file, as the Content-Security-Policy needs.
    path(
        "schema/swagger/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html")),
        name="swagger",
    ),
    path(
        "schema/redoc/",
        login_required(SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")),
        name="redoc",
    ),
]
