from django.urls import path

from . import views

app_name = "careplans"

urlpatterns = [
    path("", views.CaseloadView.as_view(), name="caseload"),
    path("people/new/", views.ServiceUserCreateView.as_view(), name="service_user_add"),
    path("people/<int:pk>/", views.ServiceUserDetailView.as_view(), name="service_user"),
    path("people/<int:pk>/edit/", views.ServiceUserEditView.as_view(), name="service_user_edit"),
    path("people/<int:pk>/needs/", views.NeedsEditView.as_view(), name="needs_edit"),
    path("people/<int:pk>/reviews/new/", views.ReviewCreateView.as_view(), name="review_add"),
    path("people/<int:pk>/choices/new/", views.ChoiceFormView.as_view(), name="choice_add"),
    path("people/<int:pk>/choices/<int:choice_pk>/edit/", views.ChoiceFormView.as_view(), name="choice_edit"),
    path("unmet/", views.UnmetPreferenceView.as_view(), name="unmet"),
    path("unmet.csv", views.UnmetPreferenceCsvView.as_view(), name="unmet_csv"),
    path("unmet.json", views.UnmetPreferenceApi.as_view(), name="unmet_json"),
    # Issue 15's commissioner tables, from the same publications as unmet.
    path("unmet/reasons/", views.UnmetReasonsView.as_view(), name="unmet_reasons"),
    path("segments/", views.SegmentsView.as_view(), name="segments"),
    path("outcomes/", views.OutcomesView.as_view(), name="outcomes"),
    *[
        path(
            f"{prefix}.{fmt}",
            views.PublishedTableDownload.as_view(table=table, as_csv=fmt == "csv"),
            name=f"{table}_{fmt}",
        )
        for prefix, table in [("unmet/reasons", "unmet_reasons"), ("segments", "segments"), ("outcomes", "outcomes")]
        for fmt in ("csv", "json")
    ],
]
