"""Seed the benchmark database fast: bulk inserts, not services, because the
benchmarks measure sending and serving, not seeding.

A few rows go through the real services (the policy, one draft through two-person
review) so that the data is shaped as the product makes it; the rest are copies.
The 1,000,000 audit events are written with ``COPY`` while their hash chain is
computed here with ``advocacy.audit.chain``, so ``audit_verify`` accepts them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from bench.common import DB_NAME, PG_ADMIN_URL, log

PASSWORD = "candor-bench-2026"


@dataclass(frozen=True)
class Scale:
    employees: int = 10_000
    drafts: int = 2_000
    portal_shares: int = 200_000
    fanout_shares: int = 10_000
    audit_events: int = 1_000_000
    audit_small: int = 100_000  # the export's memory is compared at this size and the full one
    bluesky_shares: int = 1_000
    bluesky_accounts: int = 50
    memory_checkpoint: int = 1_000  # worker RSS after this many sends, and after fanout_shares

    def quick(self) -> Scale:
        return replace(
            self,
            **{
                name: max(1, getattr(self, name) // 10)
                for name in self.__dataclass_fields__
                if name != "bluesky_accounts"
            },
            bluesky_accounts=10,
        )


@dataclass(frozen=True)
class Seeded:
    admin_id: int
    employee_ids: list[int]
    fanout_draft_id: int
    policy_id: int


def create_database() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _raw_connection() -> psycopg.Connection[Any]:
    from django.db import connection

    connection.ensure_connection()
    return connection.connection  # type: ignore[no-any-return]


def seed_people(*, employees: int) -> tuple[Any, Any, Any, list[int]]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import Role, Team, User

    password = make_password(PASSWORD)  # hashed once, shared: seeding speed, not security
    admin = User.objects.create_user("admin@bench.candor.test", PASSWORD, role=Role.ADMIN, display_name="Ada")
    author = User.objects.create_user("author@bench.candor.test", PASSWORD, role=Role.COMMS_AUTHOR)
    reviewer = User.objects.create_user("reviewer@bench.candor.test", PASSWORD, role=Role.COMMS_REVIEWER)
    zones = ["Europe/Berlin", "Europe/Rome", "Asia/Jakarta", "UTC", "America/New_York"]
    languages = ["en", "de", "id", "it"]
    teams = Team.objects.bulk_create([Team(name=f"team-{t:02d}") for t in range(40)])
    rows = [
        User(
            email=f"employee{i:05d}@bench.candor.test",
            display_name=f"Employee {i}",
            role=Role.EMPLOYEE,
            password=password,
            team=teams[i % 40],
            time_zone=zones[i % len(zones)],
            language=languages[i % len(languages)],
        )
        for i in range(employees)
    ]
    User.objects.bulk_create(rows, batch_size=5000)
    ids = list(User.objects.filter(role=Role.EMPLOYEE).order_by("pk").values_list("pk", flat=True))
    return admin, author, reviewer, ids


_ACTIONS = ("share.sent", "share.scheduled", "consent.opted_in", "user.logged_in", "share.cancelled")
NULL = "\\N"  # COPY's text-format NULL


def _audit_payload(i: int, action: str, at_iso: str) -> str:
    """Canonical JSON (``chain.canonical_json``) of a realistic payload, written out
    directly for speed; ``seed_audit`` checks it against ``chain`` for the first events.
    Only characters that JSON and COPY both leave alone are used (no quotes, no
    backslashes, no tabs), plus non-ASCII text as real people write it."""
    if action == "share.sent":
        return (
            '{"new":{"attempts":1,"external_id":"at://did:plc:%024x/app.bsky.feed.post/%013x","reconciled":false,'  # noqa: UP031 - JSON braces read better than doubled ones
            '"state":"sent","tool":"candor","url":"https://bsky.app/profile/employee%d.bsky.social/post/%013x"},'
            '"old":{"state":"sending"}}' % (i, i, i % 9973, i)
        )
    if action == "share.scheduled":
        return (
            '{"new":{"account":%d,"scheduled_at":"%s","state":"scheduled",'  # noqa: UP031 - JSON braces read better than doubled ones
            '"text":"#employee Ich arbeite bei Acme Robotics. Roboter sortieren Pakete schneller – ü ✓"},'
            '"old":{}}' % (i % 9973, at_iso)
        )
    if action == "share.cancelled":
        return '{"new":{"reason":"Changed my mind","state":"cancelled"},"old":{"state":"scheduled"}}'
    if action == "consent.opted_in":
        return '{"new":{"policy_version":1},"old":{}}'
    return '{"new":{},"old":{}}'


def seed_audit(*, events: int, subject_ids: list[int]) -> tuple[int, str]:
    """Append ``events`` valid, hash-chained events with COPY; returns the new head."""
    import hashlib
    import json

    from advocacy.audit import chain
    from advocacy.audit.models import GENESIS_HASH, AuditChainHead

    head = AuditChainHead.objects.filter(pk=1).first()
    sequence, prev_hash = (head.sequence, head.hash) if head else (0, GENESIS_HASH)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=365)
    step = dt.timedelta(days=364) / max(events, 1)
    columns = (
        "sequence, created_at, actor_id, action, target_type, target_id, subject_id, payload, "
        "payload_digest, via, request_id, task_id, prev_hash, hash"
    )
    sha256 = hashlib.sha256
    raw = _raw_connection()
    with raw.cursor() as cursor:
        # Seeding only: skip the per-row foreign-key checks (actor, subject) while
        # copying; the ids come from the users just created.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        # ... and build the indexes once at the end instead of row by row.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'audit_auditevent'::regclass AND contype = 'u'"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'audit_auditevent' "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'audit_auditevent'::regclass AND contype IN ('p', 'u'))"
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE audit_auditevent DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    with raw.cursor() as cursor, cursor.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy:
        lines: list[str] = []
        for i in range(1, events + 1):
            sequence += 1
            at = start + step * i
            at_iso = at.isoformat(timespec="microseconds")
            action = _ACTIONS[sequence % len(_ACTIONS)]
            subject = subject_ids[sequence % len(subject_ids)] if subject_ids else None
            if action.startswith("share."):
                target_type, target_id = "sharing.share", str(sequence)
            else:
                target_type, target_id = "accounts.user", str(subject or "")
            via = "worker" if action == "share.sent" else "portal"
            actor = subject if via == "portal" else None
            request_id = f"{sequence:032x}" if via == "portal" else ""
            task_id = f"{sequence:032x}" if via == "worker" else ""
            payload = _audit_payload(sequence, action, at_iso)
            digest = sha256(payload.encode()).hexdigest()
            envelope = (
                '{"action":"%s","actor":%s,"at":"%s","payload":"%s","request":"%s","seq":%d,"subject":%s,'  # noqa: UP031 - JSON braces read better than doubled ones
                '"target":["%s","%s"],"task":"%s","v":%d,"via":"%s"}'
                % (
                    action,
                    "null" if actor is None else actor,
                    at_iso,
                    digest,
                    request_id,
                    sequence,
                    "null" if subject is None else subject,
                    target_type,
                    target_id,
                    task_id,
                    chain.CHAIN_FORMAT,
                    via,
                )
            )
            link = sha256((prev_hash + envelope).encode()).hexdigest()
            if i <= 20:  # the hand-written JSON must be exactly what chain.py would hash
                assert chain.canonical_json(json.loads(payload)) == payload, payload
                assert (
                    chain.link_hash(
                        prev_hash,
                        chain.envelope(
                            sequence=sequence,
                            created_at=at,
                            actor_id=actor,
                            action=action,
                            target_type=target_type,
                            target_id=target_id,
                            subject_id=subject,
                            payload_digest=digest,
                            via=via,
                            request_id=request_id,
                            task_id=task_id,
                        ),
                    )
                    == link
                ), envelope
            lines.append(
                f"{sequence}\t{at_iso}\t{NULL if actor is None else actor}\t{action}\t{target_type}\t{target_id}\t"
                f"{NULL if subject is None else subject}\t{payload}\t{digest}\t{via}\t{request_id}\t{task_id}\t"
                f"{prev_hash}\t{link}\n"
            )
            prev_hash = link
            if len(lines) >= 20_000:
                copy.write("".join(lines).encode())
                lines = []
        copy.write("".join(lines).encode())
    with raw.cursor() as cursor:
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE audit_auditevent ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE audit_auditevent")
    AuditChainHead.objects.update_or_create(pk=1, defaults={"sequence": sequence, "hash": prev_hash})
    return sequence, prev_hash


def audit_hash_at(sequence: int) -> str:
    from advocacy.audit.models import AuditEvent

    return AuditEvent.objects.filter(sequence=sequence).values_list("hash", flat=True).get()


def seed_programme(*, admin: Any, employee_ids: list[int]) -> Any:
    from django.utils import timezone

    from advocacy.program.models import Enrollment
    from advocacy.program.services import policy_publish

    policy = policy_publish(
        actor=admin, texts={"en": {"title": "Our advocacy policy", "body": "Voluntary, always. Leave any time."}}
    )
    now = timezone.now()
    Enrollment.objects.bulk_create(
        [
            Enrollment(user_id=uid, status=Enrollment.Status.ACTIVE, policy_version=policy, joined_at=now)
            for uid in employee_ids
        ],
        batch_size=5000,
    )
    return policy


def seed_accounts(*, employee_ids: list[int], network: str, service_url: str) -> dict[int, int]:
    """One connected account per employee; returns {employee id: account id}."""
    from advocacy.ledger import crypto
    from advocacy.ledger.models import ConnectedAccount

    secret = crypto.encrypt({"access_token": "bench-token-not-secret"})
    rows = [
        ConnectedAccount(
            network=network,
            handle=f"employee{n:05d}@sink.bench",
            external_id=f"sink-{uid}",
            network_identity=f"{service_url}/sink-{uid}",
            service_url=service_url,
            display_name=f"Employee {n}",
            owner_id=uid,
            connected_by_id=uid,
            scopes=["write:statuses"],
            credentials_encrypted=secret,
        )
        for n, uid in enumerate(employee_ids)
    ]
    ConnectedAccount.objects.bulk_create(rows, batch_size=5000)
    return dict(
        ConnectedAccount.objects.filter(network=network, owner_id__in=employee_ids).values_list("owner_id", "pk")
    )


BODIES = [
    "Our robots now sort parcels 30% faster in the Leipzig warehouse. Proud of the team!",
    "Wir suchen Verstärkung im Lager Leipzig: Schichtleitung (m/w/d), gute Bezahlung.",
    "Gudang baru kami di Surabaya sudah dibuka. Terima kasih untuk tim logistik!",
    "Il nostro nuovo centro di Bologna è aperto: venite a conoscere il team.",
]


def publish_draft(*, author: Any, reviewer: Any, title: str, body: str, networks: list[str]) -> Any:
    """One draft through the real four-eyes workflow."""
    from advocacy.drafts import services as drafts

    draft = drafts.draft_create(
        actor=author,
        title=title,
        campaign="Bench campaign",
        content=drafts.DraftContent(body=body, networks=networks),
    )
    drafts.draft_submit(actor=author, draft_id=draft.pk)
    drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
    drafts.draft_publish(actor=author, draft_id=draft.pk)
    draft.refresh_from_db()
    return draft


def seed_drafts(*, author: Any, reviewer: Any, count: int) -> list[int]:
    """``count`` published drafts: one through the services, the rest copied from it."""
    from django.utils import timezone

    from advocacy.drafts.models import Campaign, Draft, DraftVersion

    template = publish_draft(
        author=author,
        reviewer=reviewer,
        title="Warehouse robots",
        body=BODIES[0],
        networks=["bluesky", "mastodon", "linkedin", "x"],
    )
    version = template.published_version
    campaigns = [Campaign.objects.get_or_create(name=f"Campaign {n}")[0] for n in range(10)]
    now = timezone.now()
    drafts = Draft.objects.bulk_create(
        [
            Draft(
                title=f"Post {n}: {BODIES[n % 4][:40]}",
                campaign=campaigns[n % 10],
                created_by=author,
                state=Draft.State.PUBLISHED,
                published_at=now - dt.timedelta(minutes=n),
            )
            for n in range(1, count)
        ],
        batch_size=2000,
    )
    versions = DraftVersion.objects.bulk_create(
        [
            DraftVersion(
                draft=d,
                number=1,
                body=f"{BODIES[n % 4]} (#{n})",
                link=f"https://acme.example/news/{n}",
                language=["en", "de", "id", "it"][n % 4],
                networks=version.networks,
                created_by=author,
                approved_by=reviewer,
                approved_at=now,
            )
            for n, d in enumerate(drafts, start=1)
        ],
        batch_size=2000,
    )
    for draft, draft_version in zip(drafts, versions, strict=True):
        draft.working_version = draft.published_version = draft_version
    Draft.objects.bulk_update(drafts, ["working_version", "published_version"], batch_size=2000)
    return [template.pk, *(d.pk for d in drafts)]


def seed_portal_shares(*, employee_ids: list[int], accounts: dict[int, int], draft_ids: list[int], total: int) -> int:
    """``total`` shares spread over the employees: mostly sent, some scheduled (days
    ahead, so never due during the run), some failed or cancelled."""
    from django.utils import timezone

    from advocacy.drafts.models import Draft
    from advocacy.sharing.models import Share

    rng = random.Random(7)
    versions = dict(Draft.objects.filter(pk__in=draft_ids).values_list("pk", "published_version_id"))
    now = timezone.now()
    disclosure = "#employee I work at Acme Robotics."
    batch: list[Share] = []
    made = 0
    for n in range(total):
        uid = employee_ids[n % len(employee_ids)]
        draft_id = draft_ids[rng.randrange(len(draft_ids))]
        roll = rng.random()
        when = now - dt.timedelta(hours=rng.randrange(1, 24 * 180))
        state = Share.State.SENT
        extra: dict[str, Any] = {
            "sent_at": when,
            "external_id": f"{n}",
            "external_url": f"https://social.example/@e/{n}",
        }
        if roll > 0.9:
            state, when, extra = Share.State.SCHEDULED, now + dt.timedelta(days=rng.randrange(2, 30)), {}
        elif roll > 0.85:
            state, extra = Share.State.FAILED, {"last_error_code": "refused", "last_error": "The network said no."}
        elif roll > 0.8:
            state, extra = Share.State.CANCELLED, {"cancelled_reason": "Cancelled by the employee."}
        batch.append(
            Share(
                employee_id=uid,
                draft_id=draft_id,
                draft_version_id=versions[draft_id],
                account_id=accounts[uid],
                network="mastodon",
                text=f"{disclosure} {BODIES[n % 4]}",
                disclosure=disclosure,
                scheduled_at=when,
                next_attempt_at=when,
                state=state,
                attempts=1,
                **extra,
            )
        )
        if len(batch) == 10_000:
            Share.objects.bulk_create(batch)
            made += len(batch)
            batch = []
    Share.objects.bulk_create(batch)
    return made + len(batch)


def seed_fanout_shares(*, employee_ids: list[int], accounts: dict[int, int], draft: Any, network: str) -> list[int]:
    """One share per employee of one campaign draft, all due now (the fan-out)."""
    from django.utils import timezone

    from advocacy.drafts.content import final_text
    from advocacy.program.selectors import disclosure_for
    from advocacy.sharing.models import Share

    version = draft.published_version
    disclosure = disclosure_for(language=version.language)
    text = final_text(disclosure=disclosure, body=version.body, link=version.link)
    now = timezone.now()
    rows = [
        Share(
            employee_id=uid,
            draft_id=draft.pk,
            draft_version_id=version.pk,
            account_id=accounts[uid],
            network=network,
            text=text,
            disclosure=disclosure,
            language=version.language,
            scheduled_at=now + dt.timedelta(days=365),
            next_attempt_at=now + dt.timedelta(days=365),
        )
        for uid in employee_ids
    ]
    Share.objects.bulk_create(rows, batch_size=5000)
    return list(Share.objects.filter(draft_id=draft.pk).values_list("pk", flat=True))


def make_due(*, draft_id: int) -> int:
    """Put a draft's shares back to *scheduled*, due now, with fresh idempotency keys
    (so a run's posts are told apart from the last run's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE sharing_share SET state='scheduled', attempts=0, claimed_at=NULL, lease_until=NULL,
                   sent_at=NULL, external_id='', external_url='', last_error_code='', last_error='',
                   cancelled_reason='', scheduled_at=now(), next_attempt_at=now(), updated_at=now(),
                   idempotency_key=md5(random()::text || id::text || clock_timestamp()::text)
               WHERE draft_id = %s""",
            [draft_id],
        )
        count = cursor.rowcount
        cursor.execute("ANALYZE sharing_share")
    return count


def seed_all(scale: Scale, *, sink_url: str) -> Seeded:
    log(
        f"seeding: {scale.employees} employees, {scale.audit_events} audit events, {scale.drafts} drafts, "
        f"{scale.portal_shares} portal shares, {scale.fanout_shares} fan-out shares"
    )
    admin, author, reviewer, employee_ids = seed_people(employees=scale.employees)
    seed_audit(events=scale.audit_events, subject_ids=employee_ids)
    log("  audit events written")
    policy = seed_programme(admin=admin, employee_ids=employee_ids)
    accounts = seed_accounts(employee_ids=employee_ids, network="mastodon", service_url=sink_url)
    draft_ids = seed_drafts(author=author, reviewer=reviewer, count=scale.drafts)
    seed_portal_shares(employee_ids=employee_ids, accounts=accounts, draft_ids=draft_ids, total=scale.portal_shares)
    log("  portal shares written")
    fanout = publish_draft(
        author=author,
        reviewer=reviewer,
        title="Fan-out campaign",
        body="Today we open our new warehouse in Leipzig. Come and see the robots!",
        networks=["mastodon"],
    )
    seed_fanout_shares(
        employee_ids=employee_ids[: scale.fanout_shares], accounts=accounts, draft=fanout, network="mastodon"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE") if not connection.in_atomic_block else None
    return Seeded(admin_id=admin.pk, employee_ids=employee_ids, fanout_draft_id=fanout.pk, policy_id=policy.pk)
