from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import F, Q

from choicemap.validators import validate_wgs84

from .hours import opening_hours_problem

# Beyond these a figure is a typo (or an attack): ten years' wait; a home visit round as wide as England.
MAX_WAITING_WEEKS = 520
MAX_HOME_VISIT_KM = 500


class OptionCategory(models.TextChoices):
    PHARMACOLOGICAL = "pharmacological", "Pharmacological"
    PSYCHOSOCIAL = "psychosocial", "Psychosocial"
    RECOVERY = "recovery", "Recovery support"
    HARM_REDUCTION = "harm_reduction", "Harm reduction"
    RESIDENTIAL = "residential", "Residential"
    OTHER = "other", "Other"


class MenuOption(models.Model):
    """One option on the treatment menu, e.g. opioid substitution with methadone."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=OptionCategory.choices)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    display_order = models.PositiveIntegerField(default=0)
    # Bumped by every write (auto_now on save(); queryset updates and imports set it themselves):
    # Open Referral's modified_after and last_modified read it.
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=OptionCategory.values),
                name="menuoption_category_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ProviderKind(models.TextChoices):
    NHS = "nhs", "NHS"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    VOLUNTARY = "voluntary", "Voluntary sector"
    PRIVATE = "private", "Private"


class Provider(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # Blank when a provider first arrives through a catalogue import that does not say.
    kind = models.CharField(max_length=20, choices=ProviderKind.choices, blank=True)
    contact = models.CharField(max_length=300, blank=True)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="") | Q(kind__in=ProviderKind.values), name="provider_kind_known"),
        ]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="sites")
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    location = models.PointField(srid=4326, validators=[validate_wgs84])
    active = models.BooleanField(default=True)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Delivery(models.TextChoices):
    ON_SITE = "on_site", "On site"
    OUTREACH = "outreach", "Outreach (held in named localities)"
    HOME_VISIT = "home_visit", "Home visit (within a radius)"
    REMOTE = "remote", "Remote"


class SessionFormat(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "One-to-one"
    GROUP = "group", "Group"
    BOTH = "both", "Group or one-to-one"


class WorkerGender(models.TextChoices):
    FEMALE = "female", "A woman"
    MALE = "male", "A man"


MAX_OPENING_HOURS = 200


def opening_hours_validator(value: str) -> None:
    """OSM opening_hours text as opening-hours-py reads it; its own words say what is wrong."""
    if problem := opening_hours_problem(value):
        raise ValidationError(problem, code="invalid_opening_hours")


class SiteOffer(models.Model):
    """One menu option offered by one provider at one site, in one delivery mode."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="offers")
    option = models.ForeignKey(MenuOption, on_delete=models.PROTECT, related_name="offers")
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.ON_SITE)
    capacity_per_week = models.PositiveIntegerField(null=True, blank=True)
    waiting_weeks = models.FloatField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_WAITING_WEEKS)],
        help_text="Current wait; blank = unknown.",
    )
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    outreach_localities = models.ManyToManyField(
        "areas.Locality",
        blank=True,
        related_name="outreach_offers",
        help_text="Only for outreach: the localities where sessions are held.",
    )
    home_visit_km = models.FloatField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_HOME_VISIT_KM)],
        help_text="Only for home visits: radius from the site, in km.",
    )
    opening_hours = models.CharField(
        max_length=MAX_OPENING_HOURS,
        blank=True,
        validators=[opening_hours_validator],
        help_text="OSM opening_hours, e.g. 'Mo-Fr 09:00-17:00; Sa 10:00-12:00; PH off'.",
    )
    # Matching facts for personal menus; empty or null = not recorded, which rules nobody out.
    session_format = models.CharField(max_length=10, choices=SessionFormat.choices, blank=True)
    worker_genders = ArrayField(
        models.CharField(max_length=6, choices=WorkerGender.choices),
        default=list,
        blank=True,
        help_text="Genders of the workers a person can ask for.",
    )
    creche = models.BooleanField(null=True, blank=True, help_text="Childcare at the session.")
    languages = ArrayField(
        models.CharField(max_length=10),
        default=list,
        blank=True,
        help_text="Language codes sessions can be held in, e.g. en, pl.",
    )
    active = models.BooleanField(default=True)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["site__code", "option__display_order", "option__code", "delivery"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "option", "delivery"],
                name="siteoffer_unique_site_option_delivery",
                violation_error_message="This site already offers this option in this delivery mode.",
            ),
            models.CheckConstraint(condition=Q(delivery__in=Delivery.values), name="siteoffer_delivery_known"),
            models.CheckConstraint(
                condition=Q(session_format="") | Q(session_format__in=SessionFormat.values),
                name="siteoffer_session_format_known",
            ),
            models.CheckConstraint(
                condition=Q(worker_genders__contained_by=WorkerGender.values), name="siteoffer_worker_genders_known"
            ),
            models.CheckConstraint(
                condition=Q(waiting_weeks__isnull=True) | Q(waiting_weeks__gte=0),
                name="siteoffer_waiting_weeks_not_negative",
                violation_error_message="Waiting time cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(waiting_weeks__isnull=True) | Q(waiting_weeks__lte=MAX_WAITING_WEEKS),
                name="siteoffer_waiting_weeks_at_most_ten_years",
                violation_error_message=f"Waiting time cannot be above {MAX_WAITING_WEEKS} weeks.",
            ),
            models.CheckConstraint(
                condition=Q(home_visit_km__isnull=True) | Q(home_visit_km__lte=MAX_HOME_VISIT_KM),
                name="siteoffer_home_visit_km_bounded",
                violation_error_message=f"A home visit radius cannot be above {MAX_HOME_VISIT_KM} km.",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(min_age__lte=F("max_age")),
                name="siteoffer_min_age_not_above_max_age",
                violation_error_message="Minimum age cannot be above maximum age.",
            ),
            models.CheckConstraint(
                # NULL > 0 is NULL, which a CHECK lets through: say not-null explicitly.
                condition=(Q(delivery=Delivery.HOME_VISIT) & Q(home_visit_km__isnull=False) & Q(home_visit_km__gt=0))
                | (~Q(delivery=Delivery.HOME_VISIT) & Q(home_visit_km__isnull=True)),
                name="siteoffer_radius_only_and_always_for_home_visits",
                violation_error_message="A home visit needs a positive radius; other deliveries have none.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.option.code} at {self.site.code} ({self.get_delivery_display()})"
