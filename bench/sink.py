"""A local HTTP sink that accepts posts, for the fan-out benchmark.

Run as ``python -m bench.sink PORT``; it binds 127.0.0.1 only. It stands in for a
social network that is never the bottleneck (asyncio, keep-alive, no parsing
beyond what HTTP/1.1 needs) and counts what arrives so the report can prove
that every share was sent and none twice:

* ``POST /api/v1/statuses`` with an ``Idempotency-Key`` header: one post.
* ``GET /lookup?key=K``: the post made for key K, or 404 (for reconciliation).
* ``GET /stats``: posts, distinct keys, duplicates, first and last arrival.
* ``POST /reset``: forget everything (between runs).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import parse_qs, urlsplit


class Sink:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.posts = 0
        self.keys: dict[str, int] = {}
        self.duplicates = 0
        self.first: float | None = None
        self.last: float | None = None

    def post(self, key: str) -> tuple[int, dict[str, object]]:
        now = time.time()
        self.first = self.first or now
        self.last = now
        self.posts += 1
        if key in self.keys:
            self.duplicates += 1
        else:
            self.keys[key] = self.posts
        post_id = self.keys[key]
        return 200, {"id": str(post_id), "url": f"http://127.0.0.1/@bench/{post_id}"}

    def stats(self) -> dict[str, object]:
        return {
            "posts": self.posts,
            "distinct_keys": len(self.keys),
            "duplicates": self.duplicates,
            "first_at": self.first,
            "last_at": self.last,
        }

    def handle(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        url = urlsplit(target)
        if method == "POST" and url.path == "/api/v1/statuses":
            key = headers.get("idempotency-key", "")
            if not key:
                return 400, {"error": "Idempotency-Key header required"}
            return self.post(key)
        if method == "GET" and url.path == "/lookup":
            key = parse_qs(url.query).get("key", [""])[0]
            if key in self.keys:
                return 200, {"id": str(self.keys[key]), "url": f"http://127.0.0.1/@bench/{self.keys[key]}"}
            return 404, {"error": "not found"}
        if method == "GET" and url.path == "/stats":
            return 200, self.stats()
        if method == "GET" and url.path == "/keys":
            return 200, {"keys": sorted(self.keys)}
        if method == "POST" and url.path == "/reset":
            self.reset()
            return 200, {"ok": True}
        return 404, {"error": "no such endpoint"}


REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found"}


async def serve(port: int) -> None:
    sink = Sink()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                status, body = sink.handle(method, target, headers)
                payload = json.dumps(body).encode()
                writer.write(
                    f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", port, backlog=1024)
    print(f"SINK_READY http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
