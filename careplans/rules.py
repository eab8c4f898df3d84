"""The rules a care record keeps, in the words a keyworker reads. The pages' forms and the API both check
these, so a record is refused for the same reasons, with the same message, wherever it is entered.

Each function takes what has been entered so far (None where a field is missing or invalid) and
returns {field name: message} for every rule broken; an empty dict means the record may be saved.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from .models import CaseStatus, DifferenceReason


def service_user_problems(*, status: str | None, closed_on: datetime.date | None,
                          today: datetime.date | None = None) -> dict[str, str]:
    today = today or timezone.localdate()
    if status == CaseStatus.CLOSED and closed_on is None:
        return {"closed_on": "Give the date the case closed."}
    if closed_on and closed_on > today:
        return {"closed_on": "The closing date cannot be in the future."}
    return {}


def choice_problems(*, preferred_option, agreed_option, difference_reason: str | None, difference_other: str | None,
                    discussed_on: datetime.date | None, review_on: datetime.date | None,
                    today: datetime.date | None = None) -> dict[str, str]:
    today = today or timezone.localdate()
    problems = {}
    both_chosen = preferred_option is not None and agreed_option is not None
    if both_chosen and preferred_option != agreed_option and not difference_reason:
        problems["difference_reason"] = "The agreed option differs from the preferred one: say why."
    if both_chosen and preferred_option == agreed_option and difference_reason:
        problems["difference_reason"] = "The agreed option is the preferred one: leave the reason empty."
    if difference_reason == DifferenceReason.OTHER and not (difference_other or "").strip():
        problems["difference_other"] = "Say what the other reason is."
    if discussed_on and discussed_on > today:
        problems["discussed_on"] = "The conversation cannot be in the future."
    if discussed_on and review_on and review_on < discussed_on:
        problems["review_on"] = "The review date cannot be before the conversation."
    return problems
