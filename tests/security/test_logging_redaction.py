"""Credentials never reach a log line: tokens and passwords planted in messages,
arguments and tracebacks come out of the configured handlers redacted."""

from __future__ import annotations

import io
import logging
import string
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from advocacy.core.logging import REDACTED, RedactingFilter

JWT = "eyJhbGciOiJFUzI1NksifQ.eyJzY29wZSI6ImNvbS5hdHByb3RvLmFjY2VzcyIsInN1YiI6ImRpZDpwbGM6ZW1tYSJ9.c2lnbmF0dXJl"
REFRESH_JWT = "eyJhbGciOiJFUzI1NksifQ.eyJzY29wZSI6ImNvbS5hdHByb3RvLnJlZnJlc2gifQ.b3RoZXItc2lnbmF0dXJl"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
DRF_TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
PLANTED = (JWT, REFRESH_JWT, APP_PASSWORD, DRF_TOKEN, "planted-oauth-access", "planted-client-secret")


@contextmanager
def captured(logger_name: str = "") -> Iterator[io.StringIO]:
    """What the handlers configured in LOGGING write for ``logger_name``."""
    logger = logging.getLogger(logger_name)
    while not logger.handlers and logger.propagate and logger.parent:
        logger = logger.parent
    handlers = [
        h
        for h in logger.handlers
        if type(h) is logging.StreamHandler  # not pytest's capture handlers
    ]
    assert handlers, f"no stream handler configured for {logger_name!r}"
    out = io.StringIO()
    previous = [h.setStream(out) for h in handlers]
    try:
        yield out
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)


def test_every_configured_handler_redacts():
    for name, handler in settings.LOGGING["handlers"].items():
        assert handler["filters"][0] == "redact_credentials", name
    for logger_name in ["", "django", "django.server", "celery", "advocacy.sharing.engine"]:
        logger = logging.getLogger(logger_name)
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest") or isinstance(handler, logging.NullHandler):
                continue  # pytest's own capture; celery's placeholder that writes nothing
            assert any(isinstance(f, RedactingFilter) for f in handler.filters), (logger_name, handler)


def test_a_bluesky_session_logged_as_an_argument_is_redacted():
    session = {"handle": "emma.test", "accessJwt": JWT, "refreshJwt": REFRESH_JWT, "did": "did:plc:emma"}

    with captured() as out:
        logging.getLogger("advocacy.networks.bluesky").warning("session refreshed: %s", session)

    line = out.getvalue()
    assert "session refreshed" in line and "emma.test" in line and "did:plc:emma" in line
    assert JWT not in line and REFRESH_JWT not in line
    assert line.count(REDACTED) == 2


def test_keys_values_and_headers_inside_the_message_text_are_redacted():
    with captured() as out:
        log = logging.getLogger("advocacy.ledger")
        log.info("connect with {'app_password': '%s', 'handle': 'emma'}", APP_PASSWORD)
        log.info("POST /oauth/token access_token=planted-oauth-access&client_secret=planted-client-secret&x=1")
        log.info("headers: Authorization: Token %s", DRF_TOKEN)
        log.info("retry with Bearer %s", JWT)
        log.info("mapping style %(password)s and %(user)s", {"password": APP_PASSWORD, "user": "emma"})

    text = out.getvalue()
    for secret in PLANTED:
        assert secret not in text
    assert "x=1" in text and "'handle': 'emma'" in text and "and emma" in text


def test_a_traceback_carrying_a_token_is_redacted():
    with captured() as out:
        try:
            raise RuntimeError(f"network refused token {JWT} for Authorization: Bearer {DRF_TOKEN}")
        except RuntimeError:
            logging.getLogger("advocacy.sharing.engine").exception("send failed")

    text = out.getvalue()
    assert "send failed" in text and "RuntimeError" in text and "Traceback" in text
    assert JWT not in text and DRF_TOKEN not in text


def test_the_request_log_redacts_tokens_in_query_strings():
    with captured("django.server") as out:
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /connections/callback?code=planted-oauth-access&state=abc HTTP/1.1", 302, 0
        )

    assert "planted-oauth-access" not in out.getvalue()
    assert "state=abc" in out.getvalue()


def test_ordinary_prose_is_left_alone():
    with captured() as out:
        logging.getLogger("advocacy").info("Token refreshed for account %s; 3 shares due", 12)

    assert "Token refreshed for account 12; 3 shares due" in out.getvalue()


def test_a_bad_format_string_still_logs_and_still_redacts():
    with captured() as out:
        logging.getLogger("advocacy").info("oops %s %s", f"password={APP_PASSWORD}")

    assert "oops" in out.getvalue() and APP_PASSWORD not in out.getvalue()


SECRET_ALPHABET = string.ascii_letters + string.digits + "-_.~+/"


@given(
    key=st.sampled_from(
        [
            "password",
            "app_password",
            "access_token",
            "refresh_token",
            "token",
            "secret",
            "Authorization",
            "accessJwt",
            "refreshJwt",
            "client_secret",
        ]
    ),
    secret=st.text(SECRET_ALPHABET, min_size=12, max_size=60),
    style=st.sampled_from(["dict", "kv", "json"]),
)
def test_a_planted_value_never_survives(key, secret, style):
    record = logging.LogRecord("advocacy", logging.INFO, __file__, 1, "value: %s", None, None)
    if style == "dict":
        record.args = ({key: secret, "other": 1},)
    elif style == "kv":
        record.msg, record.args = f"{key}={secret} and more", None
    else:
        record.msg, record.args = f'{{"{key}": "{secret}", "n": 1}}', None

    assert RedactingFilter().filter(record) is True
    assert secret not in record.getMessage()


@given(
    message=st.text(max_size=200), args=st.lists(st.one_of(st.text(max_size=50), st.integers(), st.none()), max_size=3)
)
def test_the_filter_never_raises_and_never_drops_a_record(message, args):
    record = logging.LogRecord("advocacy", logging.INFO, __file__, 1, message, tuple(args), None)

    assert RedactingFilter().filter(record) is True
    assert isinstance(record.getMessage(), str)


@pytest.mark.parametrize("secret", PLANTED)
def test_the_filter_is_idempotent(secret):
    record = logging.LogRecord("advocacy", logging.INFO, __file__, 1, "token=%s", (secret,), None)
    RedactingFilter().filter(record)
    once = record.getMessage()
    RedactingFilter().filter(record)

    assert record.getMessage() == once == f"token={REDACTED}"
