"""The comms draft composer: a variant of the text for every network, each with the
network's live counter and the employee's preview; the network's post uses its
variant, disclosure first; and editing a variant after approval needs approval again."""

from __future__ import annotations

import html

import pytest

from advocacy.drafts.content import final_text
from advocacy.drafts.models import Draft
from advocacy.networks.registry import NETWORKS
from advocacy.sharing import engine
from advocacy.sharing.models import Share
from tests.support.scenario import connect

pytestmark = pytest.mark.django_db

DISCLOSURE = "#employee · I work at Acme Robotics."
DRAFT = {
    "title": "Launch",
    "body": "Our new robot ships today, and the whole team is proud of it.",
    "language": "en",
    "networks": list(NETWORKS),
}
VARIANTS = {network: f"Written for {name}: the robot ships today." for network, name in NETWORKS.items()}


def _with_variants(**texts: str) -> dict[str, object]:
    return {**DRAFT, **{f"variant_{network}": text for network, text in texts.items()}}


def _page(response) -> str:
    return html.unescape(response.content.decode())


def test_the_form_offers_a_variant_for_every_network_of_the_registry(client, author):
    client.force_login(author)

    page = _page(client.get("/comms/drafts/new/"))

    for network, name in NETWORKS.items():
        assert f'name="variant_{network}"' in page
        assert f"Text for {name} (optional" in page
    assert 'data-testid="draft-preview"' in page


def test_variants_are_saved_for_every_network_and_shown_again_for_editing(client, author):
    client.force_login(author)

    response = client.post("/comms/drafts/new/", _with_variants(**VARIANTS))

    assert response.status_code == 302
    draft = Draft.objects.get()
    assert draft.working_version.variants == VARIANTS
    edit = _page(client.get(f"/comms/drafts/{draft.pk}/edit/"))
    assert all(text in edit for text in VARIANTS.values())


def test_a_variant_for_a_network_not_chosen_is_not_kept(client, author):
    client.force_login(author)

    client.post("/comms/drafts/new/", {**_with_variants(**VARIANTS), "networks": ["bluesky"]})

    assert Draft.objects.get().working_version.variants == {"bluesky": VARIANTS["bluesky"]}


def test_a_too_long_variant_is_refused_naming_the_network_and_its_limit(client, author):
    client.force_login(author)

    response = client.post("/comms/drafts/new/", _with_variants(bluesky="x" * 300))

    page = _page(response)
    assert response.status_code == 200
    assert "Too long for Bluesky" in page and "of 300 graphemes" in page
    # The refusal sits under the Bluesky variant, and the typed text is still there.
    assert page.index("Too long for Bluesky") > page.index('name="variant_bluesky"')
    assert "x" * 300 in page
    assert not Draft.objects.exists()


def test_the_live_preview_counts_each_network_with_its_own_variant(client, author):
    client.force_login(author)

    preview = _page(client.post("/comms/drafts/preview/", _with_variants(x="Short for X.", bluesky="b" * 300)))

    assert 'data-testid="final-text-x"' in preview
    assert "Short for X." in preview
    x_count = len(final_text(disclosure=DISCLOSURE, body="Short for X."))  # plain ASCII: 1 each
    bluesky_count = len(final_text(disclosure=DISCLOSURE, body="b" * 300))
    assert f'data-testid="counter-x">{x_count} / 280' in preview
    assert f'data-testid="counter-bluesky">{bluesky_count} / 300 graphemes' in preview
    assert "Too long for Bluesky" in preview
    # LinkedIn and Mastodon have no variant: they preview the main text.
    assert preview.count(DRAFT["body"]) == 2
    assert preview.count(f'<span class="disclosure">{DISCLOSURE}</span>') == 4


def test_a_half_filled_form_previews_without_an_error_page(client, author):
    client.force_login(author)

    response = client.post("/comms/drafts/preview/", {"body": "", "language": "klingon", "link": "not a link"})

    assert response.status_code == 200
    assert 'data-testid="counter-bluesky"' in response.content.decode()


def test_someone_outside_comms_cannot_use_the_composer_preview(client, employee):
    client.force_login(employee)

    assert client.post("/comms/drafts/preview/", DRAFT).status_code == 403


def _publish(client, author, reviewer, data: dict[str, object]) -> Draft:
    client.force_login(author)
    client.post("/comms/drafts/new/", data)
    draft = Draft.objects.get()
    client.post(f"/comms/drafts/{draft.pk}/submit/")
    client.force_login(reviewer)
    client.post(f"/comms/drafts/{draft.pk}/approve/")
    client.force_login(author)
    client.post(f"/comms/drafts/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.state == Draft.State.PUBLISHED
    return draft


def test_each_network_posts_its_own_variant_with_the_disclosure_first(client, author, reviewer, enrolled, networks):
    draft = _publish(client, author, reviewer, _with_variants(**VARIANTS))
    accounts = [connect(enrolled, handle=f"emma.{network}", network=network) for network in NETWORKS]
    client.force_login(enrolled)

    confirm = _page(client.get(f"/feed/{draft.pk}/share-as-is/"))
    client.post(f"/feed/{draft.pk}/share-as-is/", {"accounts": [a.pk for a in accounts]})
    assert len(engine.dispatch_due()) == len(NETWORKS)  # the worker's part, played here
    for share in Share.objects.all():
        engine.share_send(share_id=share.pk)

    assert all(text in confirm for text in VARIANTS.values())
    for network in NETWORKS:
        (post,) = networks[network].posts
        first_line, _, rest = post.text.partition("\n")
        assert first_line.startswith(DISCLOSURE)  # (followed by the public page's address on some networks)
        assert rest.strip() == VARIANTS[network]
    assert not Share.objects.filter(edited=True).exists()  # the approved variants are not edits


def test_the_composer_left_as_offered_gives_each_network_its_variant(client, author, reviewer, enrolled):
    draft = _publish(client, author, reviewer, _with_variants(x=VARIANTS["x"]))
    on_x, on_bluesky = connect(enrolled, handle="emma.x", network="x"), connect(enrolled, handle="emma.b")
    client.force_login(enrolled)
    offered = final_text(disclosure=DISCLOSURE, body=DRAFT["body"])

    preview = _page(client.post("/preview/", {"text": offered, "draft": draft.pk, "network": ["x", "bluesky"]}))
    client.post(f"/feed/{draft.pk}/share/", {"text": offered, "accounts": [on_x.pk, on_bluesky.pk], "when": "now"})

    assert VARIANTS["x"] in preview and DRAFT["body"] in preview
    texts = dict(Share.objects.values_list("network", "text"))
    assert texts == {"x": final_text(disclosure=DISCLOSURE, body=VARIANTS["x"]), "bluesky": offered}


def test_an_edit_in_the_composer_goes_to_every_network_and_is_marked_edited(client, author, reviewer, enrolled):
    draft = _publish(client, author, reviewer, _with_variants(x=VARIANTS["x"]))
    on_x = connect(enrolled, handle="emma.x", network="x")
    client.force_login(enrolled)
    mine = final_text(disclosure=DISCLOSURE, body="In my own words: the robot ships.")

    client.post(f"/feed/{draft.pk}/share/", {"text": mine, "accounts": [on_x.pk], "when": "now"})

    share = Share.objects.get()
    assert share.text == mine and share.edited


def test_editing_a_variant_after_approval_needs_approval_again(client, author, reviewer, enrolled):
    draft = _publish(client, author, reviewer, _with_variants(**VARIANTS))

    # The reviewer who approved it rewrites the X variant: it is their words now, so
    # they may not approve them (four eyes), and employees keep the approved text.
    client.force_login(reviewer)
    client.post(f"/comms/drafts/{draft.pk}/edit/", _with_variants(**{**VARIANTS, "x": "A new X text."}))
    draft.refresh_from_db()
    state_after_edit = draft.state
    client.post(f"/comms/drafts/{draft.pk}/submit/")
    refused = client.post(f"/comms/drafts/{draft.pk}/approve/", follow=True)
    draft.refresh_from_db()

    assert state_after_edit == Draft.State.DRAFT
    assert draft.working_version.variants["x"] == "A new X text."
    assert draft.published_version.variants["x"] == VARIANTS["x"]
    assert "Four eyes" in _page(refused)
    assert draft.state == Draft.State.IN_REVIEW
    connect(enrolled, handle="emma.x", network="x")
    client.force_login(enrolled)
    offered = _page(client.get(f"/feed/{draft.pk}/share-as-is/"))
    assert VARIANTS["x"] in offered and "A new X text." not in offered


def test_the_reviewer_sees_each_networks_post_as_employees_will_be_offered_it(client, author, reviewer):
    client.force_login(author)
    client.post("/comms/drafts/new/", _with_variants(x=VARIANTS["x"]))
    draft = Draft.objects.get()
    client.force_login(reviewer)

    page = _page(client.get(f"/comms/drafts/{draft.pk}/"))

    previews = page.split('data-testid="draft-previews"')[1]
    for network in NETWORKS:
        assert f'data-testid="counter-{network}"' in previews
    x_preview = previews.split('data-testid="final-text-x"')[1].split("</div>")[0]
    assert x_preview.index(DISCLOSURE) < x_preview.index(VARIANTS["x"])
    assert previews.count(DRAFT["body"]) == 3  # the networks without a variant
