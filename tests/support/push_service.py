"""A browser's push service, at the network boundary: a local HTTP server that takes
the encrypted messages Candor sends, and the browser's key pair to read them with.

``push_service.subscribe(client, user)`` turns push on the way the Notification
settings page does (a JSON POST of ``PushSubscription.toJSON()``); each received
message can then be decrypted with that subscription's private key (``http_ece``),
exactly as the browser would.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Browser:
    """One browser's subscription: where its push service takes messages, and its keys."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def as_json(self) -> dict[str, Any]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    url: str
    received: list[Received] = field(default_factory=list)
    browsers: dict[str, Browser] = field(default_factory=dict)
    answer_status: int = 201

    def browser(self, name: str) -> Browser:
        browser = Browser(
            endpoint=f"{self.url}/push/{name}", private_key=ec.generate_private_key(ec.SECP256R1()), auth=os.urandom(16)
        )
        self.browsers[f"/push/{name}"] = browser
        return browser

    def subscribe(self, client, user, name: str | None = None):
        browser = self.browser(name or f"browser-of-{user.pk}")
        client.force_login(user)
        response = client.post("/notifications/push/subscribe/", browser.as_json(), content_type="application/json")
        return browser, response

    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """Every message received so far, decrypted with its browser's keys: (path, payload)."""
        read = []
        for message in self.received:
            browser = self.browsers[message.path]
            plain = http_ece.decrypt(
                message.body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
            read.append((message.path, json.loads(plain)))
        return read


@pytest.fixture
def push_service():
    service: PushService

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            service.received.append(Received(path=self.path, headers=headers, body=body))
            self.send_response(service.answer_status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service = PushService(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
