import pytest
from django.contrib.gis.geos import Point

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.services import ensure_user
from careplans.models import PublicationTrigger, Team
from careplans.services import Actor, create_service_user, publish, record_choice
from reach.services import create_run, ensure_default_profile, execute_run
from tests.careplans.records import PASSWORD, actor, choice_fields
from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory, SiteFactory, SiteOfferFactory


@pytest.fixture
def world(db):
    """A town with a methadone clinic (OST) and a village 11 km away with nothing; NSP is offered nowhere.

    With the default profile OST is reachable without a car from the town only, and with a car from both.
    """
    town = LocalityFactory(
        code="TOWN", name="Town", population=3000, car_share=0.5, origin=Point(-2.0, 50.7, srid=4326)
    )
    village = LocalityFactory(
        code="VILL", name="Village", population=1000, car_share=0.9, origin=Point(-2.156, 50.7, srid=4326)
    )
    ost = MenuOptionFactory(code="OST", name="Opioid substitution", display_order=1)
    nsp = MenuOptionFactory(code="NSP", name="Needle exchange", display_order=2)
    site = SiteFactory(
        code="T1", name="Town clinic", provider=ProviderFactory(name="A"), location=Point(-2.0, 50.7, srid=4326)
    )
    SiteOfferFactory(site=site, option=ost, capacity_per_week=40, waiting_weeks=1.5)
    ensure_default_profile()
    run = execute_run(run_id=create_run().pk)
    assert run.status == "succeeded", run.error
    return {"town": town, "village": village, "ost": ost, "nsp": nsp, "run": run, "site": site}


@pytest.fixture
def users(db):
    return {
        "keyworker": ensure_user(username="kw", password=PASSWORD, role=KEYWORKER),
        "other_keyworker": ensure_user(username="kw2", password=PASSWORD, role=KEYWORKER),
        "commissioner": ensure_user(username="com", password=PASSWORD, role=COMMISSIONER),
        "admin": ensure_user(username="adm", password=PASSWORD, role=ADMIN),
    }


@pytest.fixture
def caseloads(world, users):
    """One person on each keyworker's caseload, each with one recorded choice."""
    mine = create_service_user(
        actor=actor(users["keyworker"]), keyworker=users["keyworker"], age_band="25_34", home_locality=world["village"]
    )
    theirs = create_service_user(
        actor=actor(users["other_keyworker"]),
        keyworker=users["other_keyworker"],
        age_band="35_44",
        home_locality=world["town"],
    )
    my_choice = record_choice(
        actor=actor(users["keyworker"]), service_user=mine, fields=choice_fields(world["ost"], world["nsp"])
    )
    their_choice = record_choice(
        actor=actor(users["other_keyworker"]), service_user=theirs, fields=choice_fields(world["ost"])
    )
    return {"mine": mine, "theirs": theirs, "my_choice": my_choice, "their_choice": their_choice}


@pytest.fixture
def team(users):
    team = Team.objects.create(name="North")
    team.members.add(users["keyworker"], users["other_keyworker"])
    return team


@pytest.fixture
def published_unmet(db):
    """An unmet-preference publication of what is recorded so far, as the schedule would build it
    (request it after the fixtures that record choices)."""
    return publish(actor=Actor(user=None, path="test"), trigger=PublicationTrigger.SCHEDULE)


@pytest.fixture
def village_day_clinic(world):
    """Talking therapy (PSY) in the village hall, open on weekdays by day only: within reach on foot from
    the village, but not for someone who can come only in the evenings."""
    therapy = MenuOptionFactory(code="PSY", name="Talking therapy", display_order=3)
    hall = SiteFactory(
        code="V1", name="Village hall", provider=ProviderFactory(name="B"), location=Point(-2.156, 50.7, srid=4326)
    )
    return SiteOfferFactory(site=hall, option=therapy, capacity_per_week=10, opening_hours="Mo-Fr 09:00-17:00")
