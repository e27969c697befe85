"""Fold text to a form where disguised spellings compare equal to plain ones.

Employees can edit the post text, so anything that *looks* like the disclosure (or
like a blocked term) must be recognised however it was typed: zero-width characters
tucked inside a word, Cyrillic or Greek letters that look Latin, full-width or
"mathematical bold" styling, odd line breaks. ``normalize`` removes all of those
differences; ``fold`` lets callers switch individual steps off so they can tell
*which* trick was used.
"""

from __future__ import annotations

import re
import unicodedata

import grapheme

__all__ = ["clean_text", "fold", "hidden_characters", "is_invisible", "normalize", "strip_invisible"]

# Characters that render as nothing (or as blank space without being whitespace) but
# are not in category Cf. Hangul fillers and the braille blank are the usual way to
# fake an "empty" line; variation selectors and the grapheme joiner are invisible
# modifiers that NFKC keeps.
_EXTRA_INVISIBLE = frozenset(
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u17b4\u17b5"  # Khmer inherent vowels (not rendered)
    "\u180b\u180c\u180d\u180f"  # Mongolian free variation selectors
    "\u2800"  # braille pattern blank
)

# Look-alikes that NFKC does not fold: letters from other scripts that render like
# Latin ones, Latin small capitals, and symbols that stand in for the disclosure's
# "#" and "·". Applied before NFKC (which turns some into other letters) and again
# after casefolding; upper-case entries matter because of the first pass.
# This is deliberately a short list of the common tricks, not all of Unicode's
# confusables.txt: every entry also folds legitimate text in those scripts.
_LOOKALIKE_GROUPS = (
    ("аеёорсухіїјѕԁһԛԝӏүҽ", "aeëopcyxiïjsdhqwlye"),  # Cyrillic small
    ("АВЕЁКМНОРСТХУІЇЈЅԚԜҮҺӀ", "ABEËKMHOPCTXYIÏJSQWYHI"),  # Cyrillic capital
    ("αονρικυϲϳ", "aovpikucj"),  # Greek small
    ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹͿ", "ABEZHIKMNOPTYXCJ"),  # Greek capital
    ("օսհո", "ouhn"),  # Armenian
    ("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘꞯʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnopqrstuvwyz"),  # Latin small capitals
    ("ɑɡıȷǀ", "agijl"),  # other Latin look-alikes
    ("♯•∙⋅・ꞏ‧", "#······"),  # stand-ins for the templates' "#" and "·"
)
# maketrans raises if a group's two strings differ in length, so a typo fails at import.
_LOOKALIKES = str.maketrans("".join(src for src, _ in _LOOKALIKE_GROUPS), "".join(dst for _, dst in _LOOKALIKE_GROUPS))

_WHITESPACE_RUN = re.compile(r"\s+")


def is_invisible(*, char: str) -> bool:
    """True for a character that renders as nothing or as a blank that is not whitespace."""
    category = unicodedata.category(char)
    if category in ("Cf", "Cs"):
        return True  # format controls (zero-width, bidi, soft hyphen, tags) and lone surrogates
    if category == "Cc":
        return not char.isspace()  # tabs and newlines are visible layout, NUL and friends are not
    code = ord(char)
    return (
        char in _EXTRA_INVISIBLE
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF  # variation selectors supplement
        or 0xE0000 <= code <= 0xE0FFF  # unassigned default-ignorables beside the tag characters
        or 0xFFF0 <= code <= 0xFFF8
        or code == 0x2065
    )


def strip_invisible(*, text: str) -> str:
    """Remove every character ``is_invisible`` reports."""
    return "".join(char for char in text if not is_invisible(char=char))


# Joiners and selectors that are part of an emoji (a family, a rainbow flag, a keycap,
# a skin tone's presentation): removing them would break the emoji, and inside one
# cluster they hide nothing.
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f")
_BLACK_FLAG, _CANCEL_TAG = "\U0001f3f4", "\U000e007f"  # subdivision flags: 🏴 + tag letters + cancel tag


def _is_break_readers_cannot_see(char: str) -> bool:
    """Whitespace that is not a space, tab or plain line break (LF, CR): vertical tab, the
    information separators U+001C–U+001F, NEL, the line and paragraph separators.
    Networks render them as nothing, so text after them runs on."""
    category = unicodedata.category(char)
    return category in ("Zl", "Zp") or (category == "Cc" and char.isspace() and char not in "\n\r\t")


def _hidden(char: str) -> bool:
    return is_invisible(char=char) or _is_break_readers_cannot_see(char)


def _emoji_allows(cluster: str, index: int) -> bool:
    """Whether the hidden character at ``index`` belongs to the emoji ``cluster`` forms."""
    char, first = cluster[index], cluster[0]
    is_emoji = unicodedata.category(first) in ("So", "Sk") or "\u20e3" in cluster
    if not is_emoji:
        return False
    if char in _EMOJI_GLUE:
        return char != "\u200d" or index < len(cluster) - 1  # a joiner must join something
    tag = 0xE0020 <= ord(char) <= 0xE007F
    return tag and first == _BLACK_FLAG and cluster.endswith(_CANCEL_TAG)


def hidden_characters(*, text: str) -> list[str]:
    """Characters in ``text`` that readers cannot see, in order: format and control
    characters (zero-width, bidi, tag characters), fillers, and line breaks that render
    as nothing. Joiners and selectors inside an emoji sequence are not counted."""
    if not any(_hidden(char) for char in text):
        return []  # the usual case, without splitting into clusters
    found = []
    for cluster in grapheme.graphemes(text):
        for index, char in enumerate(cluster):
            if _hidden(char) and not _emoji_allows(cluster, index):
                found.append(char)
    return found


def clean_text(*, text: str) -> str:
    """``text`` without what ``hidden_characters`` reports: unseen line breaks become
    plain ones (``\\n``), every other hidden character is removed."""
    if not any(_hidden(char) for char in text):
        return text
    out = []
    for cluster in grapheme.graphemes(text):
        for index, char in enumerate(cluster):
            if _is_break_readers_cannot_see(char):
                out.append("\n")
            elif not _hidden(char) or _emoji_allows(cluster, index):
                out.append(char)
    return "".join(out)


def _fold_once(text: str, *, casefold: bool, lookalikes: bool) -> str:
    if lookalikes:
        # Map look-alikes first as well: NFKC turns some into other letters (lunate "Ϲ" → "Σ").
        text = unicodedata.normalize("NFKC", text.translate(_LOOKALIKES))  # full-width, styled forms
    text = strip_invisible(text=text)
    if lookalikes:
        text = text.translate(_LOOKALIKES)  # before casefold: capitals are mapped too
    if casefold:
        text = text.casefold()
    if lookalikes:
        # Casefolding can decompose letters and produce new look-alikes, so fold again.
        text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
        text = strip_invisible(text=text)
    return text


def fold(*, text: str, casefold: bool = True, lookalikes: bool = True) -> str:
    """Strip invisible characters and optionally fold case and look-alikes; keep whitespace.

    Repeats until stable, because one step can expose work for another (NFKC after
    casefold can compose a new letter that has a look-alike entry).
    """
    for _ in range(4):
        folded = _fold_once(text, casefold=casefold, lookalikes=lookalikes)
        if folded == text:
            break
        text = folded
    return text


def normalize(*, text: str) -> str:
    """The comparison form: ``fold`` with every step, whitespace collapsed to single spaces.

    Collapsing covers line breaks and no-break spaces, so a word moved onto its own
    line still matches.
    """
    return _WHITESPACE_RUN.sub(" ", fold(text=text)).strip()
