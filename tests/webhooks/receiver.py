"""A real webhook receiver on loopback: an http.server in a thread that answers 500 to the
first `fail_first` requests, then 200, and checks each signature as docs/webhooks.md says."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def signature_valid(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The documented check, written out without any Comptoir code."""
    items = dict(part.split("=", 1) for part in header.split(","))
    timestamp = items["t"]
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, items["v1"])


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    fail_first: int = 0
    fail_status: int = 500
    redirect: bool = False
    received: list[Received] = field(default_factory=list)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    failing = len(receiver.received) < receiver.fail_first
                    status = receiver.fail_status if failing else 200
                    if receiver.redirect:
                        status = 302
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), body, status)
                    )
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "/elsewhere")
                answer = b"ok" if status == 200 else b"nope " * 400
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/comptoir"
