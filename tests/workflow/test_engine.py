"""The posting engine against an in-memory network: every post goes out once, never
lost and never doubled, and every failure reaches the person it concerns."""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect

import pytest
from django.db import connection

from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.drafts.services import draft_retire
from advocacy.ledger.models import AccountEvent, ConnectedAccount
from advocacy.ledger.services import account_disconnect
from advocacy.networks.base import (
    AuthError,
    NetworkClient,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    TransientError,
)
from advocacy.notifications.models import Notification
from advocacy.program.services import enrollment_leave, policy_publish
from advocacy.sharing import engine
from advocacy.sharing.engine import dispatch, leases
from advocacy.sharing.limits import ACCOUNT_POST_BUDGET, MAX_ATTEMPTS
from advocacy.sharing.models import Share
from tests.support.fake_network import FakeNetwork, Landed, WorkerKilled

pytestmark = pytest.mark.django_db

State = Share.State
LEASE_SECONDS = leases.LEASE.total_seconds()
QUEUE_SECONDS = dispatch.QUEUE_TIMEOUT.total_seconds()


def claim(*shares: Share) -> None:
    """The dispatcher claims the due shares; their send tasks are not run (the test
    plays the worker by calling ``share_send`` itself)."""
    claimed = engine.dispatch_due()
    assert {s.pk for s in shares} <= set(claimed)


def send(share: Share) -> Share:
    engine.share_send(share_id=share.pk)
    share.refresh_from_db()
    return share


def retry_when_due(share: Share, clock) -> Share:
    """Let time run to the share's next attempt, dispatch, and send it again."""
    clock.now = max(clock.now, share.next_attempt_at)
    claim(share)
    return send(share)


def notes(user, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=kind))


def audit(share: Share) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="sharing.share", target_id=str(share.pk)).values_list("action", flat=True)
    )


@pytest.fixture
def on_network(enrolled, connect, make_share):
    """A share due now on Emma's account on the given network."""

    def make(network: str) -> Share:
        if network == "bluesky":
            return make_share()
        account = connect(enrolled, network=network, handle=f"emma-{network}", service_url=f"https://{network}.example")
        return make_share(on=account)

    return make


# --- dispatching -----------------------------------------------------------------------------


def test_dispatch_claims_only_due_shares_and_a_second_dispatch_claims_none(make_share, clock):
    due = make_share()
    later = make_share(scheduled_at=clock.now + dt.timedelta(hours=1))

    assert engine.dispatch_due() == [due.pk]
    assert engine.dispatch_due() == []

    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.state, due.claimed_at) == (State.SENDING, clock.now)
    assert later.state == State.SCHEDULED


def test_racing_dispatchers_claim_each_share_once(make_share, fake_network, django_capture_on_commit_callbacks):
    """The rival dispatcher runs in the gap between this one reading the due rows and
    claiming them: the conditional claim leaves each share to exactly one of them."""
    shares = [make_share() for _ in range(3)]
    rival: list[list[int]] = []

    def rival_claims_first(execute, sql, params, many, context):
        if not rival and sql.startswith('UPDATE "sharing_share"'):
            rival.append([])
            rival[0] = engine.dispatch_due()
        return execute(sql, params, many, context)

    with django_capture_on_commit_callbacks(execute=True), connection.execute_wrapper(rival_claims_first):
        mine = engine.dispatch_due()

    assert sorted(rival[0]) == sorted(s.pk for s in shares)
    assert mine == []
    assert sorted(post.idempotency_key for post in fake_network.posts) == sorted(s.idempotency_key for s in shares)


def test_a_share_due_now_goes_out_without_waiting_for_the_beat(
    make_share, fake_network, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        share = make_share()

    share.refresh_from_db()
    assert share.state == State.SENT
    assert len(fake_network.posts) == 1


# --- sending -----------------------------------------------------------------------------------


def test_send_marks_the_share_sent_with_the_networks_id_and_url(make_share, fake_network):
    share = make_share()
    claim(share)

    share = send(share)

    [post] = fake_network.posts
    assert share.state == State.SENT
    assert (share.external_id, share.external_url) == (post.external_id, post.url)
    assert share.sent_at is not None
    assert share.attempts == 1
    assert (post.text, post.idempotency_key, post.handle) == (share.text, share.idempotency_key, "emma.bsky.test")
    sent = AuditEvent.objects.get(action=AuditAction.SHARE_SENT)
    assert (sent.subject, sent.target_id) == (share.employee, str(share.pk))
    assert sent.payload["new"]["external_id"] == post.external_id
    assert sent.payload["new"]["tool"] == "candor"


def test_a_duplicate_delivery_of_the_send_task_posts_once(make_share, fake_network):
    share = make_share()
    claim(share)

    first = engine.share_send(share_id=share.pk)
    second = engine.share_send(share_id=share.pk)

    assert first.state == second.state == State.SENT
    assert len(fake_network.posts) == 1
    assert audit(share).count(AuditAction.SHARE_SENT) == 1


def test_a_duplicate_delivery_while_the_first_is_still_sending_does_nothing(make_share, fake_network):
    share = make_share()
    claim(share)
    duplicate = []
    fake_network.before_publish = lambda request: duplicate.append(engine.share_send(share_id=share.pk))

    share = send(share)

    assert share.state == State.SENT
    assert duplicate[0].state == State.SENDING
    assert "not claimable" in duplicate[0].detail
    assert len(fake_network.posts) == 1


# --- outcome unknown -----------------------------------------------------------------------------


@pytest.mark.parametrize("network", ["bluesky", "mastodon"])
def test_a_post_that_landed_but_whose_response_was_lost_is_reconciled_not_reposted(
    network, on_network, fake_networks, clock
):
    fake = fake_networks[network]
    share = on_network(network)
    fake.script_publish(Landed(OutcomeUnknown("The network timed out.")))
    claim(share)

    share = send(share)
    assert (share.state, share.last_error_code) == (State.SCHEDULED, engine.OUTCOME_UNKNOWN)
    share = retry_when_due(share, clock)

    [post] = fake.posts
    assert share.state == State.SENT
    assert (share.external_id, share.external_url) == (post.external_id, post.url)
    assert fake.count("find_existing") == 1
    assert audit(share)[-1] == AuditAction.SHARE_RECONCILED


def test_a_post_that_did_not_land_is_posted_on_the_next_attempt(make_share, fake_network, clock):
    share = make_share()
    fake_network.script_publish(OutcomeUnknown("The network timed out."))
    claim(share)

    share = retry_when_due(send(share), clock)

    assert share.state == State.SENT
    assert len(fake_network.posts) == 1
    assert fake_network.count("find_existing") == 1
    assert audit(share)[-1] == AuditAction.SHARE_SENT


@pytest.mark.parametrize("network", ["x", "linkedin"])
def test_an_unknown_outcome_on_a_network_that_cannot_reconcile_asks_the_employee_and_never_reposts(
    network, on_network, fake_networks, enrolled, clock, django_capture_on_commit_callbacks, mailoutbox
):
    fake = fake_networks[network]
    share = on_network(network)
    fake.script_publish(Landed(OutcomeUnknown("The network timed out.")))
    claim(share)

    with django_capture_on_commit_callbacks(execute=True):
        share = retry_when_due(send(share), clock)

    assert share.state == State.UNKNOWN
    assert "it was not re-posted" in share.last_error
    assert fake.lookups == [(share.idempotency_key, share.text)]  # it asked before giving up
    [note] = notes(enrolled, Notification.Kind.SHARE_UNKNOWN)
    assert note.link == f"/shares/{share.pk}/"
    assert [m.subject for m in mailoutbox] == ["[Candor] Please check one of your posts"]
    assert audit(share)[-1] == AuditAction.SHARE_UNKNOWN
    clock.advance(hours=2)
    assert engine.dispatch_due() == []
    assert engine.recover_stale() == []
    assert engine.share_send(share_id=share.pk).state == State.UNKNOWN
    assert len(fake.posts) == 1
    assert fake.count("publish") == 1


def test_when_the_lookup_itself_is_in_doubt_the_share_is_unknown_not_reposted(make_share, fake_network, clock):
    share = make_share()
    fake_network.script_publish(Landed(OutcomeUnknown("timeout")))
    fake_network.script_find_existing(OutcomeUnknown("The lookup timed out as well."))
    claim(share)

    share = retry_when_due(send(share), clock)

    assert share.state == State.UNKNOWN
    assert len(fake_network.posts) == 1
    assert fake_network.count("publish") == 1


def test_a_lookup_that_fails_briefly_is_retried_as_a_lookup_not_as_a_new_post(make_share, fake_network, clock):
    """The post landed, the response was lost, and then the network was briefly down
    while Candor asked about it: the attempt after that must still ask first."""
    share = make_share()
    fake_network.script_publish(Landed(OutcomeUnknown("timeout")))
    fake_network.script_find_existing(TransientError("502 Bad Gateway", status=502))
    claim(share)
    share = retry_when_due(send(share), clock)
    assert share.state == State.SCHEDULED

    share = retry_when_due(share, clock)

    assert share.state == State.SENT
    assert len(fake_network.posts) == 1
    assert share.external_id == fake_network.posts[0].external_id
    assert fake_network.count("find_existing") == 2


# --- retries and rate limits -----------------------------------------------------------------


def test_rate_limited_waits_at_least_as_long_as_the_network_asked(make_share, fake_network, clock):
    share = make_share()
    fake_network.script_publish(RateLimited("Too many requests.", status=429, retry_after=600))
    claim(share)

    share = send(share)

    assert share.state == State.SCHEDULED
    assert share.last_error_code == "rate_limited"
    assert share.next_attempt_at >= clock.now + dt.timedelta(seconds=600)
    assert engine.dispatch_due(now=clock.now + dt.timedelta(seconds=599)) == []
    assert retry_when_due(share, clock).state == State.SENT
    assert len(fake_network.posts) == 1


def test_a_transient_error_never_marks_the_account_as_needing_reconnect(
    make_share, fake_network, account, enrolled, clock, django_capture_on_commit_callbacks, mailoutbox
):
    share = make_share()
    fake_network.script_publish(TransientError("502 Bad Gateway", status=502), TransientError("Connection reset"))
    claim(share)

    with django_capture_on_commit_callbacks(execute=True):
        share = send(share)
        assert (share.state, share.last_error_code) == (State.SCHEDULED, "transient")
        share = retry_when_due(share, clock)
        assert share.state == State.SCHEDULED
        share = retry_when_due(share, clock)

    assert share.state == State.SENT
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.NEEDS_RECONNECT).exists()
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_transient_errors_give_up_after_the_last_attempt_and_say_so(
    make_share, fake_network, account, enrolled, clock, settings
):
    # Eight backoffs can add up to more than an hour; keep the share from turning late.
    settings.CANDOR_MAX_LATENESS_MINUTES = 24 * 60
    share = make_share()
    fake_network.script_publish(*[TransientError("503 Service Unavailable")] * MAX_ATTEMPTS)
    claim(share)
    share = send(share)

    while share.state == State.SCHEDULED:
        share = retry_when_due(share, clock)

    assert share.state == State.FAILED
    assert share.last_error == f"Gave up after {MAX_ATTEMPTS} attempts: 503 Service Unavailable"
    assert len(notes(enrolled, Notification.Kind.SHARE_FAILED)) == 1
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE


def test_the_account_budget_defers_a_share_instead_of_failing_it(make_share, fake_network, clock, monkeypatch):
    monkeypatch.setitem(ACCOUNT_POST_BUDGET, "bluesky", (1, dt.timedelta(minutes=15)))
    first, second = make_share(), make_share()
    claim(first, second)

    first, second = send(first), send(second)

    assert first.state == State.SENT
    assert (second.state, second.last_error_code) == (State.SCHEDULED, "account_budget")
    assert second.next_attempt_at == first.sent_at + dt.timedelta(minutes=15)
    assert second.attempts == 0  # waiting for the budget is not a failed attempt
    assert len(fake_network.posts) == 1
    clock.now = second.next_attempt_at + dt.timedelta(seconds=1)
    claim(second)
    assert send(second).state == State.SENT
    assert len(fake_network.posts) == 2


# --- credential and permanent failures ---------------------------------------------------------


def reconnect_mails(mailoutbox) -> list[str]:
    return [m.subject for m in mailoutbox if m.subject.startswith("[Candor] Reconnect")]


def test_an_auth_error_fails_the_share_and_asks_for_a_reconnect_once(
    make_share, fake_network, account, enrolled, django_capture_on_commit_callbacks, mailoutbox
):
    """Two shares on the same account are in flight when the token dies: both fail,
    but the owner gets one reconnect email, not two."""
    first, second = make_share(), make_share()
    claim(first, second)
    fake_network.script_publish(AuthError("Token revoked by the user."), AuthError("Token revoked by the user."))
    fake_network.before_publish = lambda request: engine.share_send(share_id=second.pk)

    with django_capture_on_commit_callbacks(execute=True):
        first = send(first)

    second.refresh_from_db()
    assert first.state == second.state == State.FAILED
    assert first.last_error_code == "auth"
    assert "Token revoked by the user." in first.last_error
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.NEEDS_RECONNECT
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.NEEDS_RECONNECT).count() == 1
    assert len(notes(enrolled, Notification.Kind.RECONNECT_NEEDED)) == 1
    assert reconnect_mails(mailoutbox) == ["[Candor] Reconnect Bluesky emma.bsky.test"]
    assert fake_network.posts == []


def test_a_share_claimed_after_the_token_died_is_cancelled_without_another_reconnect_email(
    make_share, fake_network, account, enrolled, clock, django_capture_on_commit_callbacks, mailoutbox
):
    first = make_share()
    second = make_share(scheduled_at=clock.now + dt.timedelta(minutes=5))
    claim(first)
    fake_network.script_publish(AuthError("Token expired."))
    with django_capture_on_commit_callbacks(execute=True):
        send(first)
    clock.advance(minutes=5)
    claim(second)

    with django_capture_on_commit_callbacks(execute=True):
        second = send(second)

    assert second.state == State.CANCELLED
    assert second.cancelled_reason == "The account needs reconnecting, so the post was not sent."
    assert reconnect_mails(mailoutbox) == ["[Candor] Reconnect Bluesky emma.bsky.test"]
    assert fake_network.count("publish") == 1


def test_after_a_reconnect_a_new_credential_failure_is_reported_again(
    make_share, fake_network, account, enrolled, connect, django_capture_on_commit_callbacks, mailoutbox
):
    first = make_share()
    claim(first)
    fake_network.script_publish(AuthError("Token expired."))
    with django_capture_on_commit_callbacks(execute=True):
        send(first)

    connect(enrolled, credentials={"access_token": "fresh"})  # the owner reconnects
    second = make_share()
    claim(second)
    fake_network.script_publish(AuthError("Token revoked again."))
    with django_capture_on_commit_callbacks(execute=True):
        send(second)

    assert len(reconnect_mails(mailoutbox)) == 2
    assert len(notes(enrolled, Notification.Kind.RECONNECT_NEEDED)) == 2


def test_a_permanent_error_fails_the_share_with_the_networks_words(
    make_share, fake_network, account, enrolled, django_capture_on_commit_callbacks, mailoutbox
):
    share = make_share()
    claim(share)
    fake_network.script_publish(PermanentError("Record/text must not be longer than 300 graphemes", status=400))

    with django_capture_on_commit_callbacks(execute=True):
        share = send(share)

    assert (share.state, share.last_error_code) == (State.FAILED, "refused")
    assert share.last_error == "Record/text must not be longer than 300 graphemes"
    [note] = notes(enrolled, Notification.Kind.SHARE_FAILED)
    assert "Record/text must not be longer than 300 graphemes" in note.body
    assert note.link == f"/shares/{share.pk}/"
    [mail] = mailoutbox
    assert mail.subject == "[Candor] Your post to Bluesky emma.bsky.test failed"
    assert f"/shares/{share.pk}/" in mail.body
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.ACTIVE
    assert fake_network.count("publish") == 1


# --- things that change between scheduling and sending -----------------------------------------


def _opt_out(*, enrolled, account, draft, author, admin_user):
    enrollment_leave(user=enrolled)


def _new_policy(*, enrolled, account, draft, author, admin_user):
    policy_publish(actor=admin_user, texts={"en": {"title": "Policy v2", "body": "New rules."}})


def _disconnect(*, enrolled, account, draft, author, admin_user):
    account_disconnect(actor=enrolled, account_id=account.pk)


def _retire(*, enrolled, account, draft, author, admin_user):
    draft_retire(actor=author, draft_id=draft.pk)


CHANGES = [
    (_opt_out, "You are no longer taking part in the programme"),
    (_new_policy, "the policy changed and needs your consent"),
    (_disconnect, "The account was disconnected, so the post was not sent."),
    (_retire, "The comms team withdrew this post."),
]


@pytest.mark.parametrize(("change", "reason"), CHANGES, ids=[fn.__name__.strip("_") for fn, _ in CHANGES])
def test_a_share_is_cancelled_not_posted_when_things_changed_after_it_was_claimed(
    change, reason, make_share, fake_network, enrolled, account, published_draft, author, admin_user
):
    share = make_share()
    claim(share)  # already past the point where leaving or retiring cancels it directly
    change(enrolled=enrolled, account=account, draft=published_draft, author=author, admin_user=admin_user)

    share = send(share)

    assert share.state == State.CANCELLED
    assert reason in share.cancelled_reason
    assert fake_network.count("publish") == 0
    [note] = notes(enrolled, Notification.Kind.SHARE_CANCELLED)
    assert reason in note.body
    assert audit(share)[-1] == AuditAction.SHARE_CANCELLED


def test_a_share_of_a_post_that_expired_meanwhile_is_cancelled(make_published_draft, make_share, fake_network, clock):
    draft = make_published_draft(expires_at=clock.now + dt.timedelta(minutes=30))
    share = make_share(draft=draft, scheduled_at=clock.now + dt.timedelta(minutes=29))
    clock.advance(minutes=29)
    claim(share)
    clock.advance(minutes=2)

    share = send(share)

    assert (share.state, share.cancelled_reason) == (State.CANCELLED, "This post has expired.")
    assert fake_network.posts == []


# --- late and stuck shares ---------------------------------------------------------------------


def test_a_share_found_too_late_is_marked_missed_and_the_employee_told(
    make_share, fake_network, enrolled, clock, settings, django_capture_on_commit_callbacks, mailoutbox
):
    share = make_share()
    clock.advance(minutes=settings.CANDOR_MAX_LATENESS_MINUTES + 1)  # the workers were down

    with django_capture_on_commit_callbacks(execute=True):
        assert engine.dispatch_due() == []

    share.refresh_from_db()
    assert (share.state, share.last_error_code) == (State.MISSED, "missed")
    [note] = notes(enrolled, Notification.Kind.SHARE_MISSED)
    assert "did not post it late" in note.body
    assert [m.subject for m in mailoutbox] == ["[Candor] Your post was not sent: it was too late"]
    assert fake_network.count("publish") == 0


def test_a_share_just_inside_the_lateness_limit_still_goes_out(make_share, fake_network, clock, settings):
    share = make_share()
    clock.advance(minutes=settings.CANDOR_MAX_LATENESS_MINUTES - 1)
    claim(share)

    assert send(share).state == State.SENT


def test_a_claimed_share_picked_up_too_late_is_missed(make_share, fake_network, enrolled, clock, settings):
    share = make_share()
    claim(share)
    clock.advance(minutes=settings.CANDOR_MAX_LATENESS_MINUTES + 1)  # the queue was stuck

    share = send(share)

    assert share.state == State.MISSED
    assert len(notes(enrolled, Notification.Kind.SHARE_MISSED)) == 1
    assert fake_network.count("publish") == 0


def test_a_share_whose_worker_died_mid_send_is_recovered_and_reconciled(make_share, fake_network, clock):
    share = make_share()
    claim(share)
    fake_network.script_publish(Landed(WorkerKilled()))
    with pytest.raises(WorkerKilled):
        engine.share_send(share_id=share.pk)
    share.refresh_from_db()
    assert share.state == State.SENDING

    assert engine.recover_stale() == []  # the lease still holds: the worker may be alive
    clock.advance(seconds=LEASE_SECONDS + 1)
    assert engine.recover_stale() == [share.pk]

    share.refresh_from_db()
    assert share.state == State.SENT
    assert len(fake_network.posts) == 1
    assert share.external_id == fake_network.posts[0].external_id
    assert audit(share)[-1] == AuditAction.SHARE_RECONCILED


def test_a_send_task_redelivered_after_the_worker_died_reconciles_instead_of_reposting(make_share, fake_network, clock):
    """With acks_late the broker delivers the task again once the dead worker's
    message times out; that can happen before the stale-share sweep has looked."""
    share = make_share()
    claim(share)
    fake_network.script_publish(Landed(WorkerKilled()))
    with pytest.raises(WorkerKilled):
        engine.share_send(share_id=share.pk)
    clock.advance(seconds=LEASE_SECONDS + 1)

    share = send(share)

    assert share.state == State.SENT
    assert len(fake_network.posts) == 1


def test_a_claimed_share_whose_task_was_lost_is_sent_by_the_recovery(make_share, fake_network, clock):
    share = make_share()
    claim(share)  # the send task never reaches a worker
    clock.advance(seconds=QUEUE_SECONDS - 1)
    assert engine.recover_stale() == []  # it may still be waiting in a busy queue
    clock.advance(seconds=2)

    assert engine.recover_stale() == [share.pk]

    share.refresh_from_db()
    assert share.state == State.SENT
    assert len(fake_network.posts) == 1


def test_a_retry_in_doubt_whose_task_was_lost_still_reconciles_first(make_share, fake_network, clock):
    share = make_share()
    fake_network.script_publish(Landed(OutcomeUnknown("timeout")))
    claim(share)
    share = send(share)
    clock.now = share.next_attempt_at
    claim(share)  # the retry is claimed but its task is lost
    clock.advance(seconds=QUEUE_SECONDS + 1)

    assert engine.recover_stale() == [share.pk]

    share.refresh_from_db()
    assert share.state == State.SENT
    assert len(fake_network.posts) == 1


def test_a_share_whose_sending_keeps_crashing_is_given_up_and_the_employee_told(
    make_share, fake_network, enrolled, clock
):
    """A bug or a hung call kills every attempt mid-send: the share must not be
    re-enqueued forever with nobody told."""
    share = make_share()
    claim(share)
    fake_network.script_publish(*[RuntimeError("bug in the plug-in")] * (MAX_ATTEMPTS + 5))
    with pytest.raises(RuntimeError):
        engine.share_send(share_id=share.pk)

    for _ in range(MAX_ATTEMPTS + 3):
        clock.advance(seconds=LEASE_SECONDS + 1)
        with contextlib.suppress(RuntimeError):
            engine.recover_stale()

    share.refresh_from_db()
    assert share.state == State.UNKNOWN
    assert fake_network.count("publish") == MAX_ATTEMPTS
    assert len(notes(enrolled, Notification.Kind.SHARE_UNKNOWN)) == 1


def test_the_fake_network_offers_exactly_the_plug_in_interface():
    """If base.NetworkClient changes, the fake must follow, or these tests prove nothing."""

    def shape(cls, name):
        return [(p.name, p.kind, p.default) for p in inspect.signature(getattr(cls, name)).parameters.values()]

    methods = {name for name in vars(NetworkClient) if not name.startswith("_")}
    assert methods == {"verify", "publish", "find_existing", "delete", "revoke"}
    for name in methods:
        assert shape(FakeNetwork, name) == shape(NetworkClient, name), name
    assert isinstance(FakeNetwork().key, str) and FakeNetwork().display_name == "Bluesky"


def test_why_a_share_was_not_sent_reads_in_the_employees_language(client, make_share, fake_network, enrolled, account):
    share = make_share()
    claim(share)  # past the point where disconnecting cancels it directly: the engine says why
    account_disconnect(actor=enrolled, account_id=account.pk)
    enrolled.language = "it"
    enrolled.save(update_fields=["language"])

    send(share)
    client.force_login(enrolled)
    page = client.get(f"/shares/{share.pk}/", HTTP_ACCEPT_LANGUAGE="it").content.decode()

    assert "L&#x27;account è stato scollegato, quindi il post non è stato inviato." in page
    (notice,) = Notification.objects.filter(user=enrolled, kind=Notification.Kind.SHARE_CANCELLED)
    assert notice.body == "L'account è stato scollegato, quindi il post non è stato inviato."
