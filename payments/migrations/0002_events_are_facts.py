"""A recorded payment is a fact: the database refuses any UPDATE or DELETE of it (but the
clearing of a deleted author); a mistake is corrected by a reversal."""

from django.db import migrations

FORWARD = """
CREATE TRIGGER payments_paymentevent_final
    BEFORE UPDATE OR DELETE ON payments_paymentevent
    FOR EACH ROW EXECUTE FUNCTION public.comptoir_refuse_change('recorded_by_id');
"""

BACKWARD = "DROP TRIGGER IF EXISTS payments_paymentevent_final ON payments_paymentevent;"


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
