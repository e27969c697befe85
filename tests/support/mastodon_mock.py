"""A real ``mastodon_mock`` server (PyPI ``mastodon-mock``) in a subprocess, on loopback.

``mastodon_mock serve --in-memory`` seeds the user ``testuser`` with the token
``mock_token``. Besides the Mastodon REST API it offers mock-only helpers under
``/api/v1/_mock``: ``reset`` (drop everything, re-seed) and ``faults`` (make the next
matching request fail with a status, a delay, or a rate limit). Everything stays on
127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

SERVE = [sys.executable, "-m", "mastodon_mock", "serve", "--in-memory"]
SEED_TOKEN = "mock_token"
SEED_USERNAME = "testuser"


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MastodonMock:
    """Start with ``start()``, stop with ``stop()``; ``base_url`` is valid in between."""

    def __init__(self, workdir: Path) -> None:
        # The mock reads its settings from the working directory: give it its own.
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self, *, attempts: int = 3, wait_seconds: float = 20.0) -> None:
        # Uploaded media would otherwise land in a fresh directory under /tmp each run.
        media = (self.workdir / "media").as_posix()
        (self.workdir / ".mastodon_mock.toml").write_text(f'media_storage_path = "{media}"\n')
        for _ in range(attempts):
            # Another process may grab the port between our probe and the server's bind;
            # then the server exits and we try a fresh port.
            port = free_loopback_port()
            self.base_url = f"http://127.0.0.1:{port}"
            with (self.workdir / "server.log").open("ab") as log:
                self.process = subprocess.Popen(
                    [*SERVE, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                    cwd=self.workdir,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_until_up(wait_seconds):
                return
            self.stop()
        log_text = (self.workdir / "server.log").read_text(errors="replace")
        raise RuntimeError(f"mastodon_mock did not start:\n{log_text}")

    def _wait_until_up(self, wait_seconds: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if requests.get(f"{self.base_url}/api/v1/instance", timeout=1).ok:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    # -- mock-only controls ------------------------------------------------------

    def reset(self) -> None:
        """Drop all data and fault rules; re-seed ``testuser``."""
        requests.post(f"{self.base_url}/api/v1/_mock/reset", timeout=5).raise_for_status()

    def fault(self, *, method: str, path_regex: str, effect: dict[str, Any], count: int | None = 1) -> None:
        """Make the next ``count`` requests matching ``method`` and ``path_regex`` behave as ``effect``.

        ``effect`` examples: ``{"type": "status", "status": 500}``,
        ``{"type": "ratelimit"}``, ``{"type": "latency", "delay_ms": 3000}``.
        """
        rule = {"match": {"methods": [method], "path_regex": path_regex}, "effect": effect, "count": count}
        requests.post(f"{self.base_url}/api/v1/_mock/faults", json=rule, timeout=5).raise_for_status()

    # -- looking at what a user would see ------------------------------------------

    def statuses(self, token: str = SEED_TOKEN) -> list[dict[str, Any]]:
        """The statuses on the token owner's profile, newest first."""
        headers = {"Authorization": f"Bearer {token}"}
        me = requests.get(f"{self.base_url}/api/v1/accounts/verify_credentials", headers=headers, timeout=5)
        me.raise_for_status()
        response = requests.get(
            f"{self.base_url}/api/v1/accounts/{me.json()['id']}/statuses", headers=headers, timeout=5
        )
        response.raise_for_status()
        return list(response.json())

    def source_text(self, status_id: str, token: str = SEED_TOKEN) -> str:
        """The plain text a status was posted with."""
        response = requests.get(
            f"{self.base_url}/api/v1/statuses/{status_id}/source",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        response.raise_for_status()
        return str(response.json()["text"])
