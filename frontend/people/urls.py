"""Utilisateurs: the pages of this space, and the public page that accepts an invitation."""

from django.urls import path

from frontend import invitations
from frontend.people import applications, views

app_name = "people"

urlpatterns = [
    path("", views.index, name="index"),
    path("inviter/", views.invite, name="invite"),
    path(
        "invitations/<int:invitation_id>/renvoyer/",
        views.invitation_action,
        {"action": "resend"},
        name="invitation_resend",
    ),
    path(
        "invitations/<int:invitation_id>/annuler/",
        views.invitation_action,
        {"action": "revoke"},
        name="invitation_revoke",
    ),
    path("invitation/<str:token>/", invitations.accept, name="invitation_accept"),
    path("<int:person_id>/", views.detail, name="detail"),
    path("<int:person_id>/applications/", applications.applications, name="applications"),
    path(
        "<int:person_id>/applications/<int:company_id>/",
        applications.toggle,
        name="applications_toggle",
    ),
    path("<int:person_id>/role/", views.role, name="role"),
    path("<int:person_id>/retirer/", views.remove, name="remove"),
    path("<int:person_id>/desactiver/", views.deactivate, name="deactivate"),
    path("<int:person_id>/reactiver/", views.reactivate, name="reactivate"),
]
