"""The Celery application: tasks carry their firm's schema and run inside it (tenants.tasks)."""

import os

from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)
from tenant_schemas_celery.app import CeleryApp

from saas import observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings")

app = CeleryApp("comptoir", task_cls="tenants.tasks:FirmTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _django_logging(**_kwargs) -> None:
    """Workers log as the web processes do (Django's LOGGING: JSON lines that carry the task's
    id, name and firm schema); with a receiver here Celery leaves the root logger alone."""
    from django.apps import apps

    if not apps.ready:
        from django.conf import settings
        from django.utils.log import configure_logging

        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


@worker_init.connect
def _metrics_exporter(**_kwargs) -> None:
    """The worker's main process serves the metrics its pool processes write (multiprocess
    mode, PROMETHEUS_MULTIPROC_DIR) on METRICS_PORT, when set."""
    port = os.environ.get("METRICS_PORT")
    if port:
        observability.multiprocess_reset()
        observability.exporter_start(int(port))


@worker_process_shutdown.connect
def _metrics_process_dead(pid=None, **_kwargs) -> None:
    observability.process_dead(pid or os.getpid())


task_prerun.connect(observability.task_started, weak=False)
task_postrun.connect(observability.task_finished, weak=False)
