"""Issued is final through the API as well: no route changes or deletes an invoice."""

from __future__ import annotations

import pytest

from invoicing.models import Invoice, InvoiceLine
from tests.api.invoicing_fixtures import inv_fixture  # noqa: F401 - the `inv` fixture

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("collection", ["invoices", "credit-notes"])
def test_no_api_route_changes_or_deletes_an_issued_document(
    alpha, inv, as_actor, method, collection
):
    document = inv.invoice if collection == "invoices" else inv.credit_note
    with alpha.context():
        before = (
            Invoice.objects.filter(pk=document.pk).values().get(),
            InvoiceLine.objects.count(),
        )

    response = getattr(as_actor("key"), method)(
        f"/api/v1/{collection}/{document.pk}/", {"total_excl_vat": "0.00"}, content_type=JSON
    )

    assert response.status_code == 405
    with alpha.context():
        after = (Invoice.objects.filter(pk=document.pk).values().get(), InvoiceLine.objects.count())
    assert after == before
