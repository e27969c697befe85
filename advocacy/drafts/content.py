"""What a post will look like on each network, and whether it may be posted.

Used when a draft is saved, when a share is created or edited, and again right
before sending, so the same rules apply at every step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import formats
from django.utils.translation import get_language, gettext, gettext_lazy

from advocacy.compose import (
    FinalPost,
    LengthReport,
    Rule,
    Violation,
    check_characters,
    check_disclosure,
    compose_text,
    final_post,
    measure,
)
from advocacy.core.public_links import public_page_link
from advocacy.linkcards.selectors import link_card_for
from advocacy.networks.registry import takes_images

if TYPE_CHECKING:
    from advocacy.drafts.models import DraftVersion

_UNPOSTABLE = re.compile("[\x00\ud800-\udfff]")


def unix_newlines(text: str) -> str:
    """Browsers submit textareas with CRLF; posts and their length counts use LF only."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def body_with_link(*, body: str, link: str) -> str:
    body = body.strip()
    if link and link not in body:
        return f"{body}\n{link}" if body else link
    return body


def final_text(*, disclosure: str, body: str, link: str = "") -> str:
    return compose_text(disclosure=disclosure, body=body_with_link(body=body, link=link))


def draft_post(
    *, network: str, body: str, link: str, disclosure: str, has_image: bool = False, image_alt: str = ""
) -> FinalPost:
    """What ``network`` receives for a draft's text for that network (its variant, or
    the main text): the disclosure first, then the text with the draft's link. What
    the comms composer previews and what saving a draft checks (``check_draft_post``)."""
    return final_post(
        network=network,
        text=final_text(disclosure=disclosure, body=body, link=link),
        link=link,
        has_image=has_image,
        image_alt=image_alt if has_image else "",
        disclosure=disclosure,
    )


def check_draft_post(*, post: FinalPost, disclosure: str) -> PostCheck:
    """The rules a draft's post must pass for its network before it can be saved."""
    return check_post(network=post.network, text=post.text, disclosure=disclosure)


@dataclass(frozen=True)
class PostCheck:
    network: str
    text: str
    count: int
    limit: int
    unit: str
    problems: tuple[str, ...]
    # Stable codes, one per problem: "disclosure_<rule>" (e.g. disclosure_not_first),
    # "hidden_in_text" or "too_long".
    codes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unit_label(self) -> str:
        """What is counted, in the reader's language (``unit`` stays the stable English word)."""
        return str(UNIT_LABELS.get(self.unit, self.unit))


def check_post(*, network: str, text: str, disclosure: str, max_characters: int | None = None) -> PostCheck:
    """Disclosure first, intact and alone on its line; nothing hidden anywhere in the
    text; within the network's length limit."""
    violations = check_disclosure(text=text, disclosure=disclosure)
    problems = [_disclosure_problem(violation, disclosure) for violation in violations]
    codes = [f"disclosure_{violation.rule}" for violation in violations]
    # NUL and lone surrogates are refused earlier, where text comes in, with their own
    # message ("cannot be posted"); naming them again here as hidden would say it twice.
    for violation in check_characters(text=_UNPOSTABLE.sub("", text)):
        problems.append(_disclosure_problem(violation, disclosure))
        codes.append(str(violation.rule))
    report = measure(network=network, text=text, max_characters=max_characters)
    if not report.ok:
        problems.append(_length_problem(report))
        codes.append("too_long")
    return PostCheck(network, text, report.count, report.limit, report.unit, tuple(problems), tuple(codes))


def share_post(
    *, network: str, text: str, version: DraftVersion, disclosure: str = "", public_id: str | None = None
) -> FinalPost:
    """The exact post ``network`` receives when ``text`` is shared from ``version``
    (its link and image) under ``disclosure``, linking the share's public page
    (``public_id``) where the network allows: what the share page previews, what the
    checks measure and what the posting engine hands the network client.

    A tracked short link of the draft in the text stands for the draft's link, so the
    network adds neither the link again nor a card for it (the composer offers the
    tracked link; adding the raw one too showed the link twice).

    A Bluesky link card carries what the server read from the page (title,
    description, thumbnail) once it has been read; until then its address only."""
    link = version.link
    if link and link not in text and _has_tracked_link(text=text, version=version):
        link = ""
    # Only a Bluesky post without an image gets a card; the others need no lookup.
    wants_card = network == "bluesky" and bool(link) and link not in text and not version.image
    return final_post(
        network=network,
        text=text,
        link=link,
        has_image=bool(version.image),
        image_alt=version.image_alt if version.image else "",
        disclosure=disclosure,
        page_url=public_page_link(network=network, public_id=public_id),
        card=link_card_for(url=link) if wants_card else None,
    )


def image_refused(network: str) -> str:
    return gettext(
        "Candor cannot attach images to %(network)s posts yet, and this post has an image. "
        "Share it on a network that takes images."
    ) % {"network": _NETWORK_NAMES.get(network, network)}


def _has_tracked_link(*, text: str, version: DraftVersion) -> bool:
    prefix = f"{settings.CANDOR_SITE_URL}/l/"
    if prefix not in text:
        return False
    codes = version.draft.tracked_links.values_list("code", flat=True)
    return any(f"{prefix}{code}" in text for code in codes)


def check_share(
    *,
    network: str,
    text: str,
    disclosure: str,
    version: DraftVersion,
    max_characters: int | None = None,
    public_id: str | None = None,
) -> PostCheck:
    """``check_post`` on the final post, not on the text as typed: a link the network
    adds is counted, and the public page's address in the disclosure line is part of
    the line that must stand alone. The check's ``text`` is the final text."""
    post = share_post(network=network, text=text, version=version, disclosure=disclosure, public_id=public_id)
    line = post.disclosure_line or disclosure
    check = check_post(network=network, text=post.text, disclosure=line, max_characters=max_characters)
    if post.has_image and not takes_images(network):
        # Checked here, not found out at send time: the employee would otherwise
        # schedule a post that can only fail.
        check = replace(
            check,
            problems=(*check.problems, image_refused(network)),
            codes=(*check.codes, "image_not_supported"),
        )
    if post.text != text and "too_long" in check.codes:
        index = check.codes.index("too_long")
        why = gettext("On %(network)s the draft's link is added to the text, because the post has an image.") % {
            "network": _NETWORK_NAMES.get(network, network)
        }
        problems = list(check.problems)
        problems[index] = f"{problems[index]}. {why}"
        check = replace(check, problems=tuple(problems))
    return check


# advocacy.compose is pure Python and explains problems in detailed English. For people
# reading Candor in another language the same rule is explained in theirs, without the
# English-only detail (which characters, which words).
UNIT_LABELS = {
    "graphemes": gettext_lazy("graphemes"),
    "characters": gettext_lazy("characters"),
    "weighted characters": gettext_lazy("weighted characters"),
    "bytes": gettext_lazy("bytes"),
}
_RULE_MESSAGES = {
    Rule.MISSING: gettext_lazy("The disclosure is missing: the post must start with “%(disclosure)s”"),
    Rule.NOT_FIRST: gettext_lazy(
        "The disclosure must come first: it was found after other text, not at the start of the post."
    ),
    Rule.TRAILING_HASHTAGS: gettext_lazy(
        "The disclosure must come first: it was found at the end of the post, where readers miss it."
    ),
    Rule.HIDDEN_CHARACTERS: gettext_lazy(
        "The disclosure must not contain hidden characters: they can break the tag or the words."
    ),
    Rule.LOOKALIKE_LETTERS: gettext_lazy(
        "The disclosure must be written with ordinary letters, not look-alike characters from other scripts "
        "or styled, full-width or differently encoded forms."
    ),
    Rule.SPLIT: gettext_lazy(
        "The disclosure must not be split up: its tag or words are broken by extra or different spaces or line breaks."
    ),
    Rule.ALTERED: gettext_lazy("The disclosure must be used exactly as given: “%(disclosure)s”."),
    Rule.NOT_ALONE: gettext_lazy(
        "The disclosure must stand alone on the first line: start a new line straight after it, "
        "so readers do not take the following words as part of it."
    ),
    Rule.HIDDEN_IN_TEXT: gettext_lazy(
        "The post must not contain hidden characters, which readers cannot see. "
        "Remove them, or type a plain space or line break instead."
    ),
    Rule.BURIED: gettext_lazy(
        "The disclosure must be the very first thing in the post: remove the spaces or line breaks before it, "
        "which can push it below the “see more” fold."
    ),
}


def _english() -> bool:
    return (get_language() or "en").startswith("en")


def _disclosure_problem(violation: Violation, disclosure: str) -> str:
    if _english() or violation.rule not in _RULE_MESSAGES:
        return violation.message
    return str(_RULE_MESSAGES[violation.rule]) % {"disclosure": disclosure}


def _length_problem(report: LengthReport) -> str:
    if _english():
        return report.message
    return gettext("Too long for %(network)s: %(count)s of %(limit)s %(unit)s") % {
        "network": _NETWORK_NAMES.get(report.network, report.network),
        "count": formats.number_format(report.count, force_grouping=True),
        "limit": formats.number_format(report.limit, force_grouping=True),
        "unit": UNIT_LABELS.get(report.unit, report.unit),
    }


_NETWORK_NAMES = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon", "linkedin": "LinkedIn"}
