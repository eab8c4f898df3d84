"""import_postcodes: the ONS Postcode Directory's layout (fixtures/onspd_dorset_sample.csv), all-or-nothing."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from areas.models import Postcode
from areas.selectors import postcode_point

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "fixtures" / "onspd_dorset_sample.csv"


def run(path, *args) -> str:
    out = io.StringIO()
    call_command("import_postcodes", str(path), *args, stdout=out)
    return out.getvalue()


def test_the_onspd_layout_imports_and_looks_up_however_typed():
    out = run(SAMPLE)
    assert "7 postcodes created" in out
    assert "1 postcode(s) without a location in ONSPD (lat 99.999999) not imported." in out
    dorchester = Postcode.objects.get(compact="DT11AD")
    assert (dorchester.postcode, dorchester.lsoa_code, dorchester.terminated) == ("DT1 1AD", "E01020447", False)
    assert dorchester.location.coords == pytest.approx((-2.436180, 50.714979))
    assert Postcode.objects.get(postcode="BH15 1HJ").lsoa_code == "E01015536"
    old = Postcode.objects.get(postcode="DT1 9ZZ")
    assert old.terminated and old.lsoa_code == "E01020447"  # no lsoa21 for it: lsoa11 is used
    assert postcode_point(" dt11ad ").coords == dorchester.location.coords
    assert postcode_point("GY1 1AA") is None
    assert "0 postcodes created, 0 updated, 7 unchanged" in run(SAMPLE)


def test_bad_rows_are_listed_and_nothing_is_written(tmp_path):
    lines = SAMPLE.read_text().splitlines()
    header, first, second = lines[0], lines[1], lines[2]
    bad = [
        header,
        first.replace("DT1 1AD,198001", "NOT A CODE,198001"),
        second.replace("50.609707", "north"),
        first,
        first,  # twice
        second.replace("50.609707", "95.000000"),
    ]
    path = tmp_path / "ONSPD_bad.csv"
    path.write_text("\n".join(bad) + "\n")
    with pytest.raises(CommandError) as failure:
        run(path)
    message = str(failure.value)
    assert "ONSPD_bad.csv, row 2, pcds: 'NOT A CODE' is not a UK postcode" in message
    assert "ONSPD_bad.csv, row 3, lat: 'north' is not a number" in message
    assert "ONSPD_bad.csv, row 5, pcds: duplicate postcode 'DT1 1AD' (first on row 4)" in message
    assert "ONSPD_bad.csv, row 6, lat: '95.000000' is out of range (must be at most 90)" in message
    assert not Postcode.objects.exists()


def test_a_file_without_the_location_columns_is_refused(tmp_csv):
    path = tmp_csv("pcds,lsoa21\nDT1 1AD,E01020447\n", name="postcodes.csv")
    with pytest.raises(CommandError) as failure:
        run(path)
    assert "postcodes.csv, header, lat: required column is missing" in str(failure.value)
    assert "postcodes.csv, header, long: required column is missing" in str(failure.value)


def test_dry_run_writes_nothing():
    assert "Dry run, nothing written: 7 postcodes created" in run(SAMPLE, "--dry-run")
    assert not Postcode.objects.exists()
