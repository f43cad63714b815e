"""`portal run`: migrate, load the demo, then web server, Celery worker and beat until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command

from saas import embedded

CHILDREN = {
    "web": [sys.executable, "-m", "django", "runserver", "0.0.0.0:{port}"],
    "worker": [sys.executable, "-m", "celery", "-A", "saas", "worker", "-l", "info", "-c", "2"],
    "beat": [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "saas",
        "beat",
        "-l",
        "info",
        "-s",
        str(embedded.DATA / "celerybeat-schedule"),
    ],
}


def run(started: embedded.Started) -> None:
    from saas import demo
    from tenants import storage

    call_command("migrate_firms", interactive=False, verbosity=0)
    storage.bucket_ensure()
    demo_firm = demo.load()

    port = settings.PORTAL_PORT or "8000"
    processes: dict[str, subprocess.Popen] = {}
    for name, command in CHILDREN.items():
        processes[name] = subprocess.Popen(
            [part.format(port=port) for part in command],
            start_new_session=True,
            cwd=embedded.ROOT,
            env=os.environ.copy(),
        )

    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    _banner(port, demo_firm)
    while not stopping:
        for name, proc in processes.items():
            if proc.poll() is not None:
                print(f"\n{name} stopped (exit {proc.returncode}); stopping the stack.", flush=True)
                stopping = True
                break
        time.sleep(0.5)

    print("\nStopping web, worker and beat...", flush=True)
    for proc in processes.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in processes.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    print("Stopping the embedded services...", flush=True)
    started.stop()
    print("Stopped.", flush=True)


def _banner(port: str, demo_firm: object) -> None:
    from saas.demo import DEMO_PASSWORD, demo_logins

    lines = [
        "",
        "Comptoir is running. Ctrl-C stops everything.",
        "",
        f"  Public site      http://{settings.BASE_DOMAIN}:{port}/",
        f"  Demo firm        http://demo.{settings.BASE_DOMAIN}:{port}/",
        f"  API docs         http://demo.{settings.BASE_DOMAIN}:{port}/api/v1/docs/",
        f"  Mail (files)     {embedded.DATA / 'mail'}",
        "",
        f"  Demo logins (password {DEMO_PASSWORD}):",
        *[f"    {role:<22} {email}" for role, email in demo_logins()],
        "",
        "  Services:",
        *[f"    {key:<18} {value}" for key, value in embedded.describe().items()],
        "",
    ]
    print("\n".join(lines), flush=True)
