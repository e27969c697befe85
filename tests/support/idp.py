"""Start the real OpenID Connect provider (``idp/launcher.js``, the certified npm
``oidc-provider``) on loopback for tests. Pure Python, no Django.

People live in a JSON file the provider reads on every sign-in, so a test adds or
changes someone (``IdpServer.add_person``) while the server runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.processes import stop_server

REPO_ROOT = Path(__file__).resolve().parents[2]
IDP_DIR = REPO_ROOT / "idp"
LAUNCHER = IDP_DIR / "launcher.js"
INSTALL_HINT = "make idp/node_modules/.installed   (or: npm ci --prefix idp)"
READY_PATTERN = re.compile(r"^IDP_READY (http://\S+)$", re.MULTILINE)


class IdpUnavailable(RuntimeError):
    """The provider cannot be started here (Node or its packages missing)."""


@dataclass
class IdpServer:
    url: str
    client_id: str
    client_secret: str
    users_file: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def add_person(
        self,
        login: str,
        *,
        password: str = "idp-password-123",
        email: str | None = None,
        email_verified: bool = True,
        name: str = "",
        groups: list[str] | None = None,
        amr: list[str] | None = None,
        acr: str | None = None,
    ) -> dict[str, Any]:
        """Create or replace someone at the provider; their ``sub`` is stable per login."""
        people = json.loads(self.users_file.read_text()) if self.users_file.exists() else {}
        sub = people.get(login, {}).get("sub") or f"sub-{len(people) + 1:04d}-{login.split('@')[0]}"
        person: dict[str, Any] = {
            "sub": sub,
            "password": password,
            "email": email if email is not None else login,
            "email_verified": email_verified,
            "name": name,
            "given_name": name.split(" ")[0] if name else "",
            "family_name": " ".join(name.split(" ")[1:]) if name else "",
            "groups": groups or [],
        }
        if amr is not None:
            person["amr"] = amr
        if acr is not None:
            person["acr"] = acr
        people[login] = person
        tmp = self.users_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(people))
        tmp.replace(self.users_file)
        return person

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 10) -> None:
        stop_server(self.process, timeout)


def start_idp(*, workdir: Path, redirect_uris: list[str], client_id: str = "candor", timeout: float = 30) -> IdpServer:
    node = shutil.which("node")
    if node is None:
        raise IdpUnavailable("Node.js is not installed; the test identity provider needs `node` (20.19 or newer).")
    if not (IDP_DIR / "node_modules" / "oidc-provider").is_dir():
        raise IdpUnavailable(f"The test identity provider is not installed. From {REPO_ROOT} run:\n    {INSTALL_HINT}")
    workdir.mkdir(parents=True, exist_ok=True)
    users_file = workdir / "people.json"
    users_file.write_text("{}")
    log_path = workdir / "idp.log"
    client_secret = "test-client-secret-" + os.urandom(8).hex()
    clients = [{"client_id": client_id, "client_secret": client_secret, "redirect_uris": redirect_uris}]
    env = {
        **os.environ,
        "IDP_PORT": "0",
        "IDP_CLIENTS": json.dumps(clients),
        "IDP_USERS_FILE": str(users_file),
        "IDP_EXIT_WITH_STDIN": "1",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(LAUNCHER)], cwd=IDP_DIR, env=env, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = READY_PATTERN.search(log_path.read_text(errors="replace"))
        if match:
            return IdpServer(match.group(1), client_id, client_secret, users_file, process, log_path)
        if process.poll() is not None:
            break
        time.sleep(0.1)
    with contextlib.suppress(Exception):
        process.kill()
        process.wait(5)
    raise RuntimeError(f"The test identity provider did not start. Its output:\n{log_path.read_text(errors='replace')}")


@contextlib.contextmanager
def running_idp(**kwargs: Any) -> Iterator[IdpServer]:
    server = start_idp(**kwargs)
    try:
        yield server
    finally:
        server.stop()
