"""A loopback HTTP server that stands in for Stripe's API, which this machine cannot reach: it
answers the calls the portal makes (create a customer, create a Checkout session, read a
SetupIntent) with the response shapes of Stripe's API reference, and keeps every form it was
sent so that a test can check the fields (amounts, currency, metadata, URLs)."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CHECKOUT_PAGE = "https://checkout.stripe.com/c/pay/"
_ids = itertools.count(1)


@dataclass
class Call:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class StripeStub:
    """`calls` in order; `down = True` answers every call with Stripe's 500 error body."""

    base: str = ""
    calls: list[Call] = field(default_factory=list)
    down: bool = False
    card: dict[str, Any] = field(
        default_factory=lambda: {
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2030,
        }
    )

    def posts(self, path: str) -> list[Call]:
        return [call for call in self.calls if call.method == "POST" and call.path == path]


def _customer(form: dict[str, str]) -> dict[str, Any]:
    return {
        "id": f"cus_test{next(_ids):06d}",
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": 1767225600,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": form.get("email"),
        "invoice_prefix": "0759376C",
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": _nested(form, "metadata"),
        "name": form.get("name"),
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def _session(form: dict[str, str]) -> dict[str, Any]:
    session_id = f"cs_test_a1{next(_ids):08d}"
    payment = form.get("mode") == "payment"
    amount = int(form.get("line_items[0][price_data][unit_amount]", 0)) if payment else None
    return {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": form.get("cancel_url"),
        "client_reference_id": form.get("client_reference_id"),
        "consent": None,
        "consent_collection": None,
        "created": 1767225600,
        "currency": form.get("line_items[0][price_data][currency]") or form.get("currency"),
        "customer": form.get("customer"),
        "customer_creation": "if_required" if payment else None,
        "customer_details": None,
        "customer_email": form.get("customer_email"),
        "expires_at": 1767312000,
        "invoice": None,
        "livemode": False,
        "locale": form.get("locale"),
        "metadata": _nested(form, "metadata"),
        "mode": form.get("mode"),
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_types": ["card"],
        "payment_status": "unpaid" if payment else "no_payment_required",
        "setup_intent": None,
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": form.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{CHECKOUT_PAGE}{session_id}",
    }


def _setup_intent(intent_id: str, card: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": intent_id,
        "object": "setup_intent",
        "application": None,
        "cancellation_reason": None,
        "client_secret": f"{intent_id}_secret_test",
        "created": 1767225600,
        "customer": "cus_test",
        "description": None,
        "last_setup_error": None,
        "livemode": False,
        "metadata": {},
        "payment_method": {
            "id": f"pm_test{next(_ids):06d}",
            "object": "payment_method",
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "card": {
                **card,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": "FR",
                "funding": "credit",
                "networks": {"available": [card["brand"]], "preferred": None},
            },
            "created": 1767225600,
            "customer": "cus_test",
            "livemode": False,
            "metadata": {},
            "type": "card",
        },
        "payment_method_types": ["card"],
        "status": "succeeded",
        "usage": "off_session",
    }


def _nested(form: dict[str, str], name: str) -> dict[str, str]:
    prefix = f"{name}["
    return {key[len(prefix) : -1]: value for key, value in form.items() if key.startswith(prefix)}


def _handler(stub: StripeStub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self, method: str) -> Call:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else parts.query
            form = {key: values[-1] for key, values in parse_qs(raw).items()}
            call = Call(method, parts.path, form, dict(self.headers.items()))
            stub.calls.append(call)
            return call

        def do_POST(self):
            call = self._record("POST")
            if stub.down:
                self._answer(500, {"error": {"type": "api_error", "message": "Stand-in down."}})
            elif call.path == "/v1/customers":
                self._answer(200, _customer(call.form))
            elif call.path == "/v1/checkout/sessions":
                self._answer(200, _session(call.form))
            else:
                self._answer(404, {"error": {"type": "invalid_request_error"}})

        def do_GET(self):
            call = self._record("GET")
            prefix = "/v1/setup_intents/"
            if stub.down:
                self._answer(500, {"error": {"type": "api_error", "message": "Stand-in down."}})
            elif call.path.startswith(prefix):
                self._answer(200, _setup_intent(call.path[len(prefix) :], stub.card))
            else:
                self._answer(404, {"error": {"type": "invalid_request_error"}})

    return Handler


def serve() -> tuple[StripeStub, ThreadingHTTPServer]:
    stub = StripeStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    stub.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return stub, server
