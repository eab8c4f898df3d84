import json

import pytest
from django.core.management import CommandError, call_command

from areas.models import Locality
from areas.services import import_localities

pytestmark = pytest.mark.django_db

SQUARE = [[[-2.0, 50.7], [-1.99, 50.7], [-1.99, 50.71], [-2.0, 50.71], [-2.0, 50.7]]]


def feature(code="E01000001", name="Poole 01", population=1500, geometry=None, **props):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "population": population, **props},
        "geometry": geometry or {"type": "Polygon", "coordinates": SQUARE},
    }


def write(tmp_path, *features, name="areas.geojson", **extra):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features), **extra}))
    return path


def _fails(path, *expected, **options):
    with pytest.raises(CommandError) as error:
        call_command("import_localities", str(path), **options)
    for fragment in expected:
        assert fragment in str(error.value), str(error.value)
    assert Locality.objects.count() == 0


def test_imports_polygon_with_all_properties(tmp_path):
    path = write(
        tmp_path,
        feature(
            rurality="C1",
            imd_decile=3,
            car_share=0.62,
            origin_lat=50.705,
            origin_lon=-1.995,
            la_code="E06000058",
            la_name="BCP",
        ),
    )
    call_command("import_localities", str(path))
    locality = Locality.objects.get()
    assert locality.geometry.geom_type == "MultiPolygon"
    assert (locality.rurality, locality.imd_decile, locality.car_share) == ("C1", 3, 0.62)
    assert locality.origin.coords == (-1.995, 50.705) and locality.origin_is_weighted
    assert locality.geometry_simplified is not None
    assert (locality.la_code, locality.la_name) == ("E06000058", "BCP")


def test_origin_defaults_to_a_point_on_the_surface(tmp_path):
    call_command("import_localities", str(write(tmp_path, feature())))
    locality = Locality.objects.get()
    assert locality.geometry.contains(locality.origin)
    assert not locality.origin_is_weighted


def test_reimport_updates_by_code(tmp_path):
    call_command("import_localities", str(write(tmp_path, feature(population=100))))
    call_command("import_localities", str(write(tmp_path, feature(population=250), feature(code="E01000002"))))
    assert Locality.objects.count() == 2
    assert Locality.objects.get(code="E01000001").population == 250


def test_ons_field_names_are_mapped(tmp_path):
    ons = {
        "type": "Feature",
        "properties": {"LSOA21CD": "E01020000", "LSOA21NM": "Dorset 001A", "pop": 1620},
        "geometry": {"type": "Polygon", "coordinates": SQUARE},
    }
    call_command(
        "import_localities",
        str(write(tmp_path, ons)),
        code_field="LSOA21CD",
        name_field="LSOA21NM",
        population_field="pop",
    )
    assert Locality.objects.get().name == "Dorset 001A"


BNG_SQUARE = [[[400000, 90000], [401000, 90000], [401000, 91000], [400000, 91000], [400000, 90000]]]


def test_british_national_grid_is_transformed_with_srid_option(tmp_path):
    path = write(tmp_path, feature(geometry={"type": "Polygon", "coordinates": BNG_SQUARE}))
    call_command("import_localities", str(path), srid=27700)
    centroid = Locality.objects.get().geometry.centroid
    # Easting 400,500 / northing 90,500 lies near Wareham, Dorset.
    assert centroid.x == pytest.approx(-2.0, abs=0.02) and centroid.y == pytest.approx(50.7, abs=0.02)


def test_declared_crs_is_transformed(tmp_path):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    path = write(tmp_path, feature(geometry={"type": "Polygon", "coordinates": BNG_SQUARE}), crs=crs)
    call_command("import_localities", str(path))
    assert Locality.objects.get().geometry.centroid.y == pytest.approx(50.7, abs=0.02)


def test_invalid_geometry_is_repaired_and_reported(tmp_path, capsys):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[-2.0, 50.7], [-1.99, 50.71], [-1.99, 50.7], [-2.0, 50.71], [-2.0, 50.7]]],
    }
    call_command("import_localities", str(write(tmp_path, feature(geometry=bowtie))))
    assert "feature 1 (E01000001): invalid geometry repaired (Self-intersection" in capsys.readouterr().out
    locality = Locality.objects.get()
    assert locality.geometry.valid and locality.geometry.area > 0


@pytest.mark.parametrize(
    "props, expected",
    [
        ({"population": "many"}, "feature 1, population: 'many' is not a number"),
        ({"population": -1}, "feature 1, population: -1 is out of range"),
        ({"population": None}, "feature 1, population: is required"),
        ({"code": ""}, "feature 1, code: is required"),
        ({"imd_decile": 11}, "feature 1, imd_decile: 11 is out of range"),
        ({"car_share": 1.5}, "feature 1, car_share: 1.5 is out of range"),
        ({"rurality": "X1"}, "feature 1, rurality: 'X1' is not an ONS 2011 class"),
        ({"origin_lat": 50.7}, "origin_lat and origin_lon must be given together"),
        ({"origin_lat": 95, "origin_lon": -2}, "feature 1, origin_lat: 95 is out of range"),
    ],
)
def test_bad_properties_are_reported_and_nothing_written(tmp_path, props, expected):
    _fails(write(tmp_path, feature(**props)), expected)


def test_point_geometry_is_refused(tmp_path):
    _fails(
        write(tmp_path, feature(geometry={"type": "Point", "coordinates": [-2, 50.7]})),
        "feature 1, geometry: Point is not a Polygon or MultiPolygon",
    )


def test_duplicate_codes_are_refused(tmp_path):
    _fails(
        write(tmp_path, feature(), feature(), feature(code="E01000002", population="x")),
        "feature 2, code: duplicate code 'E01000001' (first in feature 1)",
        "feature 3, population: 'x' is not a number",
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "the file is empty"),
        ("{not json", "not GeoJSON: invalid JSON at line 1"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": []}', "the FeatureCollection has no features"),
    ],
)
def test_empty_and_non_geojson_files_are_refused(tmp_path, text, expected):
    path = tmp_path / "bad.geojson"
    path.write_text(text)
    _fails(path, f"bad.geojson, file: {expected}")


def test_dry_run_writes_nothing(tmp_path):
    call_command("import_localities", str(write(tmp_path, feature())), dry_run=True)
    assert Locality.objects.count() == 0


def test_neighbours_keep_a_shared_border_after_simplification(tmp_path):
    # Two squares sharing a wiggly border: simplified shapes must still touch without gaps or overlaps.
    wiggle = [[-1.99, 50.7 + i * 0.0005 + (0.00005 if i % 2 else 0)] for i in range(21)]
    left = (
        [[-2.0, 50.7]]
        + [[x + (0.0001 if i % 2 else 0), y] for i, (x, y) in enumerate(wiggle)]
        + [[-2.0, 50.71], [-2.0, 50.7]]
    )
    right_border = list(reversed(left[1:-2]))
    right = [[-1.98, 50.71]] + right_border + [[-1.98, 50.7], [-1.98, 50.71]]
    path = write(
        tmp_path,
        feature(code="A", geometry={"type": "Polygon", "coordinates": [left]}),
        feature(code="B", geometry={"type": "Polygon", "coordinates": [right]}),
    )
    call_command("import_localities", str(path))
    a, b = (Locality.objects.get(code=c).geometry_simplified for c in "AB")
    assert a.intersection(b).area < 1e-12
    assert a.touches(b) or a.intersects(b)
    assert a.num_coords + b.num_coords < 2 * len(left)
    coarse_a, coarse_b = (Locality.objects.get(code=c).geometry_coarse for c in "AB")
    assert coarse_a.intersection(coarse_b).area < 1e-12
    assert coarse_a.num_coords <= a.num_coords and coarse_b.num_coords <= b.num_coords


def test_reimporting_the_same_file_changes_nothing_and_queues_no_recompute(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    path = write(tmp_path, feature(), feature(code="E01000002", population=99))
    import_localities(path=path)
    settings.REACH_AUTO_RECOMPUTE = True
    with django_capture_on_commit_callbacks() as callbacks:
        report = import_localities(path=path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert callbacks == []
    path = write(tmp_path, feature(), feature(code="E01000002", population=100))
    with django_capture_on_commit_callbacks() as callbacks:
        report = import_localities(path=path)
    assert (report.updated, report.unchanged) == (1, 1)
    assert len(callbacks) == 1  # one coalesced recompute, after the commit
