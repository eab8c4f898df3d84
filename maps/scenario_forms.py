"""The scenario pages' forms. They only translate: the text entered goes to reach.scenario_services as
it is, and the catalogue's rules there judge it; a broken rule comes back onto the field it names.
"""

from __future__ import annotations

import json

from django import forms

from reach.models import ChangeKind, ReachProfile, Scenario
from services.models import Delivery, ProviderKind

from .scenario_selectors import FormChoices

NUMBER_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


class ScenarioForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    base = forms.ModelChoiceField(
        queryset=Scenario.objects.order_by("name", "id"),
        required=False,
        empty_label="The current catalogue",
        help_text="A scenario built on another one sees that scenario's changes first.",
    )


def _number(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=False, help_text=help_text, widget=forms.TextInput(NUMBER_ATTRS))


def _select(label: str, *, blank: str = "Choose…") -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False, choices=[("", blank)])


class ChangeForm(forms.Form):
    """One change kind's fields; `values()` is what reach.scenario_services.add_change receives."""

    kind: str = ""
    # Fields a rule may name that this form shows as one field (e.g. site_code, option_code → offer).
    field_for: dict[str, str] = {}
    lists: tuple[str, ...] = ()

    def __init__(self, *args, choices: FormChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fill_choices(choices)

    def fill_choices(self, choices: FormChoices) -> None:
        for name, options in (
            ("site_code", choices.sites),
            ("option_code", choices.options),
            ("offer", choices.offers),
            ("outreach_offer", choices.outreach_offers),
        ):
            field = self.fields.get(name)
            if isinstance(field, forms.ChoiceField):
                field.choices = [("", "Choose…"), *options]
        for name in ("localities", "outreach_localities"):
            field = self.fields.get(name)
            if isinstance(field, forms.MultipleChoiceField):
                field.choices = choices.localities

    def values(self) -> dict:
        """The entered fields, empty ones left out (the rules say which of those are required)."""
        values: dict = {}
        for name, value in self.cleaned_data.items():
            if name == "offer" and value:
                values |= dict(zip(("site_code", "option_code", "delivery"), json.loads(value), strict=True))
            elif name == "outreach_offer" and value:
                values |= dict(zip(("site_code", "option_code"), json.loads(value), strict=True))
            elif name in self.lists:
                if value:
                    values[name] = list(value)
            elif value not in ("", None):
                values[name] = value
        return values

    def add_rule_errors(self, problems: dict[str, str]) -> None:
        """ScenarioInvalid's problems ("scenario 'X', change 3 (add_offer), capacity_per_week": why) at their fields."""
        for where, why in problems.items():
            name = where.rsplit(", ", 1)[-1]
            name = self.field_for.get(name, name)
            self.add_error(name if name in self.fields else None, why)


class AddSiteForm(ChangeForm):
    kind = ChangeKind.ADD_SITE
    code = forms.CharField(label="Site code", required=False, max_length=40)
    name = forms.CharField(label="Site name", required=False, max_length=200)
    provider = forms.CharField(
        label="Provider",
        required=False,
        max_length=200,
        help_text="A provider's name as the catalogue has it, or the name of a new provider.",
    )
    provider_kind = forms.ChoiceField(
        label="Provider kind",
        required=False,
        choices=[("", "A known provider keeps its kind"), *ProviderKind.choices],
        help_text="Required for a new provider.",
    )
    lat = _number("Latitude", "Decimal degrees, e.g. 50.686")
    lon = _number("Longitude", "Decimal degrees, e.g. -2.113")


class AddOfferForm(ChangeForm):
    kind = ChangeKind.ADD_OFFER
    lists = ("outreach_localities",)
    site_code = _select("Site")
    option_code = _select("Option")
    delivery = forms.ChoiceField(label="Delivery", required=False, choices=[("", "Choose…"), *Delivery.choices])
    capacity_per_week = _number("Capacity per week", "Places a week; leave empty when not known.")
    waiting_weeks = _number("Waiting time in weeks")
    min_age = _number("Youngest age")
    max_age = _number("Oldest age")
    home_visit_km = _number("Home-visit radius in km", "Home visits only.")
    outreach_localities = forms.MultipleChoiceField(
        label="Outreach localities",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Outreach only: the localities where sessions are held.",
    )


class CloseSiteForm(ChangeForm):
    kind = ChangeKind.CLOSE_SITE
    site_code = _select("Site to close")


class CloseOfferForm(ChangeForm):
    kind = ChangeKind.CLOSE_OFFER
    field_for = {"site_code": "offer", "option_code": "offer", "delivery": "offer"}
    offer = _select("Offer to close")


class ChangeOfferForm(ChangeForm):
    kind = ChangeKind.CHANGE_OFFER
    field_for = {"site_code": "offer", "option_code": "offer", "delivery": "offer"}
    offer = _select("Offer to change")
    capacity_per_week = _number("New capacity per week", "Leave empty to keep it.")
    waiting_weeks = _number("New waiting time in weeks", "Leave empty to keep it.")


class AddOutreachForm(ChangeForm):
    kind = ChangeKind.ADD_OUTREACH
    field_for = {"site_code": "outreach_offer", "option_code": "outreach_offer"}
    lists = ("localities",)
    outreach_offer = _select("Outreach offer")
    localities = forms.MultipleChoiceField(
        label="Localities to add", required=False, widget=forms.CheckboxSelectMultiple
    )


class RemoveOutreachForm(AddOutreachForm):
    kind = ChangeKind.REMOVE_OUTREACH
    localities = forms.MultipleChoiceField(
        label="Localities to remove", required=False, widget=forms.CheckboxSelectMultiple
    )


class MakeRemoteForm(ChangeForm):
    kind = ChangeKind.MAKE_REMOTE
    site_code = _select("Site offering it remotely")
    option_code = _select("Option")
    capacity_per_week = _number("Capacity per week")
    waiting_weeks = _number("Waiting time in weeks")


CHANGE_FORMS: dict[str, type[ChangeForm]] = {
    form.kind: form
    for form in (
        AddSiteForm,
        AddOfferForm,
        CloseSiteForm,
        CloseOfferForm,
        ChangeOfferForm,
        AddOutreachForm,
        RemoveOutreachForm,
        MakeRemoteForm,
    )
}


class PlanForm(forms.Form):
    """The planner's inputs: a candidate file (or new-site candidates generated from the current run)."""

    SOURCES = [("file", "A candidate file (CSV)"), ("generate", "New sites where an option is out of reach")]
    source = forms.ChoiceField(label="Candidates", choices=SOURCES, initial="file", widget=forms.RadioSelect)
    candidates = forms.FileField(
        label="Candidate file",
        required=False,
        help_text="CSV: id,cost, then the import_catalogue columns (provider_kind for a new provider).",
    )
    candidates_text = forms.CharField(required=False, widget=forms.HiddenInput)  # the file last uploaded, kept
    generate_options = forms.MultipleChoiceField(
        label="Generate: options the new sites offer", required=False, widget=forms.CheckboxSelectMultiple
    )
    generate_provider = forms.CharField(label="Generate: provider of the new sites", required=False, max_length=200)
    generate_provider_kind = forms.ChoiceField(
        label="Generate: provider kind",
        required=False,
        choices=[("", "A known provider keeps its kind"), *ProviderKind.choices],
    )
    generate_cost = forms.FloatField(label="Generate: cost of each candidate", required=False, min_value=0, initial=1)
    budget = forms.FloatField(label="Budget", min_value=0, help_text="In the candidates' cost units.")
    objective = forms.ChoiceField(
        label="Objective",
        choices=[
            ("expected_menu", "Expected menu: people × expected menu size"),
            ("real_choice", "Real choice: people × options with real choice without a car"),
            ("min_menu", "Minimum menu: people whose menu without a car has at least N options"),
        ],
    )
    min_options = forms.IntegerField(label="N for the minimum menu", min_value=1, initial=1)
    weight = forms.ChoiceField(
        label="Weight",
        choices=[("none", "Everyone counts once"), ("imd", "Deprived localities count more (IMD)")],
        initial="none",
    )
    profile = forms.ModelChoiceField(
        label="Reach profile",
        queryset=ReachProfile.objects.order_by("-is_default", "name"),
        required=False,
        empty_label="The default profile",
    )

    def __init__(self, *args, option_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["generate_options"].choices = option_choices  # type: ignore[attr-defined]


class SavePlanForm(forms.Form):
    name = forms.CharField(label="Scenario name", max_length=200)
    candidates_text = forms.CharField(widget=forms.HiddenInput)
    chosen = forms.CharField(widget=forms.HiddenInput, help_text="The chosen candidate ids, one a line.")
