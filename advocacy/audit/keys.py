"""The Ed25519 key that signs audit checkpoints. It is never stored in the database:
it comes from ``CANDOR_AUDIT_SIGNING_KEY`` (or ``CANDOR_AUDIT_SIGNING_KEY_FILE``), or
outside production from a key file generated under var/ on first use. The key's name
is the log origin and its id the signed-note key hash (4 bytes of SHA-256 over name
and public key), so a checkpoint names the key that signed it; retired public keys
(``CANDOR_AUDIT_RETIRED_KEYS``) keep older checkpoints verifiable after a rotation.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from advocacy.audit.standalone.candor_verify import ProofError, VerifierKey


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    verifier: VerifierKey

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def generate_key_text() -> str:
    """A new signing key in the form CANDOR_AUDIT_SIGNING_KEY takes (base64 of the
    32-byte Ed25519 seed)."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(raw).decode()


def _parse_private(text: str, *, source: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("not an Ed25519 key")
            return key
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise ImproperlyConfigured(
            f"{source} must be an Ed25519 private key: base64 of its 32-byte seed or a PEM (PKCS#8) file "
            "(`python manage.py audit_checkpoint --new-key` prints one)."
        ) from exc


def _dev_key_text(path: Path) -> str:
    """The development key file's content, created (readable by its owner only) if missing."""
    try:
        with path.open(encoding="ascii") as handle:
            return handle.read()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    text = generate_key_text() + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    return text


def signing_key() -> SigningKey:
    """The current signing key. Raises ImproperlyConfigured when none is configured
    (production) or it is malformed."""
    text = settings.CANDOR_AUDIT_SIGNING_KEY
    source = "CANDOR_AUDIT_SIGNING_KEY"
    if not text:
        dev_file = settings.CANDOR_AUDIT_DEV_KEY_FILE
        if not dev_file:
            raise ImproperlyConfigured("CANDOR_AUDIT_SIGNING_KEY (or CANDOR_AUDIT_SIGNING_KEY_FILE) is not set.")
        text, source = _dev_key_text(Path(dev_file)), str(dev_file)
    private = _parse_private(text, source=source)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(private, VerifierKey(settings.CANDOR_AUDIT_LOG_ORIGIN, public))


def retired_keys() -> list[VerifierKey]:
    keys = []
    for text in settings.CANDOR_AUDIT_RETIRED_KEYS:
        try:
            keys.append(VerifierKey.parse(text))
        except ProofError as exc:
            raise ImproperlyConfigured(
                f"CANDOR_AUDIT_RETIRED_KEYS: {exc}; give the verifier keys (name+id+base64) printed by "
                "`python manage.py audit_checkpoint --public-key`, comma-separated."
            ) from exc
    return keys


def verifier_keys() -> list[VerifierKey]:
    """Every public key a checkpoint of this log may be signed with, current first."""
    return [signing_key().verifier, *retired_keys()]
