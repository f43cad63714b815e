"""The events Stripe signs and sends to a firm's host."""

from django.urls import path

from frontend.cards import views

app_name = "cards_webhook"

urlpatterns = [path("webhook/", views.webhook, name="webhook")]
