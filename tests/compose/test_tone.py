"""Tone flags inform a reviewer: mentions, and blocked terms however they are disguised."""

import pytest

from advocacy.compose.tone import BLOCKED_TERM, MENTION, tone_flags


def kinds(flags):
    return [flag.kind for flag in flags]


def test_clean_text_has_no_flags():
    assert tone_flags(text="#employee · I work at Acme.\n\nWe're hiring!", blocked_terms=["scam"]) == []


def test_mentions_are_listed():
    text = "Thanks @alice, @bob@mastodon.social and @carol.bsky.social! Thanks again @alice."
    [flag] = tone_flags(text=text, blocked_terms=[])
    assert flag.kind == MENTION
    assert flag.matches == ("@alice", "@bob@mastodon.social", "@carol.bsky.social")
    assert "3 accounts" in flag.reason
    assert "@bob@mastodon.social" in flag.reason


def test_email_addresses_and_url_paths_are_not_mentions():
    text = "Write to jobs@example.com or see https://example.social/@acme"
    assert tone_flags(text=text, blocked_terms=[]) == []


def test_disguised_mention_is_flagged():
    [flag] = tone_flags(text="Hi ＠dave and @e\u200bve", blocked_terms=[])
    assert flag.matches == ("@dave", "@eve")


def test_single_mention_reason():
    [flag] = tone_flags(text="cc @ceo", blocked_terms=[])
    assert flag.reason.startswith("Mentions 1 account: @ceo.")


@pytest.mark.parametrize(
    "text",
    [
        "This is not a scam.",
        "THIS IS NOT A SCAM",
        "not a ѕсаm",  # Cyrillic s, c, a
        "not a s\u200bcam",  # zero-width space
        "not a ｓｃａｍ",  # full-width
        "not a 𝐬𝐜𝐚𝐦",  # mathematical bold
        "not a s c a m",  # spaced out
        "not a s.c.a.m",
        "not a sc4m",  # leet
    ],
)
def test_blocked_term_is_found_through_disguises(text):
    [flag] = tone_flags(text=text, blocked_terms=["scam"])
    assert flag.kind == BLOCKED_TERM
    assert flag.matches == ("scam",)
    assert "“scam”" in flag.reason


def test_plain_match_is_not_called_disguised():
    [flag] = tone_flags(text="Such a scam", blocked_terms=["scam"])
    assert flag.reason == "Uses the blocked term “scam”."


def test_disguised_match_says_so():
    [flag] = tone_flags(text="Such a ѕсаm", blocked_terms=["scam"])
    assert "disguised" in flag.reason


@pytest.mark.parametrize("text", ["Scampi for lunch", "a scammer-free zone"])
def test_blocked_terms_need_word_boundaries(text):
    assert tone_flags(text=text, blocked_terms=["scam"]) == []


def test_multi_word_term_across_a_line_break():
    flags = tone_flags(text="We offer guaranteed\nreturns!", blocked_terms=["guaranteed returns"])
    assert kinds(flags) == [BLOCKED_TERM]


@pytest.mark.parametrize(
    ("term", "text"),
    [
        ("Rückruf", "Kein RÜCKRUF geplant"),  # German umlaut, upper case
        ("Rückruf", "Kein Ru\u0308ckruf"),  # decomposed umlaut
        ("Betrug", "Das ist B\u0435trug"),  # Cyrillic e
        ("penipuan", "Ini bukan PENIPUAN."),  # Indonesian
        ("truffa", "Non è una truffa!"),  # Italian
        ("#ad", "Love it #ad"),
    ],
)
def test_blocked_terms_in_other_languages(term, text):
    [flag] = tone_flags(text=text, blocked_terms=[term])
    assert flag.matches == (term,)


def test_cjk_term_without_spaces():
    assert kinds(tone_flags(text="这是诈骗吗", blocked_terms=["诈骗"])) == [BLOCKED_TERM]


def test_one_flag_per_term_and_mentions_first():
    flags = tone_flags(text="@rival is a scam and a fraud, scam!", blocked_terms=["scam", "fraud", "Scam", "lies"])
    assert kinds(flags) == [MENTION, BLOCKED_TERM, BLOCKED_TERM, BLOCKED_TERM]
    assert [flag.matches for flag in flags[1:]] == [("scam",), ("fraud",), ("Scam",)]


def test_empty_and_punctuation_only_terms_are_ignored():
    assert tone_flags(text="Hello!!! ...", blocked_terms=["", "   ", "!!!", "\u200b"]) == []


def test_blocked_terms_may_be_any_iterable():
    assert kinds(tone_flags(text="a scam", blocked_terms=(t for t in ["scam"]))) == [BLOCKED_TERM]
