"""The Celery application: tasks carry their firm's schema and run inside it (tenants.tasks)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings")

app = CeleryApp("comptoir", task_cls="tenants.tasks:FirmTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
