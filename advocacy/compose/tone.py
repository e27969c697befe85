"""Hints for the reviewer: who a post tags, and whether it uses terms the company blocks.

A flag informs a person; it never blocks a post. So the matching leans towards
flagging: terms are found through look-alike letters, hidden characters, s p a c e d
or l33t spellings, because an employee trying to slip a term past review is exactly
what the reviewer should see.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .normalize import fold, normalize

__all__ = ["BLOCKED_TERM", "MENTION", "ToneFlag", "tone_flags"]

MENTION = "mention"
BLOCKED_TERM = "blocked_term"

# X and Mastodon handles, Mastodon's @user@domain and Bluesky's @name.domain handles.
# The look-behind skips e-mail addresses and URLs such as example.com/@user.
_MENTION = re.compile(r"(?<![\w@/=.])@(\w(?:[\w.-]*\w)?(?:@\w[\w-]*(?:\.[\w-]+)+)?)")
# One space, dot, dash, underscore, star or middle dot may sit between a term's letters: "s c a m".
_GAP = r"[ .\-_*·]?"
_LEET = str.maketrans("013457$@", "oieastsa")
# Scripts written without spaces between words, where a word boundary cannot be required.
_UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


@dataclass(frozen=True)
class ToneFlag:
    kind: str  # MENTION or BLOCKED_TERM
    reason: str
    matches: tuple[str, ...]


def tone_flags(*, text: str, blocked_terms: Iterable[str]) -> list[ToneFlag]:
    flags = []
    # NFKC turns a full-width "＠" into "@"; invisible characters would otherwise hide a handle.
    handles = _unique("@" + m for m in _MENTION.findall(fold(text=text, casefold=False)))
    if handles:
        flags.append(
            ToneFlag(
                MENTION,
                f"Mentions {_count(len(handles), 'account')}: {', '.join(handles)}. "
                "Check that tagging them is appropriate.",
                tuple(handles),
            )
        )
    plain = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    folded = normalize(text=text)
    for term in _unique(t.strip() for t in blocked_terms):
        wanted = normalize(text=term)
        if not re.search(r"\w", wanted):
            continue  # nothing to match on: an empty or punctuation-only entry
        found = _term_pattern(wanted, spaced=True).search(folded) or _term_pattern(
            wanted.translate(_LEET), spaced=True
        ).search(folded.translate(_LEET))
        if found:
            plainly = _term_pattern(wanted, spaced=False).search(plain)
            disguised = "" if plainly else " (disguised with look-alike, hidden or spaced-out letters)"
            flags.append(ToneFlag(BLOCKED_TERM, f"Uses the blocked term “{term}”{disguised}.", (term,)))
    return flags


def _term_pattern(term: str, *, spaced: bool) -> re.Pattern[str]:
    before = "" if _unspaced(term[0]) else r"(?<!\w)"
    after = "" if _unspaced(term[-1]) or not re.search(r"\w$", term) else r"(?!\w)"
    body = _GAP.join(r"\s+" if char == " " else re.escape(char) for char in term) if spaced else re.escape(term)
    return re.compile(before + body + after)


def _unspaced(char: str) -> bool:
    return unicodedata.name(char, "").startswith(_UNSPACED_SCRIPTS)


def _unique(items: Iterable[str]) -> list[str]:
    return [item for item in dict.fromkeys(items) if item]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
