"""Company-level rights on the Company content type, and the trigger that keeps the audit
trail append-only. The trigger function lives in `public` so that every firm schema (cloned
from the template with its triggers) uses the same one."""

from django.db import migrations

COMPANY_RIGHTS = {
    "manage_accesses": "Can manage the accesses of the company",
    "view_invoices": "Can view the invoices of the company",
    "download_invoices": "Can download the invoices of the company",
}

# Refuses UPDATE and DELETE; the trigger's arguments name the nullable columns an UPDATE may
# clear (ON DELETE SET NULL of the rows they point to) when nothing else changes.
FORWARD = """
CREATE OR REPLACE FUNCTION public.comptoir_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    col text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        old_row := to_jsonb(OLD);
        new_row := to_jsonb(NEW);
        FOREACH col IN ARRAY TG_ARGV LOOP
            IF new_row -> col = 'null'::jsonb THEN
                old_row := old_row - col;
                new_row := new_row - col;
            END IF;
        END LOOP;
        IF old_row = new_row THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% of % refused: append-only table', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER entitlements_auditevent_append_only
    BEFORE UPDATE OR DELETE ON entitlements_auditevent
    FOR EACH ROW EXECUTE FUNCTION
    public.comptoir_refuse_change('actor_id', 'subscription_id', 'target_user_id');
"""
BACKWARD = "DROP TRIGGER IF EXISTS entitlements_auditevent_append_only ON entitlements_auditevent;"


def rights_create(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _created = ContentType.objects.get_or_create(
        app_label="clients", model="company"
    )
    for codename, name in COMPANY_RIGHTS.items():
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    # Also made by post_migrate; created here so that it exists before any data migration.
    subscription_type, _created = ContentType.objects.get_or_create(
        app_label="entitlements", model="subscription"
    )
    Permission.objects.get_or_create(
        content_type=subscription_type,
        codename="use_subscription",
        defaults={"name": "Can use the application"},
    )


def rights_delete(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="clients",
        content_type__model="company",
        codename__in=list(COMPANY_RIGHTS),
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("entitlements", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(rights_create, rights_delete),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
