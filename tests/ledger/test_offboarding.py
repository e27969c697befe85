"""Offboarding hands everything back: pending posts cancelled, access revoked at each
network, credentials deleted, company accounts to their successors, a receipt."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from accounts.models import User
from advocacy.audit.verify import audit_verify
from advocacy.core.errors import NotAllowed, ValidationFailed
from advocacy.ledger.custody import custody_transfer_accept, custody_transfer_start
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.ledger.offboarding import hand_back_due, hand_back_run, offboarding_start, user_deactivate
from advocacy.ledger.services import account_connect, account_reassign
from advocacy.networks import base as net
from advocacy.notifications.models import Notification
from advocacy.program.models import Enrollment
from advocacy.sharing.models import Share
from tests.support.scenario import connect, publish_draft

pytestmark = pytest.mark.django_db
TEXT = "#employee · I work at Acme Robotics.\n\nRobots sort parcels faster."


@pytest.fixture
def leaver(enrolled, author, reviewer, admin_user, django_capture_on_commit_callbacks):
    from advocacy.sharing.services import share_create

    personal = connect(enrolled, handle="emma.test")
    mastodon = connect(enrolled, handle="emma@social.example", network="mastodon")
    corporate = account_connect(
        actor=admin_user,
        network="x",
        ownership=ConnectedAccount.Ownership.CORPORATE,
        identity=net.ConnectedAccount(
            handle="acme_news",
            external_id="42",
            service_url="",
            credentials={"access_token": "planted-corporate-token"},
        ),
    )
    # Emma becomes its custodian the only way there is: a custody transfer she accepts,
    # then connecting it with her own credential.
    transfer = custody_transfer_start(actor=admin_user, account_id=corporate.pk, to_user_id=enrolled.pk)
    custody_transfer_accept(actor=enrolled, transfer_id=transfer.pk)
    account_connect(
        actor=enrolled,
        network="x",
        identity=net.ConnectedAccount(
            handle="acme_news", external_id="42", service_url="", credentials={"access_token": "emmas-corporate-token"}
        ),
    )
    draft = publish_draft(author, reviewer)
    later = timezone.now() + dt.timedelta(days=1)
    for account in (personal, mastodon):
        share_create(employee=enrolled, draft_id=draft.pk, account_id=account.pk, text=TEXT, scheduled_at=later)
    return enrolled


def test_a_successor_is_required_for_each_corporate_account(leaver, admin_user):
    with pytest.raises(ValidationFailed, match="Name a successor"):
        offboarding_start(actor=admin_user, user_id=leaver.pk)


def test_only_admins_offboard(leaver, other_employee):
    with pytest.raises(NotAllowed):
        offboarding_start(actor=other_employee, user_id=leaver.pk)


def test_full_hand_back_with_a_revoke_that_fails_then_succeeds(leaver, admin_user, other_employee, networks):
    corporate = ConnectedAccount.objects.get(network="x")
    networks["mastodon"].script_revoke(net.TransientError("Mastodon is down (503)"))

    case = offboarding_start(actor=admin_user, user_id=leaver.pk, successors={corporate.pk: other_employee.pk})
    case = hand_back_run(offboarding_id=case.pk)

    # Everything that needs no network is done at once.
    assert set(Share.objects.values_list("state", flat=True)) == {"cancelled"}
    assert Enrollment.objects.get(user=leaver).status == "left"
    # The failing network leaves its account pending, with the reason, and keeps its credential to retry.
    mastodon = ConnectedAccount.objects.get(network="mastodon")
    assert case.state == "revocation_pending"
    assert mastodon.status == "revocation_pending" and "503" in mastodon.status_detail
    assert mastodon.credentials_encrypted
    assert case.next_attempt_at > timezone.now()
    bluesky = ConnectedAccount.objects.get(network="bluesky")
    assert bluesky.status == "handed_back" and bluesky.credentials_encrypted == ""

    # Later the sweeper retries and the network answers.
    assert case.pk in hand_back_due(now=case.next_attempt_at + dt.timedelta(seconds=1))
    case = hand_back_run(offboarding_id=case.pk)

    assert case.state == "completed"
    accounts = {a.network: a for a in ConnectedAccount.objects.all()}
    assert accounts["mastodon"].status == "handed_back"
    assert accounts["x"].owner == other_employee and accounts["x"].status == "needs_reconnect"
    assert all(a.credentials_encrypted == "" for a in accounts.values())
    assert {handle for _, handle in networks["mastodon"].calls if _ == "revoke"} == {"emma@social.example"}
    receipt = case.receipt
    assert receipt["credentials_held"] == 0
    assert "keeps no credentials" in receipt["statement"]
    assert {a["handle"] for a in receipt["accounts"]} == {"emma.test", "emma@social.example", "acme_news"}
    assert audit_verify().ok


def test_each_person_told_about_a_hand_back_reads_it_in_their_own_language(
    leaver, admin_user, other_employee, networks, django_capture_on_commit_callbacks
):
    languages = {leaver.pk: "de", admin_user.pk: "it", other_employee.pk: "id"}
    for pk, language in languages.items():
        User.objects.filter(pk=pk).update(language=language)
    admin_user.refresh_from_db()
    corporate = ConnectedAccount.objects.get(network="x")

    with django_capture_on_commit_callbacks(execute=True):
        case = offboarding_start(actor=admin_user, user_id=leaver.pk, successors={corporate.pk: other_employee.pk})
        hand_back_run(offboarding_id=case.pk)

    done = dict(Notification.objects.filter(kind=Notification.Kind.OFFBOARDING).values_list("user_id", "title"))
    assert done == {leaver.pk: "Rückgabe abgeschlossen", admin_user.pk: "Restituzione completata"}
    [custody] = Notification.objects.filter(kind=Notification.Kind.CUSTODY, user=other_employee)
    assert custody.title == f"Anda sekarang penanggung jawab {corporate}"


def test_running_hand_back_twice_changes_nothing(leaver, admin_user, other_employee, networks):
    corporate = ConnectedAccount.objects.get(network="x")
    case = offboarding_start(actor=admin_user, user_id=leaver.pk, successors={corporate.pk: other_employee.pk})
    hand_back_run(offboarding_id=case.pk)
    before = list(ConnectedAccount.objects.order_by("pk").values())
    calls = sum(len(n.calls) for n in networks._networks.values())

    again = hand_back_run(offboarding_id=case.pk)

    assert again.state == "completed"
    assert list(ConnectedAccount.objects.order_by("pk").values()) == before
    assert sum(len(n.calls) for n in networks._networks.values()) == calls
    assert (
        offboarding_start(actor=admin_user, user_id=leaver.pk, successors={corporate.pk: other_employee.pk}).pk
        != case.pk
        or Offboarding.objects.count() == 1
    )


def test_a_deactivated_user_is_handed_back_by_the_sweeper(leaver, networks):
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])  # e.g. SSO deprovisioning, not through Candor

    started = hand_back_due()
    hand_back_run(offboarding_id=started[0])

    assert ConnectedAccount.objects.get(network="bluesky").status == "handed_back"
    assert Offboarding.objects.get().started_by is None


def test_admin_deactivation_offboards(leaver, admin_user, other_employee, networks):
    corporate = ConnectedAccount.objects.get(network="x")
    case = user_deactivate(actor=admin_user, user_id=leaver.pk, successors={corporate.pk: other_employee.pk})
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert case.user == leaver


def test_a_personal_account_can_never_be_reassigned(leaver, admin_user, other_employee):
    account = ConnectedAccount.objects.get(network="bluesky")
    with pytest.raises(NotAllowed, match="never be given to someone else"):
        account_reassign(actor=admin_user, account_id=account.pk, new_owner=other_employee)
    account.refresh_from_db()
    assert account.owner == leaver
    from advocacy.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="account.reassign_refused", target_id=str(account.pk)).exists()


def test_the_receipt_downloads_as_pdf_and_json(client, leaver, admin_user, other_employee, networks):
    corporate = ConnectedAccount.objects.get(network="x")
    case = offboarding_start(actor=admin_user, user_id=leaver.pk, successors={corporate.pk: other_employee.pk})
    hand_back_run(offboarding_id=case.pk)

    client.force_login(admin_user)
    pdf = client.get(f"/offboarding/{case.pk}/receipt.pdf")
    data = json.loads(client.get(f"/offboarding/{case.pk}/receipt.json").content)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert data["credentials_held"] == 0
    # The leaver is deactivated by the offboarding, so the portal no longer lets them in.
    client.force_login(leaver)
    assert client.get(f"/offboarding/{case.pk}/receipt.json").status_code == 302
    client.force_login(other_employee)
    assert client.get(f"/offboarding/{case.pk}/receipt.json").status_code == 404


def test_offboarding_in_the_browser_flow(
    client, leaver, admin_user, other_employee, networks, django_capture_on_commit_callbacks
):
    corporate = ConnectedAccount.objects.get(network="x")
    client.force_login(admin_user)
    form = client.get(f"/people/{leaver.pk}/offboard/").content.decode()
    assert "New custodian for" in form

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/people/{leaver.pk}/offboard/", {f"successor_{corporate.pk}": other_employee.pk, "reason": "Moving on"}
        )
    page = client.get(response["Location"]).content.decode()

    assert "Completed" in page and "Download receipt" in page
