"""The one module that talks to S3. Every key lives under `firms/<schema>/` of the firm in force;
downloads are short-lived presigned URLs."""

from __future__ import annotations

import base64
import datetime
import hashlib
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name

from tenants.errors import MissingFirm


@cache
def client() -> Any:
    return boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY,
        region_name=settings.S3_REGION,
        config=Config(
            signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def firm_prefix() -> str:
    schema = connection.schema_name
    if schema == get_public_schema_name():
        raise MissingFirm("S3 keys belong to a firm; none is in force")
    return f"firms/{schema}/"


def key_for(path: str) -> str:
    """The full key of `path` inside the current firm's prefix; refuses any way out of it."""
    parts = path.strip("/").split("/")
    if not path.strip("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a relative object path: {path!r}")
    return firm_prefix() + "/".join(parts)


def bucket_ensure() -> None:
    s3 = client()
    try:
        s3.head_bucket(Bucket=settings.S3_BUCKET)
    except ClientError:
        s3.create_bucket(
            Bucket=settings.S3_BUCKET,
            CreateBucketConfiguration={"LocationConstraint": settings.S3_REGION},
            ObjectLockEnabledForBucket=settings.S3_OBJECT_LOCK,
        )
    s3.put_public_access_block(
        Bucket=settings.S3_BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def put(
    path: str, body: bytes, *, content_type: str, retain_until: datetime.date | None = None
) -> str:
    """Store `body`; returns its SHA-256 (hex), which S3 also checks on receipt and keeps.
    With `retain_until` and S3_OBJECT_LOCK on, the object is locked (compliance mode) until
    that day: nobody, not even the account's owner, can delete or overwrite it before."""
    raw = hashlib.sha256(body).digest()
    extra: dict[str, Any] = {}
    if retain_until is not None and settings.S3_OBJECT_LOCK:
        # Object Lock wants the body's MD5 in the request (S3's rule, not a security choice).
        extra["ContentMD5"] = _b64(hashlib.md5(body, usedforsecurity=False).digest())
        extra["ObjectLockMode"] = "COMPLIANCE"
        extra["ObjectLockRetainUntilDate"] = datetime.datetime.combine(
            retain_until, datetime.time.max, tzinfo=datetime.UTC
        )
    client().put_object(
        Bucket=settings.S3_BUCKET,
        Key=key_for(path),
        Body=body,
        ContentType=content_type,
        ChecksumSHA256=_b64(raw),
        **extra,
    )
    return raw.hex()


def sha256_of(path: str) -> str | None:
    """The SHA-256 (hex) of the stored bytes, read back and hashed here (S3-compatible stores
    do not all keep a whole-object SHA-256); None when the object is absent."""
    try:
        body = client().get_object(Bucket=settings.S3_BUCKET, Key=key_for(path))["Body"]
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    digest = hashlib.sha256()
    for chunk in iter(lambda: body.read(65536), b""):
        digest.update(chunk)
    return digest.hexdigest()


def get(path: str) -> bytes:
    return client().get_object(Bucket=settings.S3_BUCKET, Key=key_for(path))["Body"].read()


def exists(path: str) -> bool:
    try:
        client().head_object(Bucket=settings.S3_BUCKET, Key=key_for(path))
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def list_paths(prefix: str = "") -> list[str]:
    """Paths (relative to the firm's prefix) under `prefix`."""
    root = firm_prefix()
    full = root + prefix.lstrip("/")
    paginator = client().get_paginator("list_objects_v2")
    return [
        entry["Key"][len(root) :]
        for page in paginator.paginate(Bucket=settings.S3_BUCKET, Prefix=full)
        for entry in page.get("Contents", [])
    ]


def download_url(path: str, *, filename: str | None = None, seconds: int | None = None) -> str:
    """A presigned GET, valid `seconds` (at most S3_PRESIGNED_SECONDS). Check rights first."""
    seconds = min(seconds or settings.S3_PRESIGNED_SECONDS, settings.S3_PRESIGNED_SECONDS)
    params: dict[str, str] = {"Bucket": settings.S3_BUCKET, "Key": key_for(path)}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    return client().generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
