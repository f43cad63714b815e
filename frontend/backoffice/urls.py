"""Cabinet: the pages of this space."""

from django.urls import include, path

from frontend.backoffice import (
    api_keys_views,
    billing_views,
    entitlements_views,
    imports_views,
    views,
    webhooks_views,
)

app_name = "backoffice"

urlpatterns = [
    path("", views.index, name="index"),
    path("entreprises/", views.company_list, name="companies"),
    path("entreprises/nouvelle/", views.company_create, name="company_create"),
    path("entreprises/importer/", imports_views.import_start, name="import"),
    path("entreprises/importer/<str:token>/", imports_views.import_preview, name="import_preview"),
    path(
        "entreprises/importer/<str:token>/appliquer/",
        imports_views.import_apply,
        name="import_apply",
    ),
    path("entreprises/export/<str:kind>.<str:fmt>", imports_views.export, name="export"),
    path("entreprises/<int:company_id>/", views.company_detail, name="company_detail"),
    path("entreprises/<int:company_id>/modifier/", views.company_edit_view, name="company_edit"),
    path(
        "entreprises/<int:company_id>/archiver/",
        views.company_archive_view,
        name="company_archive",
    ),
    path("entreprises/<int:company_id>/inviter/", views.company_invite, name="company_invite"),
    path(
        "entreprises/<int:company_id>/invitations/<int:invitation_id>/renvoyer/",
        views.invitation_act,
        {"resend": True},
        name="invitation_resend",
    ),
    path(
        "entreprises/<int:company_id>/invitations/<int:invitation_id>/annuler/",
        views.invitation_act,
        {"resend": False},
        name="invitation_revoke",
    ),
    path(
        "entreprises/<int:company_id>/personnes/<int:user_id>/acces/",
        views.person_set_active,
        name="person_set_active",
    ),
    path("api/", api_keys_views.api_keys, name="api_keys"),
    path("api/<str:key_id>/revoquer/", api_keys_views.api_key_revoke, name="api_key_revoke"),
    path("webhooks/", webhooks_views.webhook_list, name="webhooks"),
    path("webhooks/nouveau/", webhooks_views.webhook_create, name="webhook_create"),
    path("webhooks/<int:endpoint_id>/", webhooks_views.webhook_detail, name="webhook_detail"),
    path(
        "webhooks/<int:endpoint_id>/secret/", webhooks_views.webhook_secret, name="webhook_secret"
    ),
    path(
        "webhooks/<int:endpoint_id>/supprimer/",
        webhooks_views.webhook_delete,
        name="webhook_delete",
    ),
    path(
        "webhooks/<int:endpoint_id>/envois/<int:delivery_id>/renvoyer/",
        webhooks_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
    path("equipe/", views.staff_list, name="staff"),
    path("equipe/<int:staff_id>/role/", views.staff_role, name="staff_role"),
    path("equipe/<int:staff_id>/acces/", views.staff_active, name="staff_active"),
    path("identite/", views.identity, name="identity"),
    path("identite/logo/", views.identity_logo, name="identity_logo"),
    path("logo/", views.logo, name="logo"),
    path("reactivations/", views.reactivations, name="reactivations"),
    path(
        "reactivations/<int:request_id>/decision/",
        views.reactivation_decide_view,
        name="reactivation_decide",
    ),
    path("applications/", entitlements_views.application_list, name="applications"),
    path("applications/nouvelle/", entitlements_views.application_new, name="application_create"),
    path(
        "applications/<int:application_id>/modifier/",
        entitlements_views.application_edit,
        name="application_edit",
    ),
    path(
        "applications/<int:application_id>/secret/",
        entitlements_views.application_secret_new,
        name="application_secret",
    ),
    path(
        "entreprises/<int:company_id>/applications/",
        entitlements_views.company_applications,
        name="company_applications",
    ),
    path(
        "entreprises/<int:company_id>/applications/<int:subscription_id>/modifier/",
        entitlements_views.subscription_change,
        name="subscription_change",
    ),
    path(
        "entreprises/<int:company_id>/applications/<int:subscription_id>/arreter/",
        entitlements_views.subscription_stop,
        name="subscription_end",
    ),
    path(
        "entreprises/<int:company_id>/applications/<int:subscription_id>/acces/<int:user_id>/ouvrir/",
        entitlements_views.access_switch,
        {"grant": True},
        name="access_grant",
    ),
    path(
        "entreprises/<int:company_id>/applications/<int:subscription_id>/acces/<int:user_id>/retirer/",
        entitlements_views.access_switch,
        {"grant": False},
        name="access_revoke",
    ),
    path("journal/", entitlements_views.journal, name="journal"),
    path("journal/export/", entitlements_views.journal_export, name="journal_export"),
    path("facturation/", billing_views.billing_home, name="billing"),
    path("facturation/<uuid:run_id>/", billing_views.run_detail, name="billing_run"),
    path(
        "facturation/<uuid:run_id>/avancement/",
        billing_views.run_progress,
        name="billing_run_progress",
    ),
    path("facturation/<uuid:run_id>/relancer/", billing_views.run_retry, name="billing_run_retry"),
    path("facturation/<uuid:run_id>/emettre/", billing_views.run_issue, name="billing_run_issue"),
    path("factures/", billing_views.invoice_list, name="invoices"),
    path("factures/<int:invoice_id>/", billing_views.invoice_detail, name="invoice_detail"),
    path(
        "factures/<int:invoice_id>/avoir/",
        billing_views.credit_note_create,
        name="credit_note_create",
    ),
    path(
        "factures/<int:invoice_id>/pdf/",
        billing_views.invoice_download,
        {"fmt": "pdf"},
        name="invoice_pdf",
    ),
    path(
        "factures/<int:invoice_id>/xml/",
        billing_views.invoice_download,
        {"fmt": "xml"},
        name="invoice_xml",
    ),
    path(
        "entreprises/<int:company_id>/factures/nouvelle/",
        billing_views.invoice_create,
        name="invoice_create",
    ),
    path("tableau-de-bord/", include("frontend.payments.backoffice_urls")),
    path("prelevements/", include("frontend.sepa.backoffice_urls")),
    path("rapprochement/", include("frontend.banking.backoffice_urls")),
    path("carte/", include("frontend.cards.backoffice_urls")),
    path("relances/", include("frontend.reminders.backoffice_urls")),
]
