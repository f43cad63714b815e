"""Mon compte > Accès aux services: open an application with a short-lived launch token."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from entitlements.models import Subscription
from entitlements.selectors import can_use
from entitlements.tokens import launch_token


@never_cache
@login_required
def launch(request, subscription_id: int):
    """302 to the application's launch URL with `?token=...`; 404 for an application the
    person may not use (missing, revoked, another company's) or without a launch URL."""
    subscription = (
        Subscription.objects.select_related("company", "application")
        .filter(pk=subscription_id)
        .first()
    )
    if (
        subscription is None
        or not subscription.application.launch_url
        or not can_use(request.user, subscription)
    ):
        raise Http404()
    token = launch_token(user=request.user, subscription=subscription)
    url = subscription.application.launch_url
    separator = "&" if "?" in url else "?"
    return redirect(f"{url}{separator}{urlencode({'token': token})}")
