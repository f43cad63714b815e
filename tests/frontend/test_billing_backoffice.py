"""Cabinet > Facturation: the monthly runs, the firm's invoices, credit notes and one-off
invoices. Who may open each page, what each page issues, and the reasons it gives when the
input is wrong. Invoices are issued for real; the run's chunks are billed by calling the
service the worker calls (the test transaction never commits, so nothing is sent)."""

from __future__ import annotations

import datetime
import re
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from clients.models import Company, Membership, User
from entitlements.services import company_right_grant
from firms.models import FirmProfile
from frontend.backoffice import billing_views
from invoicing import services
from invoicing.models import (
    BillingRun,
    BillingRunItem,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
    Kind,
)
from tenants import storage
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.invoicing.factories import PERIOD, application, billable_company, firm_profile_complete

pytestmark = pytest.mark.django_db


def _signed_in(firm, email, *, language="fr"):
    """Pages follow the language of the signed-in person's account."""
    with firm.context():
        User.objects.filter(email=email).update(language=language)
    client = firm.client()
    response = client.post("/connexion/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def _bill(company, period=PERIOD) -> Invoice:
    return services.company_bill(company=company, period_start=period).invoice


def _run_chunks(run: BillingRun) -> None:
    """What the workers do with the run's chunks."""
    ids = list(run.items.values_list("company_id", flat=True))
    services.bill_chunk(run, ids)


def _document_ready(invoice: Invoice, pdf: bytes = b"%PDF-1.7 test") -> InvoiceDocument:
    """The document as the rendering task leaves it: stored in S3, checksums recorded."""
    base = f"invoices/test-{uuid.uuid4().hex}/{invoice.number}"
    pdf_sha = storage.put(base + ".pdf", pdf, content_type="application/pdf")
    xml_sha = storage.put(base + ".xml", b"<xml/>", content_type="application/xml")
    InvoiceDocument.objects.filter(invoice=invoice).update(
        status=InvoiceDocument.Status.READY,
        pdf_path=base + ".pdf",
        xml_path=base + ".xml",
        pdf_sha256=pdf_sha,
        xml_sha256=xml_sha,
        ready_at=timezone.now(),
    )
    return InvoiceDocument.objects.get(invoice=invoice)


@pytest.fixture
def world(alpha):
    """Alpha's staff and clients: an accountant in charge of `mine`; `other` is nobody's and
    has a client administrator and a collaborator holding both invoice rights."""
    with alpha.context():
        firm_profile_complete()
        admin = User.objects.get(email=alpha.admin_email)
        accountant = UserFactory(email="compta-factures@alpha.example", firm_role="accountant")
        app = application("Paie en ligne", price_excl_vat=Decimal("40.00"))
        mine = billable_company(legal_name="Boulangerie Facturée", accountant=accountant)
        other = billable_company(legal_name="Garage Facturé", applications=(app,))
        client_admin = MembershipFactory(
            company=other, role=Membership.Role.ADMIN, user__email="patron@garage-f.example"
        ).user
        collaborator = MembershipFactory(company=other, user__email="salarie@garage-f.example").user
        for codename in ("view_invoices", "download_invoices"):
            company_right_grant(actor=admin, user=collaborator, company=other, codename=codename)
        invoice_mine = _bill(mine)
        invoice_other = _bill(other)
        run = services.billing_run_start(actor=admin, period_start=PERIOD, mode="preview")
        line_mine = invoice_mine.lines.get()
        line_other = invoice_other.lines.get()
    return SimpleNamespace(
        admin=admin,
        accountant=accountant,
        mine=mine,
        other=other,
        client_admin=client_admin,
        collaborator=collaborator,
        invoice_mine=invoice_mine,
        invoice_other=invoice_other,
        line_mine=line_mine,
        line_other=line_other,
        run=run,
    )


def _snapshot(firm):
    with firm.context():
        return (
            list(Invoice.objects.order_by("pk").values_list("pk", "number")),
            list(InvoiceLine.objects.order_by("pk").values_list("pk", "total_excl_vat")),
            list(BillingRun.objects.order_by("pk").values_list("pk", "mode")),
            list(BillingRunItem.objects.order_by("pk").values_list("pk", "outcome")),
            list(FirmProfile.objects.values()),
            list(Company.objects.order_by("pk").values_list("pk", "payment_terms_days")),
        )


def _pages(w):
    """(method, path, data) of every billing page and action, aimed at `other`."""
    run = f"/cabinet/facturation/{w.run.pk}/"
    invoice = f"/cabinet/factures/{w.invoice_other.pk}/"
    line = w.line_other
    return [
        ("get", "/cabinet/facturation/", None),
        ("post", "/cabinet/facturation/", {"month": "2026-10", "scope": "all", "mode": "preview"}),
        (
            "post",
            "/cabinet/facturation/",
            {"month": "2026-10", "scope": "all", "mode": "issue", "confirm": "1"},
        ),
        ("get", run, None),
        ("get", run + "avancement/", None),
        ("post", run + "relancer/", {}),
        ("post", run + "emettre/", {}),
        ("get", "/cabinet/factures/", None),
        ("get", invoice, None),
        ("get", invoice + "pdf/", None),
        ("get", invoice + "xml/", None),
        ("post", invoice + "avoir/", {"reason": "Intrus", f"amount_{line.pk}": "1"}),
        ("post", invoice + "avoir/", {"reason": "Intrus", "whole": "1"}),
        ("get", f"/cabinet/entreprises/{w.other.pk}/factures/nouvelle/", None),
        (
            "post",
            f"/cabinet/entreprises/{w.other.pk}/factures/nouvelle/",
            _manual([{"label": "Intrusion", "unit_price": "10"}]),
        ),
    ]


def _call(client, method, path, data):
    if method == "get":
        return client.get(path)
    return client.post(path, data)


def _manual(lines, rows=5, **fields):
    """The POST of the one-off invoice form: `lines` fill the first rows."""
    data = {
        "lines-TOTAL_FORMS": str(rows),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "30",
        "note": "",
        "period_start": "",
        "period_end": "",
    }
    for index in range(rows):
        line = lines[index] if index < len(lines) else {}
        data.update(
            {
                f"lines-{index}-label": line.get("label", ""),
                f"lines-{index}-detail": line.get("detail", ""),
                f"lines-{index}-quantity": line.get("quantity", "1"),
                f"lines-{index}-unit_price": line.get("unit_price", ""),
                f"lines-{index}-vat_rate": line.get("vat_rate", "20"),
            }
        )
    return data | fields


# Who may open what


def test_anonymous_is_sent_to_sign_in_and_nothing_is_issued(alpha, world):
    before = _snapshot(alpha)
    client = alpha.client()

    for method, path, data in _pages(world):
        response = _call(client, method, path, data)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/connexion/"), path

    assert _snapshot(alpha) == before


@pytest.mark.parametrize("who", ["client_admin", "collaborator"])
def test_clients_are_told_nothing_exists_and_nothing_is_issued(alpha, world, who):
    client = _signed_in(alpha, getattr(world, who).email)
    before = _snapshot(alpha)

    for method, path, data in _pages(world):
        assert _call(client, method, path, data).status_code == 404, path

    assert _snapshot(alpha) == before


def test_accountant_gets_404_on_runs_and_on_companies_not_assigned(alpha, world):
    client = _signed_in(alpha, world.accountant.email)
    before = _snapshot(alpha)

    for method, path, data in _pages(world):
        if path == "/cabinet/factures/":
            continue  # open to all staff: lists only their companies' invoices
        assert _call(client, method, path, data).status_code == 404, path

    assert _snapshot(alpha) == before


def test_accountant_lists_and_opens_only_the_invoices_of_assigned_companies(alpha, world):
    client = _signed_in(alpha, world.accountant.email)

    listed = client.get("/cabinet/factures/")
    detail = client.get(f"/cabinet/factures/{world.invoice_mine.pk}/")

    assert [invoice.pk for invoice in listed.context["page"]] == [world.invoice_mine.pk]
    assert "Garage Facturé" not in listed.content.decode()
    assert detail.status_code == 200
    assert "/cabinet/facturation/" not in listed.content.decode()


def test_accountant_issues_a_credit_note_on_an_assigned_company(alpha, world):
    client = _signed_in(alpha, world.accountant.email)
    line = world.line_mine

    response = client.post(
        f"/cabinet/factures/{world.invoice_mine.pk}/avoir/",
        {"reason": "Remise commerciale", f"amount_{line.pk}": "10"},
    )

    assert response.status_code == 302
    with alpha.context():
        note = Invoice.objects.get(credited_invoice=world.invoice_mine)
        assert note.created_by == world.accountant
        assert note.total_excl_vat == Decimal("10.00")


def test_staff_of_another_firm_gets_nothing_of_alpha(alpha, beta, world):
    with beta.context():
        assert not Invoice.objects.filter(pk=world.invoice_other.pk).exists()
    beta_client = _signed_in(beta, beta.admin_email)
    before = _snapshot(alpha)

    for method, path, data in _pages(world):
        if path in ("/cabinet/facturation/", "/cabinet/factures/"):
            continue  # beta's own pages
        assert _call(beta_client, method, path, data).status_code == 404, path
    listed = beta_client.get("/cabinet/factures/")
    on_alpha = alpha.client()
    on_alpha.cookies["sessionid"] = beta_client.cookies["sessionid"].value

    assert world.invoice_other.number not in listed.content.decode()
    assert on_alpha.get("/cabinet/factures/").status_code == 302
    assert on_alpha.get(f"/cabinet/factures/{world.invoice_other.pk}/").status_code == 302
    assert _snapshot(alpha) == before


# Facturation: the runs


def test_home_offers_the_month_just_ended_and_lists_runs(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get("/cabinet/facturation/")

    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"]["month"].value() == "2026-10"
    assert f"/cabinet/facturation/{world.run.pk}/" in body
    assert "Aperçu" in body and "Émettre les factures" in body


def test_run_list_counts_in_one_query_whatever_the_number_of_runs(
    alpha, world, django_assert_max_num_queries
):
    client = _signed_in(alpha, alpha.admin_email)
    client.get("/cabinet/facturation/")  # session and caches warm

    # 13 (domain, session, user, firm profile twice, companies of the form, count, page of
    # runs, menu, session save), each after a SET search_path.
    with django_assert_max_num_queries(26) as few:
        client.get("/cabinet/facturation/")
    with alpha.context():
        for _ in range(15):
            run = services.billing_run_start(actor=world.admin, period_start=PERIOD, mode="preview")
            _run_chunks(run)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/cabinet/facturation/")

    runs = list(response.context["page"])
    assert len(runs) == 16
    assert (runs[0].billed, runs[0].already, runs[0].pending) == (0, 2, 0)


def test_preview_then_issue_the_month(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        fresh = billable_company(legal_name="Fleuriste Nouvelle")

    started = client.post(
        "/cabinet/facturation/", {"month": "2026-10", "scope": "all", "mode": "preview"}
    )

    with alpha.context():
        preview = BillingRun.objects.get(pk=started["Location"].split("/")[-2])
        assert preview.mode == "preview" and preview.started_by == world.admin
        _run_chunks(preview)
        assert not Invoice.objects.filter(company=fresh).exists()
    page = client.get(started["Location"])
    summary = page.context["summary"]
    assert summary["counts"]["previewed"] == 1
    assert summary["counts"]["already_issued"] == 2
    assert summary["total_excl_vat"] == Decimal("49.00")
    assert "58,80 €" in page.content.decode()
    assert "Émettre ce mois" in page.content.decode()

    issued = client.post(f"/cabinet/facturation/{preview.pk}/emettre/")

    with alpha.context():
        run = BillingRun.objects.get(pk=issued["Location"].split("/")[-2])
        assert (run.mode, run.period_start, run.company) == ("issue", PERIOD, None)
        _run_chunks(run)
        invoice = Invoice.objects.get(company=fresh)
    page = client.get(issued["Location"])
    assert page.context["summary"]["counts"]["issued"] == 1
    assert f"/cabinet/factures/{invoice.pk}/" in page.content.decode()


def test_issuing_from_the_home_asks_for_confirmation_first(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    data = {"month": "2026-10", "scope": "one", "company": world.mine.pk, "mode": "issue"}
    with alpha.context():
        runs = BillingRun.objects.count()

    asked = client.post("/cabinet/facturation/", data)

    assert asked.status_code == 200
    assert "Confirmer et émettre" in asked.content.decode()
    with alpha.context():
        assert BillingRun.objects.count() == runs

    confirmed = client.post("/cabinet/facturation/", data | {"confirm": "1"})

    assert confirmed.status_code == 302
    with alpha.context():
        run = BillingRun.objects.get(pk=confirmed["Location"].split("/")[-2])
        assert (run.mode, run.company_id, run.companies_total) == ("issue", world.mine.pk, 1)


@pytest.mark.parametrize(
    ("month", "french"),
    [
        ("2026-13", "Saisissez un mois au format AAAA-MM"),
        ("octobre", "Saisissez un mois au format AAAA-MM"),
        ("", "Ce champ est obligatoire"),
        ("2027-01", "ne peut pas être facturé avant"),
    ],
)
def test_a_bad_month_is_refused_with_a_field_message(alpha, world, month, french):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    response = client.post(
        "/cabinet/facturation/", {"month": month, "scope": "all", "mode": "preview"}
    )

    assert response.status_code == 400
    assert french in str(response.context["form"].errors["month"])
    assert _snapshot(alpha) == before


def test_a_bad_month_is_refused_in_english(alpha, world):
    client = _signed_in(alpha, alpha.admin_email, language="en")

    future = client.post(
        "/cabinet/facturation/", {"month": "2027-01", "scope": "all", "mode": "preview"}
    )
    malformed = client.post(
        "/cabinet/facturation/", {"month": "10/2026", "scope": "all", "mode": "preview"}
    )

    assert "cannot be billed before it starts" in str(future.context["form"].errors["month"])
    assert "Enter a month as YYYY-MM" in str(malformed.context["form"].errors["month"])


def test_one_company_must_be_chosen_when_the_scope_is_one(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    missing = client.post(
        "/cabinet/facturation/", {"month": "2026-10", "scope": "one", "mode": "preview"}
    )
    unknown = client.post(
        "/cabinet/facturation/",
        {"month": "2026-10", "scope": "one", "company": "999999", "mode": "preview"},
    )

    assert missing.status_code == 400
    assert "Choisissez l’entreprise à facturer" in str(missing.context["form"].errors["company"])
    assert unknown.status_code == 400
    assert unknown.context["form"].errors["company"]
    assert _snapshot(alpha) == before


def test_run_detail_filters_by_outcome_and_refuses_an_unknown_one(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        _run_chunks(world.run)
        BillingRunItem.objects.filter(run=world.run, company=world.mine).update(
            outcome="skipped", reason="billing data incomplete: city"
        )

    skipped = client.get(f"/cabinet/facturation/{world.run.pk}/", {"outcome": "skipped"})
    wrong = client.get(f"/cabinet/facturation/{world.run.pk}/", {"outcome": "lost"})

    assert [item.company_id for item in skipped.context["page"]] == [world.mine.pk]
    assert "billing data incomplete: city" in skipped.content.decode()
    assert wrong.status_code == 400
    assert "Sélectionnez un choix valide" in str(wrong.context["form"].errors["outcome"])


def test_progress_is_polled_while_companies_remain_then_the_page_reloads(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    progress = f"/cabinet/facturation/{world.run.pk}/avancement/"

    pending = client.get(progress, HTTP_HX_REQUEST="true")
    page = client.get(f"/cabinet/facturation/{world.run.pk}/")
    with alpha.context():
        _run_chunks(world.run)
    done = client.get(progress, HTTP_HX_REQUEST="true")

    assert 'hx-trigger="every 2s"' in pending.content.decode()
    assert "En cours : 0 entreprises sur 2 (0 %)…" in pending.content.decode()
    assert "<html" not in pending.content.decode()
    assert "HX-Refresh" not in pending
    assert 'hx-trigger="every 2s"' in page.content.decode()
    assert done["HX-Refresh"] == "true"
    assert "every 2s" not in done.content.decode()


def test_failures_are_retried(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        run = services.billing_run_start(actor=world.admin, period_start=PERIOD, mode="issue")
        BillingRunItem.objects.filter(run=run).update(outcome="failed", reason="S3 down")
    page = client.get(f"/cabinet/facturation/{run.pk}/")
    assert "Relancer les échecs" in page.content.decode()

    response = client.post(f"/cabinet/facturation/{run.pk}/relancer/")

    assert response.status_code == 302
    with alpha.context():
        assert set(run.items.values_list("outcome", flat=True)) == {"pending"}
        _run_chunks(run)
        assert set(run.items.values_list("outcome", flat=True)) == {"already_issued"}


def test_an_issue_run_cannot_be_issued_again_from_its_page(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        run = services.billing_run_start(actor=world.admin, period_start=PERIOD, mode="issue")
        runs = BillingRun.objects.count()

    response = client.post(f"/cabinet/facturation/{run.pk}/emettre/")

    assert response.status_code == 302
    with alpha.context():
        assert BillingRun.objects.count() == runs


def test_an_unknown_run_is_404(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    assert client.get(f"/cabinet/facturation/{uuid.uuid4()}/").status_code == 404
    assert client.get("/cabinet/facturation/pas-un-uuid/").status_code == 404


# The firm's invoices


def test_invoice_list_filters_by_company_year_type_and_status(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        services.credit_note_issue(actor=world.admin, invoice=world.invoice_other, reason="Erreur")
        note = Invoice.objects.get(kind=Kind.CREDIT_NOTE)

    def numbers(**params):
        response = client.get("/cabinet/factures/", params)
        assert response.status_code == 200
        return sorted(invoice.number for invoice in response.context["page"])

    assert numbers(q="garage") == sorted([world.invoice_other.number, note.number])
    assert numbers(q=world.mine.siren) == [world.invoice_mine.number]
    assert numbers(q=world.invoice_mine.number) == [world.invoice_mine.number]
    assert numbers(company=world.mine.pk) == [world.invoice_mine.number]
    assert numbers(kind="credit_note") == [note.number]
    assert numbers(status="credited") == [world.invoice_other.number]
    assert numbers(status="issued") == [world.invoice_mine.number]
    assert numbers(status="open") == [world.invoice_mine.number]
    assert numbers(status="overdue") == []
    assert len(numbers(year=2026)) == 3


def test_invoice_list_shows_the_status_of_each_row(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        services.credit_note_issue(actor=world.admin, invoice=world.invoice_other, reason="Erreur")

    response = client.get("/cabinet/factures/")

    statuses = {invoice.number: invoice.payment_status for invoice in response.context["page"]}
    assert statuses[world.invoice_other.number] == "credited"
    assert statuses[world.invoice_mine.number] == "issued"
    assert "À payer" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [({"year": "1999"}, "year"), ({"kind": "devis"}, "kind"), ({"status": "payée"}, "status")],
)
def test_invoice_list_refuses_unknown_filter_values(alpha, world, params, field):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get("/cabinet/factures/", params)

    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in str(response.context["form"].errors[field])


def test_htmx_filter_returns_only_the_results(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get("/cabinet/factures/", {"q": "garage"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert world.invoice_other.number in body
    assert "<html" not in body and "<form" not in body


def test_invoice_list_is_paginated_by_50_with_a_constant_number_of_queries(
    alpha, world, django_assert_max_num_queries
):
    client = _signed_in(alpha, alpha.admin_email)
    client.get("/cabinet/factures/")
    # 12 (domain, session, user, firm profile, years, count, page, menu, session save), each
    # after a SET search_path.
    with django_assert_max_num_queries(24) as few:
        client.get("/cabinet/factures/")
    with alpha.context():
        for n in range(58):
            _bill(billable_company(legal_name=f"Zz Société {n:02d}"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get("/cabinet/factures/")
    second = client.get("/cabinet/factures/", {"page": 2})

    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 10
    assert "page=2" in first.content.decode()


# One invoice


def test_invoice_detail_shows_lines_totals_vat_and_a_pending_document(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get(f"/cabinet/factures/{world.invoice_other.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Paie en ligne" in body
    assert "40,00 €" in body and "8,00 €" in body and "48,00 €" in body
    assert "En préparation" in body
    assert "/pdf/" not in body
    assert "Émettre un avoir" in body


def test_document_still_pending_long_after_shows_its_last_error(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        InvoiceDocument.objects.filter(invoice=world.invoice_other).update(
            last_error="ConnectionError: S3 unreachable", attempts=3
        )
    # The invoice row is final (its creation time cannot be moved back): shorten the wait.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(billing_views, "DOCUMENT_LATE", datetime.timedelta(0))
        response = client.get(f"/cabinet/factures/{world.invoice_other.pk}/")

    assert "ConnectionError: S3 unreachable" in response.content.decode()


def test_pending_document_download_says_so_and_goes_back_to_the_invoice(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get(f"/cabinet/factures/{world.invoice_other.pk}/pdf/", follow=True)

    assert response.redirect_chain[-1][0] == f"/cabinet/factures/{world.invoice_other.pk}/"
    assert "en préparation" in response.content.decode()


def test_ready_document_downloads_through_a_short_presigned_url(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        _document_ready(world.invoice_other)

    page = client.get(f"/cabinet/factures/{world.invoice_other.pk}/")
    pdf = client.get(f"/cabinet/factures/{world.invoice_other.pk}/pdf/")
    xml = client.get(f"/cabinet/factures/{world.invoice_other.pk}/xml/")

    assert f"/cabinet/factures/{world.invoice_other.pk}/pdf/" in page.content.decode()
    assert pdf.status_code == 302
    assert int(re.search(r"X-Amz-Expires=(\d+)", pdf["Location"])[1]) <= 300
    assert f"{world.invoice_other.number}.pdf" in pdf["Location"]
    assert f"{world.invoice_other.number}.xml" in xml["Location"]
    assert "no-store" in pdf["Cache-Control"] or "max-age=0" in pdf["Cache-Control"]


def test_altered_document_is_refused_with_409(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        document = _document_ready(world.invoice_other)
        storage.put(document.pdf_path, b"%PDF forged", content_type="application/pdf")

    response = client.get(f"/cabinet/factures/{world.invoice_other.pk}/pdf/")

    assert response.status_code == 409
    assert "contrôle d" in response.content.decode()


def test_an_unknown_invoice_is_404(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    assert client.get("/cabinet/factures/999999/").status_code == 404
    assert client.get("/cabinet/factures/999999/pdf/").status_code == 404


# Credit notes


def test_partial_credit_note_on_one_line(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    line = world.line_other

    response = client.post(
        f"/cabinet/factures/{world.invoice_other.pk}/avoir/",
        {"reason": "Geste commercial", f"amount_{line.pk}": "12,50"},
    )

    with alpha.context():
        note = Invoice.objects.get(credited_invoice=world.invoice_other)
    assert response["Location"] == f"/cabinet/factures/{note.pk}/"
    assert (note.total_excl_vat, note.total_vat, note.note) == (
        Decimal("12.50"),
        Decimal("2.50"),
        "Geste commercial",
    )
    page = client.get(f"/cabinet/factures/{world.invoice_other.pk}/")
    form = page.context["form"]
    assert form[f"amount_{line.pk}"].value() == "27,50"
    assert note.number in page.content.decode()


def test_whole_credit_note_credits_all_that_remains_and_closes_the_form(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    line = world.line_other
    client.post(
        f"/cabinet/factures/{world.invoice_other.pk}/avoir/",
        {"reason": "Geste", f"amount_{line.pk}": "10"},
    )

    response = client.post(
        f"/cabinet/factures/{world.invoice_other.pk}/avoir/",
        {"reason": "Résiliation", f"amount_{line.pk}": "1", "whole": "1"},
    )

    assert response.status_code == 302
    with alpha.context():
        notes = Invoice.objects.filter(credited_invoice=world.invoice_other).order_by("sequence")
        assert [note.total_excl_vat for note in notes] == [Decimal("10.00"), Decimal("30.00")]
    page = client.get(f"/cabinet/factures/{world.invoice_other.pk}/")
    assert not page.context["creditable"]
    assert "Émettre l’avoir" not in page.content.decode()


@pytest.mark.parametrize(
    ("amount", "reason", "field", "french"),
    [
        ("50", "Trop perçu", "amount", "40.00"),
        ("abc", "Trop perçu", "amount", "Saisissez un nombre"),
        ("-5", "Trop perçu", "amount", "montant positif"),
        ("1.234", "Trop perçu", "amount", "2 décimales"),
        ("10", "  ", "reason", "Indiquez pourquoi"),
        ("0", "Trop perçu", None, "rien à créditer"),
    ],
)
def test_bad_credit_note_is_refused_on_its_field_and_nothing_is_issued(
    alpha, world, amount, reason, field, french
):
    client = _signed_in(alpha, alpha.admin_email)
    line = world.line_other
    before = _snapshot(alpha)

    response = client.post(
        f"/cabinet/factures/{world.invoice_other.pk}/avoir/",
        {"reason": reason, f"amount_{line.pk}": amount},
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    name = {"amount": f"amount_{line.pk}", "reason": "reason", None: "__all__"}[field]
    assert french in str(errors[name]), errors
    assert _snapshot(alpha) == before


def test_bad_credit_note_is_refused_in_english(alpha, world):
    client = _signed_in(alpha, alpha.admin_email, language="en")
    line = world.line_other

    response = client.post(
        f"/cabinet/factures/{world.invoice_other.pk}/avoir/",
        {"reason": "", f"amount_{line.pk}": "10"},
    )

    assert response.status_code == 400
    assert "Say why the invoice is corrected" in str(response.context["form"].errors["reason"])


def test_a_credit_note_offers_no_credit_note_form(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        note = services.credit_note_issue(
            actor=world.admin, invoice=world.invoice_other, reason="Erreur"
        )

    page = client.get(f"/cabinet/factures/{note.pk}/")
    posted = client.post(f"/cabinet/factures/{note.pk}/avoir/", {"reason": "x", "whole": "1"})

    assert page.status_code == 200
    assert world.invoice_other.number in page.content.decode()
    assert page.context["form"] is None
    assert posted.status_code == 302
    with alpha.context():
        assert not Invoice.objects.filter(credited_invoice=note).exists()


# One-off invoices


def test_company_page_lists_its_invoices_and_offers_a_one_off_invoice(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get(f"/cabinet/entreprises/{world.other.pk}/")

    body = response.content.decode()
    assert world.invoice_other.number in body
    assert f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/" in body
    assert f"/cabinet/factures/?company={world.other.pk}" in body


def test_staff_issues_a_one_off_invoice_with_two_lines(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/",
        _manual(
            [
                {"label": "Bilan annuel", "detail": "Exercice 2025", "unit_price": "1200"},
                {},
                {
                    "label": "Frais de dossier",
                    "quantity": "2",
                    "unit_price": "15,50",
                    "vat_rate": "10",
                },
            ],
            note="Merci de votre confiance",
            period_start="2026-01-01",
            period_end="2026-12-31",
        ),
    )

    with alpha.context():
        invoice = Invoice.objects.get(company=world.other, origin="manual")
        lines = list(invoice.lines.values_list("label", "quantity", "unit_price", "vat_rate"))
    assert response["Location"] == f"/cabinet/factures/{invoice.pk}/"
    assert lines == [
        ("Bilan annuel", Decimal("1.0000"), Decimal("1200.00"), Decimal("20.00")),
        ("Frais de dossier", Decimal("2.0000"), Decimal("15.50"), Decimal("10.00")),
    ]
    assert (invoice.total_excl_vat, invoice.total_vat) == (Decimal("1231.00"), Decimal("243.10"))
    assert invoice.note == "Merci de votre confiance"
    assert invoice.period_end == datetime.date(2026, 12, 31)
    assert invoice.created_by == world.admin


def test_one_off_form_starts_with_five_rows_and_adds_one_without_issuing(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    empty = client.get(f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/")
    more = client.post(
        f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/",
        _manual([{"label": "Bilan", "unit_price": "100"}]) | {"more": "1"},
    )

    assert len(empty.context["rows"].forms) == 5
    assert more.status_code == 200
    assert len(more.context["rows"].forms) == 6
    assert more.context["rows"].forms[0]["label"].value() == "Bilan"
    assert _snapshot(alpha) == before


@pytest.mark.parametrize(
    ("lines", "fields", "row", "field", "french"),
    [
        ([{"label": "A", "unit_price": "10"}, {"label": "B"}], {}, 1, "unit_price", "nombre"),
        (
            [{"label": "A", "unit_price": "10"}, {}, {"label": "C", "unit_price": "1,001"}],
            {},
            2,
            "unit_price",
            "2 décimales",
        ),
        ([{"label": "A", "unit_price": "10", "quantity": "0"}], {}, 0, "quantity", "quantité"),
        ([{"detail": "sans libellé", "unit_price": "10"}], {}, 0, "label", "obligatoire"),
        ([{"label": "A", "unit_price": "10", "vat_rate": "19.6"}], {}, 0, "vat_rate", "valide"),
        (
            [{"label": "A", "unit_price": "10"}],
            {"period_start": "2026-10-31", "period_end": "2026-10-01"},
            None,
            "period_end",
            "avant de commencer",
        ),
        (
            [{"label": "A", "unit_price": "10"}],
            {"period_start": "2026-10-01"},
            None,
            "period_end",
            "le début et la fin",
        ),
        ([], {}, None, "__all__", "au moins une ligne"),
    ],
)
def test_bad_one_off_invoice_is_refused_on_its_line_and_nothing_is_issued(
    alpha, world, lines, fields, row, field, french
):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    response = client.post(
        f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/", _manual(lines, **fields)
    )

    assert response.status_code == 400
    if row is None:
        errors = response.context["form"].errors
    else:
        errors = response.context["rows"].forms[row].errors
    assert french in str(errors.get(field)), errors
    assert _snapshot(alpha) == before


def test_bad_one_off_invoice_is_refused_in_english(alpha, world):
    client = _signed_in(alpha, alpha.admin_email, language="en")

    response = client.post(
        f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/",
        _manual([{"label": "A", "unit_price": "10", "quantity": "-1"}]),
    )

    assert response.status_code == 400
    assert "positive quantity" in str(response.context["rows"].forms[0].errors["quantity"])


def test_one_off_invoice_to_a_company_without_address_is_refused(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    with alpha.context():
        Company.objects.filter(pk=world.other.pk).update(address_line="")
    before = _snapshot(alpha)

    page = client.get(f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/")
    response = client.post(
        f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/",
        _manual([{"label": "A", "unit_price": "10"}]),
    )

    assert "incomplètes" in page.content.decode()
    assert response.status_code == 400
    assert "incomplètes" in str(response.context["form"].non_field_errors())
    assert _snapshot(alpha) == before


def test_a_tampered_line_count_is_refused_not_a_500(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    data = _manual([{"label": "A", "unit_price": "10"}])

    too_many = client.post(
        f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/",
        data | {"lines-TOTAL_FORMS": "5000"},
    )
    missing = client.post(
        f"/cabinet/entreprises/{world.other.pk}/factures/nouvelle/", {"note": "x"}
    )

    assert too_many.status_code == 400
    assert missing.status_code == 400


# The firm's billing settings


def _identity(**changes):
    data = {
        "legal_name": "Cabinet Alpha",
        "siren": "732829320",
        "primary_colour": "#1d4ed8",
        "payment_terms_days": "30",
        "late_penalty_rate": "12,00",
    } | changes
    return {f"profile-{key}": value for key, value in data.items()}


def test_identity_saves_the_billing_fields(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        "/cabinet/identite/",
        _identity(
            rcs_city="Lyon",
            bic="agrifrpp",
            payment_terms_days="45",
            late_penalty_rate="10,50",
            iban="FR7630006000011234567890189",
        ),
    )

    assert response.status_code == 302
    with alpha.context():
        profile = FirmProfile.objects.get()
        assert (profile.rcs_city, profile.bic) == ("Lyon", "AGRIFRPP")
        assert profile.payment_terms_days == 45
        assert profile.late_penalty_rate == Decimal("10.50")


def test_identity_left_empty_terms_fall_back_to_the_usual_values(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.post(
        "/cabinet/identite/", _identity(payment_terms_days="", late_penalty_rate="")
    )

    assert response.status_code == 302
    with alpha.context():
        profile = FirmProfile.objects.get()
        assert (profile.payment_terms_days, profile.late_penalty_rate) == (30, Decimal("12.00"))


@pytest.mark.parametrize(
    ("field", "value", "french"),
    [
        ("payment_terms_days", "90", "60 jours"),
        ("late_penalty_rate", "120", "entre 0 et 100"),
        ("bic", "PASUNBIC", "BIC valide"),
    ],
)
def test_identity_refuses_bad_billing_fields(alpha, world, field, value, french):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    response = client.post("/cabinet/identite/", _identity(**{field: value}))

    assert response.status_code == 400
    assert french in str(response.context["form"].errors[field])
    assert _snapshot(alpha) == before


def _company_form(company, **changes):
    data = {
        "legal_name": company.legal_name,
        "siren": company.siren,
        "vat_number": company.vat_number,
        "address_line": company.address_line,
        "postal_code": company.postal_code,
        "city": company.city,
        "country": "FR",
        "billing_email": company.billing_email,
        "status": company.status,
        "billing": company.billing,
        "payment_terms_days": "",
    }
    return data | changes


def test_company_payment_terms_are_set_by_staff_and_used_on_the_next_invoice(alpha, world):
    client = _signed_in(alpha, world.accountant.email)

    response = client.post(
        f"/cabinet/entreprises/{world.mine.pk}/modifier/",
        _company_form(world.mine, payment_terms_days="15"),
    )

    assert response.status_code == 302
    with alpha.context():
        company = Company.objects.get(pk=world.mine.pk)
        assert company.payment_terms_days == 15
        invoice = _bill(company, datetime.date(2026, 9, 1))
        assert invoice.due_date == invoice.issue_date + datetime.timedelta(days=15)


def test_company_payment_terms_over_60_days_are_refused(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)
    before = _snapshot(alpha)

    response = client.post(
        f"/cabinet/entreprises/{world.mine.pk}/modifier/",
        _company_form(world.mine, payment_terms_days="61"),
    )

    assert response.status_code == 400
    assert "60 jours" in str(response.context["form"].errors["payment_terms_days"])
    assert _snapshot(alpha) == before


def test_new_company_form_has_no_payment_terms(alpha, world):
    client = _signed_in(alpha, alpha.admin_email)

    response = client.get("/cabinet/entreprises/nouvelle/")

    assert "payment_terms_days" not in response.context["form"].fields
