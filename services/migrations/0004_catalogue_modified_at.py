"""Last-modified timestamps on catalogue records, for Open Referral's modified_after and last_modified."""

import django.utils.timezone
from django.db import migrations, models


def _field(model_name: str) -> migrations.AddField:
    # Existing rows count as modified when the column arrives.
    return migrations.AddField(
        model_name=model_name,
        name="modified_at",
        field=models.DateTimeField(auto_now=True, db_index=True, default=django.utils.timezone.now),
        preserve_default=False,
    )


class Migration(migrations.Migration):
    dependencies = [("services", "0003_outreach_link_check_skips_removed_links")]

    operations = [_field("menuoption"), _field("provider"), _field("site"), _field("siteoffer")]
