"""Entreprises › Carte bancaire, and paying an invoice of the company by card (every URL names
its company: `company_id`)."""

from django.urls import path

from frontend.cards import views

app_name = "cards"

urlpatterns = [
    path("", views.card, name="card"),
    path("enregistrer/", views.card_setup, name="card_setup"),
    path("enregistree/", views.card_saved, name="card_saved"),
    path("payer/<int:invoice_id>/", views.pay, name="pay"),
    path("paiement/", views.paid, name="paid"),
]
