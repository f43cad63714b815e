"""Sending a delivery: the address guard, the signed POST, the outcome, the retry schedule,
and disabling an endpoint that has failed for too long.

The host is resolved before each POST and every address it resolves to must be public
(unless WEBHOOKS_ALLOW_PRIVATE_HOSTS); the connection then goes to the address that was
checked, so a DNS answer that changes between the check and the connection cannot point the
request inside our network. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenants.errors import DomainError
from webhooks import signing
from webhooks.events import subscribed_types_forget
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

log = logging.getLogger(__name__)

RETRY_SCHEDULE = (60, 300, 1800, 7200, 21600, 43200, 86400, 86400)
BODY_EXCERPT = 1024
USER_AGENT = "Comptoir-Webhooks/1"


def _setting(name: str, default):
    return getattr(settings, name, default)


def retry_schedule() -> tuple[int, ...]:
    return tuple(_setting("WEBHOOKS_RETRY_SCHEDULE", RETRY_SCHEDULE))


def timeout_seconds() -> float:
    return float(_setting("WEBHOOKS_TIMEOUT_SECONDS", 10))


def disable_after() -> timedelta:
    return timedelta(seconds=_setting("WEBHOOKS_DISABLE_AFTER_SECONDS", 3 * 24 * 3600))


# --- the address guard ------------------------------------------------------------------------


def address_is_public(value: str) -> bool:
    ip = ipaddress.ip_address(value.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not address_is_public(str(embedded)):
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def addresses_checked(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, all of them allowed; else a DomainError on `url`."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise DomainError(
            _("This host name does not resolve."), field="url", code="unresolvable"
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not _setting("WEBHOOKS_ALLOW_PRIVATE_HOSTS", False) and not all(
        address_is_public(a) for a in addresses
    ):
        raise DomainError(
            _("This address is private or reserved: webhooks go to public addresses only."),
            field="url",
            code="private_address",
        )
    return addresses


def url_parts(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an acceptable endpoint URL, else a DomainError on `url`."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise DomainError(_("Enter a valid URL."), field="url") from None
    schemes = {"https", "http"} if _setting("WEBHOOKS_ALLOW_HTTP", False) else {"https"}
    if parts.scheme not in schemes:
        raise DomainError(
            _("The URL must start with https://."), field="url", code="https_required"
        )
    if not parts.hostname or parts.username or parts.password:
        raise DomainError(_("Enter a valid URL."), field="url")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def url_check(url: str) -> None:
    _scheme, host, port = url_parts(url)
    addresses_checked(host, port)


# --- one POST ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: int | None = None
    body: str = ""
    ms: int | None = None
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    try:
        scheme, host, port = url_parts(url)
        address = addresses_checked(host, port)[0]
    except DomainError as error:
        return Outcome(error=str(error.message))
    parts = urlsplit(url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(total=timeout_seconds())
    if scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=host,
            assert_hostname=host,
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1]},
            redirect=False,
            retries=False,
            preload_content=False,
        )
        try:
            excerpt = response.read(BODY_EXCERPT, decode_content=True)[:BODY_EXCERPT]
        finally:
            response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as error:
        ms = int((time.monotonic() - started) * 1000)
        return Outcome(ms=ms, error=f"{type(error).__name__}: {error}"[:500])
    finally:
        pool.close()
    ms = int((time.monotonic() - started) * 1000)
    text = excerpt.decode("utf-8", errors="replace").replace("\x00", "")
    return Outcome(status=response.status, body=text, ms=ms)


def payload(event: WebhookEvent) -> bytes:
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "created_at": event.created_at.isoformat(),
            "data": event.data,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def signed_headers(endpoint: WebhookEndpoint, event: WebhookEvent, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Comptoir-Webhook-Id": str(event.id),
        "Comptoir-Webhook-Timestamp": str(timestamp),
        "Comptoir-Signature": signing.header(endpoint.secret, timestamp, body),
    }


# --- attempts ---------------------------------------------------------------------------------


def send_later(delivery_id: int, countdown: float = 0) -> None:
    """Send the delivery task once the transaction commits. Waits longer than a quarter of an
    hour are left to the sweep, which finds due deliveries every minute."""
    from webhooks.tasks import deliver

    if countdown > 900:
        return
    transaction.on_commit(lambda: deliver.apply_async((delivery_id,), countdown=countdown))


def delivery_attempt(delivery_id: int) -> str:
    """Make the attempt `delivery_id` if it is pending and due. Safe to run twice: the row is
    claimed under a lock with a lease, so a second task finds it not due."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return "gone"
        if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=1):
            return "not due"
        if not delivery.endpoint.is_active:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.error = gettext("The endpoint is disabled.")
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "error", "next_attempt_at"])
            return "disabled"
        delivery.next_attempt_at = now + timedelta(seconds=timeout_seconds() + 50)  # the lease
        delivery.save(update_fields=["next_attempt_at"])
    body = payload(delivery.event)
    headers = signed_headers(delivery.endpoint, delivery.event, body)
    outcome = post(delivery.endpoint.url, body, headers)
    delivery_record(delivery, outcome)
    log.info(
        "webhook %s to endpoint %s attempt %s: %s",
        delivery.event.type,
        delivery.endpoint_id,
        delivery.attempt,
        outcome.status or outcome.error,
    )
    return WebhookDelivery.Status.SUCCEEDED if outcome.succeeded else WebhookDelivery.Status.FAILED


@transaction.atomic
def delivery_record(delivery: WebhookDelivery, outcome: Outcome) -> WebhookDelivery | None:
    """Write the attempt's outcome; on failure schedule the next attempt, or disable the
    endpoint when it has failed for too long. Returns the next attempt, if any."""
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.attempted_at = now
    delivery.response_status = outcome.status
    delivery.response_ms = outcome.ms
    delivery.response_body = outcome.body
    delivery.error = outcome.error
    delivery.next_attempt_at = None
    following = None
    if outcome.succeeded:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since", "updated_at"])
    else:
        delivery.status = WebhookDelivery.Status.FAILED
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since", "updated_at"])
        elif endpoint.is_active and endpoint.failing_since <= now - disable_after():
            endpoint_disable(endpoint)
        schedule = retry_schedule()
        if endpoint.is_active and delivery.attempt <= len(schedule):
            delay = schedule[delivery.attempt - 1] * random.uniform(1.0, 1.2)  # noqa: S311
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            following = WebhookDelivery.objects.create(
                endpoint=endpoint,
                event_id=delivery.event_id,
                attempt=delivery.attempt + 1,
                next_attempt_at=delivery.next_attempt_at,
            )
            send_later(following.pk, delay)
    delivery.save()
    return following


def endpoint_disable(endpoint: WebhookEndpoint) -> None:
    """The endpoint has failed without a break for too long: stop, and tell the firm's
    administrators, each in their language."""
    from clients.models import User

    endpoint.is_active = False
    endpoint.disabled_reason = gettext("Every delivery failed for %(days)s days.") % {
        "days": disable_after().days
    }
    endpoint.save(update_fields=["is_active", "disabled_reason", "updated_at"])
    subscribed_types_forget()
    firm = connection.tenant
    admins = User.objects.filter(firm_role=User.FirmRole.ADMIN, is_active=True)
    mails = []
    for admin in admins:
        with translation.override(admin.language):
            subject = gettext("A webhook endpoint was disabled on %(firm)s") % {
                "firm": getattr(firm, "name", "")
            }
            body = gettext(
                "Hello,\n\nEvery delivery to the webhook endpoint %(url)s has failed for "
                "%(days)s days, so Comptoir has stopped sending to it.\n\nOnce the receiver "
                "works again, turn the endpoint back on in the back-office (Webhooks); you can "
                "then send the missed events again from its delivery log.\n"
            ) % {"url": endpoint.url, "days": disable_after().days}
        mails.append((subject, body, admin.email))
    for subject, body, recipient in mails:
        transaction.on_commit(
            lambda s=subject, b=body, r=recipient: send_mail(s, b, settings.DEFAULT_FROM_EMAIL, [r])
        )


def deliveries_due() -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
