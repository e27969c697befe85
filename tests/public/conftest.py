"""A post sent through Candor, ready for its public page: an enrolled employee, a
published draft, an account on the chosen network, and the engine having sent it."""

from __future__ import annotations

import pytest

from advocacy.program.selectors import disclosure_for
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create
from tests.support.scenario import connect


def text_for(body: str = "Robots sort parcels faster.", *, language: str = "en") -> str:
    return f"{disclosure_for(language=language)}\n\n{body}"


@pytest.fixture
def send_share(enrolled, published, networks):
    """Share the published draft on ``network`` and let the engine send it."""

    def send(network: str = "bluesky", *, text: str | None = None, user=None) -> Share:
        user = user or enrolled
        account = connect(user, handle=f"{user.pk}-{network}.test", network=network)
        share = share_create(employee=user, draft_id=published.pk, account_id=account.pk, text=text or text_for())
        assert share.pk in engine.dispatch_due()
        engine.share_send(share_id=share.pk)
        share.refresh_from_db()
        assert share.state == Share.State.SENT, share.last_error
        return share

    return send
