"""The invoice lists' order, latest first, as an index: a page is read off it, not sorted."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0002_issued_is_final"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["-issue_date", "-id"], name="invoice_latest_first"),
        ),
    ]
