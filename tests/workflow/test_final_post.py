"""What was checked is what is posted: the disclosure stands alone on the first line,
nothing hidden anywhere in the text, and every network receives exactly the text the
share check measured and the share page showed."""

from __future__ import annotations

import pytest

from advocacy.core.errors import ValidationFailed
from advocacy.sharing.models import Share
from advocacy.sharing.services import share_create

pytestmark = pytest.mark.django_db

DISCLOSURE = "#employee · I work at Acme Robotics."
BODY = "Proud of the team: our new lab is open!"


@pytest.mark.parametrize("separator", [" ", "\x0b", "\x1c", "\x1f", "\x85", "\u2028"])
def test_a_share_with_text_on_the_disclosure_line_is_refused(enrolled, published_draft, account, separator):
    text = f"{DISCLOSURE}{separator}just kidding! {BODY}"

    with pytest.raises(ValidationFailed) as refused:
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=text)

    assert refused.value.code == "disclosure_not_alone"
    assert "stand alone on the first line" in refused.value.message
    assert not Share.objects.exists()


@pytest.mark.parametrize("hidden", ["\U000e0041", "\u3164", "\u115f", "\u200b", "\u202e"])
def test_a_share_with_hidden_characters_in_the_body_is_refused(enrolled, published_draft, account, hidden):
    text = f"{DISCLOSURE}\n\nProud of the team{hidden}: our new lab is open!"

    with pytest.raises(ValidationFailed) as refused:
        share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=text)

    assert refused.value.code == "hidden_in_text"
    assert "must not contain hidden characters" in refused.value.message


def test_a_share_with_an_emoji_family_and_a_flag_is_accepted(enrolled, published_draft, account):
    text = f"{DISCLOSURE}\n\nThe whole team 👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 🇮🇹 came!"

    share = share_create(employee=enrolled, draft_id=published_draft.pk, account_id=account.pk, text=text)

    assert share.text == text
