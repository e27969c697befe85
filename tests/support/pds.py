"""Start the real Bluesky reference PDS (``pds/launcher.js``) on loopback for tests.

Pure Python, no Django. The server is a Node subprocess; ``PdsServer`` talks to
it over plain XRPC so tests can set up accounts and count what actually landed.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import stop_server

REPO_ROOT = Path(__file__).resolve().parents[2]
PDS_DIR = REPO_ROOT / "pds"
LAUNCHER = PDS_DIR / "launcher.js"
INSTALL_HINT = "npm_config_nodedir=/usr npm ci --prefix pds"
READY_PATTERN = re.compile(r"^PDS_READY (http://\S+)$", re.MULTILINE)
POST_COLLECTION = "app.bsky.feed.post"


class PdsUnavailable(RuntimeError):
    """The PDS cannot be started here (Node or its packages missing)."""


class PdsStartError(RuntimeError):
    """The PDS process was started but never became ready."""


@dataclass
class PdsServer:
    url: str
    admin_password: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(base_url=f"{self.url}/xrpc", timeout=30)

    def __enter__(self) -> PdsServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 15) -> None:
        """Stop the server (SIGTERM, then SIGKILL). Safe to call twice."""
        self._http.close()
        stop_server(self.process, timeout)

    # -- XRPC helpers for tests -------------------------------------------------

    def xrpc(self, method: str, nsid: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.request(method, nsid, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{nsid} failed with {response.status_code}: {response.text}")
        return response.json() if response.content else {}

    def create_account(self, handle_prefix: str = "user") -> tuple[str, str, str]:
        """Create an account; returns ``(handle, main_password, did)``."""
        # The PDS wants 3-18 characters before the service domain.
        prefix = re.sub(r"[^a-z0-9]", "", handle_prefix.lower())[:11] or "user"
        handle = f"{prefix}-{secrets.token_hex(3)}.test"
        password = secrets.token_urlsafe(16)
        body = {"handle": handle, "email": f"{handle}@example.com", "password": password}
        created = self.xrpc("POST", "com.atproto.server.createAccount", json=body)
        return handle, password, created["did"]

    def create_app_password(self, handle: str, password: str, name: str = "Candor") -> str:
        """Create an app password with the account's main password; returns the app password."""
        session = self.xrpc(
            "POST", "com.atproto.server.createSession", json={"identifier": handle, "password": password}
        )
        created = self.xrpc(
            "POST",
            "com.atproto.server.createAppPassword",
            json={"name": name},
            headers={"Authorization": f"Bearer {session['accessJwt']}"},
        )
        return created["password"]

    def list_posts(self, did: str) -> list[dict[str, Any]]:
        """Every ``app.bsky.feed.post`` record in the repo: dicts with ``uri``, ``cid``, ``value``."""
        records: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"repo": did, "collection": POST_COLLECTION, "limit": 100}
            if cursor:
                params["cursor"] = cursor
            page = self.xrpc("GET", "com.atproto.repo.listRecords", params=params)
            records.extend(page["records"])
            cursor = page.get("cursor")
            if not cursor or not page["records"]:
                return records

    def get_blob(self, did: str, cid: str) -> bytes:
        """The bytes of a blob the repo holds (``com.atproto.sync.getBlob``)."""
        response = self._http.get("com.atproto.sync.getBlob", params={"did": did, "cid": cid})
        if response.status_code >= 400:
            raise AssertionError(f"getBlob failed with {response.status_code}: {response.text}")
        return response.content

    def takedown(self, did: str) -> None:
        """Take the account down as a moderator would; its tokens stop working at once."""
        body = {
            "subject": {"$type": "com.atproto.admin.defs#repoRef", "did": did},
            "takedown": {"applied": True, "ref": "candor-test"},
        }
        self.xrpc("POST", "com.atproto.admin.updateSubjectStatus", json=body, auth=("admin", self.admin_password))


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check_installed() -> str:
    node = shutil.which("node")
    if node is None:
        raise PdsUnavailable("Node.js is not installed; the local Bluesky PDS needs `node` (20 or newer).")
    if not (PDS_DIR / "node_modules" / "@atproto" / "pds").is_dir():
        raise PdsUnavailable(f"The local Bluesky PDS is not installed. From {REPO_ROOT} run:\n    {INSTALL_HINT}")
    return node


def start_pds(
    *,
    workdir: Path,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> PdsServer:
    """Start ``node pds/launcher.js`` with a fresh data directory under ``workdir``.

    Waits for the ``PDS_READY`` line; raises ``PdsStartError`` with the process
    output if it does not come within ``timeout`` seconds.
    """
    node = _check_installed()
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="pds-", dir=workdir))
    log_path = data_dir / "launcher.log"
    admin_password = secrets.token_hex(12)
    port = port or free_loopback_port()
    child_env = {
        **os.environ,
        "PDS_PORT": str(port),
        "PDS_DATA_DIRECTORY": str(data_dir / "data"),
        "PDS_BLOBSTORE_DISK_LOCATION": str(data_dir / "blobs"),
        "PDS_ADMIN_PASSWORD": admin_password,
        "PDS_HOSTNAME": "localhost",
        "PDS_DEV_MODE": "true",
        "PDS_INVITE_REQUIRED": "false",
        "PDS_RATE_LIMITS_ENABLED": "false",
        "PDS_EXIT_WITH_STDIN": "1",
        **(env or {}),
    }
    with log_path.open("wb") as log:
        # stdin stays an open pipe: if this Python process dies, the launcher sees EOF and exits.
        process = subprocess.Popen(
            [node, str(LAUNCHER)],
            cwd=PDS_DIR,
            env=child_env,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = READY_PATTERN.search(log_path.read_text(errors="replace"))
        if match:
            return PdsServer(match.group(1), admin_password, process, log_path)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    exit_code = process.poll()
    status = "timed out" if exit_code is None else f"exited with code {exit_code}"
    with contextlib.suppress(Exception):
        process.kill()
        process.wait(5)
    raise PdsStartError(
        f"The local Bluesky PDS did not become ready ({status} after up to {timeout:.0f}s). "
        f"Its output:\n{log_path.read_text(errors='replace')}"
    )


@contextlib.contextmanager
def running_pds(*, workdir: Path, port: int | None = None, **kwargs: Any) -> Iterator[PdsServer]:
    server = start_pds(workdir=workdir, port=port, **kwargs)
    try:
        yield server
    finally:
        server.stop()
