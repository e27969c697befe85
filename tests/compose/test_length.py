"""Length is counted the way each network counts it, on the final text."""

import sys
import time

import pytest

from advocacy.compose import BLUESKY_MAX_BYTES, NETWORK_LIMITS, compose_text, measure

URL_100 = "https://example.com/" + "a" * 80
FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, seven code points, 25 UTF-8 bytes
DISCLOSURE = "#employee · I work at Acme."


def test_limits():
    assert NETWORK_LIMITS == {"x": 280, "bluesky": 300, "mastodon": 500, "linkedin": 3000}
    assert BLUESKY_MAX_BYTES == 3000


# --- X ----------------------------------------------------------------------------------


def test_x_counts_a_long_url_as_23():
    assert len(URL_100) == 100
    report = measure(network="x", text=f"Read {URL_100}")
    assert (report.count, report.limit, report.unit, report.ok) == (5 + 23, 280, "weighted characters", True)


def test_x_counts_a_bare_domain_as_a_url():
    assert measure(network="x", text="example.com").count == 23


def test_x_counts_emoji_as_2_even_zwj_sequences():
    assert measure(network="x", text="😀").count == 2
    assert measure(network="x", text=FAMILY).count == 2


def test_x_counts_cjk_as_2():
    assert measure(network="x", text="日本語").count == 6
    assert measure(network="x", text="한국어").count == 6


def test_x_applies_nfc():
    assert measure(network="x", text="e\u0301").count == 1


def test_x_long_unbroken_text_is_measured_in_linear_time():
    # twitter-text alone needs minutes for this (its URL pattern is quadratic in run length).
    started = time.monotonic()
    report = measure(network="x", text="é" * 20_000 + "a.b")
    assert time.monotonic() - started < 30
    assert not report.ok
    assert report.count >= 20_000


def test_x_limit_and_message():
    assert measure(network="x", text="a" * 280).ok
    report = measure(network="x", text="a" * 291)
    assert not report.ok
    assert report.message == "Too long for X: 291 of 280 weighted characters"


def test_x_counts_the_disclosure_too():
    body = "a" * 260  # fits on its own, not once the disclosure leads
    assert measure(network="x", text=body).ok
    report = measure(network="x", text=compose_text(disclosure=DISCLOSURE, body=body))
    assert report.count == len(DISCLOSURE) + 2 + 260
    assert not report.ok


# --- Bluesky ---------------------------------------------------------------------------


def test_bluesky_counts_graphemes():
    report = measure(network="bluesky", text=f"Hi {FAMILY} e\u0301 🇩🇪")
    assert (report.count, report.unit) == (3 + 1 + 1 + 1 + 1 + 1, "graphemes")


def test_bluesky_300_graphemes():
    assert measure(network="bluesky", text="a" * 300).ok
    report = measure(network="bluesky", text="a" * 301)
    assert not report.ok
    assert report.message == "Too long for Bluesky: 301 of 300 graphemes"


def test_bluesky_byte_limit_when_graphemes_fit():
    text = FAMILY * 121  # 121 graphemes but 3,025 bytes
    report = measure(network="bluesky", text=text)
    assert (report.count, report.limit, report.unit, report.ok) == (3025, 3000, "bytes", False)
    assert report.message == "Too long for Bluesky: 3,025 of 3,000 bytes"
    assert measure(network="bluesky", text=FAMILY * 120).ok  # 3,000 bytes exactly


def test_bluesky_both_limits_broken():
    report = measure(network="bluesky", text=FAMILY * 301)
    assert (report.count, report.unit, report.ok) == (301, "graphemes", False)
    assert report.message == "Too long for Bluesky: 301 of 300 graphemes and 7,525 of 3,000 bytes"


# --- Mastodon --------------------------------------------------------------------------


def test_mastodon_counts_every_url_as_23():
    report = measure(network="mastodon", text=f"Read {URL_100} and http://x.io")
    assert (report.count, report.limit, report.unit) == (5 + 23 + 5 + 23, 500, "characters")


def test_mastodon_counts_a_url_without_protocol_in_full():
    assert measure(network="mastodon", text="example.com/jobs").count == 16


def test_mastodon_counts_only_the_username_of_a_remote_mention():
    assert measure(network="mastodon", text="Hi @alice@social.example.org!").count == len("Hi @alice!")
    assert measure(network="mastodon", text="Hi @alice").count == len("Hi @alice")


def test_mastodon_email_address_is_not_a_mention():
    assert measure(network="mastodon", text="bob@example.org").count == len("bob@example.org")


def test_mastodon_counts_graphemes():
    assert measure(network="mastodon", text=FAMILY).count == 1


def test_mastodon_default_limit():
    assert measure(network="mastodon", text="a" * 500).ok
    assert measure(network="mastodon", text="a" * 501).message == "Too long for Mastodon: 501 of 500 characters"


def test_mastodon_instance_limit():
    report = measure(network="mastodon", text="a" * 501, max_characters=5000)
    assert (report.limit, report.ok) == (5000, True)
    assert not measure(network="mastodon", text="a" * 400, max_characters=300).ok


def test_mastodon_blank_text_counts_nothing():
    assert measure(network="mastodon", text=" \n ").count == 0


# --- LinkedIn --------------------------------------------------------------------------


def test_linkedin_3000_characters():
    assert measure(network="linkedin", text="a" * 3000).ok
    report = measure(network="linkedin", text="a" * 3001)
    assert (report.count, report.unit, report.ok) == (3001, "characters", False)
    assert report.message == "Too long for LinkedIn: 3,001 of 3,000 characters"


def test_linkedin_counts_an_astral_emoji_as_two():
    assert measure(network="linkedin", text="😀").count == 2


def test_fits_message():
    assert measure(network="linkedin", text="Hello").message == "Fits LinkedIn: 5 of 3,000 characters"


# --- mistakes --------------------------------------------------------------------------


def test_unknown_network_names_the_allowed_ones():
    with pytest.raises(ValueError, match="bluesky, linkedin, mastodon, x"):
        measure(network="twitter", text="hi")


@pytest.mark.parametrize("network", ["x", "bluesky", "linkedin"])
def test_instance_limit_only_for_mastodon(network):
    with pytest.raises(ValueError, match="only to Mastodon"):
        measure(network=network, text="hi", max_characters=1000)


@pytest.mark.parametrize("bad", [0, -5, True])
def test_instance_limit_must_be_positive(bad):
    with pytest.raises(ValueError, match="positive"):
        measure(network="mastodon", text="hi", max_characters=bad)


@pytest.mark.parametrize("network", sorted(NETWORK_LIMITS))
def test_lone_surrogate_does_not_crash(network):
    assert measure(network=network, text="a\ud800b").count >= 3


def test_no_stand_in_pkg_resources_is_left_behind():
    module = sys.modules.get("pkg_resources")
    assert module is None or hasattr(module, "working_set")  # the real one, if anything
