"""One function decides what each network receives around the share's text."""

from hypothesis import given
from hypothesis import strategies as st

from advocacy.compose import LinkCard, final_post

LINK = "https://acme.example/jobs"
TEXT = "#employee · I work at Acme.\n\nWe're hiring"


def test_on_bluesky_a_missing_link_becomes_a_card_without_an_image():
    post = final_post(network="bluesky", text=TEXT, link=LINK)
    assert (post.text, post.link_card) == (TEXT, LinkCard(uri=LINK, title="acme.example"))


def test_on_bluesky_the_card_read_from_the_page_is_the_card_posted():
    read = LinkCard(uri=LINK, title="Robot tamers wanted", description="Join us", thumb_url="/link-cards/1/thumb.jpg")
    assert final_post(network="bluesky", text=TEXT, link=LINK, card=read).link_card == read


def test_a_card_read_for_another_address_or_without_a_title_falls_back_to_the_host():
    other = LinkCard(uri="https://else.example/", title="Elsewhere", description="Not this page")
    untitled = LinkCard(uri=LINK, title="", description="Only a description")
    assert final_post(network="bluesky", text=TEXT, link=LINK, card=other).link_card == LinkCard(
        uri=LINK, title="acme.example"
    )
    assert final_post(network="bluesky", text=TEXT, link=LINK, card=untitled).link_card == LinkCard(
        uri=LINK, title="acme.example", description="Only a description"
    )


def test_a_read_card_goes_nowhere_a_card_is_not_sent():
    read = LinkCard(uri=LINK, title="Robot tamers wanted")
    assert final_post(network="bluesky", text=TEXT, link=LINK, has_image=True, card=read).link_card is None
    assert final_post(network="mastodon", text=TEXT, link=LINK, card=read).link_card is None


def test_on_bluesky_a_missing_link_joins_the_text_when_there_is_an_image():
    post = final_post(network="bluesky", text=TEXT, link=LINK, has_image=True, image_alt="Our team")
    assert (post.text, post.link_card, post.image_alt) == (f"{TEXT}\n\n{LINK}", None, "Our team")


def test_a_link_already_in_the_text_is_not_added_again():
    assert final_post(network="bluesky", text=f"{TEXT} {LINK}", link=LINK, has_image=True).text == f"{TEXT} {LINK}"


def test_other_networks_post_the_text_as_it_is():
    for network in ("mastodon", "x", "linkedin"):
        post = final_post(network=network, text=TEXT, link=LINK, has_image=True)
        assert (post.text, post.link_card) == (TEXT, None)


@given(
    network=st.sampled_from(["bluesky", "mastodon", "x", "linkedin"]),
    text=st.text(),
    link=st.sampled_from(["", LINK, "https://b.example/x?y=1"]),
    has_image=st.booleans(),
)
def test_building_from_a_final_text_changes_nothing(network, text, link, has_image):
    """The engine builds the post and the client builds it again from its text."""
    once = final_post(network=network, text=text, link=link, has_image=has_image)
    assert final_post(network=network, text=once.text, link=link, has_image=has_image).text == once.text
