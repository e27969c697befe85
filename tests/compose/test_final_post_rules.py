"""One function decides what each network receives around the share's text."""

from hypothesis import given
from hypothesis import strategies as st

from advocacy.compose import LinkCard, final_post

LINK = "https://acme.example/jobs"
TEXT = "#employee · I work at Acme.\n\nWe're hiring"


def test_on_bluesky_a_missing_link_becomes_a_card_without_an_image():
    post = final_post(network="bluesky", text=TEXT, link=LINK)
    assert (post.text, post.link_card) == (TEXT, LinkCard(uri=LINK, title="acme.example"))


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
