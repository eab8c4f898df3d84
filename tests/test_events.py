"""choicemap.events: lower apps announce a catalogue change; reach queues one coalesced recompute."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.test import override_settings

from choicemap import events
from choicemap.events import catalogue_changed, disconnect_catalogue_changed, on_catalogue_changed
from reach.models import ReachRun, RunStatus
from reach.services import queue_default_recompute
from services.models import SiteOffer
from services.services import create_site, save_offer
from tests.factories import ProviderFactory

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def calls():
    seen = []

    def handler():
        seen.append("called")

    on_catalogue_changed(handler)
    on_catalogue_changed(handler)  # registering twice keeps one
    yield seen
    disconnect_catalogue_changed(handler)


@pytest.mark.django_db
def test_handlers_run_once_per_announcement_after_the_commit_and_never_after_a_rollback(
    calls, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        catalogue_changed()
        assert calls == []  # nothing before the commit
    assert calls == ["called"]
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            catalogue_changed()
            raise RuntimeError("the import failed")
    assert calls == ["called"]


def test_reach_registers_its_recompute_in_its_app_config():
    assert queue_default_recompute in events._catalogue_handlers


@pytest.mark.django_db
@override_settings(REACH_AUTO_RECOMPUTE=True)
def test_catalogue_edits_through_the_services_queue_one_coalesced_recompute(
    small_world, sent_runs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        site = create_site(code="N1", name="New", provider=ProviderFactory(), location=Point(-2.0, 50.7, srid=4326))
        save_offer(changes={"site": site, "option": SiteOffer.objects.first().option, "delivery": "remote"})
    automatic = ReachRun.objects.filter(automatic=True, status=RunStatus.QUEUED)
    assert automatic.count() == 1 and automatic.get().profile == small_world["profile"]
    assert sent_runs == [automatic.get().pk]
    with django_capture_on_commit_callbacks(execute=True):
        save_offer(offer=SiteOffer.objects.get(site=site), changes={"waiting_weeks": 2})
    assert automatic.count() == 1 and len(sent_runs) == 1  # still queued: it will see this change too


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(("." * node.level) + node.module)
    return names


@pytest.mark.parametrize("app", ["areas", "services", "openreferral"])
def test_lower_apps_never_import_reach(app):
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in _imported_modules(path) if name.split(".")[0] == "reach")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_reach_service_sends_its_task_by_name_and_never_imports_it():
    assert not {".tasks", "reach.tasks"} & _imported_modules(ROOT / "reach" / "services.py")
