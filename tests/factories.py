"""Factories for the rows of a firm's schema: call them inside `tenant_context(firm)`."""

import factory
from stdnum import luhn

from clients.models import Company, Membership, User
from clients.validators import vat_for

PASSWORD = "Correct-Horse-Battery-9"


def siren(n: int) -> str:
    base = f"{30000000 + n * 7:08d}"
    return base + luhn.calc_check_digit(base)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Durand{n}")
    password = factory.django.Password(PASSWORD)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    legal_name = factory.Sequence(lambda n: f"Société {n}")
    siren = factory.Sequence(siren)
    vat_number = factory.LazyAttribute(lambda company: vat_for(company.siren))
    city = "Lyon"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Membership.Role.COLLABORATOR
