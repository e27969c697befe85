"""The employee disclosure: its wording, where it goes, and whether a post still has it.

Regulators (FTC, ASA, ASAI, German courts) treat a disclosure at the end of a post,
behind "more" or among trailing hashtags as missed, so Candor puts it at the very start.
The check is strict on purpose: a post passes only if it *literally* starts with the
configured disclosure, alone on the first line (a line break or the end of the text
follows it, so it cannot run into a "just kidding!"). Everything else
fails, and the failure is explained by comparing *normalised* text, so a disguised
copy (hidden characters, look-alike letters, odd spacing) is named for what it is
instead of being reported as simply "missing".
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

import grapheme

from .normalize import clean_text, fold, hidden_characters, is_invisible, normalize, strip_invisible

__all__ = [
    "DEFAULT_DISCLOSURES",
    "EMPLOYMENT_TAGS",
    "EMPLOYMENT_WORDS",
    "Rule",
    "TemplateProblem",
    "Violation",
    "check_characters",
    "check_disclosure",
    "compose_text",
    "disclosure_template",
    "is_disclosure_intact",
    "render_disclosure",
    "template_problems",
]

# The tag or label always comes first, so that even a truncated preview shows it.
DEFAULT_DISCLOSURES: dict[str, str] = {
    "en": "#employee · I work at {organisation}.",
    "de": "Werbung · #Mitarbeiter · Ich arbeite bei {organisation}.",
    "id": "#karyawan · Saya bekerja di {organisation}.",
    "it": "#dipendente · Lavoro presso {organisation}.",
}
_PLACEHOLDER = "{organisation}"
# What says "I am employed here" in each default: its tag and its words. A template an
# admin writes must keep one of them (or a tag of their own, see ``template_problems``).
EMPLOYMENT_TAGS: dict[str, str] = {"en": "#employee", "de": "#Mitarbeiter", "id": "#karyawan", "it": "#dipendente"}
EMPLOYMENT_WORDS: dict[str, str] = {
    "en": "I work at {organisation}",
    "de": "Ich arbeite bei {organisation}",
    "id": "Saya bekerja di {organisation}",
    "it": "Lavoro presso {organisation}",
}
# An admin's own tag: "#" and a letter, then letters, digits or "_"; one word, like the defaults.
_OWN_TAG = re.compile(r"#[^\W\d_]\w{1,39}")


class Rule(StrEnum):
    """Stable codes for what went wrong; the values are what callers store and test."""

    MISSING = "missing"  # not found at all, even after normalising
    NOT_FIRST = "not_first"  # found (whole or in part) after other text
    # Found only at the end of the post, alone or inside a trailing block of hashtags
    # (FTC: a disclosure there is likely to be missed).
    TRAILING_HASHTAGS = "trailing_hashtags"
    HIDDEN_CHARACTERS = "hidden_characters"  # zero-width or other invisible characters in or around it
    LOOKALIKE_LETTERS = "lookalike_letters"  # other scripts' letters, full-width or styled forms
    SPLIT = "split"  # words or tag broken up, or re-spaced, by spaces or line breaks
    ALTERED = "altered"  # case changed, words or punctuation edited, or run into the next word
    # Whitespace before it. The threshold is zero: where the "see more" fold falls differs
    # by network and device, so no amount of leading blank space is known to be safe.
    BURIED = "buried"
    # Followed on its line by more text: "#employee · I work at Acme. just kidding!"
    # reads as one sentence. A line break must follow it.
    NOT_ALONE = "not_alone"
    # Anywhere in the post: characters readers cannot see (zero-width, bidi, tag
    # characters, fillers, line breaks that render as nothing).
    HIDDEN_IN_TEXT = "hidden_in_text"


@dataclass(frozen=True)
class Violation:
    rule: Rule
    message: str  # plain English, starting with the rule the text broke


def disclosure_template(*, language: str) -> str:
    """The default template for a language tag such as ``de`` or ``de-AT``; English otherwise."""
    primary = language.replace("_", "-").split("-")[0].strip().lower()
    return DEFAULT_DISCLOSURES.get(primary, DEFAULT_DISCLOSURES["en"])


def render_disclosure(*, template: str, organisation: str) -> str:
    """Fill in the organisation's name; whitespace is collapsed so the disclosure is one line.

    ``str.replace`` rather than ``str.format``: templates are edited by admins, and
    ``format`` would let a template reach into object attributes.
    """
    name = " ".join(organisation.split())  # a name with line breaks would split the disclosure
    if not name:
        raise ValueError("The organisation's name is empty.")
    if _PLACEHOLDER not in template:
        raise ValueError("The disclosure template must name the employer: it needs {organisation}.")
    disclosure = " ".join(template.replace(_PLACEHOLDER, name).split())
    _validate(disclosure)
    return disclosure


@dataclass(frozen=True)
class TemplateProblem:
    code: str  # stable: no_organisation, hidden_characters, lookalike_letters, line_break, bad_tag,
    # tag_not_used, no_employment_statement
    message: str  # plain English, starting with the rule the template broke


def template_problems(*, template: str, language: str, tag: str = "") -> list[TemplateProblem]:
    """Empty when an admin's disclosure ``template`` for ``language`` may be used.

    It must name the employer (``{organisation}``), be one line of ordinary visible
    characters, and keep a visible employment statement: the language's default tag
    (``EMPLOYMENT_TAGS``) or words (``EMPLOYMENT_WORDS``), or ``tag``, a tag the admin
    chose, which must itself be a plain one-word hashtag and appear in the template.
    """
    primary = language.replace("_", "-").split("-")[0].strip().lower()
    problems = []
    if _PLACEHOLDER not in template:
        problems.append(
            TemplateProblem("no_organisation", "The disclosure must name the employer: add {organisation}.")
        )
    for code, text in (("hidden_characters", template), ("hidden_characters", tag)):
        if hidden := hidden_characters(text=text):
            described = _describe(Counter(hidden), kind="hidden", show=False)
            problems.append(
                TemplateProblem(
                    code, f"The disclosure must be visible text: it has {described}, which readers cannot see."
                )
            )
            break
    if any(char in "\n\r" for char in template):
        problems.append(TemplateProblem("line_break", "The disclosure must be one line: remove the line breaks."))
    for text in (template, tag):
        visible = strip_invisible(text=text)
        if fold(text=visible, casefold=False) != visible:
            problems.append(
                TemplateProblem(
                    "lookalike_letters",
                    "The disclosure must be written with ordinary letters, not look-alike characters from other "
                    "scripts or styled, full-width or differently encoded forms.",
                )
            )
            break
    tag = tag.strip()
    if tag and not _OWN_TAG.fullmatch(tag):
        problems.append(
            TemplateProblem(
                "bad_tag", "A tag must be one word: “#” followed by letters, digits or “_”, 3 to 41 characters."
            )
        )
    elif tag and not _contains_tag(template, tag):
        problems.append(TemplateProblem("tag_not_used", f"The disclosure must contain the chosen tag {tag}."))
    statements = [EMPLOYMENT_TAGS.get(primary, EMPLOYMENT_TAGS["en"]), *([tag] if tag else [])]
    words = EMPLOYMENT_WORDS.get(primary, EMPLOYMENT_WORDS["en"])
    if not any(_contains_tag(template, statement) for statement in statements) and not _contains_words(template, words):
        choices = " or ".join(f"“{statement}”" for statement in statements)
        problems.append(
            TemplateProblem(
                "no_employment_statement",
                f"The disclosure must say that the author works there: keep {choices}, or the words “{words}”.",
            )
        )
    return problems


def _contains_tag(template: str, tag: str) -> bool:
    return re.search(rf"(?<![\w#]){re.escape(tag)}(?!\w)", template, re.IGNORECASE) is not None


def _contains_words(template: str, words: str) -> bool:
    pattern = r"\s+".join(re.escape(word) for word in words.split())
    return re.search(rf"(?<!\w){pattern}", template, re.IGNORECASE) is not None


# Pure in its two strings, and costly (the disclosure search folds every prefix of the
# body: ~4 ms a text). The API's feed composes every card's text on every request (bench/:
# 85% of a GET /api/feed/), so recent answers are kept: a few MB per process at most.
@functools.lru_cache(maxsize=4096)
def compose_text(*, disclosure: str, body: str) -> str:
    """Disclosure first, a blank line, then the body.

    A body that already starts with the disclosure (say, pasted from an earlier post,
    possibly altered) loses that copy, so readers don't see it twice. Characters
    readers cannot see are removed from the body (see ``check_characters``).
    """
    _validate(disclosure)
    rest = clean_text(text=body).strip()
    while (found := _find_at_start(rest, disclosure)) is not None and found.ends_cleanly:
        rest = rest[found.end :].strip()
    return f"{disclosure}\n\n{rest}" if rest else disclosure


def is_disclosure_intact(*, text: str, disclosure: str) -> bool:
    """The quick yes/no of ``check_disclosure``, without working out why."""
    _validate(disclosure)
    return _passes(text, disclosure)


def check_disclosure(*, text: str, disclosure: str) -> list[Violation]:
    """Empty when ``text`` starts with ``disclosure`` exactly; otherwise what went wrong.

    No leading whitespace at all is allowed (see ``Rule.BURIED``).
    """
    _validate(disclosure)
    if _passes(text, disclosure):
        return []
    found = _find_at_start(text, disclosure)
    if found is not None:
        return _explain_at_start(found, disclosure)
    return [_explain_elsewhere(text, disclosure)]


def check_characters(*, text: str) -> list[Violation]:
    """Empty unless ``text`` has characters readers cannot see; emoji sequences
    (families, flags, keycaps) keep their joiners and selectors."""
    hidden = hidden_characters(text=text)
    if not hidden:
        return []
    described = _describe(Counter(hidden), kind="hidden", show=False)
    return [
        Violation(
            Rule.HIDDEN_IN_TEXT,
            f"The post must not contain hidden characters: it has {described}, which readers cannot see. "
            "Remove them, or type a plain space or line break instead.",
        )
    ]


def _validate(disclosure: str) -> None:
    if disclosure != disclosure.strip() or not _skeleton(disclosure):
        raise ValueError("The disclosure must be visible text without leading or trailing whitespace.")


def _passes(text: str, disclosure: str) -> bool:
    if not text.startswith(disclosure):
        return False
    return _alone_on_its_line(text[len(disclosure) :])


_END_OF_LINE = re.compile(r"[ \t]*(?:\r?\n|\r|\Z)")


def _alone_on_its_line(rest: str) -> bool:
    """Only spaces or tabs may sit between the disclosure and its line break."""
    return _END_OF_LINE.match(rest) is not None


def _skeleton(text: str) -> str:
    """Fully folded with no whitespace at all, so re-spacing cannot hide a match."""
    return "".join(char for char in fold(text=text) if not char.isspace())


@dataclass(frozen=True)
class _AtStart:
    lead: str  # whitespace or invisible characters before the disclosure
    span: str  # the raw text that folds to the disclosure
    trail: str  # invisible characters glued on after it
    end: int
    next_char: str | None
    rest: str  # everything after the finding

    @property
    def ends_cleanly(self) -> bool:
        return self.next_char is None or self.next_char.isspace()


def _find_at_start(text: str, disclosure: str) -> _AtStart | None:
    """Find raw text at the start that folds to the disclosure, ignoring all whitespace.

    Works a grapheme cluster at a time so positions in the raw text stay known while
    the folded text is compared (NFKC can change lengths, but not across clusters).
    """
    target = "".join(_skeleton(cluster) for cluster in grapheme.graphemes(disclosure))
    consumed, position, start = "", 0, None
    clusters = grapheme.graphemes(text)
    for cluster in clusters:
        folded = "" if cluster.isspace() else _skeleton(cluster)  # spaces: skip the costly fold
        if start is None and folded:
            start = position
        position += len(cluster)
        if not folded:
            continue
        consumed += folded
        if not target.startswith(consumed):
            return None
        if len(consumed) == len(target):
            break
    else:
        return None
    assert start is not None  # the loop only breaks after consuming a visible cluster
    end = position
    next_char = None
    for cluster in clusters:  # invisible clusters glued to the end belong to the finding
        if all(is_invisible(char=char) for char in cluster):
            end += len(cluster)
            continue
        next_char = cluster[0]
        break
    return _AtStart(text[:start], text[start:position], text[position:end], end, next_char, text[end:])


def _explain_at_start(found: _AtStart, disclosure: str) -> list[Violation]:
    violations = []
    if any(char.isspace() for char in found.lead):
        violations.append(_buried(found.lead))
    extra = Counter(c for c in found.lead + found.span + found.trail if is_invisible(char=c))
    extra -= Counter(c for c in disclosure if is_invisible(char=c))
    if extra:
        hidden = _describe(extra, kind="hidden", show=False)
        violations.append(
            Violation(
                Rule.HIDDEN_CHARACTERS,
                f"The disclosure must not contain hidden characters: it has {hidden} in or next to it, "
                "which can break the tag or the words.",
            )
        )
    if _spacing(found.span) != _spacing(disclosure):
        violations.append(
            Violation(
                Rule.SPLIT,
                "The disclosure must not be split up: its tag or words are broken by extra "
                "or different spaces or line breaks.",
            )
        )
    plain = _compact(found.span, lookalikes=False) != _compact(disclosure, lookalikes=False)
    if plain:
        odd = Counter(
            c
            for c in found.span
            if c not in disclosure
            and not c.isspace()
            and not is_invisible(char=c)
            and fold(text=c, casefold=False) != c
        )
        detail = _describe(odd, kind="look-alike", show=True) if odd else "look-alike characters"
        violations.append(
            Violation(
                Rule.LOOKALIKE_LETTERS,
                f"The disclosure must be written with ordinary letters: it uses {detail} "
                "from other scripts, or styled, full-width or differently encoded forms.",
            )
        )
    if _compact(found.span, casefold=False) != _compact(disclosure, casefold=False):
        violations.append(_altered("its capital and small letters were changed"))
    elif not found.ends_cleanly:
        violations.append(_altered("it runs straight into the following text; start a new line after it"))
    elif not found.trail and not _alone_on_its_line(found.rest):
        violations.append(
            Violation(
                Rule.NOT_ALONE,
                "The disclosure must stand alone on the first line: start a new line straight after it, "
                "so readers do not take the following words as part of it.",
            )
        )
    if not violations:  # folding was needed, but none of the single steps explain it
        violations.append(
            Violation(
                Rule.LOOKALIKE_LETTERS,
                "The disclosure must be written with ordinary letters: some characters were "
                "replaced with look-alike or differently encoded forms.",
            )
        )
    return violations


def _compact(text: str, *, casefold: bool = True, lookalikes: bool = True) -> str:
    folded = fold(text=text, casefold=casefold, lookalikes=lookalikes)
    return "".join(char for char in folded if not char.isspace())


def _spacing(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The whitespace runs and the folded words between them."""
    visible = strip_invisible(text=text)
    return tuple(re.findall(r"\s+", visible)), tuple(_skeleton(word) for word in visible.split())


def _buried(lead: str) -> Violation:
    breaks = len(_LINE_BREAK.findall(lead))
    spaces = sum(1 for char in lead if char.isspace())
    what = _plural(breaks, "line break") if breaks else _plural(spaces, "space")
    return Violation(
        Rule.BURIED,
        f"The disclosure must be the very first thing in the post: the post starts with {what} "
        "before it, which can push it below the “see more” fold.",
    )


def _altered(detail: str) -> Violation:
    return Violation(Rule.ALTERED, f"The disclosure must be used exactly as given: {detail}.")


# Anything after a match that is only hashtags, mentions, punctuation, emoji or space
# means the match sits at the end of the post.
# Possessive quantifiers keep a long run of "@a@a@a…" from backtracking exponentially.
_TRAILING = re.compile(r"(?:\s|#\w++|@[\w.@-]++|[^\w\s])*+")


_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _explain_elsewhere(text: str, disclosure: str) -> Violation:
    collapsed = normalize(text=text)
    whole = _occurrences(collapsed, normalize(text=disclosure), anywhere=True)
    later = [(start, end) for start, end in whole if start > 0]
    if later:
        return _misplaced(collapsed, later, "it")
    if (altered := _resemblance(collapsed, disclosure)) is not None:
        return altered
    for shown, phrase in _key_phrases(disclosure):
        if found := _occurrences(collapsed, phrase, anywhere=False):
            return _misplaced(collapsed, found, f"part of it (“{shown}”)")
    return Violation(Rule.MISSING, f"The disclosure is missing: the post must start with “{disclosure}”")


def _occurrences(collapsed: str, needle: str, *, anywhere: bool) -> list[tuple[int, int]]:
    """Where ``needle`` occurs in ``collapsed``, as (start, end) positions.

    ``anywhere`` ignores whitespace, so a re-spaced copy is still found; otherwise the
    needle must stand as whole words.
    """
    if anywhere:
        indexes = [i for i, char in enumerate(collapsed) if char != " "]
        skeleton, target = "".join(collapsed[i] for i in indexes), needle.replace(" ", "")
        spans, at = [], skeleton.find(target)
        while target and at != -1:
            spans.append((indexes[at], indexes[at + len(target) - 1] + 1))
            at = skeleton.find(target, at + 1)
        return spans
    hash_optional = "" if needle.startswith("#") else "#?"  # "#Werbung" still counts as "Werbung"
    pattern = rf"(?<![\w#@]){hash_optional}{re.escape(needle)}(?!\w)"
    return [match.span() for match in re.finditer(pattern, collapsed)]


def _misplaced(collapsed: str, spans: list[tuple[int, int]], what: str) -> Violation:
    start, end = spans[0]  # the first copy decides: anything after it is after it too
    if not _TRAILING.fullmatch(collapsed[end:]):
        return Violation(
            Rule.NOT_FIRST,
            f"The disclosure must come first: {what} was found after other text, not at the start of the post.",
        )
    before = collapsed[:start].split()
    in_hashtags = "#" in collapsed[end:] or (bool(before) and before[-1].startswith("#"))
    where = "inside a block of hashtags at the end of the post" if in_hashtags else "at the end of the post"
    return Violation(
        Rule.TRAILING_HASHTAGS,
        f"The disclosure must come first: {what} was found {where}, where readers miss it.",
    )


def _key_phrases(disclosure: str) -> list[tuple[str, str]]:
    """Parts that make a partial copy, as (as written, normalised) pairs: the disclosure's
    "·"-separated segments (the tag, "I work at …") and every hashtag in it."""
    parts = re.split(r"\s+[·•|]\s+", disclosure) + [w for w in disclosure.split() if w.startswith("#")]
    phrases: dict[str, str] = {}
    for part in parts:
        phrase = _TRIM.sub("", normalize(text=part))
        if re.search(r"\w", phrase):
            phrases.setdefault(phrase, _TRIM.sub("", part))
    return [(shown, phrase) for phrase, shown in phrases.items()]


_TRIM = re.compile(r"^[^\w#]+|[^\w]+$")  # keep a leading "#", drop a trailing "."


def _resemblance(collapsed: str, disclosure: str) -> Violation | None:
    """An ``altered`` violation when the post starts with something close to the disclosure."""
    wanted = normalize(text=disclosure)
    letters = "".join(re.findall(r"\w", wanted))
    if letters and "".join(re.findall(r"\w", collapsed)).startswith(letters):
        return _altered("its punctuation or symbols (such as “#” or “·”) were changed or removed")
    ratio = difflib.SequenceMatcher(None, collapsed[: len(wanted)], wanted, autojunk=False).ratio()
    if ratio >= 0.8:  # a typo or an edited word or two
        return _altered("its words were changed")
    for shown, phrase in _key_phrases(disclosure):
        if any(start == 0 for start, _ in _occurrences(collapsed, phrase, anywhere=False)):
            return _altered(f"the post starts with part of it (“{shown}”), but the rest is missing or changed")
    return None


def _describe(characters: Counter[str], *, kind: str, show: bool) -> str:
    """Count and name characters, e.g. "2 look-alike characters (“е” U+0435 CYRILLIC SMALL LETTER IE)"."""
    names = [
        (f"“{char}” " if show else "") + f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}" for char in characters
    ]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{_plural(sum(characters.values()), f'{kind} character')} ({shown})"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
