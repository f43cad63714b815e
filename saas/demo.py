"""Demo data: "Cabinet Démo" at demo.<BASE_DOMAIN>, a dozen client companies and their people,
the firm's catalogue, subscriptions and accesses, the last three months' invoices and their
payments (the oldest month paid, some of the next one in part).

Every SIREN and VAT number passes its checksum. Loading twice changes nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django_tenants.utils import tenant_context
from stdnum import luhn

from clients.models import Company, Membership, User
from clients.services import company_create, company_update, membership_add, user_create
from clients.validators import vat_for
from entitlements.models import Application, Subscription
from entitlements.services import (
    application_create,
    company_right_grant,
    grant_defaults,
    subscription_create,
)
from firms.models import FirmProfile
from firms.services import firm_open
from invoicing import services as invoicing
from invoicing.models import Invoice
from invoicing.pricing import previous_month
from payments.models import Means, PaymentEvent, Source
from payments.services import payment_record
from tenants import storage
from tenants.models import Firm

DEMO_SLUG = "demo"
DEMO_PASSWORD = "comptoir-demo"  # noqa: S105 - published demo credentials
FIRM_SIREN = "732829320"

STAFF = [
    ("admin", "expert@demo.localhost", "Hélène", "Garnier"),
    ("accountant", "comptable@demo.localhost", "Karim", "Benali"),
]

# legal name, legal form, capital, street, postal code, city, administrator, collaborators
COMPANIES = [
    (
        "Boulangerie Martin",
        "SARL",
        "8000",
        "12 rue de la République",
        "69002",
        "Lyon",
        ("Claire", "Martin"),
        [("Julien", "Roux"), ("Emma", "Faure")],
    ),
    (
        "Garage Lefèvre et Fils",
        "SAS",
        "30000",
        "4 avenue Jean Jaurès",
        "31000",
        "Toulouse",
        ("Paul", "Lefèvre"),
        [("Inès", "Moreau")],
    ),
    (
        "Atelier Dubois Menuiserie",
        "EURL",
        "5000",
        "27 chemin des Vignes",
        "33000",
        "Bordeaux",
        ("Marc", "Dubois"),
        [],
    ),
    (
        "Pharmacie du Marché",
        "SELARL",
        "150000",
        "1 place du Marché",
        "44000",
        "Nantes",
        ("Sophie", "Laurent"),
        [("Lucas", "Girard"), ("Chloé", "Bonnet"), ("Hugo", "Mercier")],
    ),
    (
        "Cabinet Infirmier Petit",
        "SCM",
        "1000",
        "9 rue Pasteur",
        "67000",
        "Strasbourg",
        ("Nathalie", "Petit"),
        [("Léa", "Blanc")],
    ),
    (
        "Transports Morel",
        "SAS",
        "75000",
        "ZA des Portes, lot 3",
        "59000",
        "Lille",
        ("Thomas", "Morel"),
        [("Camille", "Guerin"), ("Nicolas", "Muller")],
    ),
    (
        "Fleurs et Jardins Simon",
        "SARL",
        "10000",
        "15 boulevard Victor Hugo",
        "06000",
        "Nice",
        ("Isabelle", "Simon"),
        [],
    ),
    (
        "SCI Les Tilleuls",
        "SCI",
        "1500",
        "3 allée des Tilleuls",
        "35000",
        "Rennes",
        ("Claire", "Martin"),
        [],
    ),
    (
        "Restaurant Le Comptoir Gourmand",
        "SAS",
        "20000",
        "48 quai de la Loire",
        "37000",
        "Tours",
        ("Antoine", "Fournier"),
        [("Manon", "Lambert"), ("Théo", "Fontaine")],
    ),
    (
        "Plomberie Chauffage Rousseau",
        "EURL",
        "7500",
        "6 impasse des Artisans",
        "21000",
        "Dijon",
        ("Éric", "Rousseau"),
        [("Sarah", "Vincent")],
    ),
    (
        "Studio Graphique Perrin",
        "SASU",
        "2000",
        "21 rue Oberkampf",
        "75011",
        "Paris",
        ("Julie", "Perrin"),
        [],
    ),
    (
        "Cave à Vins Chevalier",
        "SARL",
        "15000",
        "2 rue des Remparts",
        "51100",
        "Reims",
        ("Olivier", "Chevalier"),
        [("Laura", "André")],
    ),
]


def siren_for(index: int) -> str:
    base = f"{41002310 + index * 7919:08d}"
    return base + luhn.calc_check_digit(base)


def _slug(text: str) -> str:
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def email_of(first: str, last: str, company: str) -> str:
    return f"{_slug(first)}.{_slug(last)}@{_slug(company)[:24]}.example"


def demo_logins() -> list[tuple[str, str]]:
    first = COMPANIES[0]
    return [
        ("firm administrator", STAFF[0][1]),
        ("accountant", STAFF[1][1]),
        ("client administrator", email_of(*first[6], first[0])),
        ("collaborator", email_of(*first[7][0], first[0])),
    ]


def load() -> Firm:
    storage.bucket_ensure()
    firm = Firm.objects.filter(slug=DEMO_SLUG).first()
    if firm is None:
        firm = firm_open(
            name="Cabinet Démo",
            slug=DEMO_SLUG,
            siren=FIRM_SIREN,
            admin_email=STAFF[0][1],
            admin_first_name=STAFF[0][2],
            admin_last_name=STAFF[0][3],
        ).firm
    with tenant_context(firm):
        _people_and_companies()
        _catalogue_and_subscriptions()
        _invoices()
        _payments()
    return firm


def _person(email: str, first: str, last: str, firm_role: str = "") -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = user_create(email=email, first_name=first, last_name=last, firm_role=firm_role)
    if not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _people_and_companies() -> None:
    admin, accountant = (
        _person(email, first, last, firm_role=role) for role, email, first, last in STAFF
    )
    for index, (
        name,
        form,
        capital,
        street,
        postal,
        city,
        client_admin,
        collaborators,
    ) in enumerate(COMPANIES):
        siren = siren_for(index)
        company = Company.objects.filter(siren=siren).first() or company_create(
            legal_name=name,
            siren=siren,
            vat_number=vat_for(siren),
            legal_form=form,
            share_capital=Decimal(capital),
            address_line=street,
            postal_code=postal,
            city=city,
            billing_email=f"compta@{_slug(name)[:24]}.example",
            status=Company.Status.TRIAL if index == 10 else Company.Status.ACTIVE,
        )
        if index % 2 == 0 and company.accountant_id is None:
            company_update(actor=admin, company=company, accountant=accountant)
        owner_company = next(c for c in COMPANIES if c[6] == client_admin)[0]
        membership_add(
            user=_person(email_of(*client_admin, owner_company), *client_admin),
            company=company,
            role=Membership.Role.ADMIN,
        )
        for first, last in collaborators:
            membership_add(
                user=_person(email_of(first, last, name), first, last),
                company=company,
                role=Membership.Role.COLLABORATOR,
            )


# name, category, pricing, price excl. VAT, sensitive, launch URL
CATALOGUE = [
    (
        "Comptabilité en ligne",
        "bookkeeping",
        "per_company_month",
        "49.00",
        False,
        "https://compta.demo.example/launch",
    ),
    (
        "Notes de frais",
        "expense_reports",
        "per_user_month",
        "8.00",
        False,
        "https://frais.demo.example/launch",
    ),
    (
        "Banque et rapprochement",
        "bank",
        "per_company_month",
        "19.00",
        True,
        "https://banque.demo.example/launch",
    ),
    ("Honoraires de tenue comptable", "fees", "per_company_month", "180.00", False, ""),
]


def _catalogue_and_subscriptions() -> None:
    admin = User.objects.get(email=STAFF[0][1])
    FirmProfile.objects.filter(pk=1, iban="").update(
        legal_name="Cabinet Démo Expertise Comptable",
        legal_form="SAS",
        share_capital=Decimal("50000.00"),
        vat_number=vat_for(FIRM_SIREN),
        rcs_city="Lyon",
        address_line="8 place Bellecour",
        postal_code="69002",
        city="Lyon",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPPXXX",
        email="facturation@cabinet-demo.example",
    )
    applications = []
    for name, category, pricing, price, sensitive, url in CATALOGUE:
        application = Application.objects.filter(name=name).first() or application_create(
            actor=admin,
            name=name,
            category=category,
            pricing=pricing,
            price_excl_vat=Decimal(price),
            is_sensitive=sensitive,
            launch_url=url,
        )
        applications.append(application)
    start = previous_month(previous_month(previous_month(datetime.date.today())))
    for index, company in enumerate(Company.objects.order_by("siren")):
        if company.status == Company.Status.TRIAL:
            continue
        chosen = applications if index % 3 == 0 else [applications[0], applications[3]]
        for offset, application in enumerate(chosen):
            if Subscription.objects.filter(company=company, application=application).exists():
                continue
            subscription_create(
                actor=admin,
                company=company,
                application=application,
                # Some start mid-month, to show a prorated line.
                start_date=start + datetime.timedelta(days=9 * (offset % 2) * (index % 2)),
            )
        for membership in company.memberships.select_related("user"):
            grant_defaults(actor=admin, user=membership.user, company=company)
    first = Company.objects.get(legal_name=COMPANIES[0][0])
    collaborator = User.objects.get(email=email_of(*COMPANIES[0][7][0], COMPANIES[0][0]))
    for codename in ("view_invoices", "download_invoices"):
        company_right_grant(actor=admin, user=collaborator, company=first, codename=codename)


def _invoices() -> None:
    """The last three months billed, with their documents; billing again changes nothing."""
    period = previous_month(datetime.date.today())
    periods = [previous_month(previous_month(period)), previous_month(period), period]
    for period_start in periods:
        for company in invoicing.billable_companies():
            outcome = invoicing.company_bill(
                company=company, period_start=period_start, document_later=False
            )
            if outcome.invoice is not None:
                invoicing.document_store(outcome.invoice, notify=False)


def _payments() -> None:
    """Transfers received: the oldest month's invoices in full, every other invoice of the next
    month in half; recorded once (their external ids come back the same)."""
    if PaymentEvent.objects.exists():
        return
    months = sorted({day for day in Invoice.objects.dates("period_start", "month")})[:2]
    invoices = Invoice.objects.filter(kind="invoice", period_start__in=months).order_by("number")
    today = datetime.date.today()
    for index, invoice in enumerate(invoices):
        if invoice.period_start == months[0]:
            amount = invoice.total_incl_vat
        elif index % 2:
            amount = (invoice.total_incl_vat / 2).quantize(Decimal("0.01"))
        else:
            continue
        payment_record(
            actor=None,
            invoice=invoice,
            amount=amount,
            date=today,
            means=Means.TRANSFER,
            source=Source.BANK,
            reference=invoice.number,
            payer=invoice.company.legal_name,
            external_id=f"DEMO-{invoice.number}",
        )
