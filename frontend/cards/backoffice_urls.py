"""Cabinet › Paiement par carte."""

from django.urls import path

from frontend.cards import views

app_name = "cards_bo"

urlpatterns = [path("", views.settings_page, name="settings")]
