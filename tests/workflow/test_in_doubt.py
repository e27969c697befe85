"""A share whose last attempt may have landed is "in doubt". Nothing may treat it as
not sent (cancel, edit, leave, lateness) until the engine has asked the network."""

import pytest

from advocacy.core.errors import Conflict
from advocacy.ledger.services import account_connect
from advocacy.networks.base import OutcomeUnknown
from advocacy.program.services import enrollment_leave
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_cancel, share_edit
from tests.support.fake_network import Landed
from tests.workflow.test_engine import claim, retry_when_due, send

pytestmark = pytest.mark.django_db
State = Share.State


@pytest.fixture
def in_doubt(make_share, fake_network, clock):
    """Posted on the network, but the response was lost."""
    share = make_share()
    fake_network.script_publish(Landed(OutcomeUnknown("The network timed out.")))
    claim(share)
    share = send(share)
    assert share.in_doubt and share.state == State.SCHEDULED
    return share


def test_it_cannot_be_cancelled_or_edited_while_in_doubt(in_doubt, enrolled):
    with pytest.raises(Conflict, match="checking whether an earlier attempt"):
        share_cancel(employee=enrolled, share_id=in_doubt.pk)
    with pytest.raises(Conflict, match="checking whether an earlier attempt"):
        share_edit(employee=enrolled, share_id=in_doubt.pk, text=in_doubt.text + " edited")
    in_doubt.refresh_from_db()
    assert in_doubt.state == State.SCHEDULED and in_doubt.in_doubt


def test_leaving_lets_the_engine_find_the_post_instead_of_calling_it_cancelled(in_doubt, enrolled, fake_network, clock):
    result = enrollment_leave(user=enrolled)
    assert result.cancelled_shares == 0

    share = retry_when_due(in_doubt, clock)

    assert share.state == State.SENT  # it was live all along: the status says so
    assert len(fake_network.posts) == 1


def test_leaving_cancels_it_once_the_network_says_it_never_landed(make_share, fake_network, enrolled, clock):
    share = make_share()
    fake_network.script_publish(OutcomeUnknown("timeout before anything was stored"))
    claim(share)
    share = send(share)
    enrollment_leave(user=enrolled)

    share = retry_when_due(share, clock)

    assert share.state == State.CANCELLED
    assert fake_network.posts == []


def test_a_late_share_in_doubt_is_reconciled_not_marked_missed(in_doubt, clock, fake_network):
    clock.advance(hours=5)

    engine.share_missed_sweep(now=clock.now)
    in_doubt.refresh_from_db()
    assert in_doubt.state == State.SCHEDULED
    share = retry_when_due(in_doubt, clock)

    assert share.state == State.SENT
    assert len(fake_network.posts) == 1


def test_a_reconnect_cannot_undo_a_hand_back_in_progress(account, enrolled):
    from advocacy.ledger.models import ConnectedAccount
    from advocacy.networks.base import ConnectedAccount as Identity

    ConnectedAccount.objects.filter(pk=account.pk).update(status=ConnectedAccount.Status.REVOCATION_PENDING)
    with pytest.raises(Conflict, match="being handed back"):
        account_connect(
            actor=enrolled,
            network=account.network,
            identity=Identity(
                handle=account.handle,
                external_id=account.external_id,
                service_url=account.service_url,
                credentials={"app_password": "new"},
            ),
        )
    account.refresh_from_db()
    assert account.status == ConnectedAccount.Status.REVOCATION_PENDING
