"""Outcomes at each review: goals in the person's words rated 0–10, TOP scores 0–20, days of use in 28;
checked by careplans/rules.py at every door and by the database last, kept in history, audited."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from careplans.models import AuditEvent, Review
from careplans.rules import review_problems
from careplans.services import create_service_user, record_review
from tests.careplans.records import actor

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 3, 10)


@pytest.fixture
def person(world, users):
    kw = users["keyworker"]
    return create_service_user(actor=actor(kw), keyworker=kw, age_band="25_34", home_locality=world["town"])


@pytest.mark.parametrize(
    "entered, field, words",
    [
        ({"goal_1": "Sleep", "goal_1_score": 11}, "goal_1_score", "from 0 to 10"),
        ({"goal_2_score": 4}, "goal_2", "in the person's words"),
        ({"psychological_health": 21}, "psychological_health", "from 0 to 20"),
        ({"quality_of_life": -1}, "quality_of_life", "from 0 to 20"),
        ({"days_of_use": 29}, "days_of_use", "from 0 to 28"),
        ({"reviewed_on": datetime.date(2999, 1, 1)}, "reviewed_on", "future"),
    ],
)
def test_rules_name_the_field_and_why(entered, field, words):
    problems = review_problems(entered)
    assert list(problems) == [field] and words in problems[field]


def test_the_service_records_audits_and_refuses_whole(person, users):
    kw = users["keyworker"]
    review = record_review(
        actor=actor(kw),
        service_user=person,
        outcomes={"reviewed_on": DAY, "goal_1": "  See my kids at weekends ", "goal_1_score": 3, "days_of_use": 20},
    )
    assert (review.goal_1, review.goal_1_score, review.days_of_use, review.recorded_by) == (
        "See my kids at weekends",
        3,
        20,
        kw,
    )
    assert review.history.first().history_user == kw
    assert AuditEvent.objects.filter(kind="review", action="create", object_id=review.pk, username="kw").exists()
    audited = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        record_review(actor=actor(kw), service_user=person, outcomes={"reviewed_on": DAY, "physical_health": 40})
    assert list(refused.value.message_dict) == ["physical_health"]
    assert Review.objects.count() == 1 and AuditEvent.objects.count() == audited


def test_the_database_refuses_scores_out_of_range(person, users):
    review = record_review(actor=actor(users["keyworker"]), service_user=person, outcomes={"reviewed_on": DAY})
    for field, value in [("goal_3_score", 11), ("psychological_health", 21), ("days_of_use", 29)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.filter(pk=review.pk).update(**{field: value})


def test_the_keyworker_records_reviews_and_sees_them_over_time(client, person, users):
    client.force_login(users["keyworker"])
    url = reverse("careplans:review_add", args=[person.pk])
    refused = client.post(url, {"reviewed_on": "2025-01-10", "goal_1_score": "5"})
    assert refused.status_code == 200 and "in the person&#x27;s words" in refused.content.decode()
    assert not Review.objects.exists()
    client.post(
        url,
        {
            "reviewed_on": "2025-01-10",
            "goal_1": "<b>Stay housed</b>",
            "goal_1_score": "2",
            "psychological_health": "6",
            "days_of_use": "24",
        },
    )
    client.post(
        url,
        {
            "reviewed_on": "2025-03-10",
            "goal_1": "<b>Stay housed</b>",
            "goal_1_score": "7",
            "psychological_health": "12",
            "days_of_use": "8",
        },
    )
    assert Review.objects.count() == 2
    page = client.get(reverse("careplans:service_user", args=[person.pk])).content.decode()
    table = page[page.index('id="outcomes"') :]
    assert table.index("10 Jan 2025") < table.index("10 Mar 2025")  # oldest first, as a chart reads
    assert "&lt;b&gt;Stay housed&lt;/b&gt;: 2" in table and "<b>Stay housed" not in table
    assert AuditEvent.objects.filter(kind="review", action="view", username="kw").count() == 2
    # The chart: psychological health 6 then 12 of 20, on a 100-pixel-high plot from y=10 to y=110.
    assert '<polyline points="10.0,80.0 310.0,50.0"' in page and "Psychological health" in page


def test_another_keyworkers_person_gets_no_review(client, person, users):
    client.force_login(users["other_keyworker"])
    response = client.post(reverse("careplans:review_add", args=[person.pk]), {"reviewed_on": "2025-01-10"})
    assert response.status_code == 404 and not Review.objects.exists()
