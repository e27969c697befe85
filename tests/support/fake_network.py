"""An in-memory social network for posting-engine tests.

``FakeNetwork`` implements ``advocacy.networks.base.NetworkClient`` exactly
(``verify``, ``publish``, ``find_existing``, ``delete``, ``revoke``). It records every
post it accepts, so a test can count them, and it can be scripted to fail in each
way the engine must handle:

    fake.script_publish(TransientError("502"))               # refused, nothing posted
    fake.script_publish(Landed(OutcomeUnknown("timeout")))   # posted, response lost
    fake.script_publish(Landed(WorkerKilled()))              # posted, then the worker died

Unlike Mastodon or Bluesky it never deduplicates by idempotency key: a second publish
for the same key is a second post, exactly as on X or LinkedIn. That is what lets a
test see a double post instead of having the fake hide it.

Bluesky and Mastodon can reconcile (``find_existing`` finds the post by its key). X
and LinkedIn stand for the common case where the app may not read posts back:
``find_existing`` raises ``OutcomeUnknown``, as base.py says. ``can_reconcile``
overrides either.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from advocacy.networks import base as net
from advocacy.networks.registry import NETWORKS, UnknownNetwork

RECONCILING_NETWORKS = frozenset({"bluesky", "mastodon"})


class WorkerKilled(BaseException):
    """Stands for the worker process dying mid-call: nothing in the engine catches a
    ``BaseException``, so the share is left exactly as a killed worker leaves it."""


@dataclass(frozen=True)
class Landed:
    """Script entry for ``publish``: record the post, *then* raise ``error``."""

    error: BaseException


@dataclass
class FakePost:
    external_id: str
    url: str
    handle: str
    text: str
    idempotency_key: str
    link: str | None = None
    image: net.MediaAttachment | None = None
    language: str | None = None
    deleted: bool = False


# A script entry: an exception to raise instead of doing the work, ``Landed`` (publish
# only), or ``None`` to behave normally this once.
Outcome = BaseException | Landed | None


@dataclass
class FakeNetwork:
    key: str = "bluesky"
    can_reconcile: bool | None = None
    display_name: str = ""
    posts: list[FakePost] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, handle)
    lookups: list[tuple[str, str | None]] = field(default_factory=list)  # find_existing (key, text)
    revoked_handles: set[str] = field(default_factory=set)
    # Called once, with the request, when the next publish call arrives (before any
    # scripted outcome): lets a test run something "while the network call is in
    # flight", such as a duplicate delivery of the same task or a second worker.
    before_publish: Callable[[net.PublishRequest], None] | None = None
    _scripts: dict[str, deque[Outcome]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        if self.can_reconcile is None:
            self.can_reconcile = self.key in RECONCILING_NETWORKS
        self.display_name = self.display_name or NETWORKS.get(self.key, self.key)

    # --- scripting -------------------------------------------------------------

    def script_publish(self, *outcomes: Outcome) -> None:
        self._script("publish", outcomes)

    def script_find_existing(self, *outcomes: Outcome) -> None:
        self._script("find_existing", outcomes)

    def script_verify(self, *outcomes: Outcome) -> None:
        self._script("verify", outcomes)

    def script_revoke(self, *outcomes: Outcome) -> None:
        self._script("revoke", outcomes)

    def _script(self, method: str, outcomes: tuple[Outcome, ...]) -> None:
        if method != "publish" and any(isinstance(o, Landed) for o in outcomes):
            raise ValueError("Landed(...) only makes sense for publish")
        self._scripts.setdefault(method, deque()).extend(outcomes)

    def _next(self, method: str) -> Outcome:
        queue = self._scripts.get(method)
        return queue.popleft() if queue else None

    # --- what tests look at ------------------------------------------------------

    @property
    def live_posts(self) -> list[FakePost]:
        return [post for post in self.posts if not post.deleted]

    def posts_for(self, idempotency_key: str) -> list[FakePost]:
        return [post for post in self.posts if post.idempotency_key == idempotency_key]

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    # --- NetworkClient -----------------------------------------------------------

    def verify(self, session: net.AccountSession) -> net.ConnectedAccount:
        self.calls.append(("verify", session.handle))
        self._raise_scripted("verify")
        self._check_access(session)
        return net.ConnectedAccount(
            handle=session.handle,
            external_id=session.external_id or f"{self.key}:{session.handle}",
            service_url=session.service_url,
            credentials=dict(session.credentials),
            scopes=("write",),
        )

    def publish(self, session: net.AccountSession, request: net.PublishRequest) -> net.PublishResult:
        self.calls.append(("publish", session.handle))
        if self.before_publish is not None:
            in_flight, self.before_publish = self.before_publish, None
            in_flight(request)
        outcome = self._next("publish")
        if isinstance(outcome, BaseException):
            raise outcome
        self._check_access(session)
        post_id = f"{self.key}-{next(self._ids)}"
        post = FakePost(
            external_id=post_id,
            url=f"https://{self.key}.example/{session.handle}/{post_id}",
            handle=session.handle,
            text=request.text,
            idempotency_key=request.idempotency_key,
            link=request.link,
            image=request.image,
            language=request.language,
        )
        self.posts.append(post)
        if isinstance(outcome, Landed):
            raise outcome.error
        return net.PublishResult(external_id=post.external_id, url=post.url)

    def find_existing(
        self, session: net.AccountSession, idempotency_key: str, *, text: str | None = None
    ) -> net.PublishResult | None:
        self.calls.append(("find_existing", session.handle))
        self.lookups.append((idempotency_key, text))
        self._raise_scripted("find_existing")
        if not self.can_reconcile:
            raise net.OutcomeUnknown(f"{self.display_name} does not let Candor read this account's posts back.")
        self._check_access(session)
        for post in self.live_posts:
            if post.idempotency_key == idempotency_key and post.handle == session.handle:
                return net.PublishResult(external_id=post.external_id, url=post.url)
        return None

    def delete(self, session: net.AccountSession, external_id: str) -> None:
        self.calls.append(("delete", session.handle))
        self._raise_scripted("delete")
        self._check_access(session)
        for post in self.posts:
            if post.external_id == external_id and post.handle == session.handle:
                post.deleted = True

    def revoke(self, session: net.AccountSession) -> net.RevokeResult:
        self.calls.append(("revoke", session.handle))
        self._raise_scripted("revoke")
        self.revoked_handles.add(session.handle)
        return net.RevokeResult(revoked=True, detail=f"{self.display_name} access revoked.")

    def _raise_scripted(self, method: str) -> None:
        outcome = self._next(method)
        if isinstance(outcome, BaseException):
            raise outcome

    def _check_access(self, session: net.AccountSession) -> None:
        if session.handle in self.revoked_handles:
            raise net.AuthError(f"{self.display_name} says the access for {session.handle} was revoked.")


class FakeNetworks:
    """One ``FakeNetwork`` per network key, made on first use; a stand-in registry."""

    def __init__(self) -> None:
        self._networks: dict[str, FakeNetwork] = {}

    def __getitem__(self, key: str) -> FakeNetwork:
        if key not in NETWORKS:
            raise UnknownNetwork(key)
        if key not in self._networks:
            self._networks[key] = FakeNetwork(key=key)
        return self._networks[key]

    def get_client(self, network_key: str) -> FakeNetwork:
        return self[network_key]

    @property
    def posts(self) -> list[FakePost]:
        return [post for network in self._networks.values() for post in network.posts]


@pytest.fixture
def fake_networks(monkeypatch: pytest.MonkeyPatch) -> FakeNetworks:
    """Every network the engine asks for is an in-memory ``FakeNetwork``."""
    networks = FakeNetworks()
    monkeypatch.setattr("advocacy.networks.registry.get_client", networks.get_client)
    monkeypatch.setattr("advocacy.sharing.engine.batch.get_client", networks.get_client)
    return networks


@pytest.fixture
def fake_network(fake_networks: FakeNetworks) -> FakeNetwork:
    """The fake Bluesky (the network of the default test account)."""
    return fake_networks["bluesky"]
