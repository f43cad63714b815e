"""Entreprises: the pages of this space; every URL names its company."""

from django.urls import include, path

from frontend.companies import views
from frontend.invoices import views as invoices

app_name = "companies"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:company_id>/", views.info, name="info"),
    path("<int:company_id>/acces/", views.access, name="access"),
    path("<int:company_id>/applications/", views.applications, name="applications"),
    path("<int:company_id>/journal/", views.journal, name="journal"),
    path("<int:company_id>/journal/export/", views.journal_export, name="journal_export"),
    path(
        "<int:company_id>/acces/applications/",
        views.access_applications,
        name="access_applications",
    ),
    path(
        "<int:company_id>/acces/applications/<int:subscription_id>/<int:user_id>/",
        views.access_toggle,
        name="access_toggle",
    ),
    path("<int:company_id>/factures/", invoices.company_invoices, name="invoices"),
    path(
        "<int:company_id>/factures/archives/",
        invoices.company_archive_request,
        name="invoice_archives",
    ),
    path("<int:company_id>/resilier/", views.cancel, name="cancel"),
    path("<int:company_id>/reactiver/", views.reactivate, name="reactivate"),
    path("<int:company_id>/releve/", include("frontend.payments.client_urls")),
    path("<int:company_id>/prelevement/", include("frontend.sepa.client_urls")),
    path("<int:company_id>/carte/", include("frontend.cards.client_urls")),
]
