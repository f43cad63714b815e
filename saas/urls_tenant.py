"""URLs of a firm's host (<slug>.<BASE_DOMAIN>)."""

from django.urls import include, path

from saas import health

urlpatterns = [
    # Answered by saas.health.ProbeMiddleware before the firm is resolved; named here for reverse().
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("api.urls")),
    path("mon-compte/", include("frontend.account.urls")),
    path("utilisateurs/", include("frontend.people.urls")),
    path("entreprises/", include("frontend.companies.urls")),
    path("cabinet/", include("frontend.backoffice.urls")),
    path("paiement/carte/", include("frontend.cards.webhook_urls")),
    path("", include("frontend.urls")),
]
