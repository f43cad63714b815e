"""Launch tokens: who, which company, which application, until when; tamper-proof."""

from __future__ import annotations

import base64
import json
import time

import pytest

from entitlements.services import grant_access, revoke_access
from entitlements.tokens import InvalidLaunchToken, launch_token, launch_token_verify
from tenants.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(world):
    grant_access(actor=world.admin, user=world.collaborator, subscription=world.subscription)
    return world


def test_token_carries_who_which_company_which_application_and_expiry(granted, alpha):
    subscription = granted.subscription
    before = int(time.time())

    token = launch_token(user=granted.collaborator, subscription=subscription, ttl=60)
    claims = launch_token_verify(token, subscription.application.launch_secret)

    assert claims["sub"] == str(granted.collaborator.pk)
    assert claims["email"] == granted.collaborator.email
    assert (claims["company"], claims["siren"]) == (granted.company.pk, granted.company.siren)
    assert (claims["app"], claims["sub_id"]) == (subscription.application.pk, subscription.pk)
    assert claims["firm"] == alpha.firm.schema_name
    assert before + 60 <= claims["exp"] <= int(time.time()) + 60


def test_token_is_a_standard_hs256_jwt(granted):
    token = launch_token(user=granted.collaborator, subscription=granted.subscription)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}


def test_expired_token_is_refused(granted):
    token = launch_token(user=granted.collaborator, subscription=granted.subscription, ttl=120)
    secret = granted.subscription.application.launch_secret

    assert launch_token_verify(token, secret, now=time.time() + 119)
    with pytest.raises(InvalidLaunchToken, match="expired"):
        launch_token_verify(token, secret, now=time.time() + 121)


def test_tampered_token_is_refused(granted):
    token = launch_token(user=granted.collaborator, subscription=granted.subscription)
    secret = granted.subscription.application.launch_secret
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(granted.admin.pk)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    with pytest.raises(InvalidLaunchToken, match="signature"):
        launch_token_verify(f"{header}.{forged}.{signature}", secret)
    with pytest.raises(InvalidLaunchToken, match="signature"):
        launch_token_verify(token, granted.sensitive.application.launch_secret)
    with pytest.raises(InvalidLaunchToken):
        launch_token_verify("not-a-token", secret)
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    with pytest.raises(InvalidLaunchToken):
        launch_token_verify(f"{none_header}.{payload}.", secret)


def test_no_token_without_access_and_none_after_revocation(granted):
    with pytest.raises(PermissionDenied):
        launch_token(user=granted.collaborator, subscription=granted.sensitive)
    with pytest.raises(PermissionDenied):
        launch_token(user=granted.admin, subscription=granted.subscription)

    revoke_access(actor=granted.admin, user=granted.collaborator, subscription=granted.subscription)
    with pytest.raises(PermissionDenied):
        launch_token(user=granted.collaborator, subscription=granted.subscription)


def test_rotating_the_secret_invalidates_earlier_tokens(granted):
    from entitlements.services import application_secret_rotate

    application = granted.subscription.application
    token = launch_token(user=granted.collaborator, subscription=granted.subscription)
    old_secret = application.launch_secret

    application_secret_rotate(actor=granted.firm_admin, application=application)

    assert application.launch_secret != old_secret
    with pytest.raises(InvalidLaunchToken):
        launch_token_verify(token, application.launch_secret)
    with pytest.raises(PermissionDenied):
        application_secret_rotate(actor=granted.admin, application=application)
