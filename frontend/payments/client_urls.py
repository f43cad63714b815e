"""Entreprises › Relevé de compte (every URL names its company: `company_id`)."""

from django.urls import path

from frontend.payments import views

app_name = "payments"

urlpatterns = [
    path("", views.client_statement, name="statement"),
    path("releve.csv", views.client_statement, {"fmt": "csv"}, name="statement_csv"),
    path("releve.pdf", views.client_statement, {"fmt": "pdf"}, name="statement_pdf"),
]
