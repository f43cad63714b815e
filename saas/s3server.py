"""The embedded S3 API server: moto's server on loopback, with its objects written to disk
when it stops and read back when it starts, so a second `make run` finds its files again."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import threading
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

from saas.embedded import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name=S3_REGION,
    )


def restore(state: Path, endpoint: str) -> int:
    manifest = state / "manifest.json"
    if not manifest.exists():
        return 0
    s3 = _client(endpoint)
    entries = json.loads(manifest.read_text())
    for bucket in entries["buckets"]:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
    for item in entries["objects"]:
        s3.put_object(
            Bucket=item["bucket"],
            Key=item["key"],
            Body=(state / "objects" / item["file"]).read_bytes(),
            ContentType=item["content_type"],
        )
    return len(entries["objects"])


def snapshot(state: Path, endpoint: str) -> int:
    s3 = _client(endpoint)
    fresh = state.with_name(state.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    (fresh / "objects").mkdir(parents=True)
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    objects = []
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=entry["Key"])
                name = f"{len(objects):08d}"
                (fresh / "objects" / name).write_bytes(body["Body"].read())
                objects.append(
                    {
                        "bucket": bucket,
                        "key": entry["Key"],
                        "file": name,
                        "content_type": body.get("ContentType", "binary/octet-stream"),
                    }
                )
    (fresh / "manifest.json").write_text(json.dumps({"buckets": buckets, "objects": objects}))
    shutil.rmtree(state, ignore_errors=True)
    fresh.rename(state)
    return len(objects)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{args.port}"
    print(
        f"S3 API server on {endpoint}, {restore(args.state, endpoint)} objects restored", flush=True
    )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    print(f"S3 API server stopping, {snapshot(args.state, endpoint)} objects kept", flush=True)
    server.stop()


if __name__ == "__main__":
    main()
