"""portal firm create --name "Cabinet Dupont" --slug dupont --siren 732829320 --admin-email ..."""

from django.core.management.base import BaseCommand, CommandError

from firms.services import firm_open
from tenants.errors import DomainError
from tenants.models import Firm
from tenants.provisioning import firm_url


class Command(BaseCommand):
    help = "Open a firm (create) or list the firms (list)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Provision a firm and its first administrator.")
        create.add_argument("--name", required=True)
        create.add_argument("--slug", required=True, help="Sub-domain of the firm's portal.")
        create.add_argument("--siren", required=True)
        create.add_argument("--admin-email", required=True)
        create.add_argument("--admin-first-name", default="")
        create.add_argument("--admin-last-name", default="")
        actions.add_parser("list", help="The firms and their addresses.")

    def handle(self, *args, action: str, **options):
        if action == "list":
            for firm in Firm.objects.exclude(schema_name="public").order_by("slug"):
                self.stdout.write(f"{firm.slug:<24} {firm.schema_name:<28} {firm_url(firm)}")
            return
        try:
            opened = firm_open(
                name=options["name"],
                slug=options["slug"],
                siren=options["siren"],
                admin_email=options["admin_email"],
                admin_first_name=options["admin_first_name"],
                admin_last_name=options["admin_last_name"],
            )
        except DomainError as error:
            field = f"--{error.field.replace('_', '-')}: " if error.field else ""
            raise CommandError(f"{field}{error.message}") from None
        self.stdout.write(
            self.style.SUCCESS(f"Firm {opened.firm.name} is open at {opened.portal_url}")
        )
        self.stdout.write(f"Administrator: {opened.admin.email}")
        self.stdout.write(f"One-time link to set the password:\n  {opened.password_link}")
