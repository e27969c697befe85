"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) under MultiFernet, so a
new key can be put first while old ciphertexts still decrypt, then
``manage.py rotate_credentials_key`` re-encrypts everything under the new key."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = list(settings.CANDOR_CREDENTIALS_KEYS)
    if not keys:
        # Development only (production settings refuse to start without keys):
        # derive a stable key from SECRET_KEY so `make run` needs no setup.
        digest = hashlib.sha256(("candor-credentials:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "CANDOR_CREDENTIALS_KEYS must be comma-separated Fernet keys (32 url-safe base64 bytes each)."
        ) from None


def reset_cache() -> None:
    _fernet.cache_clear()


def encrypt(credentials: dict[str, Any]) -> str:
    if not credentials:
        return ""
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


class CredentialsUnreadable(Exception):
    """The stored ciphertext does not decrypt with any configured key."""


def decrypt(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsUnreadable("Stored credentials cannot be decrypted with the configured keys.") from None


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode() if token else ""
