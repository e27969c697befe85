"""X plug-in: posts through the X API v2 with an OAuth 2.0 user token.

Documented facts this relies on (docs.x.com: "Manage Posts" quickstart and API
reference, "Response codes and errors", "Rate limits", "OAuth 2.0 Authorization Code
Flow with PKCE"):

* ``POST /2/tweets`` takes ``{"text": ...}`` and answers 201 ``{"data": {"id", "text"}}``.
* Errors are problem documents ``{"title", "detail", "type", ...}``; invalid requests
  add ``errors: [{"message": ...}]``. A repeated text is refused with 403 "You are not
  allowed to create a Tweet with duplicate content."
* Every response carries ``x-rate-limit-limit/-remaining/-reset`` (reset in Unix
  seconds); the posting caps add ``x-user-limit-24hour-*`` and ``x-app-limit-24hour-*``.
* Access tokens live two hours; with the ``offline.access`` scope a refresh token is
  issued and ``POST /2/oauth2/token`` with ``grant_type=refresh_token`` renews it.
  Confidential clients authenticate with HTTP Basic (client id and secret), public
  clients send ``client_id`` in the form.
* ``POST /2/oauth2/revoke`` revokes a token; ``GET /2/users/me`` tells who we are;
  ``GET /2/users/:id/tweets`` lists the user's recent posts.
* There is no idempotency key, so reconciliation matches the exact text.
"""

from __future__ import annotations

import html
import time
from typing import Any

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
    TransientError,
)
from advocacy.networks.http import (
    DEFAULT_TIMEOUT,
    ErrorRules,
    Timeout,
    comparable,
    json_body,
    merge_token_response,
    retry_after_header,
    seconds_until,
    send,
)

API_BASE = "https://api.x.com"
# Refresh a little early so a token does not expire between our check and X's.
EXPIRY_MARGIN_SECONDS = 60
RECENT_POSTS_TO_SCAN = 20
# Problem types that mean "this token cannot do that"; reconnecting fixes them. Every
# other 403 (duplicate text, policy, a plan that lacks the endpoint) is about the request.
_AUTH_PROBLEMS = {"unsupported-authentication", "oauth1-permissions"}


def _message(response: requests.Response) -> str:
    body = json_body(response)
    errors = body.get("errors")
    listed = errors if isinstance(errors, list) else []
    specific = [e.get("message") or e.get("detail") for e in listed if isinstance(e, dict)]
    found = "; ".join(str(m) for m in specific if m)
    return found or str(body.get("detail") or body.get("error_description") or body.get("title") or "")


def _forbidden_is_auth(response: requests.Response) -> bool:
    problem = str(json_body(response).get("type", ""))
    return problem.rsplit("/", 1)[-1] in _AUTH_PROBLEMS


def _retry_after(response: requests.Response) -> float | None:
    """The wait X asks for: the exhausted 24-hour posting cap if any, else the 15-minute window."""
    headers = response.headers
    if "Retry-After" in headers:
        return retry_after_header(response)
    for window in ("x-user-limit-24hour", "x-app-limit-24hour"):
        if headers.get(f"{window}-remaining") == "0":
            return seconds_until(headers.get(f"{window}-reset"))
    return seconds_until(headers.get("x-rate-limit-reset"))


RULES = ErrorRules(name="X", message=_message, forbidden_is_auth=_forbidden_is_auth, retry_after=_retry_after)


def _tweet_text(tweet: dict[str, Any]) -> str:
    """A post's text as the author typed it: X shortens links to t.co and escapes &, <, >."""
    text = str(tweet.get("text", ""))
    for link in (tweet.get("entities") or {}).get("urls") or []:
        if link.get("url") and link.get("expanded_url"):
            text = text.replace(link["url"], link["expanded_url"])
    return html.unescape(text)


class XClient:
    """Posts as an X user. The OAuth client id/secret come from here or ``session.credentials``."""

    key = "x"
    display_name = "X"
    supports_images = False

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_base: str = API_BASE,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    # -- tokens ---------------------------------------------------------------

    def _app_auth(self, session: AccountSession) -> tuple[dict[str, str], tuple[str, str] | None]:
        """Form fields and Basic auth identifying Candor's app to the OAuth endpoints."""
        client_id = self.client_id or session.credentials.get("client_id")
        client_secret = self.client_secret or session.credentials.get("client_secret")
        if not client_id:
            raise PermanentError("Candor's X app client id is not configured.")
        if client_secret:
            return {}, (client_id, client_secret)
        return {"client_id": client_id}, None

    def _refresh(self, session: AccountSession) -> None:
        """Renew the access token in place and set ``credentials_changed``."""
        refresh_token = session.credentials.get("refresh_token")
        if not refresh_token:
            raise AuthError("Candor's X access expired and cannot be renewed. Please reconnect the account.")
        form, auth = self._app_auth(session)
        # A lost answer here is a TransientError, not a dead token: brief network
        # trouble must never make anyone reconnect.
        response = send(
            "POST",
            f"{self.api_base}/2/oauth2/token",
            rules=RULES,
            write=False,
            accept=(400, 401),
            data={"grant_type": "refresh_token", "refresh_token": refresh_token, **form},
            auth=auth,
            timeout=self.timeout,
        )
        if response.status_code == 400:
            raise AuthError(
                f"X no longer accepts Candor's saved access ({_message(response)}). Please reconnect the account.",
                status=400,
            )
        if response.status_code == 401:
            # X rejected Candor's app, not the user's grant: asking users to reconnect cannot help.
            raise PermanentError("X rejected Candor's app credentials while renewing access.", status=401)
        token = json_body(response)
        if not token.get("access_token"):
            raise TransientError("X answered the renewal without a token. Candor will try again.")
        merge_token_response(session.credentials, token)
        session.credentials_changed = True

    def _expired(self, session: AccountSession) -> bool:
        expires_at = session.credentials.get("expires_at")
        return expires_at is not None and time.time() >= float(expires_at) - EXPIRY_MARGIN_SECONDS

    def _send_as_user(
        self, session: AccountSession, method: str, path: str, *, write: bool, **kwargs: Any
    ) -> requests.Response:
        token = session.credentials.get("access_token")
        if not token:
            raise AuthError("Candor holds no X access for this account. Please connect it again.")
        headers = {"Authorization": f"Bearer {token}"}
        return send(
            method,
            self.api_base + path,
            rules=RULES,
            write=write,
            headers=headers,
            timeout=self.timeout,
            **kwargs,
        )

    def _call(
        self, session: AccountSession, method: str, path: str, *, write: bool, **kwargs: Any
    ) -> requests.Response:
        """Send as the user, renewing the token when it has expired or X says it has."""
        refreshed = self._expired(session)
        if refreshed:
            self._refresh(session)
        try:
            return self._send_as_user(session, method, path, write=write, **kwargs)
        except AuthError as exc:
            # X checks the token before acting: after a 401 nothing was posted, so one
            # retry with a fresh token cannot double-post.
            if exc.status != 401 or refreshed or not session.credentials.get("refresh_token"):
                raise
        self._refresh(session)
        return self._send_as_user(session, method, path, write=write, **kwargs)

    # -- NetworkClient --------------------------------------------------------

    def verify(self, session: AccountSession) -> ConnectedAccount:
        user = json_body(self._call(session, "GET", "/2/users/me", write=False)).get("data") or {}
        if not user.get("id"):
            raise PermanentError("X did not say which account this token belongs to.")
        scope = session.credentials.get("scope") or ""
        return ConnectedAccount(
            handle=f"@{user.get('username', '')}",
            external_id=str(user["id"]),
            service_url="https://x.com",
            credentials=dict(session.credentials),
            scopes=tuple(scope.split()),
            display_name=str(user.get("name") or ""),
        )

    def _url(self, session: AccountSession, post_id: str) -> str:
        username = session.handle.lstrip("@")
        return f"https://x.com/{username}/status/{post_id}" if username else f"https://x.com/i/web/status/{post_id}"

    def publish(self, session: AccountSession, request: PublishRequest) -> PublishResult:
        if request.image is not None:
            raise PermanentError("Candor cannot attach images to X posts yet. Remove the image and share again.")
        response = self._call(session, "POST", "/2/tweets", write=True, json={"text": request.text})
        post_id = (json_body(response).get("data") or {}).get("id")
        if not post_id:
            raise OutcomeUnknown("X accepted the post but did not say which post it created.")
        return PublishResult(external_id=str(post_id), url=self._url(session, str(post_id)))

    def find_existing(
        self, session: AccountSession, idempotency_key: str, *, text: str | None = None
    ) -> PublishResult | None:
        """Look for ``text`` among the user's most recent posts (replies and reposts excluded).

        X has no idempotency key, so the caller must pass the posted ``text``. Raises
        ``OutcomeUnknown`` when X cannot be asked (no text, or the app's X plan does not
        include reading posts).
        """
        if text is None:
            raise OutcomeUnknown("X keeps no idempotency key, so Candor needs the post's text to look for it.")
        user_id = session.external_id or self.verify(session).external_id
        params = {
            "max_results": RECENT_POSTS_TO_SCAN,
            "exclude": "retweets,replies",
            "tweet.fields": "entities",
        }
        try:
            response = self._call(session, "GET", f"/2/users/{user_id}/tweets", write=False, params=params)
        except PermanentError as exc:
            if isinstance(exc, AuthError):
                raise
            raise OutcomeUnknown(
                f"X would not list this account's posts, so Candor cannot tell whether the post went out. "
                f"Please check the X profile. ({exc.message})",
                status=exc.status,
            ) from exc
        wanted = comparable(text)
        for tweet in json_body(response).get("data") or []:
            if comparable(_tweet_text(tweet)) == wanted:
                return PublishResult(external_id=str(tweet["id"]), url=self._url(session, str(tweet["id"])))
        return None

    def recent_posts(self, session: AccountSession, *, limit: int = 20) -> list[RecentPost]:
        """The user's newest posts, replies included (``GET /2/users/:id/tweets``,
        which needs the ``tweet.read`` scope and an X plan that allows reading)."""
        user_id = session.external_id or self.verify(session).external_id
        params = {
            "max_results": max(5, min(limit, 100)),  # X's documented bounds
            "exclude": "retweets",
            "tweet.fields": "created_at,entities",
        }
        response = self._call(session, "GET", f"/2/users/{user_id}/tweets", write=False, params=params)
        return [
            RecentPost(
                external_id=str(tweet["id"]),
                created_at=str(tweet.get("created_at") or ""),
                text=_tweet_text(tweet),
                url=self._url(session, str(tweet["id"])),
            )
            for tweet in json_body(response).get("data") or []
        ]

    def delete(self, session: AccountSession, external_id: str) -> None:
        # 404: already gone, which is what the caller wanted.
        self._call(session, "DELETE", f"/2/tweets/{external_id}", write=True, accept=(404,))

    def revoke(self, session: AccountSession) -> RevokeResult:
        # Revoke the refresh token first: it is the long-lived one that could mint new access.
        tokens = [
            (hint, session.credentials[hint])
            for hint in ("refresh_token", "access_token")
            if session.credentials.get(hint)
        ]
        if not tokens:
            return RevokeResult(revoked=True, detail="Candor held no X token for this account.")
        try:
            form, auth = self._app_auth(session)
        except PermanentError as exc:
            return RevokeResult(revoked=False, detail=f"{exc.message} The tokens could not be revoked at X.")
        for hint, token in tokens:
            response = send(
                "POST",
                f"{self.api_base}/2/oauth2/revoke",
                rules=RULES,
                write=True,
                accept=(400, 401, 403),
                data={"token": token, "token_type_hint": hint, **form},
                auth=auth,
                timeout=self.timeout,
            )
            if not response.ok:
                return RevokeResult(
                    revoked=False,
                    detail=f"X refused to revoke the {hint.replace('_', ' ')}: {_message(response)}",
                )
        return RevokeResult(revoked=True, detail="X confirmed the revocation. Candor can no longer post as this user.")
