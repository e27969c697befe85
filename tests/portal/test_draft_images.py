"""Draft images are served only to those who may see them: nobody signed out, and an
unpublished draft's image only to the comms team and admins (a 404 for anyone else)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from advocacy.drafts import services as drafts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "orange").save(out, "PNG")
    return SimpleUploadedFile("robot.png", out.getvalue(), content_type="image/png")


def _draft_with_image(author):
    return drafts.draft_create(
        actor=author,
        title="Robots",
        content=drafts.DraftContent(
            body="Robots sort parcels faster.", networks=["bluesky"], image=_png(), image_alt="An orange square"
        ),
    )


def _url(draft) -> str:
    draft.refresh_from_db()
    return draft.working_version.image.url


def test_an_unpublished_draft_image_is_not_served_to_someone_signed_out(client, author):
    url = _url(_draft_with_image(author))

    response = client.get(url)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unpublished_draft_image_is_not_found_for_an_employee(client, author, employee):
    url = _url(_draft_with_image(author))
    client.force_login(employee)

    assert client.get(url).status_code == 404


def test_the_comms_team_sees_an_unpublished_draft_image(client, author, reviewer):
    url = _url(_draft_with_image(author))
    client.force_login(reviewer)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=300"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_a_published_draft_image_is_served_to_signed_in_staff_only(client, author, reviewer, employee):
    draft = _draft_with_image(author)
    drafts.draft_submit(actor=author, draft_id=draft.pk)
    drafts.draft_approve(actor=reviewer, draft_id=draft.pk)
    drafts.draft_publish(actor=author, draft_id=draft.pk)
    url = _url(draft)

    signed_out = client.get(url)
    client.force_login(employee)
    signed_in = client.get(url)
    drafts.draft_retire(actor=author, draft_id=draft.pk)
    retired = client.get(url)

    assert signed_out.status_code == 302
    assert signed_in.status_code == 200
    assert retired.status_code == 404


def test_other_media_paths_are_not_found(client, employee, tmp_path):
    (tmp_path / "secret.txt").write_text("not a draft image")
    client.force_login(employee)

    assert client.get("/media/secret.txt").status_code == 404
    assert client.get("/media/drafts/../secret.txt").status_code == 404
