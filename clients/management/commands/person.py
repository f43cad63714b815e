"""portal person export <slug> <email> [--out file.json]: one person's data (GDPR access)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from clients.gdpr import person_by_email, person_data_json
from tenants.errors import NotFound
from tenants.models import Firm


class Command(BaseCommand):
    help = "Export everything a firm's portal holds about one person, as JSON."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="One person's data, as JSON.")
        export.add_argument("slug", help="The firm's sub-domain.")
        export.add_argument("email")
        export.add_argument("--out", default=None, help="A file to write instead of stdout.")

    def handle(self, *args, action: str, slug: str, email: str, out: str | None, **options):
        try:
            firm = Firm.objects.exclude(schema_name="public").get(slug=slug)
        except Firm.DoesNotExist:
            raise CommandError(f"No firm has the address {slug!r}.") from None
        with tenant_context(firm):
            try:
                user = person_by_email(email)
            except NotFound:
                raise CommandError(
                    f"Nobody has the e-mail address {email!r} in {firm.name}."
                ) from None
            data = person_data_json(user)
        if out:
            Path(out).write_text(data + "\n", encoding="utf-8")
            self.stderr.write(f"Written to {out}")
        else:
            self.stdout.write(data)
