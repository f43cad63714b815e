"""The companies' order, by name, as an index: a page is read off it, not sorted."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_user_external_id"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="company",
            index=models.Index(fields=["legal_name", "id"], name="company_by_name"),
        ),
    ]
