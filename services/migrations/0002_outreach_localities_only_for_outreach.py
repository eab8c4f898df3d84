"""A many-to-many rule a CHECK constraint cannot express: only outreach offers list localities."""

from django.db import migrations

SQL = """
CREATE FUNCTION services_outreach_link_check() RETURNS trigger AS $$
BEGIN
    IF (SELECT delivery FROM services_siteoffer WHERE id = NEW.siteoffer_id) <> 'outreach' THEN
        RAISE EXCEPTION 'only outreach offers list localities (offer %)', NEW.siteoffer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER services_outreach_link_check
    AFTER INSERT OR UPDATE ON services_siteoffer_outreach_localities
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION services_outreach_link_check();

CREATE FUNCTION services_outreach_delivery_check() RETURNS trigger AS $$
BEGIN
    IF NEW.delivery <> 'outreach' AND EXISTS (
        SELECT 1 FROM services_siteoffer_outreach_localities WHERE siteoffer_id = NEW.id
    ) THEN
        RAISE EXCEPTION 'offer % lists outreach localities, so its delivery must stay outreach', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER services_outreach_delivery_check
    AFTER UPDATE OF delivery ON services_siteoffer
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION services_outreach_delivery_check();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS services_outreach_delivery_check ON services_siteoffer;
DROP FUNCTION IF EXISTS services_outreach_delivery_check();
DROP TRIGGER IF EXISTS services_outreach_link_check ON services_siteoffer_outreach_localities;
DROP FUNCTION IF EXISTS services_outreach_link_check();
"""


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
