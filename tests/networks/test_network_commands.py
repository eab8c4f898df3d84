"""The commands' doors to networks: compute_reach --set with a network, errors in the user's words."""

import pytest
from django.core.management import CommandError, call_command

from reach.models import ReachRun

pytestmark = pytest.mark.django_db


def test_compute_reach_on_a_network_by_name(helsinki_world, helsinki_network, capsys):
    call_command("compute_reach", "--sync", "--set", "walk_source=network", "--set", "network=helsinki")
    run = ReachRun.objects.get()
    assert run.status == "succeeded" and run.provider == "mixed"
    assert run.params["walk_source"] == "network" and run.provenance["modes"]["walk"]["network"] == "helsinki"


def test_a_network_source_needs_a_network_that_serves_the_mode(helsinki_world, helsinki_network):
    with pytest.raises(CommandError, match="needs a network: --set network=NAME"):
        call_command("compute_reach", "--sync", "--set", "car_source=network")
    with pytest.raises(CommandError, match="no travel network 'nowhere' \\(networks: helsinki\\)"):
        call_command("compute_reach", "--sync", "--provider", "network", "--set", "network=nowhere")
    with pytest.raises(CommandError, match="serves car, walk, cycle, not pt"):
        call_command("compute_reach", "--sync", "--provider", "network", "--set", "network=helsinki")
