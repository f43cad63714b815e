"""`portal`: Comptoir's command line.

    portal run                      the whole stack: web, worker, beat
    portal migrate                  every schema, in parallel, skipping those up to date
    portal firm create --name ... --slug ... --siren ... --admin-email ...
    portal firm export <slug> --out <file.tar>     the firm's rows and files in one archive
    portal firm import <file.tar> [--slug <slug>]  create a firm from an archive
    portal firm close <slug>        the portal answers "closed"; nothing is deleted
    portal firm delete <slug>       schema, files and firm, once no invoice is retained
    portal person export <slug> <email>            one person's data (JSON, GDPR access)
    portal demo                     load the demo firm (idempotent)
    portal <django command> ...     any other manage.py command

With no DATABASE_URL the machine is taken for a developer's: debug pages, plain HTTP, port 8000.
"""

from __future__ import annotations

import os
import sys

ALIASES = {"migrate": "migrate_firms"}
# `portal firm <action>` actions served by the firm lifecycle command.
FIRM_LIFECYCLE = ("export", "import", "close", "delete")


def _prepare() -> object:
    from saas import embedded

    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("DJANGO_DEBUG", "1")
        os.environ.setdefault("HTTPS", "0")
        os.environ.setdefault("PORTAL_PORT", "8000")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings")
    return embedded.configure_environment()


def manage(argv: list[str]) -> None:
    started = _prepare()
    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    finally:
        started.stop()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else "help"
    if command in ("help", "-h", "--help"):
        print(__doc__)
        return
    if command == "run":
        started = _prepare()
        import django

        django.setup()
        from saas import devstack

        devstack.run(started)  # type: ignore[arg-type]
        return
    if command == "demo":
        started = _prepare()
        try:
            import django

            django.setup()
            from saas import demo

            firm = demo.load()
            print(f"Demo firm {firm.name} is ready at http://demo.localhost:8000/")
        finally:
            started.stop()  # type: ignore[attr-defined]
        return
    if command in ALIASES:
        argv[1] = ALIASES[command]
    if command == "firm" and len(argv) > 2 and argv[2] in FIRM_LIFECYCLE:
        argv[1] = "firm_lifecycle"
    manage(argv)


if __name__ == "__main__":
    main()
