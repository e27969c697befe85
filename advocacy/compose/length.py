"""How long a post is by each network's own rules, measured on the final text.

The final text includes the disclosure, so a body that fits on its own can still be too
long once the disclosure is added. Each network counts differently, and counting the
way the network does is the only way to avoid "caption too long" surprises at
publish time.
"""

from __future__ import annotations

import importlib.util
import pathlib
import re
import sys
import types
import unicodedata
from dataclasses import dataclass

import grapheme


def _import_twitter_text() -> types.ModuleType:
    """Import twitter-text-parser, which still calls ``pkg_resources.resource_string``.

    setuptools 81+ no longer ships ``pkg_resources``. When it is absent, a stand-in
    offering that one function is visible only while twitter_text loads, so no other
    library mistakes it for the real thing.
    """
    if importlib.util.find_spec("pkg_resources") is not None:
        return importlib.import_module("twitter_text")
    shim = types.ModuleType("pkg_resources")
    # pkg_resources resolves a module name to the folder the module's file is in.
    shim.resource_string = lambda module, name: (  # type: ignore[attr-defined]
        pathlib.Path(sys.modules[module].__file__ or "").with_name(name).read_bytes()
    )
    sys.modules["pkg_resources"] = shim
    try:
        return importlib.import_module("twitter_text")
    finally:
        del sys.modules["pkg_resources"]


twitter_text = _import_twitter_text()

__all__ = ["BLUESKY_MAX_BYTES", "NETWORK_LIMITS", "LengthReport", "measure"]

NETWORK_LIMITS: dict[str, int] = {"x": 280, "bluesky": 300, "mastodon": 500, "linkedin": 3000}
BLUESKY_MAX_BYTES = 3000  # the post lexicon's maxLength, which atproto counts in UTF-8 bytes
_NAMES = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon", "linkedin": "LinkedIn"}
_UNITS = {
    "x": "weighted characters",
    "bluesky": "graphemes",
    "mastodon": "characters",
    "linkedin": "characters",
}

# Mastodon's StatusLengthValidator: every http(s) URL counts as 23, and a mention
# counts only as "@username", without the "@domain" of a remote account.
_MASTODON_URL = "x" * 23
_MASTODON_MENTION = re.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@(?P<domain>\w+(?:[.-]+\w+)*))?", re.IGNORECASE
)
_MASTODON_NOT_MENTION_AFTER = re.compile(r"[@＠\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]|://")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# twitter-text tries its URL pattern from every position of an unbroken run of text, so
# its cost grows with the square of the run's length (2,000 accented letters before
# "a.b" take over a second). URLs never contain whitespace, so text is measured run by
# run, and a run longer than this is cut into pieces. That can change the count only
# for such a freak run, which is far over every limit anyway unless it is one huge URL.
_LONGEST_RUN = 1000
_RUN = re.compile(rf"\s+|\S{{1,{_LONGEST_RUN}}}")


@dataclass(frozen=True)
class LengthReport:
    network: str
    count: int
    limit: int
    unit: str
    ok: bool
    message: str


def measure(*, network: str, text: str, max_characters: int | None = None) -> LengthReport:
    """Count ``text`` the way ``network`` does.

    ``max_characters`` is a Mastodon instance's own limit
    (``configuration.statuses.max_characters``); the other networks have one fixed limit,
    so passing it for them is a mistake and raises ``ValueError``.
    """
    if network not in NETWORK_LIMITS:
        raise ValueError(f"Unknown network {network!r}; expected one of: {', '.join(sorted(NETWORK_LIMITS))}.")
    if max_characters is not None:
        if network != "mastodon":
            raise ValueError(f"max_characters applies only to Mastodon, not to {_NAMES[network]}.")
        if isinstance(max_characters, bool) or not isinstance(max_characters, int) or max_characters < 1:
            raise ValueError("max_characters must be a positive whole number.")
    # A lone surrogate cannot be encoded or sent; an encoder would substitute U+FFFD.
    text = _LONE_SURROGATE.sub("\ufffd", text)
    limit = max_characters or NETWORK_LIMITS[network]
    unit = _UNITS[network]
    if network == "x":
        # twitter-text applies NFC and X's weights: URLs 23, emoji and CJK 2, most else 1.
        text = unicodedata.normalize("NFC", text)
        count = sum(twitter_text.parse_tweet(run).weightedLength for _, run in _runs(text))
    elif network == "bluesky":
        count = grapheme.length(text)
        size = len(text.encode("utf-8"))
        if count <= limit and size > BLUESKY_MAX_BYTES:
            return _report(network, size, BLUESKY_MAX_BYTES, "bytes")
        if count > limit and size > BLUESKY_MAX_BYTES:
            report = _report(network, count, limit, unit)
            message = f"{report.message} and {size:,} of {BLUESKY_MAX_BYTES:,} bytes"
            return LengthReport(network, count, limit, unit, False, message)
    elif network == "mastodon":
        count = grapheme.length(_mastodon_countable(text))  # Mastodon counts grapheme clusters
    else:
        # LinkedIn documents "characters" without saying which; counting UTF-16 code
        # units (as its web composer does) never under-counts.
        count = len(text.encode("utf-16-le")) // 2
    return _report(network, count, limit, unit)


def _report(network: str, count: int, limit: int, unit: str) -> LengthReport:
    ok = count <= limit
    verdict = f"Fits {_NAMES[network]}" if ok else f"Too long for {_NAMES[network]}"
    return LengthReport(network, count, limit, unit, ok, f"{verdict}: {count:,} of {limit:,} {unit}")


def _runs(text: str) -> list[tuple[int, str]]:
    return [(match.start(), match.group()) for match in _RUN.finditer(text)]


def _mastodon_countable(text: str) -> str:
    """Mastodon's ``countable_text``: URLs become 23 characters, mentions lose their domain."""
    if not text.strip():
        return ""
    entities: list[tuple[int, int, str]] = [
        (offset + entity["indices"][0], offset + entity["indices"][1], _MASTODON_URL)
        for offset, run in _runs(text)
        for entity in twitter_text.extract_urls_with_indices(run, extract_urls_without_protocol=False)
    ]
    for match in _MASTODON_MENTION.finditer(text):
        if _MASTODON_NOT_MENTION_AFTER.match(text, match.end()):
            continue
        if match["domain"] and len(match["domain"]) > 253:  # Mastodon ignores such mentions
            continue
        entities.append((match.start(), match.end(), "@" + match["user"]))
    pieces, position = [], 0
    for start, end, replacement in sorted(entities):
        if start < position:  # overlapping entities: the earlier one wins, as in Mastodon
            continue
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
