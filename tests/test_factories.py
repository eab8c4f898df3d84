"""The factories make rows that keep the models' and the rules modules' rules."""

import pytest

from accounts.roles import COMMISSIONER, KEYWORKER
from careplans.rules import choice_problems
from reach.models import RunStatus
from tests.factories import CarePlanChoiceFactory, ReachRunFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_users_get_their_role_group():
    keyworker, commissioner = UserFactory(), UserFactory(role=COMMISSIONER)
    assert list(keyworker.groups.values_list("name", flat=True)) == [KEYWORKER]
    assert list(commissioner.groups.values_list("name", flat=True)) == [COMMISSIONER]
    assert keyworker.check_password("a-long-password-1") and not commissioner.is_staff


def test_a_run_holds_its_profile_parameters():
    run = ReachRunFactory()
    run.full_clean()
    assert run.status == RunStatus.QUEUED and run.params == run.profile.params()
    assert run.profile_name == run.profile.name


def test_a_care_plan_choice_keeps_the_careplans_rules():
    choice = CarePlanChoiceFactory()
    # null reachability (no run covered it) is what the services store too, though the fields are not blank=True
    choice.full_clean(exclude=["preferred_reachable_without_car", "preferred_reachable_with_car"])
    entered = {name: getattr(choice, name) for name in ("discussed_on", "review_on", "difference_reason")}
    entered |= {"preferred_option": choice.preferred_option, "agreed_option": choice.agreed_option}
    assert choice_problems(entered) == {}
    assert choice.recorded_by == choice.service_user.keyworker
    assert list(choice.options_discussed.all()) == [choice.preferred_option]
    assert choice.service_user.keyworker.groups.get().name == KEYWORKER
