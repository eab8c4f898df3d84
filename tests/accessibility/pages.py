"""Every page choicemap serves, and the roles that can open each: the list tests/accessibility walks.

A new page (scenarios, the planner, the personal menu, networks, ...) is one more `Page` in PAGES, with the
roles that can open it and, when it draws after load, a selector that is there once it has. Paths are
format strings filled from the fixture's objects (`{mine}` is a service user's id, for example). The admin
pages are listed from the admin site's own registry, so a newly registered model is audited too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests.careplans.records import PASSWORD

ANONYMOUS = "anonymous"
ADMIN, COMMISSIONER, KEYWORKER = "admin", "commissioner", "keyworker"
SIGNED_IN = (ADMIN, COMMISSIONER, KEYWORKER)
EVERYONE = (ANONYMOUS, *SIGNED_IN)


@dataclass(frozen=True)
class Page:
    path: str
    roles: tuple[str, ...]
    ready: str | None = None  # a selector present once the page has drawn what it draws after load


PAGES: list[Page] = [
    Page("/", EVERYONE),
    Page("/accessibility/", EVERYONE),
    Page("/accounts/login/", (ANONYMOUS,)),
    Page("/admin/login/", (ANONYMOUS,)),
    # The commissioner's pages (the catalogue admin opens them too).
    Page("/map/", (COMMISSIONER, ADMIN), ready="html[data-map-painted]"),
    Page("/map/?scenario={scenario}", (COMMISSIONER, ADMIN), ready="html[data-map-painted]"),
    Page("/map/table/", (COMMISSIONER, ADMIN)),
    Page("/map/table/?sort=expected_menu&dir=desc", (COMMISSIONER,)),
    Page("/careplans/unmet/", (COMMISSIONER, ADMIN)),
    # Scenarios ({scenario} is the commissioner's own, run once; the admin reads it and may apply it).
    Page("/map/scenarios/", (COMMISSIONER, ADMIN)),
    Page("/map/scenarios/{scenario}/", (COMMISSIONER, ADMIN)),
    Page("/map/scenarios/{scenario}/?kind=add_site", (COMMISSIONER,)),
    Page("/map/scenarios/{scenario}/?kind=add_offer", (COMMISSIONER,)),
    Page("/map/scenarios/{scenario}/?kind=change_offer", (COMMISSIONER,)),
    Page("/map/scenarios/{scenario}/compare/", (COMMISSIONER, ADMIN)),
    Page("/map/scenarios/{scenario}/compare/locality/?locality=VILL", (COMMISSIONER, ADMIN)),
    Page("/map/scenarios/{scenario}/apply/", (ADMIN,)),
    Page("/map/scenarios/planner/", (COMMISSIONER, ADMIN)),
    Page("/careplans/unmet/reasons/", (COMMISSIONER, ADMIN)),
    Page("/careplans/segments/?travel=no_car&sessions=evenings_weekends", (COMMISSIONER, ADMIN)),
    Page("/careplans/outcomes/", (COMMISSIONER, ADMIN)),
    # The keyworker's pages.
    Page("/careplans/", (KEYWORKER,)),
    Page("/careplans/people/new/", (KEYWORKER,)),
    Page("/careplans/people/{mine}/", (KEYWORKER,)),
    Page("/careplans/people/{mine}/edit/", (KEYWORKER,)),
    Page("/careplans/people/{mine}/needs/", (KEYWORKER,)),
    Page("/careplans/people/{mine}/reviews/new/", (KEYWORKER,)),
    Page("/careplans/people/{mine}/choices/new/", (KEYWORKER,)),
    Page("/careplans/people/{mine}/choices/{my_choice}/edit/", (KEYWORKER,)),
    # The REST API as a browser sees it (Django REST framework's browsable API).
    Page("/api/v1/", SIGNED_IN),
    Page("/api/v1/options/", SIGNED_IN),
    # The API's documentation (third-party pages, served by drf-spectacular's sidecar).
    Page("/api/schema/swagger/", SIGNED_IN, ready=".swagger-ui .opblock"),
    Page("/api/schema/redoc/", SIGNED_IN, ready="redoc [role=navigation], .api-content"),
]


def admin_pages(user) -> list[Page]:
    """The admin's index, each app's index, and each registered model's list, add form and change form.

    Call it inside a test: the change forms open the first object of each model the fixture created, and
    the add forms are listed where `user` may add.
    """
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = [Page(reverse("admin:index"), (ADMIN,))]
    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    pages += [Page(reverse("admin:app_list", args=[label]), (ADMIN,)) for label in app_labels]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(Page(reverse("admin:{}_{}_changelist".format(*info)), (ADMIN,)))
        if model_admin.has_add_permission(request):
            pages.append(Page(reverse("admin:{}_{}_add".format(*info)), (ADMIN,)))
        first = model._default_manager.order_by("pk").first()
        assert first is not None, f"the accessibility fixture has no {model.__name__} to open in the admin"
        pages.append(Page(reverse("admin:{}_{}_change".format(*info), args=[first.pk]), (ADMIN,)))
    return pages


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
