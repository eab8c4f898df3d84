"""A deferred check runs at commit: a link removed later in the same transaction no longer matters."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION services_outreach_link_check() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM services_siteoffer_outreach_localities WHERE id = NEW.id) THEN
        RETURN NEW;
    END IF;
    IF (SELECT delivery FROM services_siteoffer WHERE id = NEW.siteoffer_id) <> 'outreach' THEN
        RAISE EXCEPTION 'only outreach offers list localities (offer %)', NEW.siteoffer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
"""

REVERSE_SQL = """
CREATE OR REPLACE FUNCTION services_outreach_link_check() RETURNS trigger AS $$
BEGIN
    IF (SELECT delivery FROM services_siteoffer WHERE id = NEW.siteoffer_id) <> 'outreach' THEN
        RAISE EXCEPTION 'only outreach offers list localities (offer %)', NEW.siteoffer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("services", "0002_outreach_localities_only_for_outreach")]
    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
