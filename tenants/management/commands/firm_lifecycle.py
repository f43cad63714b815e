"""portal firm export|import|close|delete: a firm's archive, its closing and its removal."""

from django.core.management.base import BaseCommand, CommandError

from tenants.errors import DomainError
from tenants.export import firm_export, firm_import
from tenants.provisioning import firm_url


class Command(BaseCommand):
    help = "Export a firm to an archive, import one, close a firm or delete a closed one."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="The firm's rows and files in one tar file.")
        export.add_argument("slug")
        export.add_argument("--out", required=True, help="The archive to write (.tar).")
        load = actions.add_parser("import", help="Create a firm from an archive.")
        load.add_argument("archive")
        load.add_argument("--slug", default=None, help="Another sub-domain than the archive's.")
        close = actions.add_parser("close", help="Close the portal; nothing is deleted.")
        close.add_argument("slug")
        delete = actions.add_parser(
            "delete", help="Delete a firm whose invoices are all past their retention."
        )
        delete.add_argument("slug")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as error:
            field = f"--{error.field.replace('_', '-')}: " if error.field else ""
            raise CommandError(f"{field}{error.message}") from None

    def _export(self, *, slug: str, out: str, **options) -> None:
        summary = firm_export(slug=slug, out=out)
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.firm.name}: {summary.tables} tables, {summary.rows} rows, "
                f"{summary.objects} files written to {out}"
            )
        )

    def _import(self, *, archive: str, slug: str | None, **options) -> None:
        summary = firm_import(archive=archive, slug=slug)
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.firm.name}: {summary.tables} tables, {summary.rows} rows, "
                f"{summary.objects} files imported, open at {firm_url(summary.firm)}"
            )
        )

    def _close(self, *, slug: str, **options) -> None:
        from tenants.lifecycle import firm_close

        firm = firm_close(slug=slug)
        self.stdout.write(self.style.SUCCESS(f"{firm.name} is closed; nothing was deleted."))

    def _delete(self, *, slug: str, **options) -> None:
        from tenants.lifecycle import firm_delete

        name = firm_delete(slug=slug)
        self.stdout.write(self.style.SUCCESS(f"{name} is deleted: its schema and its files."))
