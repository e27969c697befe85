"""The fast writers of the chain's canonical form give exactly the bytes of the
reference ones, whatever the values: audit_verify relies on it to accept every
existing chain (chain.CHAIN_FORMAT stays 1)."""

import datetime as dt
import functools
import json

import pytest
from django.db import connection
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advocacy.audit import chain, pgcopy

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own formatting")

# Any text a request id, an action or a target could hold (lone surrogates cannot be
# hashed at all, so they never reach the chain).
TEXT = st.text()
IDS = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
MOMENTS = st.datetimes(
    min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59), timezones=st.just(dt.UTC)
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)
PAYLOADS = st.fixed_dictionaries({"old": st.dictionaries(TEXT, JSON_VALUES), "new": st.dictionaries(TEXT, JSON_VALUES)})


@given(
    sequence=st.integers(min_value=1, max_value=2**63 - 1),
    created_at=MOMENTS,
    actor_id=IDS,
    subject_id=IDS,
    strings=st.lists(TEXT, min_size=7, max_size=7),
)
@example(
    sequence=1,
    created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),  # no microseconds: still written with six digits
    actor_id=None,
    subject_id=7,
    strings=['"quoted"', "back\\slash", "tab\tnew\nline\r", "\x00\x07\x1f\x7f", "ü ✓ – \u2028", "", "{}[],:"],
)
def test_envelope_json_writes_the_canonical_envelope(sequence, created_at, actor_id, subject_id, strings):
    action, target_type, target_id, digest, via, request_id, task_id = strings
    reference = chain.canonical_json(
        chain.envelope(
            sequence=sequence,
            created_at=created_at,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            subject_id=subject_id,
            payload_digest=digest,
            via=via,
            request_id=request_id,
            task_id=task_id,
        )
    )
    at = created_at.isoformat(timespec="microseconds")
    fast = chain.envelope_json(
        sequence, at, actor_id, action, target_type, target_id, subject_id, digest, via, request_id, task_id
    )
    as_text = chain.envelope_json(
        sequence,
        at,
        json.dumps(actor_id),  # the ids as PostgreSQL's COPY gives them to audit_verify
        action,
        target_type,
        target_id,
        json.dumps(subject_id),
        digest,
        via,
        request_id,
        task_id,
    )
    assert fast == as_text == reference


def test_a_null_in_a_text_field_is_written_as_the_encoder_would():
    """A NULL where the schema forbids one (constraint dropped) must just not match."""
    fields = (3, "2026-01-01T00:00:00.000000+00:00", None, None, "t", "1", None, "d" * 64, "api", "", "")
    expected = chain.canonical_json(chain._envelope(*fields))

    assert chain.envelope_json(*fields) == expected
    assert '"action":null' in expected


@given(PAYLOADS)
@example({"old": {}, "new": {}})
@example({"old": {"b": 1, "a": [1.0, 1e-07, 1e300, -0.0]}, "new": {"é": '\x00"\\', "e": None, "": True}})
# Where orjson (the fast writer) stops and json takes over: integers past 64 bits,
# floats, nesting deeper than orjson's limit.
@example({"old": {"u64": 2**64 - 1, "i64": -(2**63)}, "new": {"past u64": 2**64, "past i64": -(2**63) - 1}})
@example({"old": {"f": [1e-05, 1e16, 0.1]}, "new": {"deep": functools.reduce(lambda inner, _: [inner], range(300), 0)}})
def test_a_payload_digest_from_any_json_text_is_the_digest_of_the_payload(payload):
    reference = chain.payload_digest(payload)
    for text in (
        json.dumps(payload),
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        json.dumps(payload, indent=2, sort_keys=True),
        f"  {json.dumps(payload)}\n",
    ):
        assert chain.payload_digest_of_json(text) == reference
    assert chain.canonical_json_of_parsed(json.loads(json.dumps(payload))) == chain.canonical_json(payload)


def test_sql_null_as_a_payload_is_hashed_as_json_null():
    assert chain.payload_digest_of_json(None) == chain.payload_digest(None)  # type: ignore[arg-type]


def test_a_payload_that_is_not_json_is_an_error():
    with pytest.raises(json.JSONDecodeError):
        chain.payload_digest_of_json('{"old": {}} trailing')


# --- what PostgreSQL writes for the COPY paths ---------------------------------------


@postgres_only
@pytest.mark.django_db
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(moment=MOMENTS)
@example(moment=dt.datetime(2026, 3, 1, 12, 0, 0, 0, tzinfo=dt.UTC))
@example(moment=dt.datetime(1, 1, 1, tzinfo=dt.UTC))
@example(moment=dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC))
def test_postgresql_writes_timestamps_as_the_envelope_does(moment):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT to_char(%s::timestamptz AT TIME ZONE 'UTC', '{pgcopy.UTC_ISO}')", [moment])
        written = cursor.fetchone()[0]

    assert written == moment.isoformat(timespec="microseconds")


# Text PostgreSQL can store: no NUL, and no lone surrogates (not encodable as UTF-8).
_STORABLE = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))


@postgres_only
@pytest.mark.django_db
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(values=st.lists(st.none() | st.text(_STORABLE), min_size=1, max_size=4))
@example(values=["a\tb", "c\nd\re", "back\\slash \\N", None, "\\N", "", "\x01\x08\x0b\x0c\x1f ü"])
def test_copy_text_rows_reads_back_what_postgresql_wrote(values):
    select = ", ".join(["%s::text"] * len(values))
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY (SELECT {select}) TO STDOUT", values) as copy:
        rows = list(pgcopy.text_rows(copy))

    assert rows == [values]
