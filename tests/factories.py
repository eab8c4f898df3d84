"""factory_boy factories per model family. Rows made here skip the services (and their audit):
use them for the data a test stands on, and the services for the behaviour it checks."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from accounts.roles import ADMIN, KEYWORKER
from accounts.services import ensure_role_groups
from areas.models import Locality
from careplans.models import CarePlanChoice, ServiceUser
from reach.models import ReachProfile, ReachRun
from services.models import Delivery, MenuOption, Provider, Site, SiteOffer


def square(lon: float, lat: float, size: float = 0.01) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((lon, lat, lon + size, lat + size)), srid=4326)


class LocalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Locality

    code = factory.Sequence(lambda n: f"E0199{n:04d}")
    name = factory.Sequence(lambda n: f"Locality {n}")
    geometry = factory.Sequence(lambda n: square(-2.5 + 0.01 * n, 50.7))
    origin = factory.LazyAttribute(lambda o: o.geometry.point_on_surface)
    population = 1500


class MenuOptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MenuOption

    code = factory.Sequence(lambda n: f"OPT-{n}")
    name = factory.Sequence(lambda n: f"Option {n}")
    category = "pharmacological"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = "nhs"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    code = factory.Sequence(lambda n: f"S-{n:03d}")
    name = factory.Sequence(lambda n: f"Site {n}")
    provider = factory.SubFactory(ProviderFactory)
    location = Point(-2.0, 50.72, srid=4326)


class SiteOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteOffer

    site = factory.SubFactory(SiteFactory)
    option = factory.SubFactory(MenuOptionFactory)
    delivery = Delivery.ON_SITE


class UserFactory(factory.django.DjangoModelFactory):
    """A user in one role group, keyworker by default: UserFactory(role=COMMISSIONER)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("a-long-password-1")
    role = KEYWORKER
    is_staff = factory.LazyAttribute(lambda o: o.role == ADMIN)

    @classmethod
    def _create(cls, model_class, *args, role: str, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        user.groups.set([ensure_role_groups()[role]])
        return user


class ReachProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReachProfile

    name = factory.Sequence(lambda n: f"Profile {n}")


class ReachRunFactory(factory.django.DjangoModelFactory):
    """A run row as a status, without computing anything (queued unless told otherwise)."""

    class Meta:
        model = ReachRun

    profile = factory.SubFactory(ReachProfileFactory)
    profile_name = factory.LazyAttribute(lambda o: o.profile.name if o.profile else "")
    params = factory.LazyAttribute(lambda o: o.profile.params() if o.profile else {})


class ServiceUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceUser

    reference = factory.Sequence(lambda n: f"SU-TEST-{n:04d}")
    age_band = "25_34"
    home_locality = factory.SubFactory(LocalityFactory)
    keyworker = factory.SubFactory(UserFactory)


class CarePlanChoiceFactory(factory.django.DjangoModelFactory):
    """A choice that keeps careplans/rules.py: agreed is preferred unless a reason is given."""

    class Meta:
        model = CarePlanChoice
        skip_postgeneration_save = True

    service_user = factory.SubFactory(ServiceUserFactory)
    discussed_on = datetime.date(2025, 3, 10)
    preferred_option = factory.SubFactory(MenuOptionFactory)
    agreed_option = factory.SelfAttribute("preferred_option")
    joint_decision = True
    review_on = datetime.date(2025, 4, 21)
    recorded_by = factory.SelfAttribute("service_user.keyworker")
    home_locality = factory.SelfAttribute("service_user.home_locality")

    @factory.post_generation
    def options_discussed(self, create, extracted, **kwargs):
        if create:
            self.options_discussed.set(extracted or {self.preferred_option, self.agreed_option})
