"""Celery workers in their own processes, on the test database and the test broker: for the
tests and benchmarks that kill a worker or spread work over several."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection, connections


def database_url_of_tests() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{settings.DATABASES['default']['NAME']}"))


def worker_start(
    *, name: str, log: Path, concurrency: int = 1, threads: bool = False
) -> subprocess.Popen:
    """One worker process: solo, or `concurrency` threads in it, or prefork children."""
    env = os.environ | {
        "DATABASE_URL": database_url_of_tests(),
        "DJANGO_SETTINGS_MODULE": "saas.settings",
        "EMAIL_URL": "dummymail://",
    }
    if concurrency == 1:
        pool = ["--pool=solo"]
    else:
        pool = [f"--pool={'threads' if threads else 'prefork'}", f"-c{concurrency}"]
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "saas",
            "worker",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            *pool,
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM when the test process dies, even killed, rather than
    living on and taking the next run's tasks."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the worker and every process it started: no cleanup, no ack."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill(process)


def wait_until(condition: Callable[[], bool], *, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def firm_drop(slug: str) -> None:
    """The firm, its schema and its S3 objects, gone."""
    from tenants.export import prefix_remove
    from tenants.models import Firm

    connection.set_schema_to_public()
    for firm in Firm.objects.filter(slug=slug):
        prefix_remove(f"firms/{firm.schema_name}/")
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(firm.schema_name)} CASCADE"
            )
        firm.delete()


@contextlib.contextmanager
def committed_firm(*, slug: str, name: str, siren: str) -> Iterator:
    """A firm of its own, committed, so that workers in other processes or threads see it (the
    test's module keeps the database out of a transaction); dropped afterwards."""
    from firms.services import firm_open

    firm_drop(slug)
    firm = firm_open(name=name, slug=slug, siren=siren, admin_email=f"admin@{slug}.example").firm
    try:
        yield firm
    finally:
        connections.close_all()
        firm_drop(slug)
