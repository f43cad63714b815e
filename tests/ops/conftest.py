"""Helpers for the operations tests: the log lines the real handler writes, a real worker,
and new Python processes (other settings, several processes)."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from saas.celery import app as celery_app


@contextmanager
def log_lines():
    """What the root console handler (Django's LOGGING) writes meanwhile, parsed as JSON."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        handler.setStream(previous)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        celery_app.control.purge()
        with start_worker(
            celery_app,
            pool="threads",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=60,
        ) as running:
            yield running
        connection.set_schema_to_public()


def run_python(code: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`code` run by a new Python process, with this run's services and `env` on top;
    `DJANGO = "import django; django.setup()\n"` in front of it to have Django set up."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={key: value for key, value in os.environ.items() if key != "SENTRY_DSN"} | env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


DJANGO = "import django; django.setup()\n"
