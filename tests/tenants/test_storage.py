"""Every S3 key lives under its firm's prefix, on the real S3 API server."""

import urllib.request
import uuid

import pytest
from django_tenants.utils import schema_context

from tenants import storage
from tenants.errors import MissingFirm


def test_keys_live_under_the_firm_prefix(alpha, beta):
    with alpha.context():
        a_key = storage.key_for("invoices/2026/F-0001.pdf")
    with beta.context():
        b_key = storage.key_for("invoices/2026/F-0001.pdf")

    assert a_key == "firms/firm_alpha/invoices/2026/F-0001.pdf"
    assert b_key == "firms/firm_beta/invoices/2026/F-0001.pdf"


@pytest.mark.parametrize(
    "path", ["../firm_beta/secret.pdf", "a/../../x", "/", "", "a//b", "./a", "a/./b"]
)
def test_a_key_cannot_leave_its_prefix(alpha, path):
    with alpha.context(), pytest.raises(ValueError):
        storage.key_for(path)


def test_no_key_without_a_firm():
    with schema_context("public"), pytest.raises(MissingFirm):
        storage.key_for("invoices/x.pdf")


def test_an_object_stored_for_firm_a_is_not_seen_by_firm_b(alpha, beta):
    folder = f"isolation-{uuid.uuid4()}"
    with alpha.context():
        digest = storage.put(f"{folder}/a.txt", b"alpha only", content_type="text/plain")
        listed_in_a = storage.list_paths(f"{folder}/")
    with beta.context():
        listed_in_b = storage.list_paths(f"{folder}/")
        exists_in_b = storage.exists(f"{folder}/a.txt")

    assert len(digest) == 64
    assert listed_in_a == [f"{folder}/a.txt"]
    assert listed_in_b == []
    assert exists_in_b is False


def test_download_url_is_short_lived_and_serves_the_object(alpha):
    with alpha.context():
        storage.put("isolation/hello.txt", b"bonjour", content_type="text/plain")
        url = storage.download_url("isolation/hello.txt", seconds=3600)

    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback S3
        body = response.read()

    assert body == b"bonjour"
    assert "X-Amz-Expires=300" in url
    assert "firms/firm_alpha/isolation/hello.txt" in url
