from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from api import (
    views,
    views_banking,
    views_bulk,
    views_entitlements,
    views_invoicing,
    views_payments,
    views_sepa,
    views_webhooks,
)

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("companies", views.CompanyViewSet, basename="company")
router.register("users", views.UserViewSet, basename="user")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("api-keys", views.ApiKeyViewSet, basename="api-key")
router.register("applications", views_entitlements.ApplicationViewSet, basename="application")
router.register("subscriptions", views_entitlements.SubscriptionViewSet, basename="subscription")
router.register("grants", views_entitlements.GrantViewSet, basename="grant")
router.register("audit-events", views_entitlements.AuditEventViewSet, basename="audit-event")
router.register("invoices", views_invoicing.InvoiceViewSet, basename="invoice")
router.register("credit-notes", views_invoicing.CreditNoteViewSet, basename="credit-note")
router.register("billing-runs", views_invoicing.BillingRunViewSet, basename="billing-run")
router.register(
    "webhook-endpoints", views_webhooks.WebhookEndpointViewSet, basename="webhook-endpoint"
)
router.register("webhook-events", views_webhooks.WebhookEventViewSet, basename="webhook-event")
router.register(
    "webhook-deliveries", views_webhooks.WebhookDeliveryViewSet, basename="webhook-delivery"
)
router.register(
    r"billing-runs/(?P<run_id>[^/.]+)/items",
    views_invoicing.BillingRunItemViewSet,
    basename="billing-run-item",
)
for module in (views_payments, views_sepa, views_banking):
    module.register(router)

urlpatterns = [
    *views_payments.urlpatterns,
    *views_sepa.urlpatterns,
    *views_banking.urlpatterns,
    path("companies/bulk", views_bulk.CompanyBulkView.as_view(), name="company-bulk"),
    path("users/bulk", views_bulk.PersonBulkView.as_view(), name="user-bulk"),
    path("memberships/bulk", views_bulk.MembershipBulkView.as_view(), name="membership-bulk"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
