"""The insider rule of the publications (docs/disclosure.md): an account that reads both care records and
publications must find 0 or at least UNMET_PUBLISH_MIN_CHANGED of the people counted differently from every
past publication outside the records it reads; separated duties never hold a publication back."""

import datetime

import pytest
from django.conf import settings

from accounts.roles import ADMIN, COMMISSIONER, KEYWORKER
from accounts.rules import AccessState, access_changes
from accounts.services import ensure_role_groups, ensure_user
from careplans.models import AuditAction, AuditEvent, Publication, PublicationTrigger, ServiceUser, Team
from careplans.rules import DualReader, insider_refusal
from careplans.selectors import dual_readers
from careplans.services import PublicationRefused, publish, update_service_user
from tests.careplans.records import PASSWORD, actor, people

pytestmark = pytest.mark.django_db

ENOUGH = settings.UNMET_PUBLISH_MIN_CHANGED


def dual_account(username, *roles, **flags):
    """A keyworker who also holds `roles` (commissioner, admin)."""
    user = ensure_user(username=username, password=PASSWORD, role=KEYWORKER, **flags)
    groups = ensure_role_groups()
    user.groups.add(*(groups[role] for role in roles))
    return user


def first_publication(world, users):
    people(world, users, "town", 12, "ost")
    people(world, users, "village", 9, "ost", agreed="nsp")
    return publish(actor=actor(users["commissioner"]), trigger=PublicationTrigger.COMMAND)


def changes(world, keyworker, count):
    """`count` new people on `keyworker`'s caseload, each with a choice: each is counted differently."""
    before = set(ServiceUser.objects.values_list("pk", flat=True))
    people(world, {"keyworker": keyworker}, "town", count, "nsp")
    return list(ServiceUser.objects.exclude(pk__in=before))


def scheduled(first):
    """The schedule's next publication, past the minimum interval: only the batch rules can refuse it."""
    later = first.built_at + datetime.timedelta(days=settings.UNMET_PUBLISH_MIN_DAYS, minutes=1)
    return publish(actor=actor(None), trigger=PublicationTrigger.SCHEDULE, now=later)


@pytest.mark.parametrize(
    ("readable", "flags", "checked"),
    [
        (None, {}, []),  # separated duties: the keyworkers and the commissioner are different accounts
        (ENOUGH, {}, ["jo.bloggs"]),  # a dual account that reads every changed person learns nothing new
        (0, {}, ["jo.bloggs"]),  # one that reads none of them meets the batch threshold like everyone else
        (ENOUGH - 2, {"superuser": True}, []),  # a superuser reads every record
        (ENOUGH - 2, {"is_active": False}, []),  # a disabled account reads nothing
    ],
    ids=["separated", "reads-all", "reads-none", "superuser", "inactive"],
)
def test_publications_are_not_held_back_by_readers_who_know_all_or_none_of_a_batch(
    world, users, readable, flags, checked
):
    first = first_publication(world, users)
    if readable is None:
        changes(world, users["keyworker"], ENOUGH)
    else:
        jo = dual_account("jo.bloggs", COMMISSIONER, superuser=flags.get("superuser", False))
        if flags.get("is_active") is False:
            jo.is_active = False
            jo.save()
        changes(world, jo, readable)
        changes(world, users["other_keyworker"], ENOUGH - readable)
    assert [reader.username for reader in dual_readers()] == checked
    assert scheduled(first).pk != first.pk
    assert not AuditEvent.objects.filter(action=AuditAction.REFUSE).exists()


def test_a_keyworker_commissioner_who_reads_all_but_a_few_changed_people_holds_the_publication_back(world, users):
    first = first_publication(world, users)
    jo = dual_account("jo.bloggs", COMMISSIONER)
    changes(world, jo, ENOUGH - 2)
    unknown = changes(world, users["other_keyworker"], 2)
    reason = (
        f"keyworker-commissioner jo.bloggs can read the care records of all but 2 of the {ENOUGH} people counted "
        f"differently from publication number {first.pk}: a reader who knows the rest could single those out; a "
        f"new publication needs 0 or at least {ENOUGH} unknown to every account that reads both care records "
        f"and publications"
    )
    with pytest.raises(PublicationRefused) as refused:
        scheduled(first)
    assert str(refused.value) == reason
    refusal = AuditEvent.objects.get(action=AuditAction.REFUSE)
    assert (refusal.username, refusal.kind, refusal.detail) == ("system", "publication", f"On the schedule: {reason}")
    assert list(Publication.objects.all()) == [first]
    # Forcing does not skip it either.
    root = ensure_user(username="root", password=PASSWORD, role=ADMIN, superuser=True)
    with pytest.raises(PublicationRefused, match="keyworker-commissioner jo.bloggs can read"):
        publish(actor=actor(root), trigger=PublicationTrigger.FORCED)
    # Once the other two are on a team jo belongs to, jo reads all ten: nothing left to single out.
    team = Team.objects.create(name="North")
    team.members.add(jo)
    for person in unknown:
        update_service_user(
            actor=actor(users["other_keyworker"]),
            service_user=person,
            age_band=person.age_band,
            home_locality=person.home_locality,
            team=team,
            status=person.status,
            closed_on=person.closed_on,
        )
    assert scheduled(first).pk != first.pk


def test_the_rule_checks_every_dual_account_against_every_past_publication():
    """Pure rule: 0 or at least K unknown passes; 1 to K - 1 is refused, naming the account, the publication
    and the count; the first account and publication in between is the one named."""
    batch = frozenset(range(ENOUGH + 4))
    older, newer = frozenset(range(100, 100 + 2 * ENOUGH)), batch
    readers = [
        DualReader(username="all", roles=(KEYWORKER, COMMISSIONER), readable=batch | older),
        DualReader(username="none", roles=(KEYWORKER, ADMIN), readable=frozenset()),
    ]
    assert insider_refusal(changed={12: newer, 11: older}, readers=readers, min_changed=ENOUGH) == ""
    reading_part_of_the_older = DualReader(
        username="ann", roles=(KEYWORKER, ADMIN), readable=frozenset(range(100, 100 + 2 * ENOUGH - 1))
    )
    refusal = insider_refusal(
        changed={12: newer, 11: older}, readers=[*readers, reading_part_of_the_older], min_changed=ENOUGH
    )
    assert refusal.startswith(
        f"keyworker-admin ann can read the care records of all but 1 of the {2 * ENOUGH} people counted "
        "differently from publication number 11: a reader who knows the rest could single that one out"
    )
    # Exactly K unknown is enough; K - 1 is not.
    knows_four = DualReader(username="kim", roles=(KEYWORKER, COMMISSIONER), readable=frozenset(range(4)))
    assert insider_refusal(changed={12: batch}, readers=[knows_four], min_changed=ENOUGH) == ""
    knows_five = DualReader(username="kim", roles=(KEYWORKER, COMMISSIONER), readable=frozenset(range(5)))
    assert f"all but {ENOUGH - 1} of the {ENOUGH + 4}" in insider_refusal(
        changed={12: batch}, readers=[knows_five], min_changed=ENOUGH
    )


def test_dual_readers_are_the_active_keyworkers_who_also_read_publications(world, users):
    jo = dual_account("jo.bloggs", COMMISSIONER)
    dual_account("kay", ADMIN, COMMISSIONER)
    dual_account("root", COMMISSIONER, superuser=True)
    mine = changes(world, jo, 1)
    assert dual_readers() == [
        DualReader(username="jo.bloggs", roles=(KEYWORKER, COMMISSIONER), readable=frozenset(p.pk for p in mine)),
        DualReader(username="kay", roles=(KEYWORKER, COMMISSIONER, ADMIN), readable=frozenset()),
    ]


def test_becoming_a_dual_account_is_a_role_change_on_the_record():
    keyworker = AccessState(groups=frozenset({KEYWORKER}))
    both = AccessState(groups=frozenset({KEYWORKER, COMMISSIONER}))
    assert access_changes(keyworker, both) == [
        "now reads both care records and publications: a new publication is refused while some, but fewer than "
        "UNMET_PUBLISH_MIN_CHANGED, of the people it counts differently are unknown to them"
    ]
    assert access_changes(both, keyworker) == ["no longer reads both care records and publications"]
    commissioner = AccessState(groups=frozenset({COMMISSIONER}))
    assert access_changes(commissioner, both) == [
        "granted the keyworker role",
        *access_changes(keyworker, both),
    ]
    superuser = AccessState(is_superuser=True, groups=frozenset({KEYWORKER, COMMISSIONER}))
    assert not superuser.dual_access and access_changes(superuser, both)[0] == "superuser removed"
