"""Acceptance on the real Bluesky PDS: a corporate account connected in Candor; a post
made directly with the atproto SDK is found within one beat, audited and notified;
Candor's own posts are never flagged; a personal account is never read without its
owner's opt-in."""

from __future__ import annotations

import pytest
from atproto import Client, models

from accounts.models import Role
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.ledger.connect import account_connect_bluesky
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_connect
from advocacy.networks.bluesky.client import BlueskyClient
from advocacy.notifications.models import Notification
from advocacy.program.services import enrollment_opt_in
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from advocacy.watch import tasks
from advocacy.watch.models import OutsidePost
from tests.factories import UserFactory
from tests.public.conftest import text_for
from tests.support.pds import PdsServer

pytestmark = pytest.mark.django_db


def corporate_account(pds: PdsServer, custodian) -> tuple[ConnectedAccount, str, str]:
    handle, password, _did = pds.create_account("acme")
    identity = BlueskyClient().connect(
        handle=handle, app_password=pds.create_app_password(handle, password), service_url=pds.url
    )
    account = account_connect(
        actor=custodian, network="bluesky", identity=identity, ownership=ConnectedAccount.Ownership.CORPORATE
    )
    return account, handle, password


def post_directly(pds: PdsServer, handle: str, password: str, text: str) -> str:
    """What someone with the password does in the Bluesky app: post, bypassing Candor."""
    sdk = Client(base_url=pds.url)
    sdk.login(handle, password, fetch_bsky_profile=False)  # the bare PDS has no AppView
    did = sdk.com.atproto.server.get_session().did
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": sdk.get_current_time_iso()}
    data = models.ComAtprotoRepoCreateRecord.Data(repo=did, collection="app.bsky.feed.post", record=record)
    return sdk.com.atproto.repo.create_record(data).uri


def beat() -> None:
    """One beat of the watch, as Celery runs it (tasks are eager in tests)."""
    tasks.dispatch.delay()


@pytest.fixture
def custodian(admin_user, policy):
    enrollment_opt_in(user=admin_user, policy_version_id=policy.pk, accepted=True)
    return admin_user


def test_a_direct_post_on_a_corporate_account_is_found_audited_and_notified_and_candors_own_is_not(
    bluesky_pds, custodian, published, django_capture_on_commit_callbacks
):
    other_admin = UserFactory(role=Role.ADMIN, is_staff=True)
    account, handle, password = corporate_account(bluesky_pds, custodian)
    share = share_create(employee=custodian, draft_id=published.pk, account_id=account.pk, text=text_for())
    engine.dispatch_due()
    engine.share_send(share_id=share.pk)
    share.refresh_from_db()
    assert share.state == Share.State.SENT
    uri = post_directly(bluesky_pds, handle, password, "Senators are wrong about everything.")

    with django_capture_on_commit_callbacks(execute=True):
        beat()

    [found] = OutsidePost.objects.all()
    assert (found.external_id, found.account_id, found.text) == (
        uri,
        account.pk,
        "Senators are wrong about everything.",
    )
    assert found.posted_at is not None and len(found.text_digest) == 64
    event = AuditEvent.objects.get(action=AuditAction.OUTSIDE_POST_DETECTED)
    assert event.payload["new"]["external_id"] == uri
    for person in (custodian, other_admin):
        note = Notification.objects.get(user=person, kind=Notification.Kind.OUTSIDE_POST)
        assert note.link == f"/watch/posts/{found.pk}/"
    assert share.external_id not in set(OutsidePost.objects.values_list("external_id", flat=True))

    # The next beats find nothing new: nothing is recorded or told twice.
    account.watch.__class__.objects.filter(pk=account.watch.pk).update(next_check_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        beat()
    assert OutsidePost.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.OUTSIDE_POST).count() == 2


def test_a_personal_account_is_never_read_unless_its_owner_opted_in(
    bluesky_pds, enrolled, monkeypatch, django_capture_on_commit_callbacks
):
    handle, password, _did = bluesky_pds.create_account("emp")
    account = account_connect_bluesky(
        actor=enrolled,
        handle=handle,
        app_password=bluesky_pds.create_app_password(handle, password),
        service_url=bluesky_pds.url,
    )
    post_directly(bluesky_pds, handle, password, "My own weekend photos.")
    reads = []
    original = BlueskyClient.recent_posts
    monkeypatch.setattr(BlueskyClient, "recent_posts", lambda self, *a, **k: reads.append(1) or original(self, *a, **k))

    with django_capture_on_commit_callbacks(execute=True):
        beat()
    assert reads == [] and not OutsidePost.objects.exists()

    from advocacy.watch.services import account_watch_set

    account_watch_set(actor=enrolled, account_id=account.pk, watch=True)
    with django_capture_on_commit_callbacks(execute=True):
        beat()
    assert reads == [1]
    assert not OutsidePost.objects.exists()  # opting in never reaches back to older posts
    uri = post_directly(bluesky_pds, handle, password, "Another post, made after opting in.")
    account.watch.__class__.objects.filter(pk=account.watch.pk).update(next_check_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        beat()
    [found] = OutsidePost.objects.all()
    assert (found.external_id, found.text) == (uri, "")  # a personal account's text is never kept


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_running_one_beat_finds_the_direct_post(bluesky_pds, custodian, real_broker, artifacts_dir):
    from tests.support.worker import running_worker, wait_for

    account, handle, password = corporate_account(bluesky_pds, custodian)
    uri = post_directly(bluesky_pds, handle, password, "Posted from a phone, not from Candor.")

    with running_worker(log_dir=artifacts_dir / "workers") as worker:
        beat()  # what celery beat sends every CANDOR_WATCH_SECONDS
        found = wait_for(
            lambda: OutsidePost.objects.filter(account=account).first(),
            timeout=60,
            message=f"the worker to find the outside post; worker log:\n{worker.log()}",
        )

    assert found.external_id == uri
    assert Notification.objects.filter(user=custodian, kind=Notification.Kind.OUTSIDE_POST).exists()
