import pytest
from django.db import IntegrityError, transaction

from tests.factories import LocalityFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"imd_decile": 0},
        {"imd_decile": 11},
        {"car_share": -0.1},
        {"car_share": 1.01},
        {"rurality": "Z9"},
        {"population": -5},
    ],
)
def test_out_of_range_locality_facts_are_refused_by_the_database(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        LocalityFactory(**fields)


def test_codes_are_unique():
    LocalityFactory(code="E01000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        LocalityFactory(code="E01000001")


def test_boundary_values_are_allowed():
    LocalityFactory(imd_decile=1, car_share=0, rurality="E2")
    LocalityFactory(imd_decile=10, car_share=1, rurality="")
