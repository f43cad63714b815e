"""Cabinet > Relances: reminders sent, those coming, stops per invoice or company (firm staff,
for the companies in their charge); the schedule (firm administrators). And the dismissal of
the overdue banner of client administrators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Company
from frontend.access import firm_admin_required, firm_staff_required
from frontend.reminders.context import DISMISSED_KEY
from frontend.reminders.forms import CompanyStopForm, ScheduleForm, StopForm
from invoicing.selectors import access_invoice
from reminders import selectors, services
from tenants.errors import DomainError, NotFound

PAGE_SIZE = 50
COMING_DAYS = 7
COMING_SHOWN = 100


def _form_error(form, error: DomainError) -> None:
    if error.code in ("not_found", "permission_denied"):
        raise error
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def _company_choices(user) -> list[tuple[int, str]]:
    return list(
        selectors.companies_in_charge(user)
        .exclude(status=Company.Status.ARCHIVED)
        .order_by("legal_name")
        .values_list("pk", "legal_name")
    )


@firm_staff_required
def index(request, company_form: CompanyStopForm | None = None, status: int = 200):
    schedule = selectors.schedule_current()
    companies = selectors.companies_in_charge(request.user)
    coming = (
        selectors.reminders_planned(
            schedule,
            within_days=COMING_DAYS,
            invoices=selectors.invoices_to_remind().filter(company__in=companies),
        )
        if schedule.enabled
        else []
    )
    sent = Paginator(
        selectors.reminders_sent(request.user).order_by("-sent_on", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "schedule": schedule,
        "coming": coming[:COMING_SHOWN],
        "coming_more": max(len(coming) - COMING_SHOWN, 0),
        "coming_days": COMING_DAYS,
        "sent": sent,
        "stops": list(selectors.stops_active(request.user)),
        "company_form": company_form or CompanyStopForm(companies=_company_choices(request.user)),
    }
    return render(request, "frontend/reminders/index.html", context, status=status)


@firm_admin_required
def schedule(request):
    current = selectors.schedule_current()
    initial = {
        "enabled": current.enabled,
        "courtesy_days": current.courtesy_days,
        "reminder_days": current.reminder_days,
        "notice_days": current.notice_days,
    }
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.schedule_update(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("The reminder schedule was saved."))
                return redirect("backoffice:reminders_bo:schedule")
        status = 400
    else:
        status = 200
    context = {"form": form, "schedule": current}
    return render(request, "frontend/reminders/schedule.html", context, status=status)


@firm_staff_required
def invoice_stop(request, invoice_id):
    invoice = access_invoice(request.user, invoice_id)
    form = StopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reminders_stop(
                actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Reminders of invoice %(number)s are stopped.") % {"number": invoice.number},
            )
            return redirect("backoffice:invoice_detail", invoice_id=invoice.pk)
    context = {"form": form, "invoice": invoice}
    status = 400 if request.method == "POST" else 200
    return render(request, "frontend/reminders/stop.html", context, status=status)


@firm_staff_required
@require_POST
def company_stop(request):
    form = CompanyStopForm(request.POST, companies=_company_choices(request.user))
    if form.is_valid():
        company = (
            selectors.companies_in_charge(request.user)
            .filter(pk=form.cleaned_data["company"])
            .first()
        )
        try:
            if company is None:
                raise NotFound()
            services.reminders_stop(
                actor=request.user, company=company, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Reminders of %(company)s are stopped.") % {"company": company.legal_name},
            )
            return redirect("backoffice:reminders_bo:index")
    return index(request, company_form=form, status=400)


@firm_staff_required
@require_POST
def stop_resume(request, stop_id):
    stop = selectors.access_stop(request.user, stop_id)
    services.reminders_resume(actor=request.user, stop=stop)
    messages.success(request, _("Reminders are resumed."))
    if stop.invoice_id and request.POST.get("back") == "invoice":
        return redirect("backoffice:invoice_detail", invoice_id=stop.invoice_id)
    return redirect("backoffice:reminders_bo:index")


@login_required
@require_POST
def banner_dismiss(request):
    """Hide the overdue banner until the end of the session."""
    request.session[DISMISSED_KEY] = True
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)
