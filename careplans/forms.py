"""Forms check what was typed and say what is wrong; services do the writing."""

from __future__ import annotations

import django_filters
from django import forms

from areas.models import Locality
from services.models import MenuOption, WorkerGender

from .models import AgeBand, CaseStatus, DifferenceReason, ServiceUser, Session, Team, TravelAccess
from .rules import LANGUAGES, choice_problems, needs_problems, review_problems, service_user_problems
from .services import ChoiceFields, Needs

# Browsers' date pickers read and write ISO dates whatever the site's locale.
DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def add_rule_errors(form: forms.Form, problems: dict[str, str]) -> None:
    """The rules' messages on their fields, except where the field's own input was already refused."""
    for field, message in problems.items():
        if field not in form.errors:
            form.add_error(field, message)


class LocalityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Locality) -> str:
        return f"{obj.name} ({obj.code})"


class ServiceUserForm(forms.Form):
    age_band = forms.ChoiceField(choices=[("", "Choose an age band")] + AgeBand.choices)
    home_locality = LocalityChoiceField(
        queryset=Locality.objects.order_by("name", "code"),
        empty_label="Choose by name, or click the map",
        error_messages={"required": "Choose the locality the person lives in, by name or on the map."},
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="No team")

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()
        self.fields["age_band"].error_messages["required"] = "Choose the person's age band."


class ServiceUserEditForm(ServiceUserForm):
    status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.RadioSelect)
    closed_on = forms.DateField(required=False, widget=DATE_INPUT, label="Date the case closed")

    def clean(self):
        cleaned = super().clean()
        add_rule_errors(self, service_user_problems(cleaned))
        return cleaned


def _yes_no_not_asked(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        required=False,
        choices=[("", "Not asked"), ("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        empty_value=None,
    )


class NeedsForm(forms.Form):
    """The person's needs and constraints. Every field is optional: "not asked" rules nothing out."""

    travel_access = forms.ChoiceField(
        label="Travel", required=False, choices=[("", "Not asked")] + TravelAccess.choices, widget=forms.RadioSelect
    )
    walking_limited = _yes_no_not_asked("Is their walking limited?")
    longest_journey_minutes = forms.IntegerField(
        label="Longest journey they will make (minutes)",
        required=False,
        error_messages={"invalid": "Enter a whole number of minutes, such as 45."},
    )
    can_attend = forms.MultipleChoiceField(
        label="When they can attend",
        required=False,
        choices=Session.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick none if not asked.",
    )
    accepts_remote = _yes_no_not_asked("Would they accept remote sessions?")
    accepts_home_visits = _yes_no_not_asked("Would they accept home visits?")
    accepts_groups = _yes_no_not_asked("Would they accept groups?")
    worker_gender = forms.ChoiceField(
        label="Worker they need", required=False, choices=[("", "No preference")] + WorkerGender.choices
    )
    needs_childcare = _yes_no_not_asked("Do they need childcare at the session?")
    interpreter_language = forms.ChoiceField(
        label="Interpreter needed in",
        required=False,
        choices=[("", "No interpreter")] + sorted(LANGUAGES.items(), key=lambda item: item[1]),
    )

    def clean(self):
        cleaned = super().clean()
        add_rule_errors(self, needs_problems(cleaned))
        return cleaned

    @classmethod
    def initial_for(cls, service_user: ServiceUser) -> dict:
        """The stored needs as the form shows them (yes / no / not asked as radio values)."""
        initial = {name: getattr(service_user, name) for name in cls.base_fields}
        for name, value in initial.items():
            if isinstance(cls.base_fields[name], forms.TypedChoiceField):
                initial[name] = {True: "yes", False: "no"}.get(value, "")
        return initial

    def needs(self) -> Needs:
        return Needs(**{name: self.cleaned_data[name] for name in self.fields})


def _score(label: str, high: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=f"{label} (0–{high})",
        required=False,
        error_messages={"invalid": f"Enter a whole number from 0 to {high}."},
    )


class ReviewForm(forms.Form):
    """Outcomes at a review. Only the date is required; a goal's score needs the goal."""

    reviewed_on = forms.DateField(label="Date of the review", widget=DATE_INPUT)
    goal_1 = forms.CharField(label="First goal, in the person's words", required=False, max_length=200)
    goal_1_score = _score("How things are now for the first goal", 10)
    goal_2 = forms.CharField(label="Second goal", required=False, max_length=200)
    goal_2_score = _score("How things are now for the second goal", 10)
    goal_3 = forms.CharField(label="Third goal", required=False, max_length=200)
    goal_3_score = _score("How things are now for the third goal", 10)
    psychological_health = _score("TOP psychological health", 20)
    physical_health = _score("TOP physical health", 20)
    quality_of_life = _score("TOP overall quality of life", 20)
    days_of_use = _score("Days of use in the last 28 days", 28)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewed_on"].error_messages["required"] = "Give the date of the review."
        self.fields["reviewed_on"].error_messages["invalid"] = "Enter a date such as 2025-03-14."

    def clean(self):
        cleaned = super().clean()
        add_rule_errors(self, review_problems(cleaned))
        return cleaned


class MenuOptionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: MenuOption) -> str:
        return obj.name


class MenuOptionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: MenuOption) -> str:
        return obj.name


class CarePlanChoiceForm(forms.Form):
    discussed_on = forms.DateField(label="Date of the conversation", widget=DATE_INPUT)
    options_discussed = MenuOptionMultipleChoiceField(
        queryset=MenuOption.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The preferred and agreed options count as discussed.",
    )
    preferred_option = MenuOptionChoiceField(
        queryset=MenuOption.objects.filter(active=True),
        empty_label="Choose the option the person preferred",
        error_messages={"required": "Choose the option the person preferred."},
    )
    agreed_option = MenuOptionChoiceField(
        queryset=MenuOption.objects.filter(active=True),
        empty_label="Choose the option you agreed",
        error_messages={"required": "Choose the option you agreed."},
    )
    joint_decision = forms.TypedChoiceField(
        label="Was it a joint decision?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        error_messages={"required": "Say whether it was a joint decision."},
    )
    difference_reason = forms.ChoiceField(
        label="Why does the agreed option differ from the preferred one?",
        required=False,
        choices=[("", "—")] + DifferenceReason.choices,
    )
    difference_other = forms.CharField(label="Other reason", required=False, max_length=300)
    review_on = forms.DateField(label="Review date", widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("discussed_on", "review_on"):
            self.fields[name].error_messages["required"] = f"Give the {self.fields[name].label.lower()}."
            self.fields[name].error_messages["invalid"] = "Enter a date such as 2025-03-14."

    def clean(self):
        cleaned = super().clean()
        add_rule_errors(self, choice_problems(cleaned))
        return cleaned

    def choice_fields(self) -> ChoiceFields:
        data = self.cleaned_data
        return ChoiceFields(
            discussed_on=data["discussed_on"],
            options_discussed=list(data["options_discussed"]),
            preferred_option=data["preferred_option"],
            agreed_option=data["agreed_option"],
            joint_decision=data["joint_decision"],
            review_on=data["review_on"],
            difference_reason=data["difference_reason"],
            difference_other=data["difference_other"],
        )


class CaseloadFilter(django_filters.FilterSet):
    """Search and filters of the caseload page."""

    q = django_filters.CharFilter(field_name="reference", lookup_expr="icontains", label="Reference contains")
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, empty_label="Any status")
    age_band = django_filters.ChoiceFilter(choices=AgeBand.choices, empty_label="Any age band")
    locality = django_filters.CharFilter(
        field_name="home_locality__name", lookup_expr="icontains", label="Locality name contains"
    )
    review_before = django_filters.DateFilter(
        field_name="latest_review", lookup_expr="lte", label="Review by", widget=DATE_INPUT
    )

    class Meta:
        model = ServiceUser
        fields = ["q", "status", "age_band", "locality", "review_before"]
