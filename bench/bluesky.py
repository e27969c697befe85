"""Fan-out to a real network: N shares posted by Candor's own Bluesky plug-in to the
reference Bluesky PDS running on loopback (``pds/``, started as the tests start it).

Baseline, in the same run: raw ``com.atproto.repo.createRecord`` throughput of one
plain HTTP client (httpx, keep-alive, tokens fetched beforehand) posting records of
the same shape to the same accounts on the same PDS, one after the other; half the
shares' number before Candor's run and half after it, averaged (the PDS slows down as
records pile up).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import httpx

from bench.common import VAR, Series, log

POST = "app.bsky.feed.post"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_accounts(pds: Any, *, count: int) -> list[dict[str, Any]]:
    """PDS accounts, each with an app password, connected through Candor's plug-in."""
    from advocacy.networks.bluesky.client import client

    accounts = []
    for n in range(count):
        handle, password, did = pds.create_account(f"bench{n}")
        app_password = pds.create_app_password(handle, password)
        identity = client.connect(handle=handle, app_password=app_password, service_url=pds.url)
        accounts.append({"handle": handle, "password": password, "did": did, "identity": identity})
    return accounts


def seed_candor(*, accounts: list[dict[str, Any]], shares: int, policy_id: int, author: Any, reviewer: Any) -> int:
    """Employees owning the PDS accounts, and ``shares`` shares of one draft spread
    over them (scheduled far ahead; ``make_due`` starts each run)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Role, User
    from advocacy.ledger import crypto
    from advocacy.ledger.models import ConnectedAccount
    from advocacy.ledger.services import network_identity_for
    from advocacy.program.models import Enrollment
    from bench.seed import PASSWORD, publish_draft, seed_fanout_shares

    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [
            User(email=f"bluesky{n:03d}@bench.candor.test", role=Role.EMPLOYEE, password=password)
            for n in range(len(accounts))
        ]
    )
    now = timezone.now()
    Enrollment.objects.bulk_create(
        [Enrollment(user=u, status=Enrollment.Status.ACTIVE, policy_version_id=policy_id, joined_at=now) for u in users]
    )
    rows = ConnectedAccount.objects.bulk_create(
        [
            ConnectedAccount(
                network="bluesky",
                handle=a["identity"].handle,
                external_id=a["identity"].external_id,
                network_identity=network_identity_for(network="bluesky", identity=a["identity"]),
                service_url=a["identity"].service_url,
                owner=u,
                connected_by=u,
                scopes=list(a["identity"].scopes),
                credentials_encrypted=crypto.encrypt(a["identity"].credentials),
            )
            for u, a in zip(users, accounts, strict=True)
        ]
    )
    draft = publish_draft(
        author=author,
        reviewer=reviewer,
        title="Bluesky campaign",
        body="Our Leipzig warehouse opens today: robots, people, and coffee.",
        networks=["bluesky"],
    )
    owners = [users[n % len(users)].pk for n in range(shares)]
    by_owner = {row.owner_id: row.pk for row in rows}
    seed_fanout_shares(employee_ids=owners, accounts=by_owner, draft=draft, network="bluesky")
    return int(draft.pk)


def raw_throughput(pds_url: str, accounts: list[dict[str, Any]], *, posts: int, text: str) -> float:
    """createRecord calls/s from one plain client, round-robin over the accounts."""
    with httpx.Client(base_url=f"{pds_url}/xrpc", timeout=30) as http:
        tokens = []
        for account in accounts:
            session = http.post(
                "com.atproto.server.createSession",
                json={"identifier": account["handle"], "password": account["password"]},
            )
            session.raise_for_status()
            tokens.append((account["did"], session.json()["accessJwt"]))
        start = time.perf_counter()
        for n in range(posts):
            did, token = tokens[n % len(tokens)]
            record = {"$type": POST, "text": text, "createdAt": _now(), "langs": ["en"]}
            response = http.post(
                "com.atproto.repo.createRecord",
                json={"repo": did, "collection": POST, "record": record},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()
        return posts / (time.perf_counter() - start)


def posts_landed(pds: Any, accounts: list[dict[str, Any]], draft_id: int) -> dict[str, int]:
    """How many of this run's shares are on the PDS (by their deterministic record keys)."""
    from advocacy.networks.bluesky.client import record_key_for
    from advocacy.sharing.models import Share

    expected = {
        record_key_for(key) for key in Share.objects.filter(draft_id=draft_id).values_list("idempotency_key", flat=True)
    }
    found = 0
    total = 0
    for account in accounts:
        for record in pds.list_posts(account["did"]):
            total += 1
            if record["uri"].rsplit("/", 1)[-1] in expected:
                found += 1
    return {"expected": len(expected), "found_on_pds": found, "records_on_pds": total}


def run(*, scale: Any, runs: int, policy_id: int) -> dict[str, Any]:
    from accounts.models import User
    from bench.celeryapp import app
    from bench.fanout import send_due, start_worker
    from bench.queues import redis_queues
    from tests.support.pds import running_pds

    raw, candor = Series(), Series()
    details: list[dict[str, Any]] = []
    author = User.objects.get(email="author@bench.candor.test")
    reviewer = User.objects.get(email="reviewer@bench.candor.test")
    with running_pds(workdir=VAR / "pds") as pds:
        log(f"  PDS at {pds.url}; creating {scale.bluesky_accounts} accounts")
        accounts = make_accounts(pds, count=scale.bluesky_accounts)
        draft_id = seed_candor(
            accounts=accounts, shares=scale.bluesky_shares, policy_id=policy_id, author=author, reviewer=reviewer
        )
        from advocacy.sharing.models import Share

        text = Share.objects.filter(draft_id=draft_id).values_list("text", flat=True).first() or "hello"
        raw_throughput(pds.url, accounts, posts=min(50, scale.bluesky_shares), text=text)  # warm-up
        for n in range(runs):
            # The PDS slows down as records pile up, and the machine's load drifts: the
            # baseline is measured on both sides of Candor's run and averaged.
            before = raw_throughput(pds.url, accounts, posts=scale.bluesky_shares // 2, text=text)
            worker = start_worker("advocacy", f"bluesky{n}")
            try:
                result = send_due(
                    app, worker, redis_queues(), draft_id=draft_id, timeout=max(300.0, scale.bluesky_shares)
                )
                result.pop("rss_at_checkpoint"), result.pop("rss_at_end"), result.pop("sent_at_checkpoint")
            finally:
                worker.stop()
            after = raw_throughput(pds.url, accounts, posts=scale.bluesky_shares // 2, text=text)
            raw.add((before + after) / 2)
            landed = posts_landed(pds, accounts, draft_id)
            candor.add(result["throughput"])
            details.append(
                {**result, **landed, "raw_creates_per_s_before_and_after": [round(before, 1), round(after, 1)]}
            )
            log(
                f"  run {n + 1}: raw createRecord {raw.values[-1]:.1f}/s; Candor {result['throughput']:.1f} sends/s "
                f"({result['seconds']:.1f} s), states {result['states']}, on PDS {landed['found_on_pds']}"
            )
    return {"raw": raw, "candor": candor, "runs": details}
