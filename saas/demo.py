"""Demo data: "Cabinet Démo" at demo.<BASE_DOMAIN>, a dozen client companies and their people.

Every SIREN and VAT number passes its checksum. Loading twice changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django_tenants.utils import tenant_context
from stdnum import luhn

from clients.models import Company, Membership, User
from clients.services import company_create, company_update, membership_add, user_create
from clients.validators import vat_for
from firms.services import firm_open
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
