from django.urls import path

from frontend import views_public

app_name = "public"

urlpatterns = [
    path("", views_public.landing, name="landing"),
    path("inscription/", views_public.signup, name="signup"),
]
