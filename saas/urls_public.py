"""URLs of the public site (the bare BASE_DOMAIN)."""

from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls_public")),
]
