"""Credentials never reach a log line.

``RedactingFilter`` is attached to every handler in ``settings.LOGGING``. It formats
the record once, redacts the result (values of credential-looking keys, bearer
tokens, JWTs), and stores the redacted text back as the message with no arguments,
so whatever formatter or handler runs next sees only the redacted text. Structured
arguments (dicts, lists) are redacted by key before formatting, so a password that
contains spaces or quotes is removed whole. Tracebacks and stack traces are redacted
the same way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

# A key is sensitive when its name contains one of these (case-insensitive):
# password, app_password, passwd, access_token, refresh_token, token, csrftoken,
# secret, client_secret, authorization, accessJwt, refreshJwt, api_key, cookie ...
_SENSITIVE_KEY = re.compile(
    r"pass(?:word|wd|phrase)?|secret|token|authori[sz]ation|jwt|api[_-]?key|cookie|credential|private[_-]?key",
    re.IGNORECASE,
)
# The same words as a key inside free text: `password=...`, `"accessJwt": "..."`,
# `'app_password': '...'`, `Authorization: Token abc`, `?access_token=...&`.
# The key starts where a word starts: without the look-behind the regex retried at every
# character of a long word, quadratic in its length (0.4 ms for 100 letters; every log
# line passes through here, bench/: fan-out).
_KEY_VALUE = re.compile(
    r"""(?P<key>(?<![\w-])["']?[\w-]*(?:pass(?:word|wd|phrase)?|secret|token|authori[sz]ation|jwt|api[_-]?key|cookie|credential)[\w-]*["']?)"""
    r"""(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>\[REDACTED\]|"[^"]*"|'[^']*'|(?:(?:Bearer|Token|Basic)\s+)?[^\s"'&,;)}\]]+)""",
    re.IGNORECASE,
)
# "Bearer <anything>"; "Token <x>" / "Basic <x>" only when <x> looks like a key (long,
# with a digit), so that prose such as "Token refreshed" stays readable.
_BEARER = re.compile(
    r"\b(Bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*"
    r"|\b(Token|Basic)\s+(?=[A-Za-z\-._~+/]*\d)[A-Za-z0-9\-._~+/]{16,}=*",
    re.IGNORECASE,
)
# One-time codes and tickets in URLs (OAuth and SSO callbacks): `?code=...&state=...`.
_QUERY_SECRET = re.compile(r"(?P<key>[?&](?:code|ticket|SAMLResponse|SAMLart)=)[^&\s\"']+")
# Three base64url segments, the first a JSON header ("eyJ" is base64 for '{"').
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")

_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def is_sensitive_key(key: object) -> bool:
    return isinstance(key, str) and _SENSITIVE_KEY.search(key) is not None


def _redact_key_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if value.startswith(("'", '"')):
        quote = value[0]
        return f"{match.group('key')}{match.group('sep')}{quote}{REDACTED}{quote}"
    return f"{match.group('key')}{match.group('sep')}{REDACTED}"


def redact_text(text: str) -> str:
    """Redact credentials inside free text."""
    text = _JWT.sub(REDACTED, text)
    text = _KEY_VALUE.sub(_redact_key_value, text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group('key')}{REDACTED}", text)
    return _BEARER.sub(lambda m: f"{m.group(1) or m.group(2)} {REDACTED}", text)


def redact(value: Any, *, _depth: int = 0) -> Any:
    """A copy of ``value`` with credential-looking keys' values and strings redacted.
    Objects other than mappings, sequences and strings are returned as they are; their
    text is redacted after formatting."""
    if _depth > 20:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            key: (REDACTED if is_sensitive_key(key) and item not in (None, "") else redact(item, _depth=_depth + 1))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = [redact(item, _depth=_depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record so that it carries no credentials. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_candor_redacted", False):
            return True
        try:
            self._redact_record(record)
        except Exception:  # a filter that raises would lose the log line
            record.msg, record.args = "[log message withheld: it could not be redacted]", None
        record._candor_redacted = True
        return True

    @staticmethod
    def _redact_record(record: logging.LogRecord) -> None:
        if not isinstance(record.msg, str):
            record.msg = redact(record.msg)
        args = record.args
        if isinstance(args, Mapping):
            record.args = redact(args)
        elif isinstance(args, tuple):
            record.args = tuple(redact(arg) for arg in args)
        try:
            message = record.getMessage()
        except Exception:  # mismatched % arguments: keep everything, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        # Values passed with extra={...} that a formatter might print.
        for name, value in list(vars(record).items()):
            if name in _STANDARD_ATTRIBUTES or name.startswith("_"):
                continue
            if is_sensitive_key(name):
                setattr(record, name, REDACTED)
            elif isinstance(value, str | Mapping | list | tuple):
                setattr(record, name, redact(value))
