"""Entreprises: the pages of this space; every URL names its company."""

from django.urls import path

from frontend.companies import views

app_name = "companies"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:company_id>/", views.info, name="info"),
    path("<int:company_id>/acces/", views.access, name="access"),
    path("<int:company_id>/resilier/", views.cancel, name="cancel"),
    path("<int:company_id>/reactiver/", views.reactivate, name="reactivate"),
]
