"""Rows of PostgreSQL's ``COPY ... TO STDOUT`` text format, parsed as they arrive.

The audit export and ``audit_verify`` read millions of rows this way: splitting the
lines ourselves costs half of what psycopg's typed ``Copy.rows()`` does (bench/:
audit verify), because the fields are wanted as text anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

NULL = "\\N"
# to_char's format for a timestamp AT TIME ZONE 'UTC' that writes what Python's
# datetime.isoformat(timespec="microseconds") writes for an aware UTC datetime, as
# the chain's envelope and the export have it (checked in tests/audit/test_chain_format.py).
UTC_ISO = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'
# COPY writes a backslash as two, some control characters as these, NULL as \N.
_ESCAPED = re.compile(r"\\(.)")
_CONTROL = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def text_rows(copy: Any) -> Iterator[Sequence[str | None]]:
    """The fields of each row of a psycopg ``Copy`` in text format; None for NULL."""
    pending = b""
    for block in copy:
        # PostgreSQL sends one row per message; splitting on bytes keeps this right
        # even if a row (or a UTF-8 character) ever spanned two.
        *lines, pending = (pending + block).split(b"\n") if pending else bytes(block).split(b"\n")
        for line in lines:
            text = line.decode()
            # Most rows have nothing escaped: then a plain split is the whole parse.
            yield _unescaped_fields(text) if "\\" in text else text.split("\t")


def _unescaped_fields(line: str) -> list[str | None]:
    return [None if field == NULL else _ESCAPED.sub(_unescape, field) for field in line.split("\t")]


def _unescape(match: re.Match[str]) -> str:
    return _CONTROL.get(match[1], match[1])
