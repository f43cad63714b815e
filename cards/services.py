"""Card payments: the firm's Stripe keys, Checkout sessions to pay an invoice or save a card,
and the signed events Stripe sends, which alone record payments and their reversals.

Every event is stored once (its id is unique); one about a payment not yet recorded (a refund
delivered before the payment) waits and is replayed right after that payment is recorded, so
events in any order and any number of times leave the same state.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import stripe
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards import stripe_api
from cards.models import CardCustomer, CardSettings, CheckoutSession, StripeEvent
from cards.selectors import card_settings
from clients.models import Company
from clients.selectors import access_company_as_admin
from invoicing.models import Invoice
from invoicing.pricing import money
from invoicing.selectors import invoices_visible_to, invoices_with_status
from payments.models import Means, PaymentEvent, Source
from payments.services import payment_record, payment_reverse
from tenants.errors import DomainError, NotFound, PermissionDenied

KEY_PREFIXES = {
    "publishable_key": ("pk_test_", "pk_live_"),
    "secret_key": ("sk_test_", "sk_live_", "rk_test_", "rk_live_"),
    "webhook_secret": ("whsec_",),
}
WEBHOOK_TOLERANCE_SECONDS = 300
CENT = Decimal("0.01")


# --- The firm's keys --------------------------------------------------------------------------


def _key_clean(field: str, value: Any) -> str:
    value = str(value or "").strip()
    messages = {
        "publishable_key": _("A publishable key starts with pk_test_ or pk_live_."),
        "secret_key": _("A secret key starts with sk_ or rk_ (test or live)."),
        "webhook_secret": _("A webhook signing secret starts with whsec_."),
    }
    if not value.startswith(KEY_PREFIXES[field]) or len(value) < 12 or " " in value:
        raise DomainError(messages[field], field=field)
    return value


def card_settings_save(
    *, actor: Any, publishable_key: str, secret_key: str = "", webhook_secret: str = ""
) -> CardSettings:
    """Set the firm's Stripe keys, which turns card payment on. An empty secret keeps the one
    saved (secrets are never shown again)."""
    if not getattr(actor, "is_firm_admin", False):
        raise PermissionDenied(_("Only the firm's administrators may set the Stripe keys."))
    with transaction.atomic():
        current = CardSettings.objects.select_for_update().filter(pk=1).first()
        values = {"publishable_key": _key_clean("publishable_key", publishable_key)}
        for field, given in (("secret_key", secret_key), ("webhook_secret", webhook_secret)):
            if not str(given or "").strip() and current is not None:
                values[field] = getattr(current, field)
            elif not str(given or "").strip():
                raise DomainError(_("This key is required."), field=field)
            else:
                values[field] = _key_clean(field, given)
        live = "_live_" in values["publishable_key"]
        if live != ("_live_" in values["secret_key"]):
            raise DomainError(
                _("The publishable key and the secret key must both be test keys or live keys."),
                field="secret_key",
            )
        saved, _created = CardSettings.objects.update_or_create(
            pk=1, defaults={**values, "updated_by": actor}
        )
    return saved


def card_settings_remove(*, actor: Any) -> None:
    """Forget the firm's Stripe keys: card payment is no longer offered."""
    if not getattr(actor, "is_firm_admin", False):
        raise PermissionDenied(_("Only the firm's administrators may set the Stripe keys."))
    with transaction.atomic():
        CardSettings.objects.filter(pk=1).delete()


def _keys() -> CardSettings:
    keys = card_settings()
    if keys is None:
        raise NotFound()
    return keys


# --- Checkout sessions ------------------------------------------------------------------------


def _cents(amount: Decimal) -> int:
    return int((money(amount) * 100).to_integral_value())


def _customer_id(keys: CardSettings, company: Company) -> str:
    """The company's Stripe customer, created once: the row is locked while Stripe is asked,
    and the idempotency key makes a retried request return the same customer."""
    with transaction.atomic():
        row, _created = CardCustomer.objects.select_for_update().get_or_create(company=company)
        if not row.stripe_customer_id:
            row.stripe_customer_id = stripe_api.customer_create(
                keys.secret_key,
                name=company.legal_name,
                email=company.billing_email or "",
                metadata={"company": str(company.pk), "firm": connection.schema_name},
                idempotency_key=f"comptoir-{connection.schema_name}-company-{company.pk}",
            )
            row.save(update_fields=["stripe_customer_id"])
    return row.stripe_customer_id


def card_payment_start(
    *,
    actor: Any,
    company_id: Any,
    invoice_id: Any,
    success_url: str,
    cancel_url: str,
    locale: str = "fr",
) -> str:
    """Open a Checkout session for what is left to pay on an invoice of a company `actor`
    administers; the URL of Stripe's payment page. Missing, not theirs, or card payment off:
    NotFound."""
    keys = _keys()
    company = access_company_as_admin(actor, company_id)
    try:
        invoice = invoices_with_status(
            invoices_visible_to(actor).filter(company=company, pk=int(invoice_id))
        ).get()
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if invoice.is_credit_note or invoice.balance_due <= 0:
        raise DomainError(
            _("Invoice %(number)s has nothing left to pay.") % {"number": invoice.number},
            field="invoice",
        )
    metadata = {
        "invoice": str(invoice.pk),
        "invoice_number": invoice.number,
        "company": str(company.pk),
        "firm": connection.schema_name,
    }
    label = _("Invoice %(number)s") % {"number": invoice.number}
    params: dict[str, Any] = {
        "mode": "payment",
        "payment_method_types": ["card"],
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": _cents(invoice.balance_due),
                    "product_data": {"name": label},
                },
            }
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": label},
        "client_reference_id": str(invoice.pk),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": locale if locale in ("fr", "en") else "fr",
    }
    saved = CardCustomer.objects.filter(company=company).exclude(stripe_customer_id="").first()
    if saved is not None:
        params["customer"] = saved.stripe_customer_id
    elif company.billing_email:
        params["customer_email"] = company.billing_email
    session_id, url = stripe_api.checkout_session_create(keys.secret_key, params)
    with transaction.atomic():
        CheckoutSession.objects.create(
            session_id=session_id,
            mode=CheckoutSession.Mode.PAYMENT,
            company=company,
            invoice=invoice,
            amount=invoice.balance_due,
            created_by=actor,
        )
    return url


def card_setup_start(
    *, actor: Any, company_id: Any, success_url: str, cancel_url: str, locale: str = "fr"
) -> str:
    """Open a Checkout session (setup mode) that saves or replaces the company's card on its
    Stripe customer; the URL of Stripe's page."""
    keys = _keys()
    company = access_company_as_admin(actor, company_id)
    customer = _customer_id(keys, company)
    params = {
        "mode": "setup",
        "payment_method_types": ["card"],
        "currency": "eur",
        "customer": customer,
        "metadata": {"company": str(company.pk), "firm": connection.schema_name},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": locale if locale in ("fr", "en") else "fr",
    }
    session_id, url = stripe_api.checkout_session_create(keys.secret_key, params)
    with transaction.atomic():
        CheckoutSession.objects.create(
            session_id=session_id,
            mode=CheckoutSession.Mode.SETUP,
            company=company,
            created_by=actor,
        )
    return url


# --- Events Stripe sends ----------------------------------------------------------------------


def card_event_verify(*, payload: bytes, signature: str) -> dict[str, Any]:
    """The event, once its signature is checked against the firm's signing secret (within five
    minutes of its timestamp, as Stripe advises). Anything else: DomainError."""
    keys = card_settings()
    if keys is None:
        raise DomainError(_("Card payment is not set up."), field="signature")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature or "", keys.webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError:
        raise DomainError(_("The signature is not valid."), field="signature") from None
    except ValueError:
        raise DomainError(_("The body is not a Stripe event."), field="payload") from None
    data = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("data"), dict):
        raise DomainError(_("The body is not a Stripe event."), field="payload")
    return data


def _when(timestamp: Any) -> datetime.datetime:
    try:
        return datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError):
        return timezone.now()


def card_event_receive(*, event: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Handle a verified event once: (its row, whether it was new). A second delivery, even
    concurrent with the first, meets the unique event id and changes nothing."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = StripeEvent.objects.create(
                    event_id=event["id"][:255],
                    type=str(event.get("type", ""))[:100],
                    occurred_at=_when(event.get("created")),
                    status=StripeEvent.Status.IGNORED,
                    payload=event,
                )
        except IntegrityError:
            return StripeEvent.objects.get(event_id=event["id"][:255]), False
        _apply(row)
    return row, True


def _object(row: StripeEvent) -> dict[str, Any]:
    obj = (row.payload.get("data") or {}).get("object")
    return obj if isinstance(obj, dict) else {}


def _id_of(value: Any) -> str:
    """An expandable field: the id, whether Stripe sent the id or the object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _finish(row: StripeEvent, status: str, note: str = "", **fields: Any) -> None:
    row.status = status
    row.note = str(note)[:300]
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=["status", "note", *fields])


def _apply(row: StripeEvent) -> None:
    obj = _object(row)
    kind = row.type
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("mode") == "setup":
            _card_save(row, obj)
        elif obj.get("mode") == "payment" and obj.get("payment_status") == "paid":
            _pay(row, obj, _id_of(obj.get("payment_intent")), obj.get("amount_total"))
        else:
            _finish(row, StripeEvent.Status.IGNORED, _("Payment not completed yet."))
    elif kind == "payment_intent.succeeded":
        _pay(row, obj, _id_of(obj.get("id")), obj.get("amount_received"))
    elif kind in ("checkout.session.async_payment_failed", "payment_intent.payment_failed"):
        _failed(row, obj)
    elif kind == "charge.refunded":
        if obj.get("refunded") is True:
            _reverse(row, obj, reason=_("Refunded by card"))
        else:
            invoice = _invoice_of(obj.get("metadata"))
            _finish(
                row,
                StripeEvent.Status.ATTENTION,
                _("Partial refund of %(amount)s €: record it by hand.")
                % {"amount": _amount(obj.get("amount_refunded"))},
                invoice=invoice,
            )
    elif kind == "charge.dispute.created":
        reason = str(obj.get("reason") or "")
        _reverse(row, obj, reason=_("Card payment disputed (%(reason)s)") % {"reason": reason})
    else:
        _finish(row, StripeEvent.Status.IGNORED)


def _amount(cents: Any) -> Decimal:
    try:
        return money(Decimal(int(cents)) * CENT)
    except (TypeError, ValueError):
        return Decimal("0.00")


def _invoice_of(metadata: Any) -> Invoice | None:
    """The invoice an object's metadata names, when it is this firm's: same schema, same id,
    same number (ids repeat from one firm to the next)."""
    if not isinstance(metadata, dict) or metadata.get("firm") != connection.schema_name:
        return None
    try:
        return Invoice.objects.get(
            pk=int(metadata.get("invoice", "")), number=str(metadata.get("invoice_number", ""))
        )
    except (Invoice.DoesNotExist, ValueError, TypeError):
        return None


def _paris_date(row: StripeEvent) -> datetime.date:
    return min(timezone.localdate(row.occurred_at), timezone.localdate())


def _pay(row: StripeEvent, obj: dict[str, Any], intent: str, cents: Any) -> None:
    invoice = _invoice_of(obj.get("metadata"))
    if invoice is None or not intent:
        _finish(row, StripeEvent.Status.IGNORED)
        return
    if str(obj.get("currency", "")).lower() != "eur":
        _finish(row, StripeEvent.Status.ATTENTION, _("Paid in a currency other than euros."))
        return
    details = obj.get("customer_details") if isinstance(obj.get("customer_details"), dict) else {}
    try:
        payment = payment_record(
            actor=None,
            invoice=invoice,
            amount=_amount(cents),
            date=_paris_date(row),
            means=Means.CARD,
            source=Source.CARD,
            reference=invoice.number,
            payer=str(details.get("name") or details.get("email") or ""),
            external_id=intent,
        )
    except DomainError as error:
        # Stripe took the money but the invoice cannot take it (paid meanwhile, credited):
        # the firm refunds or allocates it by hand.
        _finish(
            row,
            StripeEvent.Status.ATTENTION,
            _("Card payment %(intent)s not recorded: %(reason)s")
            % {"intent": intent, "reason": error.message},
            invoice=invoice,
        )
        return
    _finish(row, StripeEvent.Status.DONE, invoice=invoice, payment=payment)
    _replay_waiting(intent)


def _replay_waiting(intent: str) -> None:
    waiting = StripeEvent.objects.select_for_update().filter(
        status=StripeEvent.Status.PENDING, waits_for=intent
    )
    for row in waiting.order_by("occurred_at", "id"):
        _apply(row)


def _reverse(row: StripeEvent, obj: dict[str, Any], *, reason: str) -> None:
    intent = _id_of(obj.get("payment_intent"))
    if not intent:
        _finish(row, StripeEvent.Status.IGNORED)
        return
    payment = PaymentEvent.objects.filter(
        source=Source.CARD, external_id=intent, kind=PaymentEvent.Kind.PAYMENT
    ).first()
    if payment is None:
        _finish(row, StripeEvent.Status.PENDING, waits_for=intent)
        return
    # A refund is dated after its payment at Stripe; the two dates can still straddle midnight
    # differently once read in Paris time.
    date = max(_paris_date(row), payment.date)
    reversal = payment_reverse(
        actor=None,
        payment=payment,
        date=date,
        reason=reason,
        source=Source.CARD,
        external_id=_id_of(obj.get("id")),
    )
    _finish(
        row, StripeEvent.Status.DONE, invoice_id=payment.invoice_id, payment=reversal, waits_for=""
    )


def _failed(row: StripeEvent, obj: dict[str, Any]) -> None:
    error = obj.get("last_payment_error") if isinstance(obj.get("last_payment_error"), dict) else {}
    _finish(
        row,
        StripeEvent.Status.FAILED,
        str(error.get("message") or ""),
        invoice=_invoice_of(obj.get("metadata")),
    )


def _card_save(row: StripeEvent, obj: dict[str, Any]) -> None:
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    customer = _id_of(obj.get("customer"))
    setup_intent = _id_of(obj.get("setup_intent"))
    holder = None
    if metadata.get("firm") == connection.schema_name and customer and setup_intent:
        holder = (
            CardCustomer.objects.select_for_update()
            .filter(company_id=_int(metadata.get("company")), stripe_customer_id=customer)
            .first()
        )
    if holder is None:
        _finish(row, StripeEvent.Status.IGNORED)
        return
    method = stripe_api.setup_intent_card(_keys().secret_key, setup_intent)
    card = method["card"]
    if card is None:
        _finish(row, StripeEvent.Status.ATTENTION, _("The payment method saved is not a card."))
        return
    # Two cards saved in a row may have their events delivered the other way round: the card
    # of the later event stays.
    if holder.card_saved_at is None or holder.card_saved_at <= row.occurred_at:
        holder.payment_method_id = method["id"]
        holder.brand = str(card.get("brand") or "")[:30]
        holder.last4 = str(card.get("last4") or "")[:4]
        holder.exp_month = card.get("exp_month")
        holder.exp_year = card.get("exp_year")
        holder.card_saved_at = row.occurred_at
        holder.save()
    _finish(row, StripeEvent.Status.DONE)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
