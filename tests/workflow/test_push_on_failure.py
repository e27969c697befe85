""" "Your share failed" reaches the person's devices that turned push on, in their
language, with the link to the share."""

from __future__ import annotations

import pytest
from django.conf import settings

from advocacy.networks.base import PermanentError
from tests.workflow.test_engine import claim, send
from tests.workflow.test_notification_language import speaks

pytestmark = pytest.mark.django_db


def test_a_failed_share_is_pushed_in_the_employees_language(
    client, make_share, fake_network, enrolled, push_service, django_capture_on_commit_callbacks
):
    speaks(enrolled, "it")
    push_service.subscribe(client, enrolled)
    share = make_share()
    claim(share)
    fake_network.script_publish(PermanentError("Record/text must not be longer than 300 graphemes", status=400))

    with django_capture_on_commit_callbacks(execute=True):
        send(share)

    [(_path, message)] = push_service.messages()
    assert message["title"].startswith("Il tuo post")
    assert message["url"] == f"{settings.CANDOR_SITE_URL}/shares/{share.pk}/"


def test_no_push_when_push_is_off(make_share, fake_network, enrolled, push_service, django_capture_on_commit_callbacks):
    share = make_share()
    claim(share)
    fake_network.script_publish(PermanentError("Too long", status=400))

    with django_capture_on_commit_callbacks(execute=True):
        send(share)

    assert push_service.received == []
