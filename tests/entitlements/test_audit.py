"""The audit trail is append-only, in the ORM and in the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from entitlements.models import AuditEvent, AuditEventChangeRefused
from entitlements.services import grant_access

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(world) -> AuditEvent:
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    return AuditEvent.objects.get()


def _unchanged(event: AuditEvent) -> None:
    row = AuditEvent.objects.get(pk=event.pk)
    assert (row.actor_label, row.action, row.details) == (
        event.actor_label,
        event.action,
        event.details,
    )


def test_model_save_of_an_existing_event_is_refused(event):
    event.actor_label = "someone else"
    with pytest.raises(AuditEventChangeRefused):
        event.save()
    event.refresh_from_db()
    _unchanged(event)


def test_model_delete_is_refused(event):
    with pytest.raises(AuditEventChangeRefused):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_and_delete_are_refused_by_the_database(event):
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="forged")
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    _unchanged(event)


def test_raw_sql_update_and_delete_are_refused(event):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE entitlements_auditevent SET ip = '1.2.3.4'")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE entitlements_auditevent SET subscription_id = NULL, details = '{}'")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM entitlements_auditevent")
    _unchanged(event)


def test_only_clearing_a_deleted_reference_is_allowed(event):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE entitlements_auditevent SET subscription_id = NULL WHERE id = %s", [event.pk]
        )
    row = AuditEvent.objects.get(pk=event.pk)
    assert row.subscription_id is None
    assert row.details == event.details


def test_the_trigger_function_lives_in_public_and_guards_every_firm(alpha, beta, django_db_blocker):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nspname FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_proc p ON p.oid = t.tgfoid
            JOIN pg_namespace pn ON pn.oid = p.pronamespace
            WHERE t.tgname = 'entitlements_auditevent_append_only'
              AND pn.nspname = 'public' AND p.proname = 'comptoir_refuse_change'
            """
        )
        schemas = {row[0] for row in cursor.fetchall()}
    assert {alpha.firm.schema_name, beta.firm.schema_name} <= schemas
