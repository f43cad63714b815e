"""A firm's portal: the first password, and the home page (Mon compte's landing).

Signing in and password reset live in `frontend.auth_views`."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from frontend.account.views import index as home
from frontend.auth_views import LoginView

__all__ = ["LoginView", "PasswordSetView", "home"]


class PasswordSetView(auth_views.PasswordResetConfirmView):
    template_name = "frontend/password_set.html"
    success_url = reverse_lazy("frontend:login")
    post_reset_login = False

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set: you can sign in."))
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
