"""Bluesky plug-in: posts through the account's PDS with an app password.

Choices worth knowing:

* Idempotency: a post's record key is a TID derived from the share's idempotency
  key. A retried create then hits the same key (the PDS refuses it with an opaque
  500, reported as ``OutcomeUnknown``), and ``find_existing`` looks the key up.
* ``request.link`` missing from the text: ``advocacy.compose.final_post`` decides
  (without an image an ``app.bsky.embed.external`` card with the title and
  description the server read from the page, ``request.link_card``, and its
  thumbnail uploaded as a blob, ``request.link_thumb``; titled with the host name
  when the page was not read; with an image the link on its own line at the end of
  the text, because a post has only one embed). The share check measured that same
  final post, and the preview showed it.
* Credentials: ``app_password`` and ``session`` (the SDK's session string, kept
  current through ``on_session_change``) so calls reuse tokens instead of spending
  createSession's 30-per-5-minutes budget; ``app_password_name`` when known, which
  lets ``revoke`` delete the app password itself.
* Only app passwords are accepted: a main password can change the account's
  email or delete the account, so Candor must never hold one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx
from atproto_client import Client, models
from atproto_client.client.session import Session, SessionEvent
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    LoginRequiredError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.exceptions import NetworkError as SdkNetworkError
from atproto_client.models.utils import get_model_as_dict
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError
from atproto_core.uri import AtUri
from atproto_server.exceptions import InvalidTokenError
from django.conf import settings

from advocacy.compose import final_post
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
    RateLimited,
    RecentPost,
    RevokeResult,
    TransientError,
)
from advocacy.networks.bluesky.facets import build_facets

DEFAULT_SERVICE_URL = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"

_APP_PASSWORD_SCOPES = frozenset({"com.atproto.appPass", "com.atproto.appPassPrivileged"})
_TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
_TOO_LONG = re.compile(r"grapheme too big \(maximum (\d+), got (\d+)\) at \$\.record\.text")

REFUSED = "Bluesky refused the handle or app password."
MAIN_PASSWORD = (
    "That is the account's main Bluesky password. Candor only accepts an app password: "
    "create one in Bluesky under Settings → Privacy and security → App passwords."
)
TAKEN_DOWN = "Bluesky has taken this account down, so Candor can no longer act for it."
ACCESS_ENDED = "Bluesky no longer accepts Candor's access to this account. Reconnect it."
TOKEN_CAVEAT = "An access token Bluesky already issued may keep working until it expires (up to 2 hours)."

T = TypeVar("T")


class _PooledRequest(Request):
    """The SDK's request object over this process's shared connection pool.

    One is still made per call, because it carries that account's session headers
    (and its own cookies); only the transport is shared. Building a fresh httpx
    client per call created an SSL context each time: a third of a send's time in
    the Bluesky fan-out benchmark (bench/).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("transport", None)  # clone() passes back what it was built with
        super().__init__(transport=_transport(), **kwargs)

    def close(self) -> None:
        """The pool outlives this call; the client holds nothing else to release."""


_pool: tuple[int, httpx.HTTPTransport] | None = None


def _transport() -> httpx.HTTPTransport:
    """One keep-alive pool per process (a forked worker never reuses its parent's sockets)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), httpx.HTTPTransport())
    return _pool[1]


def record_key_for(idempotency_key: str) -> str:
    """Deterministic record key, in TID syntax, for a share's idempotency key."""
    # 60 hash bits keep the TID's 50-bit timestamp part before 2006: a key that
    # looked like a post from the future would sort above every real post in
    # readers that order by record key.
    value = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big") >> 4
    chars = []
    for _ in range(13):
        value, digit = divmod(value, 32)
        chars.append(TID_ALPHABET[digit])
    return "".join(reversed(chars))


class BlueskyClient:
    key = "bluesky"
    display_name = "Bluesky"
    supports_images = True

    def __init__(self, *, timeout: float | None = None) -> None:
        # Seconds per request; None: ``CANDOR_BLUESKY_TIMEOUT_SECONDS``, read per call.
        self.timeout = timeout

    # -- NetworkClient ------------------------------------------------------------

    def connect(
        self,
        *,
        handle: str,
        app_password: str,
        service_url: str = DEFAULT_SERVICE_URL,
        app_password_name: str | None = None,
    ) -> ConnectedAccount:
        """Log in with an app password; ``app_password_name`` lets ``revoke`` delete it later."""
        with self._api(service_url) as api:
            _password_login(api, handle.strip().lstrip("@"), app_password)
            current = _current_session(api)
            scope = current.access_jwt_payload.scope or ""
            if scope not in _APP_PASSWORD_SCOPES:
                with contextlib.suppress(AtProtocolError):
                    _delete_session(api, current.refresh_jwt)
                raise AuthError(MAIN_PASSWORD)
            credentials = {"app_password": app_password, "session": current.export()}
            if app_password_name:
                credentials["app_password_name"] = app_password_name
            return ConnectedAccount(
                handle=current.handle,
                external_id=current.did,
                service_url=service_url,
                credentials=credentials,
                scopes=(scope,),
                display_name=_profile_name(api, current.did),
                # No max_characters: Bluesky's 300 graphemes are the same on every PDS
                # (compose.measure knows them) and measure() refuses a per-account limit.
            )

    def verify(self, session: AccountSession) -> ConnectedAccount:
        def check(api: Client) -> ConnectedAccount:
            try:
                info = api.com.atproto.server.get_session()
            except BadRequestError as exc:
                # getSession takes no input, so a 400 is about the account (a taken-down
                # account is answered "Could not find user info").
                raise AuthError(ACCESS_ENDED, status=400) from exc
            if info.active is False:
                raise AuthError(TAKEN_DOWN if info.status == "takendown" else ACCESS_ENDED)
            return ConnectedAccount(
                handle=info.handle,
                external_id=info.did,
                service_url=session.service_url,
                credentials=dict(session.credentials),
                scopes=(_current_session(api).access_jwt_payload.scope or "",),
            )

        return self._call(session, check, write=False)

    def publish(self, session: AccountSession, request: PublishRequest) -> PublishResult:
        rkey = record_key_for(request.idempotency_key)

        def create(api: Client) -> str:
            data = models.ComAtprotoRepoCreateRecord.Data(
                repo=_current_session(api).did,
                collection=POST_COLLECTION,
                rkey=rkey,
                record=_post_record(api, request),
            )
            return api.com.atproto.repo.create_record(data).uri

        return _result(session, self._call(session, create, write=True))

    def find_existing(
        self, session: AccountSession, idempotency_key: str, *, text: str | None = None
    ) -> PublishResult | None:
        # The deterministic record key finds the post exactly; ``text`` is not needed.
        rkey = record_key_for(idempotency_key)

        def lookup(api: Client) -> str | None:
            params = models.ComAtprotoRepoGetRecord.Params(
                repo=_current_session(api).did, collection=POST_COLLECTION, rkey=rkey
            )
            try:
                return api.com.atproto.repo.get_record(params).uri
            except BadRequestError as exc:
                if _error_name(exc) == "RecordNotFound":
                    return None
                raise

        uri = self._call(session, lookup, write=False)
        return _result(session, uri) if uri else None

    def recent_posts(self, session: AccountSession, *, limit: int = 20) -> list[RecentPost]:
        """The account's newest post records, from its own server
        (``com.atproto.repo.listRecords``, newest first): no AppView is needed."""

        def read(api: Client) -> list[RecentPost]:
            params = models.ComAtprotoRepoListRecords.Params(
                repo=_current_session(api).did, collection=POST_COLLECTION, limit=limit
            )
            records = api.com.atproto.repo.list_records(params).records
            posts = []
            for record in records:
                value = record.value
                text = value.get("text") if isinstance(value, dict) else getattr(value, "text", "")
                created = value.get("createdAt") if isinstance(value, dict) else getattr(value, "created_at", "")
                posts.append(
                    RecentPost(
                        external_id=record.uri,
                        created_at=str(created or ""),
                        text=str(text or ""),
                        url=_result(session, record.uri).url,
                    )
                )
            return posts

        return self._call(session, read, write=False)

    def delete(self, session: AccountSession, external_id: str) -> None:
        uri = AtUri.from_str(external_id)
        data = models.ComAtprotoRepoDeleteRecord.Data(repo=uri.host, collection=uri.collection, rkey=uri.rkey)
        # Deleting is idempotent at the PDS, so a failure is worth a plain retry.
        self._call(session, lambda api: api.com.atproto.repo.delete_record(data), write=False)

    def revoke(self, session: AccountSession) -> RevokeResult:
        """End Candor's session (deleteSession with the refresh token) and, when the
        app password's name is known, revoke the app password; then check that the
        stored app password really stopped signing in. ``revoked`` is True only when
        it did: otherwise ``detail`` tells the owner which app password to delete.

        An access token already issued cannot be revoked: the PDS checks it only by
        its signature and expiry (TOKEN_CAVEAT)."""
        name = session.credentials.get("app_password_name")
        refused = ""
        if name:
            data = models.ComAtprotoServerRevokeAppPassword.Data(name=name)
            try:
                self._call(session, lambda api: api.com.atproto.server.revoke_app_password(data), write=False)
            except AuthError:
                pass  # the app password already stopped working
            except PermanentError as exc:
                # e.g. a server that lets only full sessions manage app passwords:
                # end the session anyway and leave the app password to its owner.
                refused = exc.message
        self._end_session(session)
        if not self._still_signs_in(session):
            what = f"Deleted the Bluesky app password “{name}”" if name else "The app password no longer signs in"
            return RevokeResult(revoked=True, detail=f"{what} and ended Candor's session. {TOKEN_CAVEAT}")
        which = f"the app password named “{name}”" if name else "the app password you created for Candor"
        why = f" (Bluesky refused to revoke it: {refused})" if refused else ""
        if name and not refused:
            why = f" (Bluesky has no app password named “{name}”, so the name given when connecting was not its name)"
        return RevokeResult(
            revoked=False,
            detail=(
                f"Ended Candor's Bluesky session, but {which} still signs in{why}. Delete it in Bluesky under "
                f"Settings → Privacy and security → App passwords. {TOKEN_CAVEAT}"
            ),
        )

    def _still_signs_in(self, session: AccountSession) -> bool:
        """Try the stored app password once; a session it opens is ended at once."""
        password = session.credentials.get("app_password")
        if not password:
            return False
        with self._api(session.service_url) as api:
            try:
                _password_login(api, session.external_id or session.handle, password)
            except AuthError:
                return False
            with contextlib.suppress(AtProtocolError):
                _delete_session(api, _current_session(api).refresh_jwt)
        return True

    # -- sessions -----------------------------------------------------------------

    @contextlib.contextmanager
    def _api(self, service_url: str) -> Iterator[Client]:
        timeout = self.timeout if self.timeout is not None else settings.CANDOR_BLUESKY_TIMEOUT_SECONDS
        api = Client(service_url or DEFAULT_SERVICE_URL, request=_PooledRequest(timeout=timeout))
        try:
            yield api
        finally:
            api.request.close()

    @contextlib.contextmanager
    def _session_api(self, session: AccountSession) -> Iterator[Client]:
        with self._api(session.service_url) as api:

            def remember(event: SessionEvent, new: Session) -> None:
                if event is not SessionEvent.IMPORT:
                    session.credentials["session"] = new.export()
                    session.credentials_changed = True

            api.on_session_change(remember)
            if not _resume(api, session.credentials.get("session")):
                _login_for(api, session)
            yield api

    def _call(self, session: AccountSession, action: Callable[[Client], T], *, write: bool) -> T:
        """Run ``action``; after a rejected token, refresh (or log in again) once and retry."""
        try:
            with self._session_api(session) as api:
                try:
                    return action(api)
                except AtProtocolError as exc:
                    if not _is_token_failure(exc):
                        raise _translate(exc, write=write) from exc
                _reauthenticate(api, session)
                try:
                    return action(api)
                except AtProtocolError as exc:
                    raise _translate(exc, write=write) from exc
        except httpx.TransportError as exc:
            raise _transport_failure(exc, write=write) from exc

    def _end_session(self, session: AccountSession) -> None:
        saved = session.credentials.get("session")
        if not saved:
            return
        stored = Session.decode(saved)
        with self._api(stored.pds_endpoint or session.service_url) as api:
            try:
                _delete_session(api, stored.refresh_jwt)
            except AtProtocolError as exc:
                error = _translate(exc, write=False)
                if not isinstance(error, AuthError):  # an auth refusal means it already ended
                    raise error from exc


# -- helpers --------------------------------------------------------------------


def _password_login(api: Client, identifier: str, password: str) -> None:
    try:
        api.login(identifier, password, fetch_bsky_profile=False)
    except (UnauthorizedError, BadRequestError) as exc:
        raise AuthError(TAKEN_DOWN if _error_name(exc) == "AccountTakedown" else REFUSED) from exc
    except AtProtocolError as exc:
        raise _translate(exc, write=False) from exc


def _resume(api: Client, saved: str | None) -> bool:
    """Reuse a stored session string (no request is made); False if there is none usable."""
    if not saved:
        return False
    try:
        api.login(session_string=saved, fetch_bsky_profile=False)
    except ValueError:  # a damaged string: logging in afresh is the way out
        return False
    return True


def _login_for(api: Client, session: AccountSession) -> None:
    password = session.credentials.get("app_password")
    if not password:
        raise AuthError(ACCESS_ENDED)
    # The DID survives handle changes; createSession accepts it as identifier.
    _password_login(api, session.external_id or session.handle, password)


def _reauthenticate(api: Client, session: AccountSession) -> None:
    try:
        api._refresh_and_set_session()  # the SDK's own refresh, so on_session_change fires
        return
    except AtProtocolError as exc:
        if _error_name(exc) == "AccountTakedown":
            raise AuthError(TAKEN_DOWN) from exc
        if not (_is_token_failure(exc) or isinstance(exc, UnauthorizedError)):
            raise _translate(exc, write=False) from exc
    _login_for(api, session)


def _delete_session(api: Client, refresh_jwt: str) -> None:
    api.com.atproto.server.delete_session(headers={"Authorization": f"Bearer {refresh_jwt}"}, ignore_session_check=True)


def _current_session(api: Client) -> Session:
    return Session.decode(api.export_session_string())


def _profile_name(api: Client, did: str) -> str:
    """Display name from the profile record; the PDS serves it without an AppView."""
    params = models.ComAtprotoRepoGetRecord.Params(repo=did, collection="app.bsky.actor.profile", rkey="self")
    try:
        value = api.com.atproto.repo.get_record(params).value
    except AtProtocolError:
        return ""
    name = value.get("displayName") if isinstance(value, dict) else getattr(value, "display_name", None)
    return name or ""


def _post_record(api: Client, request: PublishRequest) -> dict[str, Any]:
    # The same builder the share check and the preview use, so the text sent is the
    # text that was measured (idempotent: the engine's request text is already final).
    post = final_post(
        network="bluesky",
        text=request.text,
        link=request.link or "",
        has_image=request.image is not None,
        image_alt=request.image.alt_text if request.image else "",
        disclosure=request.disclosure,
        page_url=request.page_url,
        card=request.link_card,
    )
    text = post.text
    embed: dict[str, Any] | None = None
    if post.link_card is not None:
        external: dict[str, Any] = {
            "uri": post.link_card.uri,
            "title": post.link_card.title,
            "description": post.link_card.description,
        }
        if post.link_card.thumb_url and request.link_thumb:
            external["thumb"] = _upload(api, request.link_thumb)
        embed = {"$type": "app.bsky.embed.external", "external": external}
    if request.image:
        embed = _image_embed(api, request.image)
    record: dict[str, Any] = {
        "$type": POST_COLLECTION,
        "text": text,
        "createdAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    linked = post.disclosure_link
    links = ((linked.byte_start, linked.byte_end, linked.uri),) if linked else ()
    facets = build_facets(text, resolve_handle=lambda handle: _resolve_handle(api, handle), links=links)
    if facets:
        record["facets"] = facets
    if request.language:
        record["langs"] = [request.language.replace("_", "-")]
    if embed:
        record["embed"] = embed
    return record


def _image_embed(api: Client, image: MediaAttachment) -> dict[str, Any]:
    return {"$type": "app.bsky.embed.images", "images": [{"image": _upload(api, image), "alt": image.alt_text}]}


def _upload(api: Client, media: MediaAttachment) -> dict[str, Any]:
    uploaded = api.com.atproto.repo.upload_blob(media.content, headers={"Content-Type": media.mime_type})
    return get_model_as_dict(uploaded.blob)


def _resolve_handle(api: Client, handle: str) -> str | None:
    try:
        params = models.ComAtprotoIdentityResolveHandle.Params(handle=handle)
        return api.com.atproto.identity.resolve_handle(params).did
    except AtProtocolError:
        return None  # the mention then stays plain text rather than failing the post


# Servers whose posts the bsky.app web app shows. A post on any other PDS (a company's
# own, the local demo server) may be unknown to bsky.app, so "View post" opens the
# record on the account's own server instead, which always answers.
BSKY_APP_HOSTS = ("bsky.social", "bsky.network")


def post_url(*, service_url: str, handle: str, uri: str) -> str:
    """Where a person can see the post at ``uri`` (``at://did/app.bsky.feed.post/rkey``)."""
    at = AtUri.from_str(uri)
    host = (urlsplit(service_url or DEFAULT_SERVICE_URL).hostname or "").lower()
    if any(host == known or host.endswith(f".{known}") for known in BSKY_APP_HOSTS):
        return f"https://bsky.app/profile/{handle}/post/{at.rkey}"
    query = urlencode({"repo": at.host, "collection": at.collection, "rkey": at.rkey})
    return f"{(service_url or DEFAULT_SERVICE_URL).rstrip('/')}/xrpc/com.atproto.repo.getRecord?{query}"


def _result(session: AccountSession, uri: str) -> PublishResult:
    return PublishResult(external_id=uri, url=post_url(service_url=session.service_url, handle=session.handle, uri=uri))


# -- error mapping --------------------------------------------------------------


def _error_name(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    return getattr(content, "error", None) or ""


def _error_message(exc: BaseException) -> str:
    content = getattr(getattr(exc, "response", None), "content", None)
    return getattr(content, "message", None) or _error_name(exc) or str(exc)


def _is_token_failure(exc: BaseException) -> bool:
    if isinstance(exc, LoginRequiredError | InvalidTokenError):
        return True
    if isinstance(exc, UnauthorizedError):
        return _error_name(exc) != "AccountTakedown"
    return isinstance(exc, BadRequestError) and _error_name(exc) in _TOKEN_ERRORS


def _retry_after(exc: RateLimitExceededError) -> float | None:
    if exc.reset_at is not None:
        return max(0.0, (exc.reset_at - datetime.now(UTC)).total_seconds())
    return exc.retry_after


def _translate(exc: AtProtocolError, *, write: bool) -> NetworkError:
    """Map an SDK error to the engine's classes. ``write``: the request may have created a post."""
    status = exc.response.status_code if isinstance(exc, RequestErrorBase) and exc.response else None
    if _error_name(exc) == "AccountTakedown":
        return AuthError(TAKEN_DOWN, status=status)
    if _is_token_failure(exc):
        return AuthError(ACCESS_ENDED, status=status)
    if isinstance(exc, RateLimitExceededError):
        return RateLimited(
            "Bluesky is rate-limiting this account. Candor will try again later.",
            status=429,
            retry_after=_retry_after(exc),
        )
    if isinstance(exc, SdkNetworkError) and status is None:
        if isinstance(exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout):
            return TransientError("Could not reach Bluesky.")
        timed_out = isinstance(exc, InvokeTimeoutError)
        lost = "Bluesky did not answer in time" if timed_out else "The connection to Bluesky broke off"
        if write:
            return OutcomeUnknown(f"{lost}; the post may or may not have gone out.")
        return TransientError(f"{lost}.")
    if status == 413:
        return PermanentError("The image is too large for Bluesky.", status=status)
    if isinstance(exc, BadRequestError):
        return PermanentError(_refusal(_error_message(exc), write=write), status=status)
    if status is not None and status < 500 and status not in (408, 409, 429):
        return PermanentError(_refusal(_error_message(exc), write=write), status=status)
    problem = f"Bluesky had a server error ({status})" if status else "Bluesky's answer could not be read"
    if write:
        # A duplicate record key also ends up here: the PDS answers it with an opaque 500.
        return OutcomeUnknown(f"{problem}; the post may or may not have gone out.", status=status)
    return TransientError(f"{problem}.", status=status)


def _transport_failure(exc: httpx.TransportError, *, write: bool) -> NetworkError:
    """An HTTP failure the SDK let through unwrapped: it maps timeouts and httpx's
    NetworkError, but not a connection closed without an answer (RemoteProtocolError),
    which after a write means the post may have landed."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return TransientError("Could not reach Bluesky.")
    timed_out = isinstance(exc, httpx.TimeoutException)
    lost = "Bluesky did not answer in time" if timed_out else "The connection to Bluesky broke off"
    if write:
        return OutcomeUnknown(f"{lost}; the post may or may not have gone out.")
    return TransientError(f"{lost}.")


def _refusal(message: str, *, write: bool) -> str:
    too_long = _TOO_LONG.search(message)
    if too_long:
        limit, length = too_long.groups()
        return f"The post is {length} characters long; Bluesky allows at most {limit}."
    return f"Bluesky refused the {'post' if write else 'request'}: {message}"


client = BlueskyClient()
