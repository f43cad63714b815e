"""The shapes of the bulk endpoints, for the OpenAPI schema. The records themselves are checked
by `clients.bulk`, one message per field, so a bad record never fails its neighbours."""

from __future__ import annotations

from rest_framework import serializers

from clients.bulk import MAX_RECORDS, STATUSES


def _text(help_text: str = "", **kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text, **kwargs)


class CompanyRecordSerializer(serializers.Serializer):
    external_id = _text("Your key for this company. Without it, the SIREN is the key.")
    legal_name = _text("Required for a new company.")
    siren = _text("Required for a new company; 9 digits with a valid check digit.")
    siret = _text()
    vat_number = _text()
    legal_form = _text()
    share_capital = _text("A decimal number, such as 10000.00.")
    address_line = _text()
    postal_code = _text()
    city = _text()
    country = _text("Two letters, such as FR.")
    billing_email = _text()
    phone = _text()
    status = _text("trial, active, cancelled or archived.")
    billing = _text("direct or elsewhere.")
    payment_terms_days = _text("0 to 60; empty for the firm's terms.")


class PersonRecordSerializer(serializers.Serializer):
    external_id = _text("Your key for this person. Without it, the e-mail address is the key.")
    email = _text("Required for a new person.")
    first_name = _text()
    last_name = _text()
    phone = _text()
    language = _text("fr or en.")


class MembershipRecordSerializer(serializers.Serializer):
    user_external_id = _text("The person: their external_id, or else `user_email`.")
    user_email = _text()
    company_external_id = _text("The company: its external_id, or else `company_siren`.")
    company_siren = _text()
    role = serializers.CharField(help_text="`admin` (client administrator) or `collaborator`.")


def request_serializer(record: type[serializers.Serializer], name: str):
    return type(
        name,
        (serializers.Serializer,),
        {
            "records": record(many=True, help_text=f"At most {MAX_RECORDS} records per call."),
            "__doc__": "Records to create or update, each one on its own.",
        },
    )


CompanyBulkSerializer = request_serializer(CompanyRecordSerializer, "CompanyBulkSerializer")
PersonBulkSerializer = request_serializer(PersonRecordSerializer, "PersonBulkSerializer")
MembershipBulkSerializer = request_serializer(
    MembershipRecordSerializer, "MembershipBulkSerializer"
)


class BulkOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The record's position in `records`.")
    external_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=STATUSES)
    id = serializers.IntegerField(allow_null=True, help_text="Our id of the row, if any.")
    errors = serializers.DictField(
        child=serializers.CharField(), help_text="Field name to message, for `error` records."
    )


class BulkSummarySerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class BulkResultSerializer(serializers.Serializer):
    summary = BulkSummarySerializer()
    results = BulkOutcomeSerializer(many=True)
