"""Cabinet › Tableau de bord, Règlements, the payment forms of an invoice, statements."""

from django.urls import path

from frontend.payments import views

app_name = "payments_bo"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reglements/", views.payment_list, name="payments"),
    path("reglements/export.csv", views.payment_export, name="payments_export"),
    path(
        "reglements/<int:payment_id>/annuler/",
        views.payment_reverse_view,
        name="payment_reverse",
    ),
    path(
        "factures/<int:invoice_id>/reglement/",
        views.invoice_payment_record,
        name="payment_record",
    ),
    path("entreprises/<int:company_id>/releve/", views.staff_statement, name="statement"),
    path(
        "entreprises/<int:company_id>/releve.csv",
        views.staff_statement,
        {"fmt": "csv"},
        name="statement_csv",
    ),
    path(
        "entreprises/<int:company_id>/releve.pdf",
        views.staff_statement,
        {"fmt": "pdf"},
        name="statement_pdf",
    ),
]
