"""Mon compte: the pages of this space."""

from django.urls import path

from frontend import launch
from frontend.account import data_export, views
from frontend.invoices import views as invoices

app_name = "account"

urlpatterns = [
    path("", views.index, name="index"),
    path("informations/", views.information, name="information"),
    path("informations/mes-donnees/", data_export.my_data, name="my_data"),
    path("informations/e-mail/", views.email_change, name="email_change"),
    path("informations/e-mail/annuler/", views.email_change_cancel, name="email_change_cancel"),
    path("e-mail/confirmer/<str:token>/", views.email_confirm, name="email_confirm"),
    path("mot-de-passe/", views.password, name="password"),
    path("double-authentification/", views.two_factor, name="two_factor"),
    path("double-authentification/activer/", views.two_factor_enrol, name="two_factor_enrol"),
    path("double-authentification/codes/", views.recovery_codes, name="recovery_codes"),
    path(
        "double-authentification/desactiver/",
        views.two_factor_disable,
        name="two_factor_disable",
    ),
    path("services/", views.service_access, name="services"),
    path("services/<int:subscription_id>/lancer/", launch.launch, name="launch"),
    path("factures/", invoices.account_invoices, name="invoices"),
    path(
        "factures/<int:invoice_id>/pdf/",
        invoices.invoice_download,
        {"fmt": "pdf"},
        name="invoice_pdf",
    ),
    path(
        "factures/<int:invoice_id>/xml/",
        invoices.invoice_download,
        {"fmt": "xml"},
        name="invoice_xml",
    ),
    path("factures/archives/", invoices.account_archive_request, name="invoice_archives"),
    path("factures/archives/<uuid:archive_id>/", invoices.archive_status, name="invoice_archive"),
    path(
        "factures/archives/<uuid:archive_id>/telecharger/",
        invoices.archive_download,
        name="invoice_archive_download",
    ),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/tout-fermer/", views.sessions_end_all, name="sessions_end_all"),
    path("sessions/<str:session_id>/fermer/", views.session_end, name="session_end"),
]
