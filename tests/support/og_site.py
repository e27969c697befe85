"""A small real web site on loopback for the link-card tests: a page with Open Graph
tags and an image, and pages that break each of the reader's limits. It counts the
requests it answers, so a test can tell whether Candor read a page at all."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

TITLE = "Robot tamers wanted at Acme"
DESCRIPTION = "Join the team that teaches parcels to sort themselves. Remote-friendly, Rome and Berlin."


def png(width: int = 1600, height: int = 900, colour: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def og_page(*, title: str = TITLE, description: str = DESCRIPTION, image: str = "/og.png") -> bytes:
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>Acme careers</title>
<meta property="og:title" content="{title}">
<meta property="og:description" content="{description}">
<meta property="og:image" content="{image}">
</head><body><h1>Jobs</h1></body></html>""".encode()


@dataclass
class Site:
    url: str
    hits: Counter[str] = field(default_factory=Counter)
    # path -> (status, headers, body, seconds to wait before answering)
    routes: dict[str, tuple[int, dict[str, str], bytes, float]] = field(default_factory=dict)

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> str:
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, body, delay)
        return f"{self.url}{path}"

    def redirect(self, path: str, to: str) -> str:
        return self.serve(path, b"", status=302, headers={"Location": to})


@contextmanager
def running_site() -> Iterator[Site]:
    site = Site(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.hits[self.path] += 1
            status, headers, body, delay = site.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"", 0.0))
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the reader gave up, as it should

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    site.serve("/jobs", og_page())
    site.serve("/og.png", png(), content_type="image/png")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
