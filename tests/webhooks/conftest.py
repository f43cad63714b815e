from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from tests.webhooks.receiver import Receiver
from webhooks import events


@pytest.fixture
def loopback_allowed(settings):
    """The receiver lives on 127.0.0.1 over plain http: allowed for these tests only."""
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_RETRY_SCHEDULE = [1, 1, 1, 1, 1]


@pytest.fixture
def receiver(loopback_allowed) -> Iterator[Receiver]:
    made = Receiver().start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture(autouse=True)
def _subscribed_types_forgotten(request):
    """The cached list of subscribed types outlives each test's rollback: forget it after."""
    yield
    for name in ("alpha", "beta"):
        if name in request.fixturenames:
            with request.getfixturevalue(name).context():
                cache.delete(events._types_key())
