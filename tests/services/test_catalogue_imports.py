import pytest
from django.core.management import CommandError, call_command

from services.models import MenuOption, Provider, Site, SiteOffer
from tests.factories import LocalityFactory, MenuOptionFactory, ProviderFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "provider,site_code,site_name,lat,lon,option_code,delivery,capacity_per_week,waiting_weeks,"
    "min_age,max_age,outreach_localities,home_visit_km,active\n"
)
GOOD_ROWS = (
    "Dorset Health,POO-01,Poole Hub,50.7167,-2.0,OST-METH,on_site,20,1.5,18,,,,true\n"
    "Dorset Health,POO-01,Poole Hub,50.7167,-2.0,NSP,on_site,,,,,,,\n"
    "Dorset Health,DOR-01,Dorchester Base,50.7167,-2.4333,OST-METH,outreach,5,2,18,,E01000001;E01000002,,true\n"
    "Harbour Recovery,DOR-02,Dorchester Homes,50.72,-2.44,OST-METH,home_visit,8,0,18,65,,15,true\n"
    "Harbour Recovery,DOR-02,Dorchester Homes,50.72,-2.44,NSP,remote,,,,,,,false\n"
)


@pytest.fixture
def catalogue_world():
    # import_catalogue creates a new provider only with a provider_kind: these ones are known.
    for name in ("Dorset Health", "Harbour Recovery", "P"):
        ProviderFactory(name=name)
    MenuOptionFactory(code="OST-METH")
    MenuOptionFactory(code="NSP")
    LocalityFactory(code="E01000001")
    LocalityFactory(code="E01000002")


def _counts():
    return (Provider.objects.count(), Site.objects.count(), SiteOffer.objects.count(), MenuOption.objects.count())


def _fails(path, *expected, **options):
    before = _counts()
    with pytest.raises(CommandError) as error:
        call_command("import_catalogue", str(path), **options)
    message = str(error.value)
    assert "nothing was written" in message
    for fragment in expected:
        assert fragment in message, message
    assert _counts() == before
    return message


# --- options -----------------------------------------------------------------------------------------


def test_import_options_upserts_by_code(tmp_csv):
    path = tmp_csv(
        'code,name,category,description\nOST-METH,Methadone,pharmacological,"Daily, supervised"\n'
        "NSP,Needle exchange,harm_reduction,\n"
    )
    call_command("import_options", str(path))
    assert MenuOption.objects.get(code="OST-METH").description == "Daily, supervised"
    path = tmp_csv("code,name,category\nOST-METH,Methadone OST,pharmacological\n")
    call_command("import_options", str(path))
    assert MenuOption.objects.get(code="OST-METH").name == "Methadone OST"
    assert MenuOption.objects.count() == 2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ["data.csv, file: the file is empty"]),
        ("code,name\nA,B\n", ["data.csv, header, category: required column is missing"]),
        ("code,name,category,colour\nA,B,recovery,red\n", ["header, colour: unknown column"]),
        ("code,name,category\n", ["no data rows"]),
        ("code,name,category\nA,B,magic\n", ["row 2, category: 'magic' is not one of"]),
        ("code,name,category\nA,B,recovery\nA,C,recovery\n", ["row 3, code: duplicate code 'A' (first on row 2)"]),
        ("code,name,category\n,B,recovery\n", ["row 2, code: is required"]),
    ],
)
def test_import_options_rejects_bad_files_and_writes_nothing(tmp_csv, text, expected):
    path = tmp_csv(text)
    with pytest.raises(CommandError) as error:
        call_command("import_options", str(path))
    for fragment in expected:
        assert fragment in str(error.value)
    assert MenuOption.objects.count() == 0


def test_import_options_dry_run_writes_nothing(tmp_csv):
    call_command("import_options", str(tmp_csv("code,name,category\nA,B,recovery\n")), dry_run=True)
    assert MenuOption.objects.count() == 0


# --- catalogue ---------------------------------------------------------------------------------------


def test_import_catalogue_creates_sites_offers_and_providers(tmp_csv, catalogue_world):
    call_command("import_catalogue", str(tmp_csv(HEADER + GOOD_ROWS)))
    assert Site.objects.count() == 3
    assert Site.objects.get(code="DOR-02").provider.name == "Harbour Recovery"
    poole = Site.objects.get(code="POO-01")
    assert (poole.location.x, poole.location.y) == (-2.0, 50.7167)
    methadone = SiteOffer.objects.get(site__code="POO-01", option__code="OST-METH")
    assert (methadone.capacity_per_week, methadone.waiting_weeks, methadone.min_age) == (20, 1.5, 18)
    outreach = SiteOffer.objects.get(delivery="outreach")
    assert sorted(outreach.outreach_localities.values_list("code", flat=True)) == ["E01000001", "E01000002"]
    home = SiteOffer.objects.get(delivery="home_visit")
    assert (home.home_visit_km, home.max_age) == (15, 65)
    assert SiteOffer.objects.get(delivery="remote").active is False
    assert SiteOffer.objects.get(site__code="POO-01", option__code="NSP").capacity_per_week is None


def test_import_catalogue_twice_updates_in_place(tmp_csv, catalogue_world):
    call_command("import_catalogue", str(tmp_csv(HEADER + GOOD_ROWS)))
    changed = GOOD_ROWS.replace("OST-METH,on_site,20,1.5", "OST-METH,on_site,25,4")
    call_command("import_catalogue", str(tmp_csv(HEADER + changed)))
    assert SiteOffer.objects.count() == 5
    offer = SiteOffer.objects.get(site__code="POO-01", option__code="OST-METH")
    assert (offer.capacity_per_week, offer.waiting_weeks) == (25, 4)


def test_replace_deactivates_offers_missing_from_the_file(tmp_csv, catalogue_world):
    call_command("import_catalogue", str(tmp_csv(HEADER + GOOD_ROWS)))
    first_row_only = HEADER + GOOD_ROWS.splitlines(keepends=True)[0]
    call_command("import_catalogue", str(tmp_csv(first_row_only)), replace=True)
    assert SiteOffer.objects.count() == 5
    assert list(SiteOffer.objects.filter(active=True).values_list("site__code", "option__code")) == [
        ("POO-01", "OST-METH")
    ]


def test_dry_run_checks_but_writes_nothing(tmp_csv, catalogue_world):
    call_command("import_catalogue", str(tmp_csv(HEADER + GOOD_ROWS)), dry_run=True)
    assert Site.objects.count() == 0 and SiteOffer.objects.count() == 0


@pytest.mark.parametrize(
    "row, expected",
    [
        ("P,S1,Site,91,-2,OST-METH,on_site,,,,,,,", "row 2, lat: '91' is out of range (must be at most 90)"),
        ("P,S1,Site,north,-2,OST-METH,on_site,,,,,,,", "row 2, lat: 'north' is not a number"),
        ("P,S1,Site,50.7,-200,OST-METH,on_site,,,,,,,", "row 2, lon: '-200' is out of range"),
        ("P,S1,Site,,-2,OST-METH,on_site,,,,,,,", "row 2, lat: is required"),
        ("P,S1,Site,50.7,-2,NOPE,on_site,,,,,,,", "row 2, option_code: unknown option code 'NOPE'"),
        ("P,S1,Site,50.7,-2,OST-METH,on_site,-4,,,,,,", "row 2, capacity_per_week: '-4' is out of range"),
        ("P,S1,Site,50.7,-2,OST-METH,on_site,2.5,,,,,,", "row 2, capacity_per_week: '2.5' is not a whole number"),
        ("P,S1,Site,50.7,-2,OST-METH,on_site,,-1,,,,,", "row 2, waiting_weeks: '-1' is out of range"),
        ("P,S1,Site,50.7,-2,OST-METH,on_site,,,30,20,,,", "row 2, min_age: min_age 30 is above max_age 20"),
        ("P,S1,Site,50.7,-2,OST-METH,drone,,,,,,,", "row 2, delivery: 'drone' is not one of"),
        (
            "P,S1,Site,50.7,-2,OST-METH,outreach,,,,,E01000001;E09999999,,",
            "row 2, outreach_localities: unknown locality code(s): E09999999",
        ),
        ("P,S1,Site,50.7,-2,OST-METH,outreach,,,,,,,", "an outreach offer needs at least one locality code"),
        ("P,S1,Site,50.7,-2,OST-METH,on_site,,,,,E01000001,,", "only outreach offers list localities, not on_site"),
        ("P,S1,Site,50.7,-2,OST-METH,home_visit,,,,,,,", "row 2, home_visit_km: is required for a home_visit"),
        ("P,S1,Site,50.7,-2,OST-METH,on_site,,,,,,10,", "only home_visit offers have a radius, not on_site"),
        ("P,S1,Site,50.7,-2,OST-METH,home_visit,,,,,,0,", "row 2, home_visit_km: '0' is out of range"),
        ("P,S1,Site,50.7,-2,OST-METH,on_site,,,,,,,maybe", "row 2, active: 'maybe' is not true or false"),
        ("P,S1,Site,50.7,-2,OST-METH,on_site,,,,,,,,extra", "row 2: more values than the 14 columns"),
    ],
)
def test_import_catalogue_reports_each_bad_value(tmp_csv, catalogue_world, row, expected):
    _fails(tmp_csv(HEADER + row + "\n"), expected)


def test_import_catalogue_reports_every_problem_at_once(tmp_csv, catalogue_world):
    text = (
        HEADER
        + "P,S1,Site,95,-2,OST-METH,on_site,,,,,,,\n"
        + "P,S2,Site,50,-2,NOPE,on_site,,,,,,,\n"
        + "P,S3,Site,50,-2,OST-METH,on_site,-1,,,,,,\n"
    )
    message = _fails(tmp_csv(text), "3 problems", "row 2, lat", "row 3, option_code", "row 4, capacity_per_week")
    assert message.count("\n  ") == 3


def test_import_catalogue_rejects_duplicate_offers_and_inconsistent_sites(tmp_csv, catalogue_world):
    text = (
        HEADER
        + "P,S1,Site,50.7,-2,OST-METH,on_site,,,,,,,\n"
        + "P,S1,Site,50.7,-2,OST-METH,on_site,,,,,,,\n"
        + "Q,S1,Site,50.7,-2,NSP,on_site,,,,,,,\n"
    )
    _fails(
        tmp_csv(text),
        "row 3, site_code: duplicate offer S1/OST-METH/on_site (first on row 2)",
        "row 4, provider: site S1 has provider 'P' on row 2 but 'Q' here",
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "the file is empty"),
        (HEADER, "no data rows after the header"),
        ("provider,site_code\nP,S\n", "header, site_name: required column is missing"),
        (HEADER.replace("active", "active,colour"), "header, colour: unknown column"),
    ],
)
def test_import_catalogue_rejects_bad_files(tmp_csv, catalogue_world, text, expected):
    _fails(tmp_csv(text), expected)


def test_import_catalogue_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="nope.csv, file: file not found"):
        call_command("import_catalogue", str(tmp_path / "nope.csv"))


def test_export_round_trips_through_an_empty_database(tmp_csv, tmp_path, catalogue_world, django_db_blocker):
    call_command("import_catalogue", str(tmp_csv(HEADER + GOOD_ROWS)))
    first = tmp_path / "first.csv"
    call_command("export_catalogue", output=str(first))
    SiteOffer.objects.all().delete()
    Site.objects.all().delete()
    Provider.objects.all().delete()
    call_command("import_catalogue", str(first))
    second = tmp_path / "second.csv"
    call_command("export_catalogue", output=str(second))
    assert first.read_text() == second.read_text()
    assert first.read_text().count("\n") == 6
    assert "E01000001;E01000002" in first.read_text()
