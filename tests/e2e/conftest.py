"""Browser tests: Debian's chromium, driven by Playwright, against a real server process.

The server is `runserver` on the test database, so the pages see the rows the tests commit;
every test here makes its own firm (`e2e_firm`) and leaves the session firms alone.
Screenshots go to .data/screenshots/, to be looked at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

# Playwright's sync API keeps an event loop running in this thread; the ORM calls the
# fixtures make around it are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(settings.BASE_DIR) / ".data" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker):
    """Browser tests commit what they make: the server process must see it."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def server(django_db_setup):
    port = _free_port()
    database = settings.DATABASES["default"]
    env = os.environ | {
        "DATABASE_URL": _url(database),
        "PORTAL_PORT": str(port),
        "DJANGO_DEBUG": "1",
        "HTTPS": "0",
    }
    log = open(Path(settings.BASE_DIR) / ".data" / "e2e-server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)
    log.close()


def _url(database: dict) -> str:
    """DATABASE_URL as the tests have it, pointed at the test database."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{database['NAME']}"))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 800})
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def e2e_firm(django_db_blocker, request):
    """A firm of its own for one browser test, committed, and dropped afterwards."""
    from firms.services import firm_open
    from tenants.models import Firm

    slug = "e2e-" + request.node.name.replace("_", "-")[5:30].strip("-")
    with django_db_blocker.unblock():
        opened = firm_open(
            name="Cabinet Navigateur",
            slug=slug,
            siren="732829320",
            admin_email=f"admin@{slug}.example",
            admin_password="Correct-Horse-Battery-9",
        )
        connection.set_schema_to_public()
    yield opened
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{opened.firm.schema_name}" CASCADE')
        Firm.objects.filter(pk=opened.firm.pk).delete()
