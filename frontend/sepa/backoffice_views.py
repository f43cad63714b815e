"""Cabinet › Prélèvements: the mandates of the companies in one's charge (revoke, PDF); for
firm administrators the collection files (export, download) and the creditor settings."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend.access import firm_admin_required, firm_staff_required
from frontend.sepa.client_views import pdf_response
from frontend.sepa.forms import ExportForm, SettingsForm
from sepa import selectors, services
from sepa.models import Collection, Instruction, Mandate, mask_iban
from tenants import storage
from tenants.errors import DomainError, NotFound

PAGE_SIZE = 50
DOWNLOAD_SECONDS = 120


def _form_error(form, error: DomainError) -> None:
    if error.code in ("not_found", "permission_denied"):
        raise error
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def _index(request, export_form=None, status=200):
    mandates = selectors.mandates_visible_to(request.user).order_by(
        "company__legal_name", "-signed_at"
    )
    wanted = request.GET.get("status", Mandate.Status.ACTIVE)
    if wanted in Mandate.Status.values:
        mandates = mandates.filter(status=wanted)
    context = {
        "page": Paginator(mandates, PAGE_SIZE).get_page(request.GET.get("page")),
        "status": wanted,
        "statuses": Mandate.Status.choices,
    }
    if request.user.is_firm_admin:
        creditor, profile = selectors.creditor_settings(), selectors.firm_profile()
        default = timezone.localdate() + datetime.timedelta(days=creditor.prenotice_days)
        context |= {
            "creditor": creditor,
            "account_ready": bool(profile and profile.iban and profile.bic),
            "export_form": export_form or ExportForm(initial={"due_by": default.isoformat()}),
            "collections": Collection.objects.select_related("created_by")[:20],
        }
    return render(request, "frontend/sepa/backoffice.html", context, status=status)


@firm_staff_required
def index(request):
    return _index(request)


@firm_admin_required
@require_POST
def export(request):
    form = ExportForm(request.POST)
    form.is_valid()
    try:
        collection = services.collection_export(
            actor=request.user, due_by=form.cleaned_data.get("due_by", "")
        )
    except DomainError as error:
        _form_error(form, error)
        return _index(request, form, status=400)
    messages.success(
        request,
        _("Collection file exported: %(count)s debits. The companies are being told.")
        % {"count": collection.count},
    )
    return redirect("backoffice:sepa_bo:collection", collection_id=collection.pk)


def _collection(collection_id) -> Collection:
    collection = Collection.objects.filter(pk=collection_id).first()
    if collection is None:
        raise NotFound()
    return collection


@firm_admin_required
def collection(request, collection_id):
    found = _collection(collection_id)
    rows = Instruction.objects.filter(collection=found).select_related(
        "invoice__company", "mandate"
    )
    return render(
        request, "frontend/sepa/collection.html", {"collection": found, "instructions": rows}
    )


@firm_admin_required
def collection_file(request, collection_id):
    found = _collection(collection_id)
    url = storage.download_url(
        found.file_path, filename=f"{found.message_id}.xml", seconds=DOWNLOAD_SECONDS
    )
    response = HttpResponseRedirect(url)
    add_never_cache_headers(response)
    return response


@firm_admin_required
def settings_page(request):
    creditor = selectors.creditor_settings()
    status = 200
    if request.method == "POST":
        form = SettingsForm(request.POST)
        form.is_valid()
        try:
            services.creditor_settings_update(
                actor=request.user,
                creditor_id=form.cleaned_data.get("creditor_id", ""),
                prenotice_days=form.cleaned_data.get("prenotice_days", ""),
            )
        except DomainError as error:
            _form_error(form, error)
            status = 400
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("backoffice:sepa_bo:settings")
    else:
        form = SettingsForm(
            initial={"creditor_id": creditor.creditor_id, "prenotice_days": creditor.prenotice_days}
        )
    profile = selectors.firm_profile()
    context = {
        "form": form,
        "profile": profile,
        "firm_iban": mask_iban(profile.iban) if profile else "",
    }
    return render(request, "frontend/sepa/settings.html", context, status=status)


@firm_staff_required
@require_POST
def mandate_revoke(request, mandate_id):
    mandate = selectors.access_mandate(request.user, mandate_id)
    services.mandate_revoke(actor=request.user, mandate=mandate)
    messages.success(request, _("Mandate %(rum)s is revoked.") % {"rum": mandate.reference})
    return redirect("backoffice:sepa_bo:index")


@firm_staff_required
def mandate_pdf(request, mandate_id):
    return pdf_response(selectors.access_mandate(request.user, mandate_id))
