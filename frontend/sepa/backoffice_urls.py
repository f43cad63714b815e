"""Cabinet: the pages of this area."""

from django.urls import path

from frontend.sepa import backoffice_views as views

app_name = "sepa_bo"

urlpatterns = [
    path("", views.index, name="index"),
    path("réglages/", views.settings_page, name="settings"),
    path("exporter/", views.export, name="export"),
    path("fichiers/<int:collection_id>/", views.collection, name="collection"),
    path("fichiers/<int:collection_id>/xml/", views.collection_file, name="collection_file"),
    path("mandats/<int:mandate_id>/pdf/", views.mandate_pdf, name="mandate_pdf"),
    path("mandats/<int:mandate_id>/revoquer/", views.mandate_revoke, name="mandate_revoke"),
]
