from django.db import migrations


def create_default_profile(apps, schema_editor):
    ReachProfile = apps.get_model("reach", "ReachProfile")
    if not ReachProfile.objects.filter(is_default=True).exists():
        ReachProfile.objects.create(name="Default", is_default=True, description="The design card's defaults.")


class Migration(migrations.Migration):
    dependencies = [("reach", "0001_initial")]
    operations = [migrations.RunPython(create_default_profile, migrations.RunPython.noop)]
