"""Cabinet: the pages of this area."""

from django.urls import path

from frontend.reminders import views

app_name = "reminders_bo"

urlpatterns = [
    path("", views.index, name="index"),
    path("calendrier/", views.schedule, name="schedule"),
    path("factures/<int:invoice_id>/arreter/", views.invoice_stop, name="invoice_stop"),
    path("entreprises/arreter/", views.company_stop, name="company_stop"),
    path("arrets/<int:stop_id>/reprendre/", views.stop_resume, name="stop_resume"),
    path("bandeau/masquer/", views.banner_dismiss, name="banner_dismiss"),
]
