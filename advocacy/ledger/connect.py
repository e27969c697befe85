"""Connecting an account: ask the network to verify the credential, then record it.
The network call happens before (outside) the ledger transaction.

Three ways in, one ledger: Bluesky takes a handle and an app password; Mastodon runs
the OAuth code flow against whichever server the person names (Candor registers
itself there on first use); LinkedIn and X run through django-allauth, whose adapter
hands the token to ``account_connect_oauth`` and never stores it itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from advocacy.core.errors import ValidationFailed
from advocacy.ledger import crypto
from advocacy.ledger.models import ConnectedAccount, MastodonApp
from advocacy.ledger.services import account_connect
from advocacy.networks import base as net
from advocacy.networks.mastodon.client import MastodonClient
from advocacy.networks.registry import NETWORKS, get_client

if TYPE_CHECKING:
    from advocacy.networks.bluesky.client import BlueskyClient


def account_connect_bluesky(
    *, actor: User, handle: str, app_password: str, service_url: str, app_password_name: str = ""
) -> ConnectedAccount:
    """Log in with an app password and record the account. ``app_password_name`` (the
    name the person gave it in Bluesky) is stored with the credential so that the
    hand-back can revoke the app password itself, not just Candor's session."""
    if service_url.startswith("http://") and not settings.CANDOR_ALLOW_PLAIN_HTTP_NETWORKS:
        message = gettext("Candor only connects to Bluesky servers over https://.")
        raise ValidationFailed(message, fields={"service_url": [message]}, code="insecure_url")
    client = cast("BlueskyClient", get_client("bluesky"))  # its plug-in also connects by app password
    handle = handle.strip().lstrip("@")
    try:
        identity = client.connect(
            handle=handle,
            app_password=app_password.strip(),
            service_url=service_url.rstrip("/"),
            app_password_name=app_password_name.strip() or None,
        )
    except net.AuthError as exc:
        raise ValidationFailed(exc.message, fields={"app_password": [exc.message]}, code="network_auth") from None
    except net.NetworkError as exc:
        message = gettext("Could not reach %(server)s: %(error)s") % {"server": service_url, "error": exc.message}
        raise ValidationFailed(message, fields={"service_url": [message]}, code="network_unreachable") from None
    return account_connect(actor=actor, network="bluesky", identity=identity)


# -- Mastodon -------------------------------------------------------------------


def _instance_invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"instance_url": [message]}, code="invalid_instance")


def mastodon_instance_url(raw: str) -> str:
    """Normalise what a person typed (``mastodon.social``, ``https://Mastodon.Social/``,
    even a handle such as ``@emma@mastodon.social``) to ``scheme://host[:port]``.

    Plain ``http://`` is accepted only when ``CANDOR_ALLOW_PLAIN_HTTP_NETWORKS`` is on
    (development and the test suite, for local servers); anything else must be https.
    """
    text = raw.strip()
    if "://" not in text and "@" in text:
        text = text.rsplit("@", 1)[1]  # a handle: the server is after the last "@"
    if not text:
        raise _instance_invalid(gettext("Enter your Mastodon server, for example mastodon.social."))
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _instance_invalid(gettext("“%(address)s” is not a server address.") % {"address": raw.strip()}) from None
    host = (parts.hostname or "").lower()
    if (
        parts.scheme not in ("http", "https")
        or not host
        or parts.username
        or parts.password
        or parts.query
        or parts.fragment
        or parts.path not in ("", "/")
    ):
        raise _instance_invalid(
            gettext("“%(address)s” is not a server address. Enter just the server, for example mastodon.social.")
            % {"address": raw.strip()}
        )
    if parts.scheme == "http" and not settings.CANDOR_ALLOW_PLAIN_HTTP_NETWORKS:
        raise _instance_invalid(gettext("Candor only connects to Mastodon servers over https://."))
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{netloc}{f':{port}' if port else ''}"


def _mastodon_client(instance_url: str) -> MastodonClient:
    # Only reached with an address mastodon_instance_url accepted, so http is allowed here.
    return MastodonClient(allow_http=instance_url.startswith("http://"))


def _host(instance_url: str) -> str:
    return urlsplit(instance_url).netloc


@dataclasses.dataclass(frozen=True)
class MastodonAuthorization:
    """Where to send the person, and which app registration the code will belong to."""

    url: str
    client_id: str


def mastodon_app_for(*, instance_url: str, redirect_uri: str) -> MastodonApp:
    """Candor's registration on ``instance_url``, registering on first use (or again
    when Candor's callback address changed, since the instance refuses any other)."""
    app = MastodonApp.objects.filter(instance_url=instance_url).first()
    if app is not None and app.redirect_uri == redirect_uri and _app_secret(app) is not None:
        return app
    try:
        client_id, client_secret = _mastodon_client(instance_url).register_app(
            instance_url=instance_url, redirect_uri=redirect_uri
        )
    except net.NetworkError as exc:
        raise _instance_invalid(
            gettext("Could not register Candor on %(server)s: %(error)s")
            % {"server": _host(instance_url), "error": _why(exc)}
        ) from None
    return _mastodon_app_store(
        instance_url=instance_url, client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri
    )


def _app_secret(app: MastodonApp) -> str | None:
    """The app's client secret, or None when no configured key opens it any more
    (the key was rotated away): then Candor simply registers again."""
    try:
        return crypto.decrypt(app.client_secret_encrypted).get("client_secret") or None
    except crypto.CredentialsUnreadable:
        return None


@transaction.atomic
def _mastodon_app_store(*, instance_url: str, client_id: str, client_secret: str, redirect_uri: str) -> MastodonApp:
    app, created = MastodonApp.objects.select_for_update().get_or_create(
        instance_url=instance_url,
        defaults={
            "client_id": client_id,
            "client_secret_encrypted": crypto.encrypt({"client_secret": client_secret}),
            "redirect_uri": redirect_uri,
        },
    )
    if not created and (app.redirect_uri != redirect_uri or _app_secret(app) is None):
        app.client_id, app.redirect_uri = client_id, redirect_uri
        app.client_secret_encrypted = crypto.encrypt({"client_secret": client_secret})
        app.save(update_fields=["client_id", "client_secret_encrypted", "redirect_uri", "registered_at"])
    # else: someone registered at the same moment; theirs is as good as ours.
    return app


def _why(exc: net.NetworkError) -> str:
    """What went wrong while connecting, for the person. A transient error's own words
    promise that "Candor will try again": true for a post, not here, where nothing is
    queued and only the person can connect again."""
    if isinstance(exc, net.TransientError):
        return gettext("it did not answer properly, so nothing was connected. Connect again in a moment.")
    return exc.message


def mastodon_authorization_start(*, instance_url: str, redirect_uri: str, state: str) -> MastodonAuthorization:
    """Register Candor on the instance if needed and build its authorization URL.
    The caller keeps ``state`` and ``client_id`` (in the session) for the callback."""
    app = mastodon_app_for(instance_url=instance_url, redirect_uri=redirect_uri)
    try:
        url = _mastodon_client(instance_url).authorization_url(
            instance_url=instance_url, client_id=app.client_id, redirect_uri=redirect_uri, state=state
        )
    except net.NetworkError as exc:
        raise _instance_invalid(
            gettext("Could not reach %(server)s: %(error)s") % {"server": _host(instance_url), "error": _why(exc)}
        ) from None
    return MastodonAuthorization(url=url, client_id=app.client_id)


def account_connect_mastodon(
    *, actor: User, instance_url: str, client_id: str, code: str, redirect_uri: str
) -> ConnectedAccount:
    """Finish the code flow: trade ``code`` for a token, read the account (and the
    instance's character limit), and record it in the ledger."""
    host = _host(instance_url)
    app = MastodonApp.objects.filter(instance_url=instance_url, client_id=client_id).first()
    client_secret = _app_secret(app) if app is not None else None
    if app is None or client_secret is None:
        raise ValidationFailed(
            gettext("Candor's registration on %(server)s changed while you were signing in. Please connect again.")
            % {"server": host},
            code="mastodon_app_changed",
        )
    try:
        identity = _mastodon_client(instance_url).exchange_code(
            instance_url=instance_url,
            client_id=app.client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=redirect_uri,
        )
    except net.NetworkError as exc:
        code_name = "network_auth" if isinstance(exc, net.PermanentError) else "network_unreachable"
        raise ValidationFailed(
            gettext("%(server)s did not complete the sign-in: %(error)s") % {"server": host, "error": _why(exc)},
            code=code_name,
        ) from None
    return account_connect(actor=actor, network="mastodon", identity=identity)


# -- LinkedIn and X (tokens from django-allauth) ----------------------------------------

# Candor's app registration is merged in from settings for each call (ledger.sessions);
# it is never part of what is stored for one account.
_APP_KEYS = ("client_id", "client_secret")


def account_connect_oauth(
    *,
    actor: User,
    network: str,
    access_token: str,
    refresh_token: str = "",
    expires_at: datetime | None = None,
    scopes: Sequence[str] = (),
) -> ConnectedAccount:
    """Record a token an OAuth flow just issued. The plug-in's ``verify`` says which
    account it belongs to (the same way the posting engine will see it later); a
    reconnect keeps a stored refresh token when the network sent no new one."""
    credentials: dict[str, object] = {"access_token": access_token, "scope": " ".join(scopes)}
    if refresh_token:
        credentials["refresh_token"] = refresh_token
    if expires_at is not None:
        credentials["expires_at"] = int(expires_at.timestamp())
    app = {key: value for key, value in settings.CANDOR_NETWORK_APPS.get(network, {}).items() if value}
    session = net.AccountSession(network=network, handle="", credentials={**credentials, **app})
    name = NETWORKS.get(network, network)
    try:
        identity = get_client(network).verify(session)
    except net.AuthError as exc:
        message = gettext("%(network)s did not accept Candor's new access: %(error)s") % {
            "network": name,
            "error": exc.message,
        }
        raise ValidationFailed(message, code="network_auth") from None
    except net.NetworkError as exc:
        raise ValidationFailed(
            gettext("Could not reach %(server)s: %(error)s") % {"server": name, "error": exc.message},
            code="network_unreachable",
        ) from None
    stored = {key: value for key, value in identity.credentials.items() if key not in _APP_KEYS}
    identity = dataclasses.replace(identity, credentials=stored, scopes=tuple(scopes) or identity.scopes)
    return account_connect(actor=actor, network=network, identity=identity)
