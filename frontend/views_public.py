"""The public site: what Comptoir is, and a firm's sign-up."""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from firms.services import firm_open
from frontend.forms import FirmSignupForm
from tenants.errors import DomainError

FIELD_OF = {"admin_email": "email", "admin_password": "password"}


def landing(request):
    return render(request, "frontend/public/landing.html")


@require_http_methods(["GET", "POST"])
def signup(request):
    form = FirmSignupForm(request.POST or None, domain=settings.BASE_DOMAIN)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opened = firm_open(
                name=data["name"],
                slug=data["slug"],
                siren=data["siren"],
                admin_email=data["email"],
                admin_first_name=data["first_name"],
                admin_last_name=data["last_name"],
                admin_password=data["password"],
            )
        except DomainError as error:
            form.add_error(FIELD_OF.get(error.field or "", error.field), str(error.message))
        else:
            query = urlencode({"email": opened.admin.email, "welcome": 1})
            return redirect(f"{opened.portal_url}connexion/?{query}")
    status = 400 if form.errors else 200
    return render(request, "frontend/public/signup.html", {"form": form}, status=status)
