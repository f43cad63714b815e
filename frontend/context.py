"""What every page knows: the firm whose portal this is (None on the public site), its
identity, and which spaces the signed-in person may open."""

from django.db import connection
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _profile():
    from firms.models import FirmProfile

    return FirmProfile.objects.filter(pk=1).first()


def _is_client_admin(user) -> bool:
    from clients.selectors import is_client_admin

    return bool(user.is_authenticated and is_client_admin(user))


def portal(request: HttpRequest) -> dict:
    firm = getattr(request, "tenant", None)
    if firm is None or connection.schema_name == "public":
        return {"firm": None}
    user = request.user
    return {
        "firm": firm,
        "firm_profile": SimpleLazyObject(_profile),
        "is_client_admin": SimpleLazyObject(lambda: _is_client_admin(user)),
    }
