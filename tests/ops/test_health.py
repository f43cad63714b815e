"""/healthz answers without the database on any host; /readyz checks the real database,
broker, cache and S3 store, and answers 503 naming the one that is unreachable."""

import pytest
from django.conf import settings
from django.test import Client, override_settings

from saas import health

CLOSED = "127.0.0.1:1"  # nothing listens there: a refused connection, at once


def test_healthz_answers_on_the_public_host_without_the_database():
    # No django_db mark: any query would fail the test.
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_healthz_answers_on_a_firm_host_and_on_a_pod_address_without_the_database(alpha):
    for host in (alpha.host, "10.42.0.17:8000", "unknown.example"):
        response = Client(HTTP_HOST=host).get("/healthz")

        assert response.status_code == 200, host


@pytest.mark.django_db
def test_readyz_reports_every_dependency_with_its_latency(alpha):
    for host in (settings.BASE_DOMAIN, alpha.host, "10.42.0.17:8000"):
        response = Client(HTTP_HOST=host).get("/readyz")

        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "ok"
        assert set(body["checks"]) == {"database", "broker", "cache", "storage"}
        for check in body["checks"].values():
            assert check["ok"] is True
            assert 0 <= check["ms"] < health.TIMEOUT * 1000


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=f"redis://{CLOSED}/0")
def test_readyz_is_503_when_the_broker_is_unreachable():
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["broker"]["error"]
    assert checks["database"]["ok"] and checks["storage"]["ok"] and checks["cache"]["ok"]


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=f"amqp://guest:guest@{CLOSED}//")
def test_readyz_is_503_when_an_amqp_broker_is_unreachable():
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


@pytest.mark.django_db
@override_settings(S3_ENDPOINT_URL=f"http://{CLOSED}")
def test_readyz_is_503_when_the_s3_store_is_unreachable():
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/readyz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["storage"]["ok"] is False
    assert checks["storage"]["error"] == "EndpointConnectionError"
    assert checks["database"]["ok"] and checks["broker"]["ok"]


@pytest.mark.django_db
@override_settings(S3_BUCKET="comptoir-no-such-bucket")
def test_readyz_is_503_when_the_bucket_is_missing():
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False


@pytest.mark.django_db
def test_readyz_does_not_say_why_beyond_the_kind_of_error():
    with override_settings(CELERY_BROKER_URL=f"amqp://guest:s3cret-password@{CLOSED}//"):
        response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/readyz")

    assert b"s3cret-password" not in response.content
    assert b"127.0.0.1" not in response.content


def test_probes_are_routed_on_both_kinds_of_host():
    from django.urls import reverse

    assert reverse("healthz", urlconf="saas.urls_public") == "/healthz"
    assert reverse("readyz", urlconf="saas.urls_tenant") == "/readyz"
