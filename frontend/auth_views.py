"""Signing in (password, then the second factor when the person has one) and resetting a
forgotten password by e-mail."""

from __future__ import annotations

import time

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _

from clients.models import User
from clients.services.account import has_two_factor, sessions_end_all, two_factor_verify
from frontend.account.forms import CodeForm
from frontend.forms import EmailAuthenticationForm

PENDING_KEY = "login_pending"
PENDING_SECONDS = 5 * 60


class LoginView(auth_views.LoginView):
    template_name = "frontend/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_initial(self):
        return {"username": self.request.GET.get("email", "")}

    def form_valid(self, form):
        user = form.get_user()
        if not has_two_factor(user):
            return super().form_valid(form)
        # The password is right; the person is signed in only once the second step passes.
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
        }
        url = reverse("frontend:login_code")
        next_url = self.get_redirect_url()
        return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _pending_user(request) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is not None:
        user.backend = pending["backend"]
    return user


def login_code(request):
    """The second step: a code of the authenticator app, or one of the recovery codes."""
    user = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("frontend:login")
    next_url = request.POST.get("next", request.GET.get("next", ""))
    credentials = {"username": user.email}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return get_lockout_response(request, None, credentials)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            device = two_factor_verify(user=user, code=form.cleaned_data["code"])
            if device is not None:
                request.session.pop(PENDING_KEY, None)
                auth_login(request, user)
                django_otp.login(request, device)
                if not url_has_allowed_host_and_scheme(
                    next_url, {request.get_host()}, require_https=request.is_secure()
                ):
                    next_url = reverse("frontend:home")
                return redirect(next_url)
            form.add_error("code", _("This code is not correct."))
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return render(
        request, "frontend/auth/login_code.html", {"form": form, "next": next_url}, status=status
    )


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "frontend/auth/password_reset.html"
    email_template_name = "frontend/auth/password_reset_email.txt"
    subject_template_name = "frontend/auth/password_reset_subject.txt"
    success_url = reverse_lazy("frontend:password_reset_done")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "frontend/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "frontend/auth/password_reset_confirm.html"
    success_url = reverse_lazy("frontend:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever held the old password is signed out everywhere.
        sessions_end_all(actor=self.user)
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "frontend/auth/password_reset_complete.html"
