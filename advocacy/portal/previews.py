"""What ``templates/portal/_preview.html`` shows: each network's final post, styled as
that network shows a post. Built from ``share_post`` (or ``final_post`` for a text
without a draft), the function the checks and the network clients use, so the preview
is the post. The share page, "Share as is" and the comms composer all build it here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from accounts.models import User
from advocacy.compose import FinalPost, final_post
from advocacy.core.public_links import PUBLIC_ID_LENGTH
from advocacy.drafts.content import PostCheck, check_post, check_share, share_post
from advocacy.drafts.models import DraftVersion
from advocacy.ledger.models import ConnectedAccount
from advocacy.linkcards.tasks import link_card_request
from advocacy.networks.registry import NETWORKS

# A share's public page id is drawn when it is made; one of the same length stands in,
# so the counter counts the address the post will carry.
PREVIEW_PUBLIC_ID = "p" * PUBLIC_ID_LENGTH


@dataclass(frozen=True)
class NetworkPreview:
    network: str  # "bluesky", "mastodon", "linkedin", "x"
    name: str  # the network's name, as people read it
    post: FinalPost
    check: PostCheck | None  # None: no counter or problems are shown
    disclosure: str
    author: str  # the name shown over the post
    handle: str  # the account's handle on that network, or "" when none is connected
    image_url: str = ""  # the draft's image, when the post has one

    @property
    def body(self) -> str | None:
        """The text after the disclosure, or None when the post does not start with it
        (the whole text is then shown as it is, and the check says what is wrong)."""
        text = self.post.text
        return text[len(self.disclosure) :] if self.disclosure and text.startswith(self.disclosure) else None

    @property
    def initial(self) -> str:
        return (self.author.strip()[:1] or "?").upper()

    @property
    def handle_shown(self) -> str:
        """The handle as the network writes it under the name; LinkedIn shows none."""
        if self.network == "linkedin" or not self.handle:
            return ""
        return f"@{self.handle.lstrip('@')}"

    @property
    def network_makes_card(self) -> bool:
        """Mastodon, LinkedIn and X make their own preview of a link in the text:
        Candor sends them no card, so the preview says so instead of guessing theirs."""
        return self.network != "bluesky" and "://" in self.post.text and not self.post.has_image

    @property
    def card_host(self) -> str:
        card = self.post.link_card
        return (urlsplit(card.uri).hostname or "") if card else ""


def network_previews(
    *,
    user: User,
    text: str = "",
    texts: Mapping[str, str] | None = None,
    networks: list[str],
    disclosure: str,
    version: DraftVersion | None = None,
    checked: bool = True,
) -> list[NetworkPreview]:
    """One preview per network in ``networks`` of ``text`` (or of ``texts[network]``,
    each network's own text) shared from ``version`` (its link, card and image), as
    ``user`` would post it. Asks for the link's card to
    be read (by a worker, after commit) when it has not been: the preview shows the
    address-only card until then, exactly as the post would carry it."""
    if version is not None and version.link and not version.image:
        link_card_request(url=version.link)
    handles = dict(
        ConnectedAccount.objects.filter(owner=user, status=ConnectedAccount.Status.ACTIVE)
        .order_by("pk")  # the newest account of a network wins
        .values_list("network", "handle")
    )
    image_url = version.image.url if version is not None and version.image else ""
    previews = []
    for network in networks:
        own_text = texts.get(network, text) if texts is not None else text
        post, check = _post_and_check(network=network, text=own_text, disclosure=disclosure, version=version)
        previews.append(
            NetworkPreview(
                network=network,
                name=NETWORKS[network],
                post=post,
                check=check if checked else None,
                disclosure=disclosure,
                author=user.name,
                handle=handles.get(network, ""),
                image_url=image_url if post.has_image else "",
            )
        )
    return previews


def _post_and_check(
    *, network: str, text: str, disclosure: str, version: DraftVersion | None
) -> tuple[FinalPost, PostCheck]:
    if version is None:
        return final_post(network=network, text=text), check_post(network=network, text=text, disclosure=disclosure)
    post = share_post(network=network, text=text, version=version, disclosure=disclosure, public_id=PREVIEW_PUBLIC_ID)
    check = check_share(network=network, text=text, disclosure=disclosure, version=version, public_id=PREVIEW_PUBLIC_ID)
    return post, check


def composer_previews(
    *, author: str, posts: list[tuple[FinalPost, PostCheck]], disclosure: str, image_url: str = ""
) -> list[NetworkPreview]:
    """The comms composer's previews: each network's post as employees will be offered
    it (built by the caller from the draft form, variants included), with its check."""
    return [
        NetworkPreview(
            network=post.network,
            name=NETWORKS[post.network],
            post=post,
            check=check,
            disclosure=disclosure,
            author=author,
            handle="",
            image_url=image_url if post.has_image else "",
        )
        for post, check in posts
    ]
