"""Employees sharing published drafts to their own accounts.

A share's text is final: the disclosure first, checked here when it is created or
edited and again by the posting engine right before sending. Editing and cancelling
are conditional updates on a pending state (``scheduled``, or ``review`` for an
edited share the programme wants reviewed), so they can never race a worker that
has already started sending: the engine only ever claims ``scheduled`` shares.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.analytics.models import TrackedLink
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.compose.normalize import fold
from advocacy.core.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed
from advocacy.core.public_links import new_public_id
from advocacy.drafts.audience import is_meant_for
from advocacy.drafts.content import body_with_link, check_share, unix_newlines
from advocacy.drafts.models import Draft, DraftVersion
from advocacy.drafts.selectors import published_draft_get
from advocacy.ledger.models import ConnectedAccount
from advocacy.program.selectors import disclosure_for, participation_state, programme_settings
from advocacy.sharing.models import OUTCOME_UNKNOWN, Share

MAX_SCHEDULE_AHEAD = dt.timedelta(days=90)
IN_DOUBT = OUTCOME_UNKNOWN  # the previous attempt may have landed: the engine reconciles first
IN_DOUBT_MESSAGE = gettext_lazy(
    "Candor is checking whether an earlier attempt already reached the network, "
    "so this post cannot be changed or cancelled until that is known."
)
PAST_TOLERANCE = dt.timedelta(minutes=2)


def _label(label: str) -> str:
    """A status label mid-sentence: lower case in English, as written in other languages."""
    return label.lower() if (get_language() or "en").startswith("en") else label


def _check_text(
    *, text: str, network: str, disclosure: str, account: ConnectedAccount, version: DraftVersion, public_id: str | None
) -> None:
    # The final post is checked: on some networks the draft's link, or the link to the
    # post's public page, is added to the text.
    check = check_share(
        network=network,
        text=text,
        disclosure=disclosure,
        version=version,
        max_characters=account.max_characters,
        public_id=public_id,
    )
    if not check.ok:
        raise ValidationFailed(" ".join(check.problems), fields={"text": list(check.problems)}, code=check.codes[0])


def _check_time(*, when: dt.datetime, expires: dt.datetime | None) -> None:
    if timezone.is_naive(when):
        raise ValidationFailed(
            gettext("The time needs a time zone."), fields={"scheduled_at": [gettext("Give a time zone.")]}
        )
    now = timezone.now()
    if when < now - PAST_TOLERANCE:
        raise ValidationFailed(
            gettext("That time has passed; pick a time in the future or 'now'."),
            fields={"scheduled_at": [gettext("The time is in the past.")]},
        )
    if when > now + MAX_SCHEDULE_AHEAD:
        raise ValidationFailed(
            gettext("Shares can be scheduled at most 90 days ahead."),
            fields={"scheduled_at": [gettext("Too far in the future.")]},
        )
    if expires is not None and when >= expires:
        raise ValidationFailed(
            gettext("This post expires at %(expiry)s UTC; schedule it before then.")
            % {"expiry": f"{expires:%Y-%m-%d %H:%M}"},
            fields={"scheduled_at": [gettext("After the post's expiry.")]},
        )


def _kick_dispatcher() -> None:
    """Shares due now should not wait for the next beat tick."""
    from advocacy.sharing.tasks import dispatch_due_shares

    # celery-types types shared_task as a plain Task; with Django, Celery's task class is DjangoTask.
    dispatch_due_shares.delay_on_commit()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ShareTarget:
    """One account to post on, and the final text for it (disclosure first)."""

    account_id: int
    text: str


def _check_site_url() -> None:
    """Every post carries a tracked link to ``CANDOR_SITE_URL``: where it must be https
    (production), an unset or http:// address would publish a link that is dead or
    unencrypted, so nothing is scheduled until an administrator sets it."""
    if settings.CANDOR_REQUIRE_HTTPS_SITE_URL and not settings.CANDOR_SITE_URL.startswith("https://"):
        raise Conflict(
            gettext(
                "Sharing is paused: the site's address (CANDOR_SITE_URL) must be set to an https:// address, "
                "because every post links back to it. Ask an administrator to set it."
            ),
            code="site_url_not_https",
        )


def _check_participant(employee: User) -> None:
    if not user_can(employee, Capability.PARTICIPATE):
        raise NotAllowed(gettext("This account cannot take part in the programme."))
    state = participation_state(user=employee)
    if not state.enrolled:
        raise Conflict(gettext("Join the programme before sharing."), code="not_enrolled")
    if state.needs_reconsent:
        raise Conflict(
            gettext("The programme policy changed; read it and confirm before sharing again."), code="policy_outdated"
        )


def _check_audience(*, employee: User, draft_id: int) -> None:
    """A published draft meant for other teams or languages is refused in words; the
    feed does not list it, but a stale page or a script may still name it."""
    draft = Draft.objects.select_related("published_version").filter(pk=draft_id).first()
    version = draft.published_version if draft is not None else None
    if version is not None and not is_meant_for(employee, version):
        raise NotAllowed(
            gettext(
                "This post is meant for other teams or languages, not for you: only the people it is meant for "
                "can share it."
            ),
            code="not_in_audience",
        )


def _check_account(*, account: ConnectedAccount | None, version: DraftVersion) -> ConnectedAccount:
    if account is None:
        raise ValidationFailed(
            gettext("Choose one of your own connected accounts."),
            fields={"account": [gettext("Not one of your accounts.")]},
        )
    if not account.is_usable:
        raise Conflict(
            gettext("%(account)s is not usable (%(status)s). Reconnect it first.")
            % {"account": account, "status": _label(account.get_status_display())},
            code="account_unusable",
        )
    if account.network not in version.networks:
        raise ValidationFailed(
            gettext("This post is not meant for %(network)s.") % {"network": account.get_network_display()},
            fields={"account": [gettext("Network not offered for this post.")]},
        )
    return account


def _naming(exc: ApplicationError, account: ConnectedAccount | None) -> ApplicationError:
    """``exc`` again, its words prefixed with the account they are about: in a share to
    several networks at once the employee must see which one failed."""
    if account is None:
        return exc
    prefix = f"{account.get_network_display()} ({account.handle}): "
    message = prefix + exc.message.rstrip()
    message += ("" if message.endswith((".", "!", "?")) else ".") + " " + gettext("Nothing was scheduled.")
    fields = {name: [prefix + text for text in texts] for name, texts in exc.fields.items()}
    return type(exc)(message, fields=fields, code=exc.code)


_SPACES = re.compile(r"\s+")


def _comparable(text: str) -> str:
    # Line breaks, runs of spaces and invisible characters are not an edit; case and letters are.
    return _SPACES.sub(" ", fold(text=text, casefold=False, lookalikes=False)).strip()


def _text_edited(*, text: str, draft: Draft, version: DraftVersion, network: str, disclosure: str) -> bool:
    """Whether ``text`` differs from the approved post as offered for ``network`` (in the
    composer or the API feed), the disclosure aside. A tracked short link the portal put
    in for the draft's link counts as that link."""
    body = text[len(disclosure) :] if text.startswith(disclosure) else text
    if version.link:
        codes = TrackedLink.objects.filter(draft=draft).values_list("code", flat=True)
        for code in codes:
            body = body.replace(f"{settings.CANDOR_SITE_URL}/l/{code}", version.link)
    mine = _comparable(body)
    approved = {version.body, version.body_for(network)}
    return all(mine != _comparable(body_with_link(body=candidate, link=version.link)) for candidate in approved)


def _initial_state(*, edited: bool) -> str:
    if edited and programme_settings().edited_shares_need_review:
        return Share.State.REVIEW
    return Share.State.SCHEDULED


@transaction.atomic
def shares_create(
    *,
    employee: User,
    draft_id: int,
    targets: Sequence[ShareTarget],
    scheduled_at: dt.datetime | None = None,
) -> list[Share]:
    """Schedule a published draft on one or more of the employee's own accounts: all or none.

    Every target is checked before anything is written; if one fails, the error names
    its network and account and no share is created, so submitting again never posts
    twice. A text that differs from the approved post is marked ``edited`` and, when
    the programme wants edits reviewed, waits in the review queue instead."""
    _check_site_url()
    _check_participant(employee)
    ids = [target.account_id for target in targets]
    if not ids:
        raise ValidationFailed(
            gettext("Choose at least one account."), fields={"account": [gettext("Choose an account.")]}
        )
    if len(set(ids)) != len(ids):
        raise ValidationFailed(
            gettext("Each account can be chosen only once."), fields={"account": [gettext("Chosen twice.")]}
        )
    _check_audience(employee=employee, draft_id=draft_id)
    draft = published_draft_get(user=employee, draft_id=draft_id)
    version = draft.published_version
    assert version is not None  # the feed lists published drafts only
    disclosure = disclosure_for(language=version.language)
    when = scheduled_at or timezone.now()
    _check_time(when=when, expires=version.expires_at)
    accounts = {a.pk: a for a in ConnectedAccount.objects.filter(pk__in=ids, owner=employee)}
    checked: list[tuple[ConnectedAccount, str, bool, str]] = []
    for target in targets:
        account = accounts.get(target.account_id)
        text = unix_newlines(target.text)
        public_id = new_public_id()  # the page's address is in the text that is checked
        try:
            account = _check_account(account=account, version=version)
            _check_text(
                text=text,
                network=account.network,
                disclosure=disclosure,
                account=account,
                version=version,
                public_id=public_id,
            )
        except ApplicationError as exc:
            raise _naming(exc, accounts.get(target.account_id) if len(targets) > 1 else None) from None
        edited = _text_edited(text=text, draft=draft, version=version, network=account.network, disclosure=disclosure)
        checked.append((account, text, edited, public_id))
    shares = []
    for account, text, edited, public_id in checked:
        state = _initial_state(edited=edited)
        share = Share.objects.create(
            employee=employee,
            draft=draft,
            draft_version=version,
            account=account,
            network=account.network,
            text=text,
            disclosure=disclosure,
            language=version.language,
            scheduled_at=when,
            next_attempt_at=when,
            state=state,
            edited=edited,
            public_id=public_id,
        )
        audit_record(
            actor=employee,
            action=AuditAction.SHARE_SCHEDULED,
            target=share,
            subject=employee,
            new={
                "draft": draft.pk,
                "version": version.number,
                "account": account.pk,
                "scheduled_at": when.isoformat(),
                "edited": edited,
                "state": state,
            },
        )
        shares.append(share)
    due_soon = when <= timezone.now() + dt.timedelta(seconds=30)
    if due_soon and any(share.state == Share.State.SCHEDULED for share in shares):
        _kick_dispatcher()
    return shares


def share_create(
    *,
    employee: User,
    draft_id: int,
    account_id: int,
    text: str,
    scheduled_at: dt.datetime | None = None,
) -> Share:
    """Schedule one post of a published draft on one of the employee's own accounts."""
    (share,) = shares_create(
        employee=employee,
        draft_id=draft_id,
        targets=[ShareTarget(account_id=account_id, text=text)],
        scheduled_at=scheduled_at,
    )
    return share


def _owned_share(*, employee: User, share_id: int) -> Share:
    share = (
        Share.objects.select_related("draft__published_version", "account")
        .filter(pk=share_id, employee=employee)
        .first()
    )
    if share is None:
        raise ValidationFailed(gettext("No such share."), code="not_found")
    return share


@transaction.atomic
def share_edit(
    *, employee: User, share_id: int, text: str | None = None, scheduled_at: dt.datetime | None = None
) -> Share:
    share = _owned_share(employee=employee, share_id=share_id)
    if text is None and scheduled_at is None:
        return share
    new_text = share.text if text is None else unix_newlines(text)
    new_time = share.scheduled_at if scheduled_at is None else scheduled_at
    held = share.state == Share.State.HELD
    # A share held because the disclosure changed is checked against the current one,
    # and is sent at once when its time has passed meanwhile (not marked missed).
    disclosure = disclosure_for(language=share.language) if held else share.disclosure
    if held and scheduled_at is None and new_time < timezone.now():
        new_time = timezone.now()
    _check_text(
        text=new_text,
        network=share.network,
        disclosure=disclosure,
        account=share.account,
        version=share.draft_version,
        public_id=share.public_id,
    )
    if scheduled_at is not None:
        # The share keeps the version it was made from, and that version's expiry.
        _check_time(when=new_time, expires=share.draft_version.expires_at)
    if share.in_doubt:
        raise Conflict(str(IN_DOUBT_MESSAGE), code="share_in_doubt")
    changes: dict[str, object] = {}
    if new_text != share.text or held:
        # New words are looked at afresh: an approval covered the words it was given.
        edited = _text_edited(
            text=new_text,
            draft=share.draft,
            version=share.draft_version,
            network=share.network,
            disclosure=disclosure,
        )
        changes = {"edited": edited, "state": _initial_state(edited=edited), "reviewed_by": None, "reviewed_at": None}
    if held:
        changes |= {"disclosure": disclosure, "last_error_code": "", "last_error": ""}
    updated = (
        Share.objects.filter(pk=share.pk, state__in=Share.EDITABLE_STATES)
        .exclude(last_error_code=IN_DOUBT)
        .update(text=new_text, scheduled_at=new_time, next_attempt_at=new_time, updated_at=timezone.now(), **changes)
    )
    if not updated:
        raise Conflict(
            gettext("Sending has already started, so this share can no longer be changed."), code="share_locked"
        )
    audit_record(
        actor=employee,
        action=AuditAction.SHARE_EDITED,
        target=share,
        subject=employee,
        old={"text": share.text, "scheduled_at": share.scheduled_at.isoformat(), "state": share.state},
        new={
            "text": new_text,
            "scheduled_at": new_time.isoformat(),
            "edited": changes.get("edited", share.edited),
            "state": changes.get("state", share.state),
        },
    )
    share.refresh_from_db()
    return share


@transaction.atomic
def share_cancel(*, employee: User, share_id: int) -> Share:
    share = _owned_share(employee=employee, share_id=share_id)
    if share.in_doubt and share.state in Share.PENDING_STATES:
        raise Conflict(str(IN_DOUBT_MESSAGE), code="share_in_doubt")
    if not _cancel_rows(ids=[share.pk], actor=employee, reason=gettext_noop("You cancelled it.")):
        raise Conflict(
            gettext("Sending has already started, so this share can no longer be cancelled."), code="share_locked"
        )
    share.refresh_from_db()
    return share


def _cancel_rows(*, ids: Sequence[int], actor: User | None, reason: str) -> int:
    """Cancel the given shares that are still scheduled; audit each one. Caller holds the transaction."""
    if not ids:
        return 0
    pending = list(
        Share.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, state__in=Share.PENDING_STATES)
        # In-doubt shares may already be live: the engine reconciles them first and
        # then cancels them itself if they must not go out.
        .exclude(last_error_code=IN_DOUBT)
        .select_related("employee")
    )
    if not pending:
        return 0
    Share.objects.filter(pk__in=[s.pk for s in pending], state__in=Share.PENDING_STATES).update(
        state=Share.State.CANCELLED, cancelled_reason=reason[:300], updated_at=timezone.now()
    )
    for share in pending:
        audit_record(
            actor=actor,
            action=AuditAction.SHARE_CANCELLED,
            target=share,
            subject=share.employee,
            old={"state": share.state},
            new={"state": Share.State.CANCELLED, "reason": reason},
        )
    return len(pending)


def share_cancel_pending_for_user(*, user: User, actor: User | None, reason: str) -> int:
    ids = list(Share.objects.filter(employee=user, state__in=Share.PENDING_STATES).values_list("pk", flat=True))
    return _cancel_rows(ids=ids, actor=actor, reason=reason)


def share_cancel_pending_for_draft(*, draft: Draft, actor: User | None, reason: str) -> int:
    ids = list(Share.objects.filter(draft=draft, state__in=Share.PENDING_STATES).values_list("pk", flat=True))
    return _cancel_rows(ids=ids, actor=actor, reason=reason)


def share_cancel_pending_for_account(*, account: ConnectedAccount, actor: User | None, reason: str) -> int:
    ids = list(Share.objects.filter(account=account, state__in=Share.PENDING_STATES).values_list("pk", flat=True))
    return _cancel_rows(ids=ids, actor=actor, reason=reason)


# --- reviewing edited shares ------------------------------------------------------------


def _share_under_review(*, actor: User, share_id: int) -> Share:
    if not user_can(actor, Capability.REVIEW_DRAFTS):
        raise NotAllowed(gettext("Only comms reviewers can review edited shares."))
    share = (
        Share.objects.select_for_update(of=("self",))
        .select_related("employee", "draft_version")
        .filter(pk=share_id)
        .first()
    )
    if share is None or share.state != Share.State.REVIEW:
        raise Conflict(gettext("This share is not waiting for a review."), code="share_not_in_review")
    if share.employee_id == actor.pk:
        raise NotAllowed(
            gettext("Four eyes: someone other than the person sharing must review an edited share."),
            code="four_eyes",
        )
    return share


@transaction.atomic
def share_review_approve(*, actor: User, share_id: int) -> Share:
    """A comms reviewer lets an edited share go out. If its time passed while it waited,
    it is sent at once (the wait was the reviewer's, not the employee's); a share whose
    post has expired in the meantime can only be rejected."""
    share = _share_under_review(actor=actor, share_id=share_id)
    now = timezone.now()
    expires = share.draft_version.expires_at
    if expires is not None and expires <= now:
        raise Conflict(
            gettext("The post expired at %(expiry)s UTC, so this share can no longer be sent; reject it instead.")
            % {"expiry": f"{expires:%Y-%m-%d %H:%M}"},
            code="share_expired",
        )
    when = max(share.scheduled_at, now)
    Share.objects.filter(pk=share.pk, state=Share.State.REVIEW).update(
        state=Share.State.SCHEDULED,
        reviewed_by=actor,
        reviewed_at=now,
        scheduled_at=when,
        next_attempt_at=when,
        updated_at=now,
    )
    audit_record(
        actor=actor,
        action=AuditAction.SHARE_REVIEW_APPROVED,
        target=share,
        subject=share.employee,
        old={"state": Share.State.REVIEW, "scheduled_at": share.scheduled_at.isoformat()},
        new={"state": Share.State.SCHEDULED, "scheduled_at": when.isoformat(), "edited": True},
    )
    if when <= now + dt.timedelta(seconds=30):
        _kick_dispatcher()
    share.refresh_from_db()
    return share


@transaction.atomic
def share_review_reject(*, actor: User, share_id: int, reason: str = "") -> Share:
    """A comms reviewer stops an edited share; the employee sees the reason in My shares."""
    share = _share_under_review(actor=actor, share_id=share_id)
    reason = " ".join(reason.split())[:250] or gettext_noop("A reviewer did not approve the edited text.")
    now = timezone.now()
    Share.objects.filter(pk=share.pk, state=Share.State.REVIEW).update(
        state=Share.State.CANCELLED, cancelled_reason=reason, reviewed_by=actor, reviewed_at=now, updated_at=now
    )
    audit_record(
        actor=actor,
        action=AuditAction.SHARE_REVIEW_REJECTED,
        target=share,
        subject=share.employee,
        old={"state": Share.State.REVIEW},
        new={"state": Share.State.CANCELLED, "reason": reason, "edited": True},
    )
    share.refresh_from_db()
    return share
