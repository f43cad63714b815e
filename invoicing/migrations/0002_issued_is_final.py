"""Issued is final: the database refuses any UPDATE or DELETE of an invoice or its lines, by
whatever route (ORM, admin, API, raw SQL), and any change to a document once it is ready but
the time its notification went out. The functions live in `public`, so every firm schema
(cloned from the template with its triggers) uses the same ones."""

from django.db import migrations

FORWARD = """
CREATE TRIGGER invoicing_invoice_final
    BEFORE UPDATE OR DELETE ON invoicing_invoice
    FOR EACH ROW EXECUTE FUNCTION public.comptoir_refuse_change('created_by_id', 'billing_run_id');
CREATE TRIGGER invoicing_invoiceline_final
    BEFORE UPDATE OR DELETE ON invoicing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION public.comptoir_refuse_change('subscription_id');

CREATE OR REPLACE FUNCTION public.comptoir_document_sealed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status <> 'ready' THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(OLD) - 'notified_at') = (to_jsonb(NEW) - 'notified_at') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of % refused: the document is sealed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER invoicing_invoicedocument_sealed
    BEFORE UPDATE OR DELETE ON invoicing_invoicedocument
    FOR EACH ROW EXECUTE FUNCTION public.comptoir_document_sealed();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS invoicing_invoice_final ON invoicing_invoice;
DROP TRIGGER IF EXISTS invoicing_invoiceline_final ON invoicing_invoiceline;
DROP TRIGGER IF EXISTS invoicing_invoicedocument_sealed ON invoicing_invoicedocument;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0001_initial"),
        ("entitlements", "0002_rights_and_audit_trigger"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
