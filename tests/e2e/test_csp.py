"""The Content Security Policy in a real browser: the pages, htmx, the firm's colour and the API
reference work under it, and the browser reports no violation."""

import re

from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.factories import CompanyFactory, siren

PASSWORD = "Correct-Horse-Battery-9"
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _watched(page) -> list[str]:
    console: list[str] = []
    page.add_init_script(WATCH)
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return console


def _violations(page) -> list[str]:
    return page.evaluate("window.__violations")


def test_pages_htmx_colour_and_api_reference_run_without_a_violation(
    server, page, e2e_firm, django_db_blocker
):
    console = _watched(page)
    firm, email = e2e_firm.firm, e2e_firm.admin.email
    base = f"http://{firm.slug}.localhost:{server}"
    with django_db_blocker.unblock(), tenant_context(firm):
        CompanyFactory(legal_name="Menuiserie Lenoir", siren=siren(700), city="Rennes")
        CompanyFactory(legal_name="Garage du Port", siren=siren(701), city="Nantes")

    page.goto(f"http://localhost:{server}/")
    assert _violations(page) == []
    page.goto(f"{base}/connexion/")
    colour = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--firm-colour').trim()"
    )
    assert re.fullmatch(r"#[0-9a-f]{6}", colour), colour
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"{base}/")
    assert _violations(page) == []

    page.goto(f"{base}/cabinet/entreprises/")
    page.fill("#id_q", "menuis")  # htmx fetches and swaps the results
    page.wait_for_url(re.compile(r".*q=menuis.*"))
    expect(page.locator("#company-results tbody tr")).to_have_count(1)
    assert _violations(page) == []

    page.goto(f"{base}/mon-compte/double-authentification/")
    page.get_by_role("button", name=re.compile("double authentification|two-factor", re.I)).click()
    expect(page.locator("figure svg")).to_be_visible()
    assert _violations(page) == []
    assert console == []
    # The watch itself works: an inline script is refused and reported.
    refused = page.evaluate(
        """() => new Promise((resolve) => {
          document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective));
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
        })"""
    )
    assert refused == "script-src-elem"
    assert page.evaluate("window.injected === undefined")

    page.goto(f"{base}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Comptoir API")
    screenshot(page, "api-docs-under-csp")
    assert _violations(page) == []
    (refused_message,) = console  # the script refused above, and nothing else
    assert refused_message.startswith("Executing inline script violates")
