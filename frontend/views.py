"""A firm's portal: sign-in, first password, and the home page."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from clients.models import Membership
from clients.selectors import companies_visible_to
from frontend.forms import EmailAuthenticationForm


class LoginView(auth_views.LoginView):
    template_name = "frontend/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_initial(self):
        return {"username": self.request.GET.get("email", "")}

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordSetView(auth_views.PasswordResetConfirmView):
    template_name = "frontend/password_set.html"
    success_url = reverse_lazy("frontend:login")
    post_reset_login = False

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set: you can sign in."))
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


@login_required
def home(request):
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("company")
        .order_by("company__legal_name")
    )
    context = {"memberships": memberships}
    if request.user.is_firm_staff:
        context["company_count"] = companies_visible_to(request.user).count()
    return render(request, "frontend/home.html", context)
