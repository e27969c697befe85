"""The disclosure must lead every post; each way of weakening it is named by its rule."""

import unicodedata

import pytest

from advocacy.compose import (
    DEFAULT_DISCLOSURES,
    Rule,
    check_characters,
    check_disclosure,
    compose_text,
    disclosure_template,
    is_disclosure_intact,
    render_disclosure,
)

# language: (organisation, body, the disclosure's hashtag)
LANGUAGES = {
    "en": ("Acme", "Great news! We're hiring.", "#employee"),
    "de": ("Müller & Söhne GmbH", "Tolle Neuigkeiten! Wir stellen ein.", "#Mitarbeiter"),
    "id": ("Kopi Nusantara", "Kabar gembira! Kami membuka lowongan.", "#karyawan"),
    "it": ("Caffè Rossi", "Ottime notizie! Stiamo assumendo.", "#dipendente"),
}
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}
CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "i": "і", "M": "М"}


def disclosure_for(language):
    organisation = LANGUAGES[language][0]
    return render_disclosure(template=DEFAULT_DISCLOSURES[language], organisation=organisation)


def rules(text, disclosure):
    return [violation.rule for violation in check_disclosure(text=text, disclosure=disclosure)]


def bold(text):
    """Mathematical bold letters, the "styled text" generators' favourite."""
    out = []
    for char in text:
        if "a" <= char <= "z":
            out.append(chr(0x1D41A + ord(char) - ord("a")))
        elif "A" <= char <= "Z":
            out.append(chr(0x1D400 + ord(char) - ord("A")))
        else:
            out.append(char)
    return "".join(out)


def first_lookalike(tag):
    index = next(i for i, char in enumerate(tag) if char in CYRILLIC)
    return tag[:index] + CYRILLIC[tag[index]] + tag[index + 1 :]


# name: (how to damage the composed post, expected rules)
DAMAGE = {
    "zero-width inside the tag": (
        lambda t, d, tag: t.replace(tag, tag[:4] + "\u200b" + tag[4:], 1),
        ["hidden_characters"],
    ),
    "word joiner inside the tag": (
        lambda t, d, tag: t.replace(tag, tag[:3] + "\u2060" + tag[3:], 1),
        ["hidden_characters"],
    ),
    "soft hyphen inside the tag": (
        lambda t, d, tag: t.replace(tag, tag[:3] + "\u00ad" + tag[3:], 1),
        ["hidden_characters"],
    ),
    "Cyrillic letter in the tag": (
        lambda t, d, tag: t.replace(tag, first_lookalike(tag), 1),
        ["lookalike_letters"],
    ),
    "full-width tag": (
        lambda t, d, tag: t.replace(tag, "".join(FULL_WIDTH[c] for c in tag), 1),
        ["lookalike_letters"],
    ),
    "mathematical bold tag": (
        lambda t, d, tag: t.replace(tag, "#" + bold(tag[1:]), 1),
        ["lookalike_letters"],
    ),
    "space after the hash": (lambda t, d, tag: t.replace(tag, "# " + tag[1:], 1), ["split"]),
    "space inside the tag": (lambda t, d, tag: t.replace(tag, tag[:4] + " " + tag[4:], 1), ["split"]),
    "tag split over a line break": (lambda t, d, tag: t.replace(tag, tag[:4] + "\n" + tag[4:], 1), ["split"]),
    "words on separate lines": (lambda t, d, tag: t.replace(" · ", "\n·\n", 1), ["split"]),
    "moved into trailing hashtags": (
        lambda t, d, tag: f"{t[len(d) :].strip()} {tag} #proud #hiring",
        ["trailing_hashtags"],
    ),
    "moved to the end": (lambda t, d, tag: f"{t[len(d) :].strip()}\n\n{d}", ["trailing_hashtags"]),
    "after other text": (lambda t, d, tag: f"Hello! {d} {t[len(d) :].strip()}", ["not_first"]),
    "removed": (lambda t, d, tag: t[len(d) :].strip(), ["missing"]),
    "upper case": (lambda t, d, tag: d.upper() + t[len(d) :], ["altered"]),
    "lower case": (lambda t, d, tag: d.lower() + t[len(d) :], ["altered"]),
    "punctuation removed": (lambda t, d, tag: d.replace(" · ", " ").rstrip(".") + t[len(d) :], ["altered"]),
    "runs into the body": (lambda t, d, tag: d + t[len(d) :].strip(), ["altered"]),
    "below blank lines": (lambda t, d, tag: "\n" * 6 + t, ["buried"]),
    "one leading space": (lambda t, d, tag: " " + t, ["buried"]),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_composed_post_passes(language):
    disclosure = disclosure_for(language)
    text = compose_text(disclosure=disclosure, body=LANGUAGES[language][1])
    assert text.startswith(disclosure + "\n\n")
    assert check_disclosure(text=text, disclosure=disclosure) == []
    assert is_disclosure_intact(text=text, disclosure=disclosure)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_each_weakening_is_named(language, case):
    _, body, tag = LANGUAGES[language]
    disclosure = disclosure_for(language)
    damage, expected = DAMAGE[case]
    text = damage(compose_text(disclosure=disclosure, body=body), disclosure, tag)
    assert rules(text, disclosure) == expected
    assert not is_disclosure_intact(text=text, disclosure=disclosure)


def test_default_wording_puts_the_label_first():
    assert DEFAULT_DISCLOSURES["en"] == "#employee · I work at {organisation}."
    assert DEFAULT_DISCLOSURES["de"].startswith("Werbung · #Mitarbeiter")
    assert disclosure_for("de") == "Werbung · #Mitarbeiter · Ich arbeite bei Müller & Söhne GmbH."
    assert disclosure_for("id") == "#karyawan · Saya bekerja di Kopi Nusantara."
    assert disclosure_for("it") == "#dipendente · Lavoro presso Caffè Rossi."


def test_template_lookup_by_language_tag():
    assert disclosure_template(language="de-AT") == DEFAULT_DISCLOSURES["de"]
    assert disclosure_template(language="it_IT") == DEFAULT_DISCLOSURES["it"]
    assert disclosure_template(language="fr") == DEFAULT_DISCLOSURES["en"]


def test_render_collapses_whitespace_in_the_name():
    assert render_disclosure(template="#employee · I work at {organisation}.", organisation=" Acme\nCorp ") == (
        "#employee · I work at Acme Corp."
    )


def test_render_does_not_use_format_fields():
    rendered = render_disclosure(template="{0} {organisation.__class__} {organisation}", organisation="Acme")
    assert rendered == "{0} {organisation.__class__} Acme"


@pytest.mark.parametrize(("template", "organisation"), [("#ad", "Acme"), ("#employee at {organisation}", "  ")])
def test_render_refuses_a_template_without_the_employer(template, organisation):
    with pytest.raises(ValueError, match="organisation"):
        render_disclosure(template=template, organisation=organisation)


@pytest.mark.parametrize("disclosure", ["", "   ", " #employee", "#employee\n", "\u200b"])
def test_a_blank_or_padded_disclosure_is_a_configuration_error(disclosure):
    with pytest.raises(ValueError, match="disclosure"):
        check_disclosure(text="#employee", disclosure=disclosure)
    with pytest.raises(ValueError, match="disclosure"):
        compose_text(disclosure=disclosure, body="x")


def test_compose_does_not_double_a_pasted_disclosure():
    disclosure = disclosure_for("en")
    pasted = f"  {disclosure}\n\n{disclosure}\nGreat news!  "
    assert compose_text(disclosure=disclosure, body=pasted) == f"{disclosure}\n\nGreat news!"


def test_compose_replaces_a_disguised_copy_at_the_start_of_the_body():
    disclosure = disclosure_for("en")
    body = "#EMP\u200bLOYEE · I work at Acme.\nGreat news!"
    assert compose_text(disclosure=disclosure, body=body) == f"{disclosure}\n\nGreat news!"


def test_compose_keeps_a_body_that_only_starts_like_the_disclosure():
    disclosure = "#employee · I work at Acme."
    body = "#employee · I work at Acme.com, come and join"
    assert compose_text(disclosure=disclosure, body=body) == f"{disclosure}\n\n{body}"


def test_compose_with_an_empty_body_is_just_the_disclosure():
    disclosure = disclosure_for("it")
    assert compose_text(disclosure=disclosure, body=" \n ") == disclosure
    assert check_disclosure(text=disclosure, disclosure=disclosure) == []


def test_a_second_copy_later_in_the_post_is_fine():
    disclosure = disclosure_for("en")
    text = f"{disclosure}\n\nGreat news!\n\n{disclosure}"
    assert check_disclosure(text=text, disclosure=disclosure) == []


def test_disclosure_followed_by_a_line_break_passes():
    disclosure = disclosure_for("id")
    for separator in ("\n", "\n\n", " \n", "\t\n", "\r\n"):
        assert is_disclosure_intact(text=disclosure + separator + "Halo", disclosure=disclosure)


@pytest.mark.parametrize(
    "separator",
    [" ", "\t", "\u00a0", "\u3000", " · ", "\x0b", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u2028", "\u2029"],
)
def test_the_disclosure_must_stand_alone_on_the_first_line(separator):
    """Text on the same line reads as part of it (``… Acme. just kidding!``), and the
    separators U+000B, U+001C–U+001F, U+0085, U+2028/9 render as no break at all."""
    text = EN + separator + "just kidding! We're hiring."

    violations = check_disclosure(text=text, disclosure=EN)

    assert [violation.rule for violation in violations] == ["not_alone"]
    assert "stand alone on the first line" in violations[0].message


# --- single rules, spelled out -------------------------------------------------------

EN = "#employee · I work at Acme."


def test_missing_message_repeats_the_disclosure():
    [violation] = check_disclosure(text="Great news! We're hiring.", disclosure=EN)
    assert violation.rule == Rule.MISSING == "missing"
    assert violation.message.startswith("The disclosure is missing")
    assert EN in violation.message


def test_missing_when_text_is_empty():
    assert rules("", EN) == ["missing"]
    assert rules("   \n ", EN) == ["missing"]


def test_at_the_end_message():
    [violation] = check_disclosure(text=f"Great news!\n\n{EN}", disclosure=EN)
    assert violation.rule == "trailing_hashtags"
    assert violation.message == (
        "The disclosure must come first: it was found at the end of the post, where readers miss it."
    )


def test_tag_in_trailing_hashtag_block_message():
    [violation] = check_disclosure(text="Great news! #employee #proud #hiring", disclosure=EN)
    assert violation.rule == "trailing_hashtags"
    assert "inside a block of hashtags at the end" in violation.message
    assert "#employee" in violation.message


def test_tag_last_in_a_hashtag_block():
    assert rules("Great news! #proud #hiring #employee", EN) == ["trailing_hashtags"]


def test_disguised_tag_in_trailing_block_is_still_found():
    assert rules("Great news! #emp\u200bloy\u0435e #proud", EN) == ["trailing_hashtags"]


def test_statement_at_the_end_without_the_tag():
    [violation] = check_disclosure(text="Great news! I work at Acme.", disclosure=EN)
    assert violation.rule == "trailing_hashtags"
    assert "part of it (“I work at Acme”)" in violation.message


def test_tag_in_the_middle_is_not_first():
    [violation] = check_disclosure(text="Great news! #employee We are hiring in Berlin.", disclosure=EN)
    assert violation.rule == "not_first"
    assert violation.message.startswith("The disclosure must come first")


def test_disclosure_behind_the_fold_in_the_middle_of_a_long_post():
    text = "Big day.\n\n" + "We launched something. " * 40 + f"\n\n{EN}\n\nMore below."
    assert rules(text, EN) == ["not_first"]


def test_zero_width_inside_the_tag_names_the_character():
    [violation] = check_disclosure(text="#emp\u200bloyee · I work at Acme.\n\nHi", disclosure=EN)
    assert violation.rule == "hidden_characters"
    assert "U+200B ZERO WIDTH SPACE" in violation.message


@pytest.mark.parametrize(
    "hidden",
    ["\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u034f", "\ufe0f", "\u3164", "\u2800"],
)
def test_every_kind_of_invisible_character_is_caught(hidden):
    assert rules(f"#employee{hidden} · I work at Acme.", EN) == ["hidden_characters"]


def test_invisible_character_before_the_disclosure():
    assert rules("\u200b" + EN, EN) == ["hidden_characters"]


def test_invisible_character_glued_after_the_disclosure():
    assert rules(EN + "\u2060\nHi", EN) == ["hidden_characters"]


def test_blank_looking_lines_before_the_disclosure():
    assert rules("\u2800\n\u2800\n" + EN, EN) == ["buried", "hidden_characters"]


def test_cyrillic_e_in_employee():
    [violation] = check_disclosure(text="#\u0435mployee · I work at Acme.", disclosure=EN)
    assert violation.rule == "lookalike_letters"
    assert "CYRILLIC SMALL LETTER IE" in violation.message


def test_full_width_tag():
    assert rules("＃ｅｍｐｌｏｙｅｅ · I work at Acme.", EN) == ["lookalike_letters"]


def test_mathematical_bold_letters():
    assert rules(f"#{bold('employee')} · I work at Acme.", EN) == ["lookalike_letters"]


def test_latin_small_capitals():
    assert rules("#ᴇᴍᴘʟᴏʏᴇᴇ · I work at Acme.", EN) == ["lookalike_letters"]


def test_greek_capital_in_the_organisation_name():
    assert rules("#employee · I work at \u0391cme.", EN) == ["lookalike_letters"]


def test_bullet_instead_of_middle_dot():
    assert rules("#employee • I work at Acme.", EN) == ["lookalike_letters"]


def test_capital_cyrillic_letters_are_lookalike_and_case_change():
    assert rules("#\u0415MPLOYEE · I work at Acme.", EN) == ["lookalike_letters", "altered"]


def test_several_tricks_at_once_are_all_named():
    text = "\n#emp\u200bl\u043eyee  · I work at Acme."
    assert rules(text, EN) == ["buried", "hidden_characters", "split", "lookalike_letters"]


def test_hash_sign_on_its_own_line():
    assert rules("#\nemployee · I work at Acme.", EN) == ["split"]


def test_no_break_spaces_instead_of_spaces():
    assert rules("#employee\u00a0·\u00a0I work at Acme.", EN) == ["split"]


def test_double_space():
    assert rules("#employee  · I work at Acme.", EN) == ["split"]


def test_case_change_message():
    [violation] = check_disclosure(text="#Employee · I work at Acme.", disclosure=EN)
    assert violation.rule == "altered"
    assert violation.message == (
        "The disclosure must be used exactly as given: its capital and small letters were changed."
    )


@pytest.mark.parametrize(
    "text",
    [
        "#employee · I worked at Acme.",  # a word edited
        "#employe · I work at Acme.",  # tag misspelt
        "employee · I work at Acme.",  # hash removed
        "#employee I work at Acme",  # punctuation removed
        "#employee · I work at Acme!",  # punctuation changed
        "#employee",  # only the tag left
        "#employee · I used to work at Acme.",
    ],
)
def test_altered(text):
    assert rules(text, EN) == ["altered"]


def test_runs_into_the_next_word():
    [violation] = check_disclosure(text=EN + "We're hiring", disclosure=EN)
    assert violation.rule == "altered"
    assert "runs straight into the following text" in violation.message


def test_buried_threshold_is_any_leading_whitespace():
    [violation] = check_disclosure(text="\n\n\n" + EN, disclosure=EN)
    assert violation.rule == "buried"
    assert "3 line breaks" in violation.message
    [violation] = check_disclosure(text="\r\n" + EN, disclosure=EN)
    assert "1 line break before it" in violation.message
    assert rules("\t" + EN, EN) == ["buried"]


# --- German, Indonesian and Italian specifics ------------------------------------------

DE = "Werbung · #Mitarbeiter · Ich arbeite bei Müller & Söhne GmbH."


def test_german_umlaut_written_decomposed_is_not_the_exact_disclosure():
    decomposed = unicodedata.normalize("NFD", DE)
    assert decomposed != DE
    assert rules(decomposed + "\n\nHallo", DE) == ["lookalike_letters"]


def test_german_umlaut_dropped_is_altered():
    assert rules(DE.replace("ü", "u") + "\n\nHallo", DE) == ["altered"]


def test_german_label_dropped():
    assert rules("#Mitarbeiter · Ich arbeite bei Müller & Söhne GmbH.\n\nHallo", DE) == ["altered"]


def test_german_werbung_as_trailing_hashtag():
    [violation] = check_disclosure(text="Tolles Produkt! #werbung #neu", disclosure=DE)
    assert violation.rule == "trailing_hashtags"
    assert "“Werbung”" in violation.message


def test_german_cyrillic_o_in_soehne():
    assert rules(DE.replace("Söhne", "Söhnе"), DE) == ["lookalike_letters"]


def test_indonesian_tag_with_cyrillic_a():
    disclosure = "#karyawan · Saya bekerja di Kopi Nusantara."
    assert rules(disclosure.replace("#karyawan", "#k\u0430ryawan"), disclosure) == ["lookalike_letters"]
    assert rules("Kabar gembira! #karyawan #bangga", disclosure) == ["trailing_hashtags"]


def test_italian_accent_dropped_or_changed():
    disclosure = "#dipendente · Lavoro presso Caffè Rossi."
    assert rules(disclosure.replace("è", "e"), disclosure) == ["altered"]
    assert rules(disclosure.replace("è", "é"), disclosure) == ["altered"]
    assert rules(disclosure.replace("#dipendente", "#DIPENDENTE"), disclosure) == ["altered"]


def test_rule_codes_are_stable():
    assert {rule.value for rule in Rule} == {
        "missing",
        "not_first",
        "trailing_hashtags",
        "hidden_characters",
        "lookalike_letters",
        "split",
        "altered",
        "buried",
        "not_alone",
        "hidden_in_text",
    }


def test_every_message_is_plain_english_sentence():
    for case, (damage, _) in DAMAGE.items():
        _, body, tag = LANGUAGES["en"]
        text = damage(compose_text(disclosure=EN, body=body), EN, tag)
        for violation in check_disclosure(text=text, disclosure=EN):
            assert violation.message.startswith("The disclosure "), case


# --- the rest of the post ------------------------------------------------------------


@pytest.mark.parametrize(
    "hidden",
    [
        "\U000e0041",  # TAG LATIN CAPITAL LETTER A
        "\U000e0001",  # LANGUAGE TAG
        "\u115f",
        "\u1160",
        "\u3164",
        "\uffa0",  # Hangul fillers
        "\u200b",
        "\u202e",
        "\u2066",  # zero-width, bidi override and isolate
        "\x1c",
        "\x0b",
        "\x85",  # line breaks that render as nothing
    ],
)
def test_hidden_characters_anywhere_in_the_post_are_refused(hidden):
    text = f"{EN}\n\nWe are hiring{hidden} in Turin."

    violations = check_characters(text=text)

    assert [violation.rule for violation in violations] == ["hidden_in_text"]
    assert f"U+{ord(hidden):04X}" in violations[0].message
    assert check_characters(text=compose_text(disclosure=EN, body=text)) == []  # composing strips it


@pytest.mark.parametrize(
    "emoji",
    [
        "👨\u200d👩\u200d👧\u200d👦",  # family: zero-width joiners
        "🏳️\u200d🌈",  # rainbow flag: selector and joiner
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England: tag characters
        "#️⃣",  # keycap: selector
        "❤️",
        "🇮🇹",
    ],
)
def test_emoji_sequences_keep_their_joiners(emoji):
    text = f"{EN}\n\nWe love Turin {emoji}!"

    assert check_characters(text=text) == []
    assert compose_text(disclosure=EN, body=f"We love Turin {emoji}!") == text


def test_a_joiner_outside_an_emoji_is_hidden():
    assert [v.rule for v in check_characters(text="Tu\u200drin 😀\u200d")] == ["hidden_in_text"]
