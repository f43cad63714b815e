"""gunicorn for Comptoir's web processes: `gunicorn --config infra/gunicorn.conf.py saas.wsgi`.

Logs: gunicorn's own lines as JSON like the application's; no gunicorn access log (the
application writes one line per request, with its id, firm and user). Metrics: the workers
write under PROMETHEUS_MULTIPROC_DIR and the master serves their sum on METRICS_PORT.
"""

import os

from saas import observability

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 25  # under Kubernetes' 30 s termination grace period
keepalive = 5  # above nothing: the ingress keeps its own connections alive
max_requests = 5000
max_requests_jitter = 500
worker_tmp_dir = "/dev/shm"  # noqa: S108 - a tmpfs; the root file system is read-only
control_socket_disable = True
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

if os.environ.get("LOG_FORMAT", "json") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "saas.observability.JsonFormatter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper()},
        },
    }


def on_starting(server) -> None:
    observability.multiprocess_reset()


def when_ready(server) -> None:
    port = os.environ.get("METRICS_PORT")
    if port:
        observability.exporter_start(int(port))


def child_exit(server, worker) -> None:
    observability.process_dead(worker.pid)
