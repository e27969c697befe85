"""Canonical form and hashing of audit events. Changing anything here invalidates
every existing chain, so it is versioned by ``CHAIN_FORMAT``.

The canonical form is ``canonical_json``: json with sorted keys, no spaces, UTF-8
text as is (``ensure_ascii=False``) and ``str()`` for anything else. The faster
writers below (``envelope_json``, ``canonical_json_of_parsed``) produce the very same
bytes; ``tests/audit/test_chain_format.py`` checks that with generated inputs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]  # C part: not in typeshed
from typing import Any

import orjson

CHAIN_FORMAT = 1


# One encoder for every call: json.dumps with options builds a new JSONEncoder each
# time, a sixth of the cost of hashing an event (bench/: audit verify). Same output.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


def payload_digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def envelope(
    *,
    sequence: int,
    created_at: datetime,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    subject_id: int | None,
    payload_digest: str,
    via: str,
    request_id: str,
    task_id: str,
) -> dict[str, Any]:
    return _envelope(
        sequence,
        created_at.isoformat(timespec="microseconds"),
        actor_id,
        action,
        target_type,
        target_id,
        subject_id,
        payload_digest,
        via,
        request_id,
        task_id,
    )


def _envelope(
    sequence: int,
    at: str,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    subject_id: int | None,
    payload_digest: str,
    via: str,
    request_id: str,
    task_id: str,
) -> dict[str, Any]:
    return {
        "v": CHAIN_FORMAT,
        "seq": sequence,
        "at": at,
        "actor": actor_id,
        "action": action,
        "target": [target_type, target_id],
        "subject": subject_id,
        "payload": payload_digest,
        "via": via,
        "request": request_id,
        "task": task_id,
    }


def link_hash(prev_hash: str, event_envelope: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(event_envelope)).encode()).hexdigest()


def envelope_of(event: Any) -> dict[str, Any]:
    """The envelope of a stored ``AuditEvent`` row (or anything with its fields)."""
    return envelope(
        sequence=event.sequence,
        created_at=event.created_at,
        actor_id=event.actor_id,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        subject_id=event.subject_id,
        payload_digest=event.payload_digest,
        via=event.via,
        request_id=event.request_id,
        task_id=event.task_id,
    )


# --- the same bytes, faster, for audit_verify's loop over every event ---------------


def envelope_json(
    sequence: int,
    at: str,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    subject_id: int | None,
    payload_digest: str,
    via: str,
    request_id: str,
    task_id: str,
) -> str:
    """``canonical_json(envelope(...))`` with ``at`` = ``created_at.isoformat(timespec=
    "microseconds")``, written out with the keys already in sorted order and each
    string escaped by the encoder's own (C) ``encode_basestring``: a third of the cost
    of a dict through ``JSONEncoder`` (bench/: audit verify). The ids may also be given
    as their JSON text ("123" or "null"), as PostgreSQL can write them."""
    esc = encode_basestring
    try:
        return (
            f'{{"action":{esc(action)},"actor":{"null" if actor_id is None else actor_id},"at":{esc(at)},'
            f'"payload":{esc(payload_digest)},"request":{esc(request_id)},"seq":{sequence},'
            f'"subject":{"null" if subject_id is None else subject_id},'
            f'"target":[{esc(target_type)},{esc(target_id)}],"task":{esc(task_id)},"v":{CHAIN_FORMAT},'
            f'"via":{esc(via)}}}'
        )
    except TypeError:
        # A NULL where the schema says NOT NULL (an attacker dropped the constraint):
        # write it as the canonical encoder does, so the hash simply does not match.
        return canonical_json(
            _envelope(
                sequence,
                at,
                actor_id,
                action,
                target_type,
                target_id,
                subject_id,
                payload_digest,
                via,
                request_id,
                task_id,
            )
        )


# The C encoder that JSONEncoder.encode would build on every call, built once. No
# circular-reference bookkeeping (markers=None): values decoded from JSON text cannot
# contain cycles. Arguments as in json.encoder.JSONEncoder.iterencode.
_PARSED = (
    c_make_encoder(None, str, encode_basestring, None, ":", ",", True, False, True)
    if c_make_encoder is not None
    else None
)


class _ParsedFloat(float):
    """A float as parsed from payload text. orjson writes some floats differently from
    json (1e-5 for 1e-05) and refuses float subclasses, so a payload holding one is
    written by json's encoder instead (see ``_canonical_bytes_of_parsed``)."""


# JSONDecoder sets scan_once in __init__; typeshed does not declare it.
_SCAN = json.JSONDecoder(parse_float=_ParsedFloat).scan_once  # type: ignore[attr-defined]


def canonical_json_of_parsed(value: Any) -> str:
    """``canonical_json`` for a value that came from ``json.loads`` (so no cycles)."""
    if _PARSED is None:  # a Python without the json C accelerator
        return canonical_json(value)
    return "".join(_PARSED(value, 0))


def _canonical_bytes_of_parsed(value: Any) -> bytes:
    """``canonical_json(value).encode()`` for a value parsed by ``_SCAN``. orjson writes
    the same bytes for what it accepts (sorted keys in code-point order, no spaces, text
    as is, the same escapes, integers in full) at a sixth of the cost of json's encoder
    (bench/: audit verify); for the rest it raises TypeError: a float, an integer beyond
    64 bits, nesting deeper than 254 levels, a lone surrogate. Not for values built in
    Python: orjson writes datetimes and other types its own way, not as ``str()``."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return canonical_json_of_parsed(value).encode()


def payload_digest_of_json(text: str | None) -> str:
    """``payload_digest`` of the payload whose JSON text (in any formatting and key
    order, e.g. PostgreSQL's jsonb output) is given; ``None`` stands for SQL NULL."""
    if text is None:
        value: Any = None
    else:
        try:
            # The C scanner directly: json.loads adds two regex calls for whitespace.
            value, end = _SCAN(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):
            value = json.loads(text, parse_float=_ParsedFloat)  # surrounding whitespace, or a proper error
    return hashlib.sha256(_canonical_bytes_of_parsed(value)).hexdigest()
