"""Each post links its public page from the disclosure, where the network allows it
without cost to the reader; the disclosure stays first and readable without the link."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advocacy.compose import DisclosureLink, final_post, measure
from advocacy.core.errors import ValidationFailed
from advocacy.core.public_links import public_page_url
from advocacy.networks.bluesky.facets import build_facets
from advocacy.sharing.services import share_create
from tests.public.conftest import text_for
from tests.support.scenario import connect

DISCLOSURE = "#employee · I work at Acme."
PAGE = "https://candor.example/p/abcdefghjk"
TEXT = f"{DISCLOSURE}\n\nWe're hiring"


def test_on_bluesky_the_disclosure_words_link_to_the_page_and_the_text_is_unchanged():
    post = final_post(network="bluesky", text=TEXT, disclosure=DISCLOSURE, page_url=PAGE)
    assert post.text == TEXT
    start = len(b"#employee \xc2\xb7 ")
    assert post.disclosure_link == DisclosureLink(start, start + len(b"I work at Acme"), PAGE)
    assert TEXT.encode()[post.disclosure_link.byte_start : post.disclosure_link.byte_end] == b"I work at Acme"


def test_a_disclosure_of_only_a_tag_links_the_tag_instead_of_tagging_it():
    post = final_post(network="bluesky", text="#employee\n\nHi", disclosure="#employee", page_url=PAGE)
    facets = build_facets(post.text, links=((post.disclosure_link.byte_start, post.disclosure_link.byte_end, PAGE),))
    assert facets == [
        {"index": {"byteStart": 0, "byteEnd": 9}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": PAGE}]}
    ]


@pytest.mark.parametrize("network", ["mastodon", "linkedin", "x"])
def test_elsewhere_the_page_link_joins_the_disclosure_line_and_counts_in_the_length(network):
    post = final_post(network=network, text=TEXT, disclosure=DISCLOSURE, page_url=PAGE)
    assert post.text == f"{DISCLOSURE} {PAGE}\n\nWe're hiring"
    assert post.disclosure_line == f"{DISCLOSURE} {PAGE}"
    assert measure(network=network, text=post.text).count > measure(network=network, text=TEXT).count


def test_a_text_that_does_not_start_with_the_disclosure_gets_no_link():
    text = f"Hello\n{DISCLOSURE}"
    for network in ("bluesky", "mastodon"):
        post = final_post(network=network, text=text, disclosure=DISCLOSURE, page_url=PAGE)
        assert (post.text, post.disclosure_line, post.disclosure_link) == (text, "", None)


@given(
    network=st.sampled_from(["bluesky", "mastodon", "x", "linkedin"]),
    body=st.text(),
    page=st.sampled_from(["", PAGE]),
)
def test_building_again_from_a_final_text_with_the_page_link_changes_nothing(network, body, page):
    once = final_post(network=network, text=f"{DISCLOSURE}\n{body}", disclosure=DISCLOSURE, page_url=page)
    again = final_post(network=network, text=once.text, disclosure=DISCLOSURE, page_url=page)
    assert (again.text, again.disclosure_line) == (once.text, once.disclosure_line)


@pytest.mark.django_db
def test_mastodon_and_linkedin_receive_the_page_address_in_the_disclosure_line(send_share, networks):
    for network in ("mastodon", "linkedin"):
        share = send_share(network)
        [post] = networks[network].posts
        first_line = post.text.split("\n")[0]
        assert first_line == f"{share.disclosure} {public_page_url(public_id=share.public_id)}"


@pytest.mark.django_db
def test_x_posts_carry_no_page_link_unless_the_organisation_enables_it(send_share, networks, settings):
    share = send_share("x")
    assert networks["x"].posts[0].text == share.text
    settings.CANDOR_PUBLIC_PAGE_LINK_ON_X = True
    share = send_share("x", text=text_for("Second post."))
    assert networks["x"].posts[1].text.startswith(f"{share.disclosure} {public_page_url(public_id=share.public_id)}\n")


@pytest.mark.django_db
def test_a_share_that_fits_only_without_the_page_link_is_refused_with_the_length_rule(enrolled, published, networks):
    account = connect(enrolled, handle="emma.social", network="mastodon")
    disclosure_and_gap = len(text_for(""))
    # 500 characters on Mastodon without the link; the link adds a space and 23.
    text = text_for("a" * (500 - disclosure_and_gap))
    with pytest.raises(ValidationFailed) as refused:
        share_create(employee=enrolled, draft_id=published.pk, account_id=account.pk, text=text)
    assert refused.value.code == "too_long"
