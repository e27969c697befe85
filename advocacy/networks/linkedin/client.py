"""LinkedIn plug-in: member posts through the versioned Posts API.

Documented facts this relies on (Microsoft Learn, LinkedIn Marketing docs: "Posts API",
"little Text Format", "Rate Limiting"; Sign In with LinkedIn using OpenID Connect):

* ``POST /rest/posts`` needs ``LinkedIn-Version: YYYYMM`` and
  ``X-Restli-Protocol-Version: 2.0.0``; it answers 201 with the new post's URN in the
  ``x-restli-id`` header.
* ``commentary`` is in the *little* text format. Its reserved characters must be
  backslash-escaped or LinkedIn silently cuts the post at the first one.
* Identity comes from OIDC ``GET /v2/userinfo``: ``sub`` is the member id, so the
  author is ``urn:li:person:{sub}``.
* Access tokens last 60 days; refresh tokens exist only for approved partners, so an
  expired token means "reconnect".
* There is no idempotency key. Reading a member's posts back (``GET /rest/posts
  ?q=author``) needs ``r_member_social``, a restricted permission; without it a lost
  answer cannot be reconciled and a person has to look.
* A repeat of a recent post is refused with 422 ``DUPLICATE_POST``.
* Revocation: ``POST https://www.linkedin.com/oauth/v2/revoke`` with the form fields
  ``client_id``, ``client_secret`` and ``token``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from advocacy.networks.base import (
    AccountSession,
    AuthError,
    ConnectedAccount,
    OutcomeUnknown,
    PermanentError,
    PublishRequest,
    PublishResult,
    RecentPost,
    RevokeResult,
)
from advocacy.networks.http import DEFAULT_TIMEOUT, ErrorRules, Timeout, comparable, json_body, send

API_BASE = "https://api.linkedin.com"
OAUTH_BASE = "https://www.linkedin.com/oauth/v2"
# Versions stay supported for about a year; bump this when LinkedIn announces a sunset
# (an expired version is refused with HTTP 426, which surfaces as a PermanentError).
API_VERSION = "202605"
READ_POSTS_SCOPE = "r_member_social"

_RESERVED = "\\|{}@[]()<>#*_~"
_ESCAPED = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")
# LinkedIn prefixes some messages with a Java exception name; people need only the words.
_JAVA_PREFIX = re.compile(r"^(?:[\w$]+\.)+[\w$]*Exception:\s*")


def escape_little(text: str) -> str:
    """Escape every little-format reserved character so LinkedIn shows ``text`` verbatim.

    Hashtags and mentions become plain text as a result: Candor posts the words the
    employee approved, never markup LinkedIn might cut or reinterpret.
    """
    return "".join("\\" + char if char in _RESERVED else char for char in text)


def unescape_little(text: str) -> str:
    """Inverse of ``escape_little``: ``unescape_little(escape_little(t)) == t``."""
    return _ESCAPED.sub(r"\1", text)


def _message(response: requests.Response) -> str:
    body = json_body(response)
    details = (body.get("errorDetails") or {}).get("inputErrors") or []
    extra = [d.get("description") or d.get("code") for d in details if isinstance(d, dict)]
    message = _JAVA_PREFIX.sub("", str(body.get("message") or body.get("error_description") or body.get("error") or ""))
    parts = [message, *(e for e in extra if e and e not in message)]
    return " — ".join(p for p in parts if p)


# A LinkedIn 403 means the token lacks a permission (e.g. w_member_social): reconnecting
# with the right consent fixes it, so the default "403 is an AuthError" rule applies.
RULES = ErrorRules(name="LinkedIn", message=_message)


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


def _scopes(session: AccountSession) -> tuple[str, ...]:
    raw = session.credentials.get("scope") or ()
    # LinkedIn returns scopes comma-separated; other sources use spaces or a list.
    return tuple(raw) if isinstance(raw, list | tuple) else tuple(s for s in re.split(r"[,\s]+", raw) if s)


def _expiry(session: AccountSession) -> datetime | None:
    expires_at = session.credentials.get("expires_at")
    return datetime.fromtimestamp(float(expires_at), tz=UTC) if expires_at else None


def _bearer(session: AccountSession) -> str:
    token = session.credentials.get("access_token")
    if not token:
        raise AuthError("Candor holds no LinkedIn access for this account. Please connect it again.")
    expiry = _expiry(session)
    if expiry is not None and time.time() >= expiry.timestamp():
        raise AuthError(
            f"Candor's LinkedIn access expired on {expiry:%Y-%m-%d} (LinkedIn grants 60 days at a "
            "time). Please reconnect the account."
        )
    return f"Bearer {token}"


class LinkedInClient:
    """Posts as a LinkedIn member. App credentials come from here or ``session.credentials``."""

    key = "linkedin"
    display_name = "LinkedIn"
    supports_images = False

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_base: str = API_BASE,
        oauth_base: str = OAUTH_BASE,
        api_version: str = API_VERSION,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self.api_version = api_version
        self.timeout = timeout

    def _send(
        self, session: AccountSession, method: str, path: str, *, write: bool, **kwargs: Any
    ) -> requests.Response:
        headers = {"Authorization": _bearer(session)}
        if path.startswith("/rest/"):
            # Only the versioned API reads these; /v2/userinfo is OIDC and unversioned.
            headers |= {"LinkedIn-Version": self.api_version, "X-Restli-Protocol-Version": "2.0.0"}
        return send(
            method,
            self.api_base + path,
            rules=RULES,
            write=write,
            headers=headers,
            timeout=self.timeout,
            **kwargs,
        )

    def verify(self, session: AccountSession) -> ConnectedAccount:
        response = self._send(session, "GET", "/v2/userinfo", write=False)
        info = json_body(response)
        member_id = str(info.get("sub") or "")
        if not member_id:
            raise PermanentError("LinkedIn did not say which member this token belongs to.")
        name = str(info.get("name") or "")
        return ConnectedAccount(
            handle=name or member_id,
            external_id=member_id,
            service_url="https://www.linkedin.com",
            credentials=dict(session.credentials),
            scopes=_scopes(session),
            display_name=name,
        )

    def _author(self, session: AccountSession) -> str:
        if not session.external_id:
            raise AuthError("Candor does not know this LinkedIn member's id. Please reconnect the account.")
        return f"urn:li:person:{session.external_id}"

    def publish(self, session: AccountSession, request: PublishRequest) -> PublishResult:
        if request.image is not None:
            raise PermanentError("Candor cannot attach images to LinkedIn posts yet. Remove the image and share again.")
        body = {
            "author": self._author(session),
            "commentary": escape_little(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        response = self._send(session, "POST", "/rest/posts", write=True, json=body)
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise OutcomeUnknown("LinkedIn accepted the post but did not say which post it created.")
        return PublishResult(external_id=urn, url=post_url(urn))

    def find_existing(
        self, session: AccountSession, idempotency_key: str, *, text: str | None = None
    ) -> PublishResult | None:
        """Look for ``text`` among the member's recent posts.

        LinkedIn has no idempotency key, so ``idempotency_key`` cannot be used and the
        caller must pass the posted ``text``. Reading posts back needs the restricted
        ``r_member_social`` permission; without it this raises ``OutcomeUnknown``.
        """
        if text is None or READ_POSTS_SCOPE not in _scopes(session):
            raise OutcomeUnknown(
                "LinkedIn does not let Candor read this member's posts back, so it cannot tell "
                "whether the post went out. Please check the LinkedIn profile."
            )
        params = {"q": "author", "author": self._author(session), "count": 20, "sortBy": "LAST_MODIFIED"}
        response = self._send(session, "GET", "/rest/posts", write=False, params=params)
        wanted = comparable(text)
        for post in json_body(response).get("elements") or []:
            if comparable(unescape_little(str(post.get("commentary", "")))) == wanted:
                return PublishResult(external_id=post["id"], url=post_url(post["id"]))
        return None

    def recent_posts(self, session: AccountSession, *, limit: int = 20) -> list[RecentPost]:
        """The member's newest posts (``GET /rest/posts?q=author``). Needs the restricted
        ``r_member_social`` permission; without it LinkedIn cannot be read, said plainly."""
        if READ_POSTS_SCOPE not in _scopes(session):
            raise PermanentError(
                "LinkedIn does not let Candor read this member's posts (it needs the r_member_social "
                "permission), so posts made outside Candor cannot be spotted here."
            )
        params = {"q": "author", "author": self._author(session), "count": min(limit, 100), "sortBy": "CREATED"}
        response = self._send(session, "GET", "/rest/posts", write=False, params=params)
        posts = []
        for post in json_body(response).get("elements") or []:
            created = post.get("createdAt") or post.get("publishedAt")
            when = dt.datetime.fromtimestamp(created / 1000, tz=dt.UTC).isoformat() if created else ""
            text = unescape_little(str(post.get("commentary", "")))
            posts.append(RecentPost(external_id=post["id"], created_at=when, text=text, url=post_url(post["id"])))
        return posts

    def delete(self, session: AccountSession, external_id: str) -> None:
        # 404: already gone, which is what the caller wanted.
        self._send(session, "DELETE", f"/rest/posts/{quote(external_id, safe='')}", write=True, accept=(404,))

    def revoke(self, session: AccountSession) -> RevokeResult:
        token = session.credentials.get("access_token")
        if not token:
            return RevokeResult(revoked=True, detail="Candor held no LinkedIn token for this account.")
        expiry = _expiry(session)
        if expiry is not None and time.time() >= expiry.timestamp():
            return RevokeResult(
                revoked=True, detail=f"Candor's LinkedIn token had already expired on {expiry:%Y-%m-%d}."
            )
        client_id = self.client_id or session.credentials.get("client_id")
        client_secret = self.client_secret or session.credentials.get("client_secret")
        if not (client_id and client_secret):
            until = f" until it expires on {expiry:%Y-%m-%d}" if expiry else ""
            return RevokeResult(
                revoked=False,
                detail=f"Candor's LinkedIn app credentials are not configured, so the token could not be "
                f"revoked at LinkedIn. It stays valid there{until}.",
            )
        form = {"client_id": client_id, "client_secret": client_secret, "token": token}
        response = send(
            "POST",
            f"{self.oauth_base}/revoke",
            rules=RULES,
            write=True,
            accept=(400, 401, 403),
            data=form,
            timeout=self.timeout,
        )
        if not response.ok:
            return RevokeResult(
                revoked=False,
                detail=f"LinkedIn refused to revoke the token: {_message(response) or response.status_code}",
            )
        return RevokeResult(
            revoked=True,
            detail="LinkedIn confirmed the revocation. Candor can no longer post as this member.",
        )
