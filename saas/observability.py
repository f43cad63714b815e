"""What an operator reads about the running portal: log lines, request ids and metrics.

Every log line carries the request id, the firm's schema and the user id; in a Celery worker,
the task's id and name and the firm's schema. `RequestMiddleware` takes the request id from
`X-Request-ID` (or makes one), echoes it back, writes one access line per request and counts
requests by route name and status. Metrics are Prometheus'; with PROMETHEUS_MULTIPROC_DIR set
(gunicorn workers, Celery prefork children) each process writes its own files and one reader
per pod adds them up: `/metrics` on the public host, or the exporter `exporter_start` opens on
METRICS_PORT in gunicorn's master and in the Celery worker's main process.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

access_log = logging.getLogger("comptoir.access")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_user_id: ContextVar[int | None] = ContextVar("user_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_METHODS = frozenset(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
_SECRET_KWARGS = re.compile(r"token|key|secret|uidb64|code", re.IGNORECASE)
CONTEXT_FIELDS = ("request_id", "schema", "user_id", "task_id", "task_name")
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")  # probes and scrapes: no access line


# Metrics. Label values stay few: route names (not paths), methods, status codes, task names.

HTTP_REQUESTS = Counter(
    "comptoir_http_requests",
    "HTTP requests answered, by route name, method and status code.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "comptoir_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by route name and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CELERY_TASKS = Counter(
    "comptoir_celery_tasks",
    "Celery tasks finished, by task name and state (SUCCESS, FAILURE, RETRY, ...).",
    ["task", "state"],
)
CELERY_SECONDS = Histogram(
    "comptoir_celery_task_duration_seconds",
    "Celery task run time, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900),
)
BILLING_PROGRESS = Gauge(
    "comptoir_billing_run_progress",
    "Share of a billing run's companies done, from 0 to 1.",
    ["schema", "run_id"],
    multiprocess_mode="mostrecent",
)
BILLING_COMPANIES = Gauge(
    "comptoir_billing_run_companies",
    "Companies of a billing run: state=total, or state=done so far.",
    ["schema", "run_id", "state"],
    multiprocess_mode="mostrecent",
)


def billing_progress_set(schema: str, run_id: int | str, done: int, total: int) -> None:
    """Record how far billing run `run_id` of firm `schema` has gone (any process may call it)."""
    run = str(run_id)
    BILLING_COMPANIES.labels(schema, run, "done").set(done)
    BILLING_COMPANIES.labels(schema, run, "total").set(total)
    BILLING_PROGRESS.labels(schema, run).set(done / total if total else 1.0)


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def registry() -> CollectorRegistry:
    """This process's metrics, or those of every process of the pod in multiprocess mode."""
    if not _multiprocess_dir():
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)
    return collected


def multiprocess_reset() -> None:
    """Forget the files of a previous run (called once, before any process writes)."""
    directory = _multiprocess_dir()
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def process_dead(pid: int) -> None:
    """A gunicorn worker or Celery child has exited: its live gauges no longer count."""
    if _multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def exporter_start(port: int) -> None:
    """Serve this pod's metrics on `port` from a thread of the current (parent) process."""
    start_http_server(port, addr="0.0.0.0", registry=registry())  # noqa: S104 - pod network


def metrics(request: HttpRequest) -> HttpResponse:
    """`/metrics` on the public host, in Prometheus' text format; METRICS_TOKEN, when set, must
    come as `Authorization: Bearer <token>`."""
    token = settings.METRICS_TOKEN
    if token:
        supplied = request.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


# Celery: counted from the task signals, in the process that runs the task.

_task_started: dict[str, float] = {}


def task_started(task_id: str | None = None, **_kwargs: Any) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


def task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_kwargs: Any
) -> None:
    name = getattr(task, "name", None) or "unknown"
    CELERY_TASKS.labels(name, state or "UNKNOWN").inc()
    started = _task_started.pop(task_id, None) if task_id else None
    if started is not None:
        CELERY_SECONDS.labels(name).observe(time.perf_counter() - started)


# Logging.


def _schema() -> str | None:
    try:
        from django.db import connection

        return getattr(connection, "schema_name", None)
    except Exception:  # settings not configured yet: a line logged while starting up
        return None


def _current_task() -> Any:
    from celery._state import get_current_task

    return get_current_task()


class ContextFilter(logging.Filter):
    """Adds request_id, schema, user_id, task_id and task_name to every record (None if unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        task = _current_task()
        context = {
            "request_id": _request_id.get(),
            "schema": _schema(),
            "user_id": _user_id.get(),
            "task_id": getattr(getattr(task, "request", None), "id", None) if task else None,
            "task_name": getattr(task, "name", None) if task else None,
        }
        for field, value in context.items():
            if getattr(record, field, None) is None:
                setattr(record, field, value)
        return True


class SkipProbes(logging.Filter):
    """Keeps the probes' and scrapes' requests out of the development server's access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(f" {path} " in message or f" {path}?" in message for path in QUIET_PATHS)


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (UTC), level, logger, message, then the context and any
    `extra` fields; empty fields are left out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)

    def process_log_record(self, log_data: dict) -> dict:
        # Django's request loggers attach the request (or socket) object itself.
        log_data.pop("request", None)
        return {key: value for key, value in log_data.items() if value is not None}


class TextFormatter(logging.Formatter):
    """For a developer's terminal: the usual line, with the context that is known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        known = [
            f"{field}={getattr(record, field)}"
            for field in CONTEXT_FIELDS
            if getattr(record, field, None) is not None
        ]
        record.context = f" [{' '.join(known)}]" if known else ""
        return super().format(record)


# Requests.


def _incoming_request_id(value: str | None) -> str | None:
    return value if value and _REQUEST_ID.fullmatch(value) else None


def route_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match.route or "unnamed"
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"


def _logged_path(request: HttpRequest) -> str:
    """The path without its query string, secrets in the URL (tokens, keys) masked."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in match.kwargs.items() if match else ():
        if _SECRET_KWARGS.search(name) and isinstance(value, str) and value:
            path = path.replace(value, "***")
    return path


def _user_of(request: HttpRequest) -> int | None:
    """The signed-in user's id, without loading the user when nothing has asked for it yet."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "pk", None)


class RequestMiddleware:
    """First in the chain: request id, access line and request metrics."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _incoming_request_id(request.headers.get(REQUEST_ID_HEADER))
        request_id = request_id or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        # Cleared when the response is closed (request_finished), so that the lines Django
        # writes after the middleware chain, such as "Not Found: ...", still carry them.
        _request_id.set(request_id)
        _user_id.set(None)
        _sentry_tag("request_id", request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        response[REQUEST_ID_HEADER] = request_id
        self._record(request, response, elapsed)
        return response

    def process_view(self, request: HttpRequest, *_args: Any) -> None:
        _user_id.set(_user_of(request))

    def _record(self, request: HttpRequest, response: HttpResponse, elapsed: float) -> None:
        route = route_name(request)
        method = request.method if request.method in _METHODS else "other"
        status = response.status_code
        HTTP_REQUESTS.labels(route, method, str(status)).inc()
        HTTP_SECONDS.labels(route, method).observe(elapsed)
        _user_id.set(_user_of(request))
        if request.path_info in QUIET_PATHS:
            return
        path = _logged_path(request)
        access_log.info(
            "%s %s %s %.1fms",
            method,
            path,
            status,
            elapsed * 1000,
            extra={
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )


@receiver(request_finished, dispatch_uid="observability-context-clear")
def _context_clear(**_kwargs: Any) -> None:
    _request_id.set(None)
    _user_id.set(None)


def _sentry_tag(key: str, value: str) -> None:
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.set_tag(key, value)
