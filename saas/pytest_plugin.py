"""pytest plugin: the test run gets real services before Django reads its settings.

Each service whose variable is unset is the embedded one (the same processes `make run`
uses when it is running, else started here and stopped at the end), kept apart from the
development data: database test_comptoir, Valkey database 1, bucket comptoir-test.
"""

from __future__ import annotations

import os

from saas import embedded

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings")
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("PORTAL_PORT", "")
os.environ.setdefault("S3_BUCKET", "comptoir-test")
os.environ.setdefault("CELERY_QUEUE", "comptoir-test")
os.environ.setdefault(
    "STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage"
)
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-" + "x" * 40)

_started = embedded.configure_environment(redis_db=1)


def pytest_unconfigure(config) -> None:
    _started.stop()
