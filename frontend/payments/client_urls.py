"""Entreprises (every URL names its company: `company_id`): the pages of this area."""

app_name = "payments"

urlpatterns: list = []
