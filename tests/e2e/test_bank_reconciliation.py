"""A firm administrator imports a bank statement in a real browser, opens an entry left to
review and matches it to an invoice; the pages hold at phone width."""

from decimal import Decimal

from django_tenants.utils import tenant_context

from banking.models import BankEntry
from tests.banking.support import FILES, MONTH, ledger
from tests.e2e.conftest import screenshot

PASSWORD = "Correct-Horse-Battery-9"


def _sign_in(page, base, email):
    page.goto(f"{base}/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_admin_imports_a_statement_and_matches_an_entry_by_hand(
    server, page, phone, e2e_firm, django_db_blocker
):
    firm, email = e2e_firm.firm, e2e_firm.admin.email
    base = f"http://{firm.slug}.localhost:{server}"
    with django_db_blocker.unblock(), tenant_context(firm):
        books = ledger()

    _sign_in(page, base, email)
    page.goto(f"{base}/cabinet/rapprochement/")
    page.locator("#import summary").click()
    page.set_input_files("#id_file", str(FILES / MONTH))
    page.locator("#import button[type=submit]").click()
    page.wait_for_url("**/releves/*/")
    screenshot(page, "bank-statement")
    assert page.locator('tr[data-status="matched"]').count() == 3

    page.goto(f"{base}/cabinet/rapprochement/a-traiter/")
    screenshot(page, "bank-review")
    page.locator('tr[data-status="to_review"] a').first.click()
    screenshot(page, "bank-entry")
    page.locator("#match tbody form").nth(1).locator("button").click()
    page.wait_for_url("**/operations/*/")

    with django_db_blocker.unblock(), tenant_context(firm):
        entry = BankEntry.objects.get(amount=Decimal("60.00"))
        assert (entry.status, entry.invoice_id) == ("matched", books.durand_b.pk)

    _sign_in(phone, base, email)
    for path in ("", "a-traiter/", f"operations/{entry.pk}/", f"releves/{entry.statement_id}/"):
        phone.goto(f"{base}/cabinet/rapprochement/{path}")
        assert _no_horizontal_scroll(phone), path
    screenshot(phone, "bank-entry-phone")
    phone.goto(f"{base}/cabinet/rapprochement/")
    screenshot(phone, "bank-home-phone")


def test_a_long_statement_shows_its_progress_then_its_entries(
    server, page, phone, e2e_firm, django_db_blocker, tmp_path
):
    from banking import services
    from banking.models import BankStatement
    from saas.celery import app as celery_app
    from tests.banking.support import long_statement

    firm, email = e2e_firm.firm, e2e_firm.admin.email
    base = f"http://{firm.slug}.localhost:{server}"
    with django_db_blocker.unblock(), tenant_context(firm):
        plan = long_statement(by_reference=services.INLINE_ENTRIES, by_payer=5, to_review=5)
    upload = tmp_path / "releve-long.xml"
    upload.write_bytes(plan.content)

    _sign_in(page, base, email)
    page.goto(f"{base}/cabinet/rapprochement/")
    page.locator("#import summary").click()
    page.set_input_files("#id_file", str(upload))
    page.locator("#import button[type=submit]").click()
    page.wait_for_url("**/releves/*/")
    celery_app.control.purge()  # no worker here: the test settles the entries itself
    assert page.locator("#reconcile-progress progress").is_visible()
    screenshot(page, "bank-statement-pending")
    _sign_in(phone, base, email)
    phone.goto(page.url)
    assert _no_horizontal_scroll(phone)
    screenshot(phone, "bank-statement-pending-phone")

    with django_db_blocker.unblock(), tenant_context(firm):
        services.statement_reconcile(statement_id=BankStatement.objects.get().pk)

    page.locator("#reconcile-progress").wait_for(state="detached", timeout=15_000)
    assert page.locator('tr[data-status="matched"]').count() == 50  # the first page
    screenshot(page, "bank-statement-done")
