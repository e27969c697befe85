"""Mastodon plug-in, through Mastodon.py.

Documented facts this relies on (docs.joinmastodon.org: "statuses", "apps", "oauth",
"instance"; Mastodon.py 2.3 reference and source):

* Apps are registered per instance (``POST /api/v1/apps``); users authorize with the
  OAuth authorization-code flow. Tokens do not expire unless revoked.
* ``POST /api/v1/statuses`` honours an ``Idempotency-Key`` header: a repeat with the
  same key returns the first status instead of posting again. Mastodon keeps keys for
  about **one hour**, so the key makes quick retries safe but cannot answer "did it go
  out?" later. ``find_existing`` therefore scans the account's recent statuses for the
  text, which works at any age.
* The character limit is per instance: ``configuration.statuses.max_characters`` in
  ``GET /api/v2/instance`` (500 when absent).
* ``POST /oauth/revoke`` (client_id, client_secret, token) is idempotent.
* Mastodon.py wraps every transport failure in ``MastodonNetworkError`` (the original
  ``requests`` exception is its ``__context__``) and HTTP errors in ``MastodonAPIError``
  subclasses whose ``args`` are ``(text, status, reason, error message)``.
"""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
)

from advocacy.networks.base import (
    AccountSession,
    AuthError,
    ConnectedAccount,
    MediaAttachment,
    NetworkError,
    OutcomeUnknown,
    PermanentError,
    PublishRequest,
    PublishResult,
    RecentPost,
    RevokeResult,
    TransientError,
)
from advocacy.networks.http import DEFAULT_TIMEOUT, Timeout, comparable, error_for_exception, error_for_status

# The least Candor needs: who the account is, its recent statuses (to reconcile), and
# to post statuses with media. No follows, no DMs, no notifications.
SCOPES = ["read:accounts", "read:statuses", "write:statuses", "write:media"]
APP_NAME = "Candor"
DEFAULT_MAX_CHARACTERS = 500
RECENT_STATUSES_TO_SCAN = 20
MEDIA_PROCESSING_SECONDS = 60

_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
# Mastodon renders a remote mention "@name@host" as just "@name".
_REMOTE_MENTION = re.compile(r"(@[\w.-]+)@[\w.-]+\.[a-z]{2,}", re.IGNORECASE)


def _plain(content_html: str) -> str:
    """Recover status text from Mastodon's HTML (links keep their full text in hidden spans)."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content_html)))


def _iso(value: Any) -> str:
    """Mastodon.py turns ``created_at`` into a datetime; other callers may pass a string."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def _host(instance_url: str) -> str:
    """``https://mastodon.social/`` → ``mastodon.social``: how people name an instance."""
    return re.sub(r"^https?://", "", instance_url).rstrip("/")


def _same_text(posted: str, wanted: str) -> bool:
    return _REMOTE_MENTION.sub(r"\1", comparable(posted)) == _REMOTE_MENTION.sub(r"\1", comparable(wanted))


def translate(exc: MastodonError, *, write: bool, instance: str, api: Mastodon | None = None) -> NetworkError:
    """Map a Mastodon.py exception onto base.py's errors, using the same table as http.py."""
    if isinstance(exc, MastodonNetworkError):
        return error_for_exception(exc.__context__ or exc, write=write, network=instance)
    if isinstance(exc, MastodonRatelimitError):
        # In "throw" mode Mastodon.py has already parsed X-RateLimit-Reset (local clock).
        reset = getattr(api, "ratelimit_reset", None)
        retry_after = max(0.0, reset - time.time()) if reset else None
        return error_for_status(429, "", write=write, network=instance, retry_after=retry_after)
    if isinstance(exc, MastodonAPIError) and len(exc.args) >= 4 and isinstance(exc.args[1], int):
        # 403 on Mastodon means missing scope or a disabled login: the owner must act.
        return error_for_status(exc.args[1], str(exc.args[3] or ""), write=write, network=instance)
    if write:
        # e.g. a 2xx whose body was not JSON: the server acted, we just cannot read it.
        return OutcomeUnknown(f"{instance} gave an answer Candor could not read ({exc}).")
    return TransientError(f"{instance} gave an answer Candor could not read ({exc}).")


class MastodonClient:
    """Posts to any Mastodon instance. ``allow_http`` exists for tests against a local mock."""

    key = "mastodon"
    display_name = "Mastodon"
    supports_images = True

    def __init__(self, *, timeout: Timeout = DEFAULT_TIMEOUT, allow_http: bool = False) -> None:
        self.timeout = timeout
        self.allow_http = allow_http

    def _api(self, instance_url: str, **credentials: Any) -> Mastodon:
        return Mastodon(
            api_base_url=instance_url,
            # Candor's engine decides when to retry; Mastodon.py must never sleep in a worker.
            ratelimit_method="throw",
            request_timeout=self.timeout,  # type: ignore[arg-type]  # requests accepts a tuple
            version_check_mode="none",
            user_agent=APP_NAME,
            **credentials,
        )

    def _session_api(self, session: AccountSession) -> Mastodon:
        creds = session.credentials
        if not creds.get("access_token"):
            raise AuthError("Candor holds no Mastodon access for this account. Please connect it again.")
        app: dict[str, str] = {}
        if creds.get("client_id") and creds.get("client_secret"):
            # Only needed to revoke; Mastodon.py refuses an id without its secret.
            app = {"client_id": creds["client_id"], "client_secret": creds["client_secret"]}
        return self._api(session.service_url, access_token=creds["access_token"], **app)

    # -- connecting -----------------------------------------------------------

    def register_app(self, *, instance_url: str, redirect_uri: str) -> tuple[str, str]:
        """Register Candor on ``instance_url``; returns ``(client_id, client_secret)`` to store."""
        try:
            return Mastodon.create_app(
                APP_NAME,
                scopes=SCOPES,
                redirect_uris=redirect_uri,
                api_base_url=instance_url,
                request_timeout=self.timeout,  # type: ignore[arg-type]
                user_agent=APP_NAME,
            )
        except MastodonNetworkError as exc:
            if isinstance(exc.__context__, json.JSONDecodeError):
                # create_app parses whatever came back; a web page means this is no Mastodon API.
                raise PermanentError(f"{_host(instance_url)} does not answer like a Mastodon server.") from exc
            raise translate(exc, write=False, instance=_host(instance_url)) from exc
        except KeyError as exc:
            # create_app ignores the HTTP status: a refusal arrives as JSON without client_id.
            raise PermanentError(f"{_host(instance_url)} did not let Candor register as an app.") from exc

    def authorization_url(self, *, instance_url: str, client_id: str, redirect_uri: str, state: str) -> str:
        """Where to send the user to grant Candor access."""
        api = self._api(instance_url)
        try:
            return api.auth_request_url(
                client_id=client_id,
                redirect_uris=redirect_uri,
                scopes=SCOPES,
                state=state,
                allow_http=self.allow_http,
            )
        except MastodonError as exc:
            raise translate(exc, write=False, instance=_host(instance_url)) from exc

    def exchange_code(
        self, *, instance_url: str, client_id: str, client_secret: str, code: str, redirect_uri: str
    ) -> ConnectedAccount:
        """Trade the authorization code for a token and describe the account."""
        api = self._api(instance_url, client_id=client_id, client_secret=client_secret)
        try:
            token = api.log_in(code=code, redirect_uri=redirect_uri, scopes=SCOPES, allow_http=self.allow_http)
        except MastodonIllegalArgumentError as exc:
            # log_in turns every failure into this; the real cause is chained.
            cause = exc.__context__
            if isinstance(cause, MastodonError):
                raise translate(cause, write=False, instance=_host(instance_url)) from exc
            raise PermanentError(
                f"{_host(instance_url)} did not accept the sign-in. Please try connecting again."
            ) from exc
        except MastodonError as exc:
            raise translate(exc, write=False, instance=_host(instance_url)) from exc
        credentials = {"access_token": token, "client_id": client_id, "client_secret": client_secret}
        session = AccountSession(network=self.key, handle="", service_url=instance_url, credentials=credentials)
        return self.verify(session)

    def _instance_facts(self, api: Mastodon) -> tuple[int, str]:
        """The instance's character limit and the domain it calls itself ("" if it does not say)."""
        try:
            instance = api.instance_v2()
            domain = instance.get("domain") or ""
        except MastodonNotFoundError:  # servers older than Mastodon 4.0
            instance = api.instance_v1()
            domain = instance.get("uri") or ""
        limit = ((instance.get("configuration") or {}).get("statuses") or {}).get("max_characters")
        # v1's "uri" is a bare domain on real servers, a URL on some others.
        domain = urlsplit(domain).netloc if "://" in str(domain) else str(domain)
        return (int(limit) if limit else DEFAULT_MAX_CHARACTERS), domain.strip().lower()

    # -- NetworkClient --------------------------------------------------------

    def verify(self, session: AccountSession) -> ConnectedAccount:
        api = self._session_api(session)
        instance = session.service_url
        try:
            account = api.account_verify_credentials()
            max_characters, domain = self._instance_facts(api)
        except MastodonError as exc:
            raise translate(exc, write=False, instance=_host(instance), api=api) from exc
        # Local accounts come back as "name"; people know them as "@name@domain". The
        # domain is the one the server reports, not the address typed to reach it, so
        # the same account reached as 127.0.0.1 or localhost is still one account.
        acct = account["acct"] if "@" in account["acct"] else f"{account['acct']}@{domain or _host(instance)}"
        return ConnectedAccount(
            handle=f"@{acct}",
            external_id=str(account["id"]),
            service_url=instance,
            credentials=dict(session.credentials),
            scopes=tuple(SCOPES),
            display_name=account.get("display_name") or "",
            max_characters=max_characters,
        )

    def publish(self, session: AccountSession, request: PublishRequest) -> PublishResult:
        """Post once. Retrying with the same ``idempotency_key`` within about an hour
        returns the first status instead of a second one."""
        api = self._session_api(session)
        try:
            media_ids = [self._upload(api, request.image)] if request.image is not None else None
            status = api.status_post(
                request.text,
                media_ids=media_ids,
                visibility="public",
                # Mastodon accepts ISO 639 codes; a regional tag such as "de-DE" is refused.
                language=request.language.split("-")[0].lower() if request.language else None,
                idempotency_key=request.idempotency_key,
            )
        except MastodonError as exc:
            raise translate(exc, write=True, instance=_host(session.service_url), api=api) from exc
        return PublishResult(external_id=str(status["id"]), url=status.get("url") or status.get("uri") or "")

    def _upload(self, api: Mastodon, image: MediaAttachment) -> str:
        """Upload ``image`` with its alt text and wait (bounded) until Mastodon has processed it."""
        media = api.media_post(image.content, mime_type=image.mime_type, description=image.alt_text or None)
        # Mastodon.py's own synchronous mode would poll forever; a worker must not.
        deadline = time.monotonic() + MEDIA_PROCESSING_SECONDS
        while media.get("url") is None and time.monotonic() < deadline:
            time.sleep(1)
            media = api.media(media["id"])
        if media.get("url") is None:
            raise TransientError("The instance is still processing the image. Candor will try again.")
        return str(media["id"])

    def find_existing(
        self, session: AccountSession, idempotency_key: str, *, text: str | None = None
    ) -> PublishResult | None:
        """Look for ``text`` among the account's recent statuses.

        Mastodon cannot be asked about an idempotency key, and forgets keys after about
        an hour, so the caller must pass the posted ``text``. Without it this raises
        ``OutcomeUnknown``.
        """
        if text is None:
            raise OutcomeUnknown("Mastodon cannot be asked about a post by its key; Candor needs the text.")
        api = self._session_api(session)
        try:
            account_id = session.external_id or api.account_verify_credentials()["id"]
            statuses = api.account_statuses(
                account_id, exclude_reblogs=True, exclude_replies=True, limit=RECENT_STATUSES_TO_SCAN
            )
            for status in statuses:
                if self._has_text(api, status, text):
                    return PublishResult(external_id=str(status["id"]), url=status.get("url") or "")
        except MastodonError as exc:
            raise translate(exc, write=False, instance=_host(session.service_url), api=api) from exc
        return None

    def _has_text(self, api: Mastodon, status: dict[str, Any], text: str) -> bool:
        if _same_text(_plain(status.get("content") or ""), text):
            return True
        # Some servers render markup (Markdown, glitch-soc), so the HTML cannot be compared;
        # the stored source can, at the cost of one request per status.
        try:
            return _same_text(api.status_source(status["id"]).get("text") or "", text)
        except MastodonNotFoundError:  # no source endpoint before Mastodon 3.5
            return False

    def recent_posts(self, session: AccountSession, *, limit: int = 20) -> list[RecentPost]:
        """The account's newest statuses (``GET /api/v1/accounts/:id/statuses``), replies
        included (a hostile reply is the case that matters), boosts left out."""
        api = self._session_api(session)
        try:
            account_id = session.external_id or api.account_verify_credentials()["id"]
            statuses = api.account_statuses(account_id, exclude_reblogs=True, limit=limit)
        except MastodonError as exc:
            raise translate(exc, write=False, instance=_host(session.service_url), api=api) from exc
        return [
            RecentPost(
                external_id=str(status["id"]),
                created_at=_iso(status.get("created_at")),
                text=_plain(status.get("content") or ""),
                url=status.get("url") or status.get("uri") or "",
            )
            for status in statuses
        ]

    def delete(self, session: AccountSession, external_id: str) -> None:
        api = self._session_api(session)
        try:
            api.status_delete(external_id)
        except MastodonNotFoundError:
            return  # already gone, which is what the caller wanted
        except MastodonError as exc:
            raise translate(exc, write=True, instance=_host(session.service_url), api=api) from exc

    def revoke(self, session: AccountSession) -> RevokeResult:
        creds = session.credentials
        if not creds.get("access_token"):
            return RevokeResult(revoked=True, detail="Candor held no Mastodon token for this account.")
        if not (creds.get("client_id") and creds.get("client_secret")):
            return RevokeResult(
                revoked=False,
                detail=f"Candor lacks this instance's app credentials, so the token could not be revoked at "
                f"{_host(session.service_url)}. The owner can remove Candor under Preferences → Account → "
                "Authorized apps.",
            )
        api = self._session_api(session)
        try:
            api.revoke_access_token(allow_http=self.allow_http)
        except MastodonError as exc:
            error = translate(exc, write=True, instance=_host(session.service_url), api=api)
            if isinstance(error, PermanentError):
                # A 4xx here is about Candor's app (e.g. the instance forgot it), not the
                # user's grant: report it on the receipt instead of asking to reconnect.
                said = f": {exc.args[3]}" if len(exc.args) >= 4 and exc.args[3] else f" (HTTP {error.status})"
                return RevokeResult(
                    revoked=False,
                    detail=f"{_host(session.service_url)} refused to revoke Candor's token{said}.",
                )
            raise error from exc
        return RevokeResult(
            revoked=True,
            detail=f"{_host(session.service_url)} confirmed the revocation. Candor can no longer post to this account.",
        )
