"""The one small interface every social network plug-in implements.

A plug-in is a package under ``advocacy.networks`` (``bluesky``, ``mastodon``,
``linkedin``, ``x``) exposing a ``client`` object that satisfies ``NetworkClient``.
Plug-ins know nothing about Django models: the posting engine hands them an
``AccountSession`` (decrypted credentials plus identity) and gets plain values back.
Adding a network means copying a sibling folder and registering it in
``advocacy.networks.registry``.

Error classification is the contract the posting engine relies on:

* ``TransientError``: try again later (network blip, 5xx, 429). Never marks a
  token dead.
* ``OutcomeUnknown``: the request may have landed (timeout, 5xx after the body
  was sent). The engine **reconciles** with ``find_existing`` before any retry.
* ``PermanentError``: the post itself is refused (too long, bad media); retrying
  cannot help.
* ``AuthError``: the credential is expired or revoked; the owner must reconnect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from advocacy.compose import LinkCard


class NetworkError(Exception):
    """Base class. ``message`` is plain words suitable to show the account owner."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class TransientError(NetworkError):
    """Temporary failure: retry with backoff, honouring ``retry_after`` seconds if set."""


class RateLimited(TransientError):
    """HTTP 429 or the network's own rate-limit signal; ``retry_after`` is set when known."""


class OutcomeUnknown(TransientError):
    """The publish request may or may not have been applied. Reconcile before retrying."""


class PermanentError(NetworkError):
    """The network refused this post for good (validation, duplicate content, media)."""


class AuthError(PermanentError):
    """Credential expired, revoked or lacking scope. The owner must reconnect."""


@dataclass
class AccountSession:
    """What a plug-in may use to act for one connected account.

    ``credentials`` holds decrypted secrets (tokens, app passwords, session JWTs).
    A plug-in that refreshes a token updates ``credentials`` in place and sets
    ``credentials_changed``; the caller then re-encrypts and stores them. A plug-in
    must never drop a refresh token it was given unless the network issued a new one.
    """

    network: str
    handle: str
    external_id: str = ""
    service_url: str = ""
    credentials: dict[str, Any] = field(default_factory=dict)
    credentials_changed: bool = False


@dataclass(frozen=True)
class ConnectedAccount:
    """Result of a successful connect or verify."""

    handle: str
    external_id: str
    service_url: str
    credentials: dict[str, Any]
    scopes: tuple[str, ...] = ()
    display_name: str = ""
    max_characters: int | None = None  # per-instance limit where the network has one


@dataclass(frozen=True)
class MediaAttachment:
    content: bytes
    mime_type: str
    alt_text: str = ""


@dataclass(frozen=True)
class PublishRequest:
    """One post. ``text`` is final (disclosure already first, checked by the caller):
    the caller builds it with ``advocacy.compose.final_post``, and a plug-in that adds
    anything (a link card for ``link``) decides it with that same function, never by
    changing the text on its own, so what was checked is what is posted.

    ``disclosure`` and ``page_url`` (the post's public page) let a plug-in that links
    the disclosure without changing the text (Bluesky's facet) ask ``final_post`` where;
    on other networks the address is already in ``text``.

    ``link_card`` is the card the final post carries for ``link`` (title and
    description as the server read them) and ``link_thumb`` its thumbnail, the bytes
    the preview showed; a plug-in passes ``link_card`` back to ``final_post``.

    ``idempotency_key`` is stable for the share across every retry; plug-ins use it
    as the network's idempotency key, record key or marker, whichever the network
    supports, so that ``find_existing`` can recognise the post later.
    """

    text: str
    idempotency_key: str
    link: str | None = None
    link_card: LinkCard | None = None
    link_thumb: MediaAttachment | None = None
    image: MediaAttachment | None = None
    language: str | None = None
    disclosure: str = ""
    page_url: str = ""


@dataclass(frozen=True)
class PublishResult:
    external_id: str
    url: str


@dataclass(frozen=True)
class RevokeResult:
    """What revocation achieved, worded honestly for the hand-back receipt."""

    revoked: bool
    detail: str


@dataclass(frozen=True)
class RecentPost:
    """One post read back from the account's own timeline (``PostReader``)."""

    external_id: str  # as ``PublishResult.external_id`` names it: record URI, status id, post id, URN
    created_at: str  # ISO 8601, as the network reports it
    text: str
    url: str = ""


class PostReader(Protocol):
    """Reading an account's own recent posts, to spot posts made outside Candor.

    Optional: a plug-in without ``recent_posts`` is not watched. It only ever reads;
    it raises ``PermanentError`` when the granted scope or the network's plan does
    not allow reading, ``TransientError``/``RateLimited`` to be tried later.
    """

    def recent_posts(self, session: AccountSession, *, limit: int = 20) -> list[RecentPost]: ...


class NetworkClient(Protocol):
    key: str  # "bluesky", "mastodon", "linkedin", "x"
    display_name: str
    supports_images: bool  # False: a post with an image is refused before it is scheduled

    def verify(self, session: AccountSession) -> ConnectedAccount:
        """Check the credential still works; raise ``AuthError`` if not."""
        ...

    def publish(self, session: AccountSession, request: PublishRequest) -> PublishResult: ...

    def find_existing(
        self, session: AccountSession, idempotency_key: str, *, text: str | None = None
    ) -> PublishResult | None:
        """Reconcile: return the post made for this key if the network has it.

        Networks without a lookup by key (Mastodon after its ~1 h key window,
        LinkedIn, X) match recent posts against ``text``. Raise ``OutcomeUnknown``
        when the network offers no way to tell; the engine then marks the share
        *unknown* and asks a human instead of re-posting.
        """
        ...

    def delete(self, session: AccountSession, external_id: str) -> None: ...

    def revoke(self, session: AccountSession) -> RevokeResult:
        """Revoke Candor's access at the network. Safe to call twice."""
        ...
