"""URLs of the public site (the bare BASE_DOMAIN)."""

from django.urls import include, path

from saas import health, observability

urlpatterns = [
    # Answered by saas.health.ProbeMiddleware before the firm is resolved; named here for reverse().
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("frontend.urls_public")),
]
