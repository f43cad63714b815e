"""Cabinet: the application catalogue, the applications of a company and the audit trail.
Each view translates HTTP to an entitlements selector or service."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.models import User
from entitlements.audit_export import audit_csv_write
from entitlements.models import Application, AuditEvent, Subscription
from entitlements.selectors import access_matrix, seats_used
from entitlements.services import (
    application_create,
    application_secret_rotate,
    application_update,
    grant_access,
    revoke_access,
    subscription_create,
    subscription_end,
    subscription_update,
)
from frontend.access import firm_staff_required
from frontend.backoffice.entitlements_forms import (
    APPLICATION_FIELDS,
    ApplicationForm,
    JournalFilterForm,
    SubscriptionChangeForm,
    SubscriptionEndForm,
    SubscriptionForm,
)
from frontend.backoffice.selectors import access_company_as_staff, companies_managed_by
from tenants.errors import DomainError, NotFound

JOURNAL_PAGE_SIZE = 50


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _form_error(form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


# --- catalogue -----------------------------------------------------------------------------


@firm_staff_required
@require_GET
def application_list(request):
    applications = Application.objects.order_by("name", "id")
    return render(
        request,
        "frontend/backoffice/application_list.html",
        {"applications": applications, "may_edit": request.user.is_firm_admin},
    )


def _application(application_id) -> Application:
    try:
        return Application.objects.get(pk=int(application_id))
    except (Application.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _application_page(request, application: Application | None):
    if not request.user.is_firm_admin:
        raise NotFound()
    initial = (
        {name: getattr(application, name) for name in APPLICATION_FIELDS} if application else None
    )
    form = ApplicationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if application is None:
                application = application_create(actor=request.user, **form.cleaned_data)
            else:
                changes = {
                    name: value
                    for name, value in form.cleaned_data.items()
                    if initial.get(name) != value
                }
                application_update(actor=request.user, application=application, **changes)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request, _("The application %(name)s was saved.") % {"name": application}
            )
            return redirect("backoffice:applications")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "frontend/backoffice/application_form.html",
        {"form": form, "application": application},
        status=status,
    )


@firm_staff_required
def application_new(request):
    return _application_page(request, None)


@firm_staff_required
def application_edit(request, application_id):
    if not request.user.is_firm_admin:
        raise NotFound()
    return _application_page(request, _application(application_id))


@firm_staff_required
@require_POST
def application_secret_new(request, application_id):
    """A new launch secret: the application must be given it before tokens verify again."""
    if not request.user.is_firm_admin:
        raise NotFound()
    application_secret_rotate(actor=request.user, application=_application(application_id))
    messages.success(request, _("A new launch secret was made: give it to the application."))
    return redirect("backoffice:application_edit", application_id=application_id)


# --- applications of a company -------------------------------------------------------------


def _subscription(company, subscription_id) -> Subscription:
    try:
        return Subscription.objects.select_related("application", "company").get(
            pk=int(subscription_id), company=company
        )
    except (Subscription.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _company_applications_page(request, company, form=None, status=200):
    people, subscriptions, granted = access_matrix(company)
    ended = list(
        Subscription.objects.filter(company=company, status=Subscription.Status.ENDED)
        .select_related("application")
        .order_by("-end_date", "-id")
    )
    used = seats_used(subscriptions)
    rows = [
        (person, [(s, (person.pk, s.pk) in granted) for s in subscriptions]) for person in people
    ]
    context = {
        "company": company,
        "subscriptions": [(s, used.get(s.pk, 0)) for s in subscriptions],
        "ended": ended,
        "rows": rows,
        "form": form or SubscriptionForm(initial={"start_date": timezone.localdate()}),
    }
    return render(request, "frontend/backoffice/company_applications.html", context, status=status)


@firm_staff_required
def company_applications(request, company_id):
    company = access_company_as_staff(request.user, company_id)
    if request.method != "POST":
        return _company_applications_page(request, company)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        try:
            subscription_create(
                actor=request.user, company=company, ip=_ip(request), **form.cleaned_data
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The application was configured on this company."))
            return redirect("backoffice:company_applications", company_id=company.pk)
    return _company_applications_page(request, company, form, status=400)


@firm_staff_required
def subscription_change(request, company_id, subscription_id):
    company = access_company_as_staff(request.user, company_id)
    subscription = _subscription(company, subscription_id)
    if subscription.status == Subscription.Status.ENDED:
        raise NotFound()
    fields = ["status", "start_date", "seat_limit", "price_override"]
    initial = {name: getattr(subscription, name) for name in fields}
    form = SubscriptionChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if initial.get(k) != v}
        try:
            subscription_update(
                actor=request.user, subscription=subscription, ip=_ip(request), **changes
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The subscription was saved."))
            return redirect("backoffice:company_applications", company_id=company.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "frontend/backoffice/subscription_form.html",
        {"form": form, "company": company, "subscription": subscription},
        status=status,
    )


@firm_staff_required
def subscription_stop(request, company_id, subscription_id):
    company = access_company_as_staff(request.user, company_id)
    subscription = _subscription(company, subscription_id)
    if subscription.status == Subscription.Status.ENDED:
        raise NotFound()
    form = SubscriptionEndForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            subscription_end(
                actor=request.user,
                subscription=subscription,
                end_date=form.cleaned_data["end_date"],
                ip=_ip(request),
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The subscription was ended."))
            return redirect("backoffice:company_applications", company_id=company.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "frontend/backoffice/subscription_end.html",
        {"form": form, "company": company, "subscription": subscription},
        status=status,
    )


@firm_staff_required
@require_POST
def access_switch(request, company_id, subscription_id, user_id, grant):
    company = access_company_as_staff(request.user, company_id)
    subscription = _subscription(company, subscription_id)
    try:
        person = User.objects.get(pk=int(user_id), memberships__company=company)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    service = grant_access if grant else revoke_access
    try:
        service(actor=request.user, user=person, subscription=subscription, ip=_ip(request))
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("backoffice:company_applications", company_id=company.pk)
    return redirect("backoffice:company_applications", company_id=company.pk)


# --- audit trail ---------------------------------------------------------------------------


def journal_events(companies, form: JournalFilterForm):
    """The audit events of `companies`, filtered by the form's valid fields (the client
    administrators' journal uses it too)."""
    events = AuditEvent.objects.filter(company__in=companies)
    form.is_valid()  # a wrong filter is ignored; the valid ones still apply
    data = getattr(form, "cleaned_data", {})
    if data.get("company"):
        events = events.filter(company_id=data["company"])
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("person"):
        events = events.filter(target_user__email__iexact=data["person"].strip())
    tz = timezone.get_current_timezone()
    if data.get("start"):
        start = datetime.datetime.combine(data["start"], datetime.time.min, tzinfo=tz)
        events = events.filter(at__gte=start)
    if data.get("end"):
        end = datetime.datetime.combine(
            data["end"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        events = events.filter(at__lt=end)
    return events.order_by("-at", "-id")


@firm_staff_required
@require_GET
def journal(request):
    companies = list(
        companies_managed_by(request.user).only("pk", "legal_name").order_by("legal_name", "id")
    )
    form = JournalFilterForm(request.GET or None, companies=companies)
    events = journal_events(companies_managed_by(request.user), form).select_related(
        "company", "subscription__application", "target_user"
    )
    page = Paginator(events, JOURNAL_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "frontend/backoffice/journal.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@firm_staff_required
@require_GET
def journal_export(request):
    form = JournalFilterForm(request.GET or None, companies=companies_managed_by(request.user))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="journal-{stamp}.csv"'
    audit_csv_write(journal_events(companies_managed_by(request.user), form), response)
    return response
