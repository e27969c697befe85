"""Properties that must hold for any text an employee can type."""

import unicodedata

import grapheme
from hypothesis import example, given, settings
from hypothesis import strategies as st

from advocacy.compose import (
    DEFAULT_DISCLOSURES,
    NETWORK_LIMITS,
    check_characters,
    check_disclosure,
    compose_text,
    is_disclosure_intact,
    measure,
    normalize,
    render_disclosure,
    template_problems,
    tone_flags,
)
from advocacy.compose.length import twitter_text  # loaded the way the module loads it

# Any code point at all, lone surrogates included: JSON can deliver those.
ANY_TEXT = st.text(st.characters())
ORGANISATION = st.text(
    st.sampled_from("AaBbCcEeKkMmOoPpSsTtXxYyÜüÖöÄäßèéàìòù&-' 0123456789"), min_size=1, max_size=25
).filter(lambda name: name.strip(" -'&") != "")
DISCLOSURE = st.builds(
    lambda language, organisation: render_disclosure(template=DEFAULT_DISCLOSURES[language], organisation=organisation),
    st.sampled_from(sorted(DEFAULT_DISCLOSURES)),
    ORGANISATION,
)

# Written out here rather than taken from the code under test.
INVISIBLE = st.one_of(
    st.characters(categories=["Cf"]).filter(lambda c: not c.isspace()),
    st.sampled_from(
        "\u034f\u115f\u1160\u3164\uffa0\u2800\ufe00\ufe0f\U000e0100\x00\x07\x7f\ud800"
        "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202e\u2066"
    ),
)
LOOKALIKES = {
    "a": "аα𝐚ａɑᴀ",
    "c": "сϲ𝐜ｃᴄ",
    "e": "е𝐞ｅᴇҽ",
    "i": "іι𝐢ｉɪı",
    "k": "κ𝐤ｋᴋ",
    "m": "𝐦ｍᴍ",
    "o": "оο𝐨ｏᴏօ",
    "p": "рρ𝐩ｐᴘ",
    "s": "ѕ𝐬ｓꜱ",
    "y": "у𝐲ｙʏ",
    "A": "АΑ𝐀Ａ",
    "B": "ВΒ𝐁Ｂ",
    "C": "СϹ𝐂Ｃ",
    "E": "ЕΕ𝐄Ｅ",
    "I": "ІΙ𝐈Ｉ",
    "K": "КΚ𝐊Ｋ\u212a",
    "M": "МΜ𝐌Ｍ",
    "O": "ОΟ𝐎Ｏ",
    "P": "РΡ𝐏Ｐ",
    "S": "Ѕ𝐒Ｓ",
    "T": "ТΤ𝐓Ｔ",
    "X": "ХΧ𝐗Ｘ",
    "Y": "ҮΥ𝐘Ｙ",
    "W": "Ԝ𝐖Ｗ",
    "#": "＃﹟♯",
    "·": "•∙⋅・",
    ".": "．",
    "&": "＆",
}


@settings(max_examples=300)
@given(text=ANY_TEXT, disclosure=DISCLOSURE)
@example(text="\u200b" * 50, disclosure="#employee · I work at Acme.")
@example(text="@a" * 200 + " x", disclosure="#employee · I work at Acme.")
def test_checking_any_text_never_crashes(text, disclosure):
    violations = check_disclosure(text=text, disclosure=disclosure)
    assert all(violation.message for violation in violations)
    assert (violations == []) == is_disclosure_intact(text=text, disclosure=disclosure)


@given(text=ANY_TEXT, disclosure=DISCLOSURE)
def test_checking_text_that_starts_like_the_disclosure_never_crashes(text, disclosure):
    check_disclosure(text=disclosure[: len(disclosure) // 2] + text, disclosure=disclosure)
    check_disclosure(text=disclosure + text, disclosure=disclosure)


@given(text=ANY_TEXT, limit=st.none() | st.integers(min_value=1, max_value=100_000))
def test_measuring_any_text_never_crashes(text, limit):
    for network in NETWORK_LIMITS:
        report = measure(network=network, text=text, max_characters=limit if network == "mastodon" else None)
        assert report.ok == (report.count <= report.limit)
        assert report.count >= 0


@given(text=ANY_TEXT, terms=st.lists(ANY_TEXT, max_size=5))
@example(text="@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a@a!", terms=["a"])
def test_tone_flags_on_any_text_never_crash(text, terms):
    for flag in tone_flags(text=text, blocked_terms=terms):
        assert flag.reason and flag.matches


@given(body=ANY_TEXT, disclosure=DISCLOSURE)
def test_a_composed_post_always_passes(body, disclosure):
    text = compose_text(disclosure=disclosure, body=body)
    assert check_disclosure(text=text, disclosure=disclosure) == []


@given(text=ANY_TEXT, disclosure=DISCLOSURE, prefix=st.booleans())
def test_passing_text_starts_with_the_exact_disclosure_alone_on_its_line(text, disclosure, prefix):
    candidate = disclosure + text if prefix else text
    if not check_disclosure(text=candidate, disclosure=disclosure):
        assert candidate.startswith(disclosure)
        first_line = candidate[len(disclosure) :].replace("\r", "\n").split("\n")[0]
        assert first_line.strip(" \t") == ""


# Written out here: whitespace that separates nothing on screen, and visible text.
UNSEEN_BREAKS = st.sampled_from("\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")
# Tag characters, Hangul fillers, zero-width and bidi controls.
HIDDEN_IN_BODY = st.one_of(
    INVISIBLE.filter(lambda c: c not in "\u200d\ufe0f"),  # those two are emoji glue, tested below
    st.characters(min_codepoint=0xE0000, max_codepoint=0xE007F),
    UNSEEN_BREAKS,
)


@given(disclosure=DISCLOSURE, separator=UNSEEN_BREAKS | st.sampled_from([" ", "\t", "\u00a0", " · "]), body=ANY_TEXT)
@example(disclosure="#employee · I work at Acme.", separator=" ", body="just kidding!")
def test_text_on_the_disclosure_line_always_fails(disclosure, separator, body):
    text = disclosure + separator + "x" + body
    assert check_disclosure(text=text, disclosure=disclosure) != []


@given(body=ANY_TEXT, disclosure=DISCLOSURE)
def test_a_composed_post_has_no_hidden_characters(body, disclosure):
    assert check_characters(text=compose_text(disclosure=disclosure, body=body)) == []


@given(before=st.text(st.characters(categories=["L", "N", "Zs"])), hidden=HIDDEN_IN_BODY, after=ANY_TEXT)
def test_a_hidden_character_anywhere_in_the_body_is_named(before, hidden, after):
    violations = check_characters(text=f"#employee · I work at Acme.\n\n{before}{hidden}{after}")
    assert [violation.rule for violation in violations] == ["hidden_in_text"]


EMOJI_SEQUENCES = st.sampled_from(
    [
        "👨\u200d👩\u200d👧\u200d👦",
        "🏳️\u200d🌈",
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        "👍🏽",
        "#️⃣",
        "🇩🇪",
    ]
)


# Letters and digits, without the Hangul fillers (letters by category, blank on screen).
WORDS = st.text(st.characters(categories=["L", "N"], exclude_characters="\u115f\u1160\u3164\uffa0"), min_size=1)


@given(words=st.lists(WORDS | EMOJI_SEQUENCES, max_size=20), disclosure=DISCLOSURE)
def test_emoji_sequences_pass_and_survive_composing(words, disclosure):
    body = " ".join(words)
    text = compose_text(disclosure=disclosure, body=body)
    assert check_characters(text=text) == []
    assert text.endswith(body.strip())


@given(body=ANY_TEXT, disclosure=DISCLOSURE, data=st.data())
def test_an_invisible_character_in_the_disclosure_always_fails(body, disclosure, data):
    text = compose_text(disclosure=disclosure, body=body)
    position = data.draw(st.integers(min_value=0, max_value=len(disclosure)), label="position")
    hidden = data.draw(INVISIBLE, label="hidden")
    tampered = text[:position] + hidden + text[position:]
    rules = [v.rule for v in check_disclosure(text=tampered, disclosure=disclosure)]
    assert "hidden_characters" in rules


@given(body=ANY_TEXT, disclosure=DISCLOSURE, data=st.data())
def test_a_lookalike_in_the_disclosure_always_fails(body, disclosure, data):
    text = compose_text(disclosure=disclosure, body=body)
    positions = [i for i, char in enumerate(disclosure) if char in LOOKALIKES]
    position = data.draw(st.sampled_from(positions), label="position")
    lookalike = data.draw(st.sampled_from(LOOKALIKES[disclosure[position]]), label="lookalike")
    tampered = text[:position] + lookalike + text[position + 1 :]
    rules = [v.rule for v in check_disclosure(text=tampered, disclosure=disclosure)]
    assert "lookalike_letters" in rules


@given(text=st.text(st.characters(exclude_categories=["Cs"]), max_size=400))
@example(text="see example.com/jobs and https://acme.example/a?b=1 😀 日本")
def test_x_count_matches_twitter_text(text):
    assert measure(network="x", text=text).count == twitter_text.parse_tweet(text).weightedLength


@given(text=ANY_TEXT)
def test_bluesky_counts_grapheme_clusters(text):
    report = measure(network="bluesky", text=text)
    if report.unit == "graphemes":
        assert report.count == sum(1 for _ in grapheme.graphemes(text))


# Each of these is one user-perceived character made of several code points.
CLUSTERS = st.sampled_from(
    [
        "👨\u200d👩\u200d👧\u200d👦",
        "🏳️\u200d🌈",
        "🇩🇪",
        "👍🏽",
        "e\u0301",
        "u\u0308\u0301",
        "\u1100\u1161\u11a8",
        "#️⃣",
        "a",
        "ü",
    ]
)


@given(clusters=st.lists(CLUSTERS, max_size=60))
def test_bluesky_counts_each_composed_character_once(clusters):
    text = " ".join(clusters)
    expected = max(2 * len(clusters) - 1, 0)
    assert measure(network="bluesky", text=text).count == expected
    assert len(text.encode("utf-8")) <= 3000 or measure(network="bluesky", text=text).unit == "bytes"


@given(text=ANY_TEXT)
def test_normalize_is_idempotent(text):
    once = normalize(text=text)
    assert normalize(text=once) == once


@given(text=st.text(st.characters(categories=["L", "N", "P", "Zs"])))
def test_normalize_ignores_full_width_forms(text):
    wide = "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in text)
    assert normalize(text=wide) == normalize(text=unicodedata.normalize("NFKC", text))


@given(language=st.sampled_from(sorted(DEFAULT_DISCLOSURES)), data=st.data())
def test_a_hidden_character_anywhere_in_a_template_is_refused(language, data):
    template = DEFAULT_DISCLOSURES[language]
    assert template_problems(template=template, language=language) == []
    position = data.draw(st.integers(min_value=0, max_value=len(template)), label="position")
    hidden = data.draw(HIDDEN_IN_BODY, label="hidden")
    tampered = template[:position] + hidden + template[position:]
    codes = {problem.code for problem in template_problems(template=tampered, language=language)}
    assert codes & {"hidden_characters", "line_break"}
