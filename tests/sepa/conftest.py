from tests.sepa.locale import sepa_french  # noqa: F401
