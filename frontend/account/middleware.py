"""What Mon compte's settings change on every request: the person's interface language, and
the firm's demand of a second factor."""

from django.conf import settings
from django.db import connection
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from clients.services.account import has_two_factor, two_factor_required, user_language_set


def _signed_in(request) -> bool:
    # The public site has no people: its schema holds no sessions to look up.
    if getattr(request, "tenant", None) is None or connection.schema_name == "public":
        return False
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class UserLanguageMiddleware:
    """A signed-in person sees the pages in the language of their account; the language
    button also saves their choice. The API keeps following Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _signed_in(request) and not request.path.startswith("/api/"):
            user = request.user
            if request.method == "POST" and request.path == reverse("set_language"):
                user_language_set(actor=user, language=request.POST.get("language", ""))
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """When the firm requires it, staff and client administrators without an authenticator
    are sent to enrol one, from every page but that one and signing out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _signed_in(request) and not self._exempt(request.path):
            user = request.user
            from firms.models import FirmProfile

            profile = FirmProfile.objects.filter(pk=1).only("require_2fa").first()
            if two_factor_required(user, profile) and not has_two_factor(user):
                return redirect("account:two_factor")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        allowed = (
            reverse("account:two_factor"),
            reverse("frontend:logout"),
            reverse("set_language"),
            settings.STATIC_URL,
        )
        return path.startswith(allowed)
