"""Cabinet > Entreprises > Importer / Exporter: a preview before anything is written, then the
valid rows applied; exports that import back unchanged."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from clients.models import Company, Membership, User
from clients.validators import vat_for
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory, UserFactory, siren

pytestmark = pytest.mark.django_db

START = "/cabinet/entreprises/importer/"
HEADER = "external_id;legal_name;siren;vat_number;city;share_capital"


def _signed_in(firm, email=None, *, language="fr"):
    with firm.context():
        User.objects.filter(email=email or firm.admin_email).update(language=language)
    client = firm.client()
    response = client.post(
        "/connexion/", {"username": email or firm.admin_email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _upload(client, content: bytes, kind="companies", name="import.csv"):
    return client.post(START, {"kind": kind, "file": SimpleUploadedFile(name, content)})


def _csv(*lines: str, encoding="utf-8-sig") -> bytes:
    return "\r\n".join(lines).encode(encoding)


def _statuses(response) -> list[str]:
    return re.findall(r'data-status="(\w+)"', response.content.decode())


def test_preview_lists_each_row_and_writes_nothing(alpha):
    client = _signed_in(alpha)
    content = _csv(
        HEADER,
        f"CRM-1;Fromagerie Lefèvre;{siren(801)};{vat_for(siren(801))};Annecy;10 000,50",
        "CRM-2;Sans SIREN;123;;Lyon;",
    )

    response = _upload(client, content)
    preview = client.get(response["Location"])

    assert response.status_code == 302
    assert _statuses(preview) == ["created", "error"]
    assert "Saisissez un SIREN valide" in preview.content.decode()
    with alpha.context():
        assert not Company.objects.filter(external_id__in=["CRM-1", "CRM-2"]).exists()


def test_apply_writes_the_valid_rows_only(alpha):
    client = _signed_in(alpha)
    content = _csv(
        "external_id,legal_name,siren,city",  # commas, no BOM
        f"CRM-3,Garage Martin,{siren(803)},Lyon",
        "CRM-4,,,",
        encoding="utf-8",
    )
    token_url = _upload(client, content)["Location"]

    response = client.post(token_url + "appliquer/")

    assert response.status_code == 302
    with alpha.context():
        assert Company.objects.get(external_id="CRM-3").legal_name == "Garage Martin"
        assert not Company.objects.filter(external_id="CRM-4").exists()
    assert client.get(token_url).status_code == 404  # applied once, then gone


def test_windows_1252_csv_from_french_excel_is_read(alpha):
    client = _signed_in(alpha)
    content = _csv("legal_name;siren;city", f"Crèmerie Étoile;{siren(804)};Sète", encoding="cp1252")

    client.post(_upload(client, content)["Location"] + "appliquer/")

    with alpha.context():
        assert Company.objects.get(siren=siren(804)).city == "Sète"


def test_xlsx_upload_with_numeric_siren_keeps_its_leading_zero(alpha):
    book = Workbook()
    sheet = book.active
    sheet.append(["legal_name", "siren", "city"])
    sheet.append(["Zéro Devant", 73282932, "Paris"])  # 073282932 typed as a number
    sheet.append(["Bonne Maison", int(siren(805)), "Lyon"])
    out = io.BytesIO()
    book.save(out)
    client = _signed_in(alpha)

    preview = client.get(_upload(client, out.getvalue(), name="import.xlsx")["Location"])

    assert _statuses(preview) == ["error", "created"]  # 073282932 is no valid SIREN
    assert "073282932" in preview.content.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"nom;ville\r\nA;B", "The first line must name the columns"),
        (b"legal_name;siren\r\n", "The file has no rows under its header."),
        (b"PK\x03\x04garbage", "This Excel file cannot be read."),
        (b"\x00\x01\x02legal_name", "This is not a CSV or XLSX file."),
    ],
)
def test_bad_files_get_a_400_with_a_field_message(alpha, content, message):
    response = _upload(_signed_in(alpha, language="en"), content)

    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert message in response.content.decode()


def test_import_pages_are_for_firm_administrators_only(alpha):
    with alpha.context():
        UserFactory(email="compta@alpha.example", firm_role=User.FirmRole.ACCOUNTANT)
        UserFactory(email="client@exemple.fr")
    admin = _signed_in(alpha)
    token_url = _upload(admin, _csv("legal_name;siren", f"A;{siren(806)}"))["Location"]

    for email in ("compta@alpha.example", "client@exemple.fr"):
        other = _signed_in(alpha, email)
        assert other.get(START).status_code == 404
        assert other.get(token_url).status_code == 404
        assert other.post(token_url + "appliquer/").status_code == 404
        assert other.get("/cabinet/entreprises/export/companies.csv").status_code == 404
    with alpha.context():
        assert not Company.objects.filter(siren=siren(806)).exists()


def test_a_preview_is_not_reachable_from_another_firm(alpha, beta):
    token_url = _upload(_signed_in(alpha), _csv("legal_name;siren", f"A;{siren(807)}"))["Location"]

    assert _signed_in(beta).get(token_url).status_code == 404


def test_people_import_with_roles_and_errors(alpha):
    with alpha.context():
        company = CompanyFactory()
    client = _signed_in(alpha)
    content = _csv(
        "external_id;email;first_name;last_name;phone;language;companies",
        f"P-1;claire@exemple.fr;Claire;Martin;06 12 34 56 78;fr;{company.siren}:admin",
        f"P-2;paul@exemple.fr;Paul;Roux;;en;{company.siren}:chef",
        "P-3;pas-un-email;;;;;",
    )

    url = _upload(client, content, kind="people")["Location"]
    assert _statuses(client.get(url)) == ["created", "error", "error"]
    client.post(url + "appliquer/")

    with alpha.context():
        assert Membership.objects.get(user__external_id="P-1", company=company).role == "admin"
        assert not User.objects.filter(external_id__in=["P-2", "P-3"]).exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_imports_back_unchanged(alpha, fmt):
    with alpha.context():
        company = CompanyFactory(legal_name="Boulangerie; « Martin »", share_capital="1500.00")
        company.external_id = f"EXP-{fmt}"
        company.phone = "+33478000000"
        company.save()
        person = UserFactory(email=f"export-{fmt}@exemple.fr", phone="+33612345678")
        MembershipFactory(user=person, company=company, role=Membership.Role.ADMIN)
    client = _signed_in(alpha)

    for kind in ("companies", "people"):
        exported = client.get(f"/cabinet/entreprises/export/{kind}.{fmt}")
        assert exported.status_code == 200
        if fmt == "csv":
            assert exported.content.startswith(b"\xef\xbb\xbf")
        url = _upload(client, exported.content, kind=kind, name=f"export.{fmt}")["Location"]
        statuses = _statuses(client.get(url))
        assert statuses and set(statuses) == {"unchanged"}, kind


def test_xlsx_export_has_the_import_columns(alpha):
    with alpha.context():
        CompanyFactory(legal_name="Tableur")
    exported = _signed_in(alpha).get("/cabinet/entreprises/export/companies.xlsx")

    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["external_id", "legal_name", "siren"]


def test_companies_list_links_to_the_import(alpha):
    response = _signed_in(alpha).get("/cabinet/entreprises/")

    assert START in response.content.decode()
