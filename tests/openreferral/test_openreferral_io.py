"""export_openreferral and import_openreferral: the round trip, the mapping, and all-or-nothing errors."""

import datetime as dt
import io
import json
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from openreferral import mapping as m
from services.models import MenuOption, Provider, Site, SiteOffer

pytestmark = pytest.mark.django_db


def export(path) -> dict:
    call_command("export_openreferral", output=str(path), stdout=io.StringIO())
    return json.loads(path.read_text())


def catalogue_facts() -> list:
    """Everything the catalogue holds except database ids and the numeric display order."""
    return [
        [(o.code, o.name, o.category, o.description, o.active) for o in MenuOption.objects.order_by("display_order")],
        [(p.name, p.kind, p.contact) for p in Provider.objects.order_by("name")],
        [
            (
                s.code,
                s.name,
                s.provider.name,
                s.address,
                s.postcode,
                s.active,
                round(s.location.x, 6),
                round(s.location.y, 6),
            )
            for s in Site.objects.order_by("code")
        ],
        [
            (
                o.site.code,
                o.option.code,
                o.delivery,
                o.capacity_per_week,
                o.waiting_weeks,
                o.min_age,
                o.max_age,
                o.home_visit_km,
                o.opening_hours,
                o.active,
                sorted(loc.code for loc in o.outreach_localities.all()),
                o.session_format,
                o.worker_genders,
                o.creche,
                o.languages,
            )
            for o in SiteOffer.objects.order_by("site__code", "option__code", "delivery")
        ],
    ]


def empty_the_catalogue():
    SiteOffer.objects.all().delete()
    Site.objects.all().delete()
    Provider.objects.all().delete()
    MenuOption.objects.all().delete()


CLOCK = dt.datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=dt.UTC)


def test_round_trip_export_import_into_an_empty_catalogue_export_again(catalogue, tmp_path):
    """Byte for byte. The import stamps what it writes with the time, so the clock reads the same
    when the catalogue was last changed and when it is imported again."""
    for model in (MenuOption, Provider, Site, SiteOffer):
        model.objects.update(modified_at=CLOCK)
    before = catalogue_facts()
    first = export(tmp_path / "first.json")
    empty_the_catalogue()
    with mock.patch("django.utils.timezone.now", return_value=CLOCK):
        call_command("import_openreferral", str(tmp_path / "first.json"), stdout=io.StringIO())
    second = export(tmp_path / "second.json")
    assert (tmp_path / "second.json").read_text() == (tmp_path / "first.json").read_text()
    assert second == first
    assert catalogue_facts() == before
    # And importing the same file again changes nothing.
    out = io.StringIO()
    call_command("import_openreferral", str(tmp_path / "second.json"), stdout=out)
    assert "0 objects created, 0 updated" in out.getvalue()


def test_the_mapping_of_one_offer(catalogue, tmp_path):
    document = export(tmp_path / "oruk.json")
    assert len(document["services"]) == 4 and len(document["locations"]) == 3
    key = ("HUB", "OST", "on_site")
    service = next(s for s in document["services"] if s["id"] == m.service_id(key))
    assert service["organization_id"] == m.organization_id("Dorset NHS")
    assert (service["minimum_age"], service["maximum_age"], service["status"]) == (18, 65, "active")
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]] == [
        ("MO,TU,WE,TH,FR", "09:00", "12:30"),
        ("MO,TU,WE,TH,FR", "13:30", "17:00"),
        ("SA", "10:00", "12:00"),
    ]
    assert service["service_at_locations"][0]["location_id"] == m.location_id("HUB")
    assert {a["taxonomy_term_id"] for a in service["attributes"]} == {
        m.option_term_id("OST"),
        m.delivery_term_id("on_site"),
    }
    assert service["choicemap"] == {
        "active": True,
        "capacity_per_week": 40,
        "waiting_weeks": 1.5,
        "home_visit_km": None,
        "session_format": None,
        "worker_genders": [],
        "creche": None,
    }
    assert service["languages"] == []
    outreach = next(s for s in document["services"] if s["id"] == m.service_id(("HUB", "OST", "outreach")))
    assert [a["uri"] for a in outreach["service_areas"]] == ["urn:choicemap:locality:VILL"]
    # Languages where HSDS has a place for them, in the order kept; the other matching facts in the extension.
    assert [(lang["code"], lang["name"]) for lang in outreach["languages"]] == [("pl", "Polish"), ("en", "English")]
    assert {k: outreach["choicemap"][k] for k in ("session_format", "worker_genders", "creche")} == {
        "session_format": "group",
        "worker_genders": ["female", "male"],
        "creche": True,
    }
    remote = next(s for s in document["services"] if s["id"] == m.service_id(("SHUT/1", "NSP", "remote")))
    assert remote["status"] == "inactive" and remote["choicemap"]["active"] is True  # the site is closed
    hub = next(loc for loc in document["locations"] if loc["external_identifier"] == "HUB")
    assert (hub["latitude"], hub["longitude"], hub["location_type"]) == (50.654321, -2.123456, "physical")
    assert hub["addresses"][0]["postal_code"] == "DT1 1AA"
    terms = {t["id"]: t for t in document["taxonomy_terms"]}
    ost = terms[m.option_term_id("OST")]
    assert ost["term_uri"] == "urn:choicemap:menu-option:OST"
    assert terms[ost["parent_id"]]["term_uri"] == "urn:choicemap:menu-category:pharmacological"
    option_order = [t["name"] for t in document["taxonomy_terms"] if t["term_uri"].startswith(m.OPTION_URI)]
    assert option_order == ["Opioid substitution", "Needle and syringe programme", "Retired option"]


def broken_document(document: dict) -> tuple[dict, int]:
    services = document["services"]
    index = next(i for i, s in enumerate(services) if s["id"] == m.service_id(("HUB", "OST", "on_site")))
    services[index]["minimum_age"] = -1
    services[index]["schedules"][0]["byday"] = "MONDAY"
    services[index - 1]["attributes"] = []
    services[index + 1]["service_areas"] = [{"id": "x", "uri": "urn:choicemap:locality:NOWHERE"}]
    document["locations"][0]["latitude"] = 123
    document["organizations"].append(dict(document["organizations"][0], id="another-id"))
    return document, index


def test_a_bad_file_lists_every_problem_by_item_and_writes_nothing(catalogue, tmp_path):
    document, index = broken_document(export(tmp_path / "good.json"))
    (tmp_path / "bad.json").write_text(json.dumps(document))
    empty_the_catalogue()
    with pytest.raises(CommandError) as failure:
        call_command("import_openreferral", str(tmp_path / "bad.json"))
    message = str(failure.value)
    assert "nothing was written" in message
    first_service = f"services[{index}] (id {document['services'][index]['id']})"
    assert f"bad.json, {first_service}, minimum_age: -1 is out of range" in message
    assert f"{first_service}, schedules[0].byday: 'MONDAY' is not a comma-separated list" in message
    assert f"services[{index - 1}]" in message and "has no taxonomy term that gives a menu option" in message
    assert "unknown locality code 'NOWHERE'" in message
    assert "locations[0]" in message and "latitude: 123 is out of range" in message
    assert "organizations[" in message and "duplicate organization name" in message
    assert not (MenuOption.objects.exists() or Provider.objects.exists() or Site.objects.exists())


def test_bad_matching_facts_are_named_and_nothing_is_written(catalogue, tmp_path):
    document = export(tmp_path / "good.json")
    index = next(i for i, s in enumerate(document["services"]) if s["id"] == m.service_id(("HUB", "OST", "outreach")))
    service = document["services"][index]
    service["languages"] = [{"id": "l1", "code": "zz"}, {"id": "l2", "name": "Elvish"}, {"id": "l3"}]
    service["choicemap"].update(session_format="pairs", worker_genders=["other"], creche="yes")
    (tmp_path / "bad.json").write_text(json.dumps(document))
    empty_the_catalogue()
    with pytest.raises(CommandError) as failure:
        call_command("import_openreferral", str(tmp_path / "bad.json"))
    message = str(failure.value)
    where = f"services[{index}] (id {service['id']})"
    for fragment in (
        f"{where}, languages[1].code: is needed: the name 'Elvish' is not a language choicemap knows",
        f"{where}, choicemap.session_format: 'pairs' is not one of",
        f"{where}, choicemap.creche: 'yes' is not true, false or null",
        f"{where}, worker_genders: 'other' is not one of",
        f"{where}, languages: unknown language code 'zz'",
    ):
        assert fragment in message, message
    assert "languages[2]" not in message  # an empty language object carries nothing to keep
    assert "nothing was written" in message and not SiteOffer.objects.exists()


@pytest.mark.parametrize(
    "text, reason",
    [
        ("{not json", "not JSON"),
        ("[]", "not an Open Referral document"),
        (
            '{"services": [{"id": "s1", "name": "Foreign service", "attributes": []}]}',
            "has no taxonomy term that gives a menu option",
        ),
    ],
)
def test_unreadable_or_foreign_documents_are_refused(db, tmp_path, text, reason):
    (tmp_path / "in.json").write_text(text)
    with pytest.raises(CommandError, match=reason):
        call_command("import_openreferral", str(tmp_path / "in.json"))


def test_dry_run_checks_everything_and_writes_nothing(catalogue, tmp_path):
    export(tmp_path / "oruk.json")
    empty_the_catalogue()
    out = io.StringIO()
    call_command("import_openreferral", str(tmp_path / "oruk.json"), "--dry-run", stdout=out)
    assert "Dry run, nothing written" in out.getvalue()
    assert not SiteOffer.objects.exists()


@pytest.mark.parametrize(
    "hours, rules, canonical",
    [
        ("Mo-Fr 09:00-17:00", [("MO,TU,WE,TH,FR", "09:00", "17:00")], "Mo-Fr 09:00-17:00"),
        ("We,Mo 09:00-12:00", [("MO,WE", "09:00", "12:00")], "Mo,We 09:00-12:00"),
        ("Sa-Mo 10:00-14:00", [("MO,SA,SU", "10:00", "14:00")], "Mo,Sa-Su 10:00-14:00"),
        (
            "Mo 09:00-12:00;Tu 13:00-24:00",
            [("MO", "09:00", "12:00"), ("TU", "13:00", "24:00")],
            "Mo 09:00-12:00; Tu 13:00-24:00",
        ),
    ],
)
def test_opening_hours_become_weekly_schedules_and_back(hours, rules, canonical):
    converted = m.opening_hours_to_rules(hours)
    assert [(r["byday"], r["opens_at"], r["closes_at"]) for r in converted] == rules
    assert m.rules_to_opening_hours(rules) == canonical
    assert m.opening_hours_to_rules(canonical) == converted
