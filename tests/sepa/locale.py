"""The French of this area, compiled from its PO part, for the tests that read French before
the part is merged into the project's catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings as django_settings

PART = Path(django_settings.BASE_DIR) / "frontend" / "locale" / "fr" / "parts" / "sepa.po"


@pytest.fixture
def sepa_french(settings, tmp_path_factory):
    target = tmp_path_factory.mktemp("locale") / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with PART.open("rb") as source:
        catalogue = read_po(source, locale="fr")
    with (target / "django.mo").open("wb") as compiled:
        write_mo(compiled, catalogue)
    settings.LOCALE_PATHS = [target.parent.parent, *django_settings.LOCALE_PATHS]
