from django.urls import path

from frontend.companies import views

app_name = "companies"

urlpatterns = [
    path("", views.index, name="index"),
]
