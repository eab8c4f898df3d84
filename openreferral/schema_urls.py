"""The URL conf the open Open Referral UK schema is generated from: the ORUK paths and nothing else."""

from django.urls import include, path

urlpatterns = [path("openreferral/", include("openreferral.urls"))]
