"""Entreprises (every URL names its company: `company_id`): the pages of this area."""

from django.urls import path

from frontend.sepa import client_views

app_name = "sepa"

urlpatterns = [
    path("", client_views.company_page, name="company"),
    path("mandats/<int:mandate_id>/pdf/", client_views.pdf, name="mandate_pdf"),
    path("mandats/<int:mandate_id>/revoquer/", client_views.revoke, name="mandate_revoke"),
]
