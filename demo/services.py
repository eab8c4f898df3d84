"""Loads the Dorset demo through the same import services users run, so the demo tests them too."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.services import ensure_user
from areas.services import import_localities
from careplans.models import PublicationTrigger
from careplans.selectors import latest_publication
from careplans.services import Actor, publish
from choicemap.imports import ImportReport
from demo.careplans import load_demo_careplans
from services.services import import_catalogue, import_options, import_providers

DEMO_DIR = Path(__file__).resolve().parent
DEMO_USERS = [
    ("admin", ADMIN, True),
    ("commissioner", COMMISSIONER, False),
    ("keyworker", KEYWORKER, False),
    ("keyworker2", KEYWORKER, False),
]


@dataclass
class DemoReport:
    imports: list[tuple[str, ImportReport]] = field(default_factory=list)
    publication: int | None = None  # the unmet-preference publication made for the demo, if none existed
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    service_users_added: int = 0


@transaction.atomic
def load_demo(*, password: str | None = None) -> DemoReport:
    """Idempotent: the imports upsert by code and the demo users are reset to their roles."""
    password = password or settings.DEMO_PASSWORD
    report = DemoReport()
    report.imports.append(("providers", import_providers(path=DEMO_DIR / "providers.csv")))
    report.imports.append(("options", import_options(path=DEMO_DIR / "options.csv")))
    report.imports.append(("localities", import_localities(path=DEMO_DIR / "localities.geojson")))
    report.imports.append(("offers", import_catalogue(path=DEMO_DIR / "catalogue.csv", replace=True)))
    keyworkers = []
    for username, role, superuser in DEMO_USERS:
        user = ensure_user(username=username, password=password, role=role, superuser=superuser)
        report.logins.append((username, password, role))
        if role == KEYWORKER:
            keyworkers.append(user)
    report.service_users_added = load_demo_careplans(keyworkers=keyworkers)
    if latest_publication() is None:  # commissioners see figures only once published (the schedule's job)
        report.publication = publish(actor=Actor(user=None, path="load_demo"), trigger=PublicationTrigger.COMMAND).pk
    return report
