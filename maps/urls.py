from django.urls import path

from . import scenario_views, views

app_name = "maps"

urlpatterns = [
    path("", views.MapView.as_view(), name="map"),
    path("table/", views.TableView.as_view(), name="table"),
    path("runs/<int:run_id>/export.<str:fmt>", views.ExportView.as_view(), name="export"),
    path("api/runs/", views.RunsApi.as_view(), name="api-runs"),
    path("api/runs/<int:run_id>/", views.RunApi.as_view(), name="api-run"),
    path("api/runs/<int:run_id>/values/", views.ValuesApi.as_view(), name="api-values"),
    path("api/runs/<int:run_id>/charts/", views.ChartsApi.as_view(), name="api-charts"),
    path("api/runs/<int:run_id>/localities/<int:locality_id>/", views.LocalityApi.as_view(), name="api-locality"),
    path("api/localities/", views.LocalitySearchApi.as_view(), name="api-localities"),
    path("api/shapes/", views.ShapesApi.as_view(), name="api-shapes"),
    path("api/sites/", views.SitesApi.as_view(), name="api-sites"),
    path("api/outreach/", views.OutreachApi.as_view(), name="api-outreach"),
    path("api/unmet/", views.UnmetApi.as_view(), name="api-unmet"),
    # Scenarios: pages that work without script.
    path("scenarios/", scenario_views.ScenarioListView.as_view(), name="scenarios"),
    path("scenarios/planner/", scenario_views.PlannerView.as_view(), name="planner"),
    path("scenarios/planner/save/", scenario_views.SavePlanView.as_view(), name="planner-save"),
    path("scenarios/<int:scenario_id>/", scenario_views.ScenarioView.as_view(), name="scenario"),
    path(
        "scenarios/<int:scenario_id>/changes/<int:position>/remove/",
        scenario_views.RemoveChangeView.as_view(),
        name="scenario-remove-change",
    ),
    path("scenarios/<int:scenario_id>/run/", scenario_views.RunScenarioView.as_view(), name="scenario-run"),
    path("scenarios/<int:scenario_id>/compare/", scenario_views.CompareView.as_view(), name="scenario-compare"),
    path(
        "scenarios/<int:scenario_id>/compare.csv", scenario_views.CompareCsvView.as_view(), name="scenario-compare-csv"
    ),
    path(
        "scenarios/<int:scenario_id>/compare/locality/",
        scenario_views.LocalityCompareView.as_view(),
        name="scenario-locality",
    ),
    path("scenarios/<int:scenario_id>/apply/", scenario_views.ApplyScenarioView.as_view(), name="scenario-apply"),
    path("api/scenarios/", views.ScenariosApi.as_view(), name="api-scenarios"),
    path("api/scenarios/<int:scenario_id>/", views.ScenarioApi.as_view(), name="api-scenario"),
    path(
        "api/scenarios/<int:scenario_id>/difference/",
        views.ScenarioDifferenceApi.as_view(),
        name="api-scenario-difference",
    ),
    path(
        "api/scenarios/<int:scenario_id>/localities/<int:locality_id>/",
        views.ScenarioLocalityApi.as_view(),
        name="api-scenario-locality",
    ),
]
