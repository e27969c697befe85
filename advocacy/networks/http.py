"""Shared HTTP plumbing for the plain-HTTP plug-ins (LinkedIn, X).

``send`` performs one ``requests`` call with a timeout and turns every failure into
the error classes of ``base.py``, so the posting engine reads the same meaning from
every network:

=============================================  ==========================  ===============
What happened                                  Write (post, delete)        Read
=============================================  ==========================  ===============
could not connect, TLS handshake failed         TransientError              TransientError
request sent, answer lost or too slow           OutcomeUnknown              TransientError
401                                             AuthError                   AuthError
403                                             AuthError or PermanentError, per network
429                                             RateLimited with ``retry_after``
5xx                                             OutcomeUnknown              TransientError
400, 422 and other 4xx                          PermanentError in the network's own words
=============================================  ==========================  ===============

The Mastodon plug-in talks through Mastodon.py but reuses ``error_for_exception`` and
``error_for_status``, so the three plug-ins cannot drift apart.
"""

from __future__ import annotations

import email.utils
import time
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from advocacy.networks.base import (
    AuthError,
    NetworkError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)

# Connecting either works fast or not at all, and nothing has been sent yet, so give
# up early. Waiting for an answer is different: giving up on a write leaves its
# outcome unknown, so allow the network a generous while.
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)

Timeout = float | tuple[float, float]


def json_body(response: requests.Response) -> dict[str, Any]:
    """The response's JSON object, or ``{}`` when the body is empty or not an object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def seconds_until(epoch: str | float | None, *, now: float | None = None) -> float | None:
    """Seconds from now until ``epoch`` (Unix seconds), never negative; None if unparseable."""
    if epoch is None:
        return None
    try:
        moment = float(epoch)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment - (time.time() if now is None else now))


def retry_after_header(response: requests.Response) -> float | None:
    """Parse ``Retry-After`` (RFC 9110): either delay-seconds or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return seconds_until(when.timestamp())


def _forbidden_means_auth(response: requests.Response) -> bool:
    return True


@dataclass(frozen=True)
class ErrorRules:
    """What differs between networks when reading their errors.

    ``name`` is the network as people know it ("LinkedIn"); it appears in messages.
    ``message`` pulls the network's own wording out of an error response.
    ``forbidden_is_auth`` decides whether a 403 means "reconnect" (AuthError) or
    "this post is refused" (PermanentError).
    ``retry_after`` reads how long a 429 or 503 asks us to wait.
    """

    name: str
    message: Callable[[requests.Response], str]
    forbidden_is_auth: Callable[[requests.Response], bool] = _forbidden_means_auth
    retry_after: Callable[[requests.Response], float | None] = retry_after_header


def send(
    method: str,
    url: str,
    *,
    rules: ErrorRules,
    write: bool,
    accept: Collection[int] = (),
    timeout: Timeout = DEFAULT_TIMEOUT,
    **kwargs: Any,
) -> requests.Response:
    """Perform one request; return the response if it is 2xx or its status is in ``accept``.

    ``write`` tells whether the request changes something at the network (a post, a
    delete, a revocation): only then can a lost answer leave the outcome unknown.
    Everything else raises one of ``base.py``'s errors. Keyword arguments go to
    ``requests`` unchanged (``json``, ``data``, ``headers``, ``params`` ...).
    """
    try:
        response = requests.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise error_for_exception(exc, write=write, network=rules.name) from exc
    if response.ok or response.status_code in accept:
        return response
    raise error_for_status(
        response.status_code,
        rules.message(response),
        write=write,
        network=rules.name,
        retry_after=rules.retry_after(response),
        forbidden_is_auth=response.status_code == 403 and rules.forbidden_is_auth(response),
    )


def _nothing_was_sent(exc: BaseException) -> bool:
    """True when the failure happened before any byte of the request reached the network."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(exc, requests.ConnectionError):
        # requests wraps urllib3's MaxRetryError, whose ``reason`` is the real cause.
        # A broken connection *after* sending (ProtocolError, reset) is not in this list.
        cause = exc.args[0] if exc.args else None
        cause = getattr(cause, "reason", cause)
        return isinstance(cause, NewConnectionError | ConnectTimeoutError)
    return False


# Raised while building the request, before anything is sent: our bug, not the network's.
_MALFORMED = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
)


def error_for_exception(exc: BaseException, *, write: bool, network: str) -> NetworkError:
    """Classify a failure where no usable HTTP status came back."""
    if _nothing_was_sent(exc):
        return TransientError(f"Could not reach {network}, so nothing was sent. Candor will try again.")
    if isinstance(exc, _MALFORMED):
        return PermanentError(f"Candor built a request {network} cannot accept ({exc}).")
    if isinstance(exc, requests.Timeout):
        what = "did not answer in time"
    elif isinstance(exc, ValueError):  # e.g. a body that is not the JSON we expected
        what = "gave an answer Candor could not read"
    else:
        what = "dropped the connection"
    if write:
        return OutcomeUnknown(
            f"{network} {what} after receiving the request, so we cannot tell yet whether it "
            "took effect. Candor will check before trying again."
        )
    return TransientError(f"{network} {what}. Candor will try again.")


def error_for_status(
    status: int,
    detail: str,
    *,
    write: bool,
    network: str,
    retry_after: float | None = None,
    forbidden_is_auth: bool = True,
) -> NetworkError:
    """Classify an HTTP error status. ``detail`` is the network's own message, if any."""
    said = f" {network} said: {detail}" if detail else ""
    if status == 401:
        return AuthError(
            f"{network} no longer accepts Candor's access to this account (it expired or was "
            f"revoked). Please reconnect the account.{said}",
            status=status,
        )
    if status == 403 and forbidden_is_auth:
        return AuthError(
            f"{network} says Candor's access to this account does not allow this. Please "
            f"reconnect the account and grant the requested permissions.{said}",
            status=status,
        )
    if status == 429:
        return RateLimited(
            f"{network} asked us to slow down. Candor will try again later.{said}",
            status=status,
            retry_after=retry_after,
        )
    if status == 408:
        # The server gave up waiting for our request, so it did not act on it.
        return TransientError(f"{network} timed out waiting for the request. Candor will try again.", status=status)
    if status >= 500:
        if write:
            return OutcomeUnknown(
                f"{network} had a server error (HTTP {status}) while handling the request, so we "
                f"cannot tell yet whether it took effect. Candor will check before trying again.{said}",
                status=status,
                retry_after=retry_after,
            )
        return TransientError(
            f"{network} had a server error (HTTP {status}). Candor will try again.{said}",
            status=status,
            retry_after=retry_after,
        )
    if detail:
        return PermanentError(f"{network} refused this: {detail}", status=status)
    return PermanentError(f"{network} refused this (HTTP {status}).", status=status)


def merge_token_response(
    credentials: dict[str, Any], token: dict[str, Any], *, now: float | None = None
) -> dict[str, Any]:
    """Fold an OAuth 2.0 token response into ``credentials`` in place, and return it.

    ``expires_at`` is stored as Unix seconds. A refresh token is only replaced when
    the network issued a new one: base.py forbids dropping the one we were given.
    """
    now = time.time() if now is None else now
    credentials["access_token"] = token["access_token"]
    if token.get("expires_in"):
        credentials["expires_at"] = int(now + float(token["expires_in"]))
    else:
        # An old expiry belongs to the old token; "unknown" is more honest than stale.
        credentials.pop("expires_at", None)
    if token.get("scope"):
        credentials["scope"] = token["scope"]
    if token.get("refresh_token"):
        credentials["refresh_token"] = token["refresh_token"]
        if token.get("refresh_token_expires_in"):
            credentials["refresh_token_expires_at"] = int(now + float(token["refresh_token_expires_in"]))
    return credentials


def comparable(text: str) -> str:
    """Text reduced to what survives a round trip through any network's renderer.

    Used when reconciling by text: networks re-flow whitespace and may change the
    Unicode normal form, but never the words.
    """
    return unicodedata.normalize("NFC", " ".join(text.split()))
