import django.contrib.gis.db.models.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("areas", "0002_locality_geometry_coarse")]

    operations = [
        migrations.CreateModel(
            name="Postcode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("compact", models.CharField(max_length=8, unique=True)),
                ("postcode", models.CharField(help_text="As ONS writes it (pcds), e.g. 'DT1 1AA'.", max_length=8)),
                ("location", django.contrib.gis.db.models.fields.PointField(srid=4326)),
                (
                    "lsoa_code",
                    models.CharField(
                        blank=True, help_text="lsoa21, else lsoa11", max_length=9, verbose_name="LSOA code"
                    ),
                ),
                (
                    "terminated",
                    models.BooleanField(default=False, help_text="No longer in use (ONSPD doterm is set)."),
                ),
            ],
            options={"ordering": ["compact"]},
        ),
    ]
