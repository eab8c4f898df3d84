"""Retention removes closed cases past the period; sign-in locks out; production settings pass --deploy."""

import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from careplans.models import AuditEvent, CarePlanChoice, Review, ServiceUser
from careplans.selectors import retention_cutoff
from careplans.services import Actor, record_review, remove_expired_records
from careplans.tasks import remove_expired_records_task

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def close(service_user, on):
    ServiceUser.objects.filter(pk=service_user.pk).update(status="closed", closed_on=on)


def test_cutoff_counts_whole_years_and_handles_29_february():
    assert retention_cutoff(today=datetime.date(2033, 6, 1), years=8) == datetime.date(2025, 6, 1)
    assert retention_cutoff(today=datetime.date(2032, 2, 29), years=8) == datetime.date(2024, 2, 29)
    assert retention_cutoff(today=datetime.date(2032, 2, 29), years=7) == datetime.date(2025, 2, 28)


def test_removes_only_cases_closed_longer_ago_than_the_period_with_their_history(caseloads, capsys):
    mine, theirs = caseloads["mine"], caseloads["theirs"]
    review = record_review(
        actor=Actor(user=None, path="/test"),
        service_user=mine,
        outcomes={"reviewed_on": datetime.date(2016, 12, 1), "goal_1": "Work", "goal_1_score": 4},
    )
    close(mine, datetime.date(2017, 1, 31))
    close(theirs, datetime.date(2017, 2, 1))
    today = datetime.date(2025, 1, 31)
    call_command("retention_report", today="2025-01-31")
    out = capsys.readouterr().out
    assert (
        mine.reference in out and theirs.reference not in out and "would remove 1 service user(s) and 1 choice" in out
    )
    assert ServiceUser.objects.filter(pk=mine.pk).exists()  # the report changes nothing

    report = remove_expired_records(today=today)
    assert report.service_users == 1 and report.choices == 1
    assert not ServiceUser.objects.filter(pk=mine.pk).exists()
    assert not CarePlanChoice.objects.filter(pk=caseloads["my_choice"].pk).exists()
    assert not ServiceUser.history.filter(id=mine.pk).exists()
    assert not CarePlanChoice.history.filter(id=caseloads["my_choice"].pk).exists()
    assert not Review.objects.filter(pk=review.pk).exists() and not Review.history.filter(id=review.pk).exists()
    assert ServiceUser.objects.filter(pk=theirs.pk).exists()
    deleted = AuditEvent.objects.filter(action="delete")
    assert set(deleted.values_list("kind", "reference", "username")) == {
        ("service_user", mine.reference, "system"),
        ("care_plan_choice", mine.reference, "system"),
        ("review", mine.reference, "system"),
    }


def test_active_cases_are_never_removed(caseloads):
    assert remove_expired_records(today=datetime.date(2100, 1, 1)).service_users == 0


def test_the_retention_task_is_scheduled_daily_and_runs(caseloads, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["careplans-remove-expired-records"]
    assert entry["task"] == remove_expired_records_task.name == "careplans.remove_expired_records"
    settings.CAREPLANS_RETENTION_YEARS = 0
    close(caseloads["mine"], datetime.date(2020, 1, 1))
    assert remove_expired_records_task.apply().get() == 1
    assert ServiceUser.objects.count() == 1


def test_retention_report_refuses_a_bad_date():
    with pytest.raises(CommandError, match="is not a date"):
        call_command("retention_report", today="31/01/2025")


def test_sign_in_locks_out_after_repeated_failures(client, users):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(url, {"username": "kw", "password": "wrong"})
    assert response.status_code == 429 and "Signing in is paused" in response.content.decode()
    # Even the right password is refused while locked out.
    response = client.post(url, {"username": "kw", "password": "a-long-password-1"})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    assert client.post(url, {"username": "kw2", "password": "a-long-password-1"}).status_code == 302


def test_session_and_csrf_cookies_are_hardened():
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.CSRF_COOKIE_HTTPONLY and settings.X_FRAME_OPTIONS == "DENY"


def test_check_deploy_is_clean_under_production_settings():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "choicemap.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "choicemap.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
