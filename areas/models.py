from django.contrib.gis.db import models
from django.db.models import Q

from choicemap.validators import validate_wgs84


class Rurality(models.TextChoices):
    """ONS 2011 rural-urban classification of LSOAs."""

    A1 = "A1", "A1 Urban major conurbation"
    B1 = "B1", "B1 Urban minor conurbation"
    C1 = "C1", "C1 Urban city and town"
    C2 = "C2", "C2 Urban city and town in a sparse setting"
    D1 = "D1", "D1 Rural town and fringe"
    D2 = "D2", "D2 Rural town and fringe in a sparse setting"
    E1 = "E1", "E1 Rural village and dispersed"
    E2 = "E2", "E2 Rural village and dispersed in a sparse setting"


class Locality(models.Model):
    code = models.CharField(max_length=20, unique=True, help_text="e.g. an LSOA21CD")
    name = models.CharField(max_length=200)
    geometry = models.MultiPolygonField(srid=4326, validators=[validate_wgs84])
    # Coverage-simplified copy for drawing; shared borders stay shared.
    geometry_simplified = models.MultiPolygonField(srid=4326, null=True, blank=True)
    # A coarser coverage-simplified copy for national zooms, where many localities share a pixel.
    geometry_coarse = models.MultiPolygonField(srid=4326, null=True, blank=True)
    origin = models.PointField(
        srid=4326,
        validators=[validate_wgs84],
        help_text="Population-weighted centroid when known, else a point on the surface.",
    )
    origin_is_weighted = models.BooleanField(
        default=False, help_text="True when the origin is a supplied population-weighted centroid."
    )
    population = models.PositiveIntegerField()
    rurality = models.CharField(max_length=2, choices=Rurality.choices, blank=True)
    imd_decile = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="IMD 2019 decile: 1 = most deprived 10%."
    )
    car_share = models.FloatField(null=True, blank=True, help_text="Share of households with a car (0–1).")
    la_code = models.CharField("local authority code", max_length=12, blank=True)
    la_name = models.CharField("local authority", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "localities"
        constraints = [
            models.CheckConstraint(
                condition=Q(imd_decile__isnull=True) | Q(imd_decile__gte=1, imd_decile__lte=10),
                name="locality_imd_decile_1_to_10",
                violation_error_message="IMD decile must be between 1 and 10.",
            ),
            models.CheckConstraint(
                condition=Q(car_share__isnull=True) | Q(car_share__gte=0, car_share__lte=1),
                name="locality_car_share_0_to_1",
                violation_error_message="Car share must be between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=Q(rurality="") | Q(rurality__in=Rurality.values),
                name="locality_rurality_known_class",
                violation_error_message="Rurality must be an ONS 2011 class A1…E2.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Postcode(models.Model):
    """One postcode from the ONS Postcode Directory: where it is and which LSOA it lies in."""

    # The postcode without spaces, upper case ("DT11AA"): how look-ups find it whatever was typed.
    compact = models.CharField(max_length=8, unique=True)
    postcode = models.CharField(max_length=8, help_text="As ONS writes it (pcds), e.g. 'DT1 1AA'.")
    location = models.PointField(srid=4326)
    lsoa_code = models.CharField("LSOA code", max_length=9, blank=True, help_text="lsoa21, else lsoa11")
    terminated = models.BooleanField(default=False, help_text="No longer in use (ONSPD doterm is set).")

    class Meta:
        ordering = ["compact"]

    def __str__(self) -> str:
        return self.postcode
