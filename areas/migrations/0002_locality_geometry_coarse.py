import django.contrib.gis.db.models.fields
from django.db import migrations


def fill_drawing_bands(apps, schema_editor):
    # The service only reads id/geometry and writes the two drawing columns, which all exist here.
    from areas.services import refresh_drawing_geometries  # noqa: PLC0415  (app code only when this step runs)

    refresh_drawing_geometries()


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="locality",
            name="geometry_coarse",
            field=django.contrib.gis.db.models.fields.MultiPolygonField(blank=True, null=True, srid=4326),
        ),
        migrations.RunPython(fill_drawing_bands, migrations.RunPython.noop),
    ]
