import factory
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from areas.models import Locality
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
