"""What the posting engine tells people: the reasons a post was not sent, and the
notices' titles and bodies.

A reason is stored on the share and shown later in the reader's own language, so it
is a fixed sentence marked with ``gettext_noop``, never one built here. A notice's
words are written by a function, called in the employee's language and time zone (a
worker has neither), see ``tell``."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from advocacy.ledger.models import ConnectedAccount
from advocacy.notifications.services import notify, recipient_locale
from advocacy.sharing.models import Share

# What the employee is told: the kind, and a function that writes the title and body.
Notice = tuple[str, Callable[[], tuple[str, str]]]

ACCOUNT_REASONS: dict[str, str] = {
    ConnectedAccount.Status.NEEDS_RECONNECT: gettext_noop("The account needs reconnecting, so the post was not sent."),
    ConnectedAccount.Status.REVOCATION_PENDING: gettext_noop(
        "The account is being handed back, so the post was not sent."
    ),
    ConnectedAccount.Status.HANDED_BACK: gettext_noop("The account was handed back, so the post was not sent."),
    ConnectedAccount.Status.REVOKED: gettext_noop(
        "Candor's access to the account was revoked, so the post was not sent."
    ),
    ConnectedAccount.Status.DISCONNECTED: gettext_noop("The account was disconnected, so the post was not sent."),
}
LEAVING = gettext_noop("You are leaving the company, so Candor no longer posts for you.")
DEACTIVATED = gettext_noop("Your Candor account is deactivated, so Candor no longer posts for you.")
NOT_TAKING_PART = gettext_noop(
    "You are no longer taking part in the programme (or the policy changed and needs your consent)."
)
WITHDRAWN = gettext_noop("The comms team withdrew this post.")
EXPIRED = gettext_noop("This post has expired.")


def account_reason(status: str) -> str:
    """Why nothing is posted to an account in ``status`` (any status but active)."""
    return ACCOUNT_REASONS.get(status, ACCOUNT_REASONS[ConnectedAccount.Status.DISCONNECTED])


def disclosure_changed_reason(current: str) -> str:
    return (
        "The disclosure changed after this post was scheduled, and the post does not start with "
        f"the current one (“{current}”). Edit it to start with the current disclosure, and it is sent."
    )


def missed_reason() -> str:
    return f"Not sent: it was more than {settings.CANDOR_MAX_LATENESS_MINUTES} minutes late."


def unknown_reason(share: Share, detail: str) -> str:
    return (
        f"Candor cannot tell whether this post reached {share.account.get_network_display()} "
        f"({detail}). Check your profile; it was not re-posted to avoid a duplicate."
    )


def tell(share: Share, kind: str, words: Callable[[], tuple[str, str]]) -> None:
    """Notify the share's employee, in their language, once per share and kind."""
    with recipient_locale(share.employee):
        title, body = words()
    notify(
        user=share.employee,
        kind=kind,
        title=title,
        body=body,
        link=f"/shares/{share.pk}/",
        dedupe_key=f"{kind}:{share.pk}",
    )


def held_words(reason: str) -> tuple[str, str]:
    return _("Your post is on hold"), reason


def cancelled_words(reason: str) -> tuple[str, str]:
    return _("Your post was not sent"), _(reason)


def missed_words(share: Share) -> tuple[str, str]:
    values = {
        "title": share.draft.title,
        "due": date_format(timezone.localtime(share.scheduled_at), "DATETIME_FORMAT"),
        "minutes": settings.CANDOR_MAX_LATENESS_MINUTES,
    }
    return _("Your post was not sent: it was too late"), _(
        "“%(title)s” was due at %(due)s but could not be sent within %(minutes)s minutes, so Candor did not "
        "post it late. You can schedule it again."
    ) % values


def failed_words(share: Share, message: str) -> tuple[str, str]:
    values = {"account": share.account, "network": share.account.get_network_display(), "message": message}
    return _("Your post to %(account)s failed") % values, _(
        "%(network)s said: %(message)s\n\nOpen the share to edit it and try again."
    ) % values


def unknown_words(share: Share, detail: str) -> tuple[str, str]:
    values = {"network": share.account.get_network_display(), "detail": detail}
    return _("Please check one of your posts"), _(
        "Candor cannot tell whether this post reached %(network)s (%(detail)s). Check your profile; it was not "
        "re-posted to avoid a duplicate."
    ) % values


def reconnect_words(account: ConnectedAccount, reason: str) -> tuple[str, str]:
    return _("Reconnect %(account)s") % {"account": account}, _("%(reason)s Reconnect it to keep sharing.") % {
        "reason": reason
    }
