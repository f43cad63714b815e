"""Scopes, expiry and last-used address for API keys; the firm's API rate limit.

Keys made before scopes existed keep what they could do: read-write on every group
(companies, people, entitlements, invoicing, webhooks), and no expiry is added to them (an
expiry date already set through the API is kept: lifting it would extend a key's life).
"""

import django.contrib.postgres.fields
import django.core.validators
from django.db import migrations, models

EVERY_GROUP_READ_WRITE = [
    "companies:write",
    "people:write",
    "entitlements:write",
    "invoicing:write",
    "webhooks:write",
]


def existing_keys_keep_full_access(apps, schema_editor):
    apps.get_model("api", "FirmAPIKey").objects.update(scopes=EVERY_GROUP_READ_WRITE)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="APISettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "rate_limit_per_minute",
                    models.PositiveIntegerField(
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(100000),
                        ]
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "API settings",
                "verbose_name_plural": "API settings",
            },
        ),
        migrations.AddField(
            model_name="firmapikey",
            name="last_used_ip",
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="firmapikey",
            name="scopes",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=40), blank=True, default=list, size=None
            ),
        ),
        migrations.RunPython(existing_keys_keep_full_access, migrations.RunPython.noop),
    ]
