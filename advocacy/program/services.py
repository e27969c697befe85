"""Opt-in, re-consent and leaving. Participation is never a condition of the job:
joining needs an explicit tick against the current policy; leaving is one call that
stops everything pending at once."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy, gettext_noop

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.program.models import (
    BlockedTerm,
    ConsentEvent,
    DisclosureTemplate,
    Enrollment,
    PolicyVersion,
    ProgrammeSettings,
)
from advocacy.program.selectors import policy_current, programme_settings

SUPPORTED_LANGUAGES = ("en", "de", "id", "it")


@transaction.atomic
def policy_publish(
    *, actor: User, texts: dict[str, dict[str, str]], effective_date: dt.date | None = None
) -> PolicyVersion:
    """Publish a new policy version. Every participant must re-consent before sharing again."""
    if not user_can(actor, Capability.MANAGE_PROGRAM):
        raise NotAllowed(gettext("Only programme admins can publish a policy."))
    english = texts.get("en") or {}
    if not english.get("title", "").strip() or not english.get("body", "").strip():
        raise ValidationFailed(
            gettext("A policy needs at least an English title and body."),
            fields={"texts.en": [gettext("Title and body are required.")]},
        )
    unknown = sorted(set(texts) - set(SUPPORTED_LANGUAGES))
    if unknown:
        raise ValidationFailed(
            gettext("Unsupported policy language(s): %(languages)s.") % {"languages": ", ".join(unknown)},
            fields={"texts": [gettext("Use en, de, id or it.")]},
        )
    latest = PolicyVersion.objects.select_for_update().order_by("-number").first()
    version = PolicyVersion.objects.create(
        number=(latest.number + 1) if latest else 1,
        effective_date=effective_date or timezone.localdate(),
        texts={lang: {"title": t["title"].strip(), "body": t["body"].strip()} for lang, t in texts.items()},
        published_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.POLICY_PUBLISHED, target=version, new={"number": version.number})
    return version


@transaction.atomic
def enrollment_opt_in(*, user: User, policy_version_id: int, accepted: bool) -> Enrollment:
    """Join (or re-consent to) the programme under the current policy.

    ``accepted`` is the person's own unticked-by-default checkbox: False is refused.
    """
    if not user_can(user, Capability.PARTICIPATE):
        raise NotAllowed(gettext("This account cannot take part in the programme."))
    if not accepted:
        raise ValidationFailed(
            gettext("Tick the box to confirm you have read the policy and want to take part."),
            fields={"accept": [gettext("Consent must be given explicitly.")]},
        )
    current = policy_current()
    if current is None:
        raise Conflict(gettext("There is no programme policy yet, so nobody can join."))
    if policy_version_id != current.pk:
        raise Conflict(
            gettext("The policy has changed (now version %(number)s). Read the current version and try again.")
            % {"number": current.number},
            code="policy_outdated",
        )
    enrollment = Enrollment.objects.select_for_update().filter(user=user).first()
    now = timezone.now()
    if enrollment is None or enrollment.status == Enrollment.Status.LEFT:
        kind, action = ConsentEvent.Kind.OPTED_IN, AuditAction.CONSENT_OPTED_IN
        if enrollment is None:
            enrollment = Enrollment(user=user)
        enrollment.joined_at, enrollment.left_at = now, None
    elif enrollment.policy_version_id == current.pk:
        raise Conflict(gettext("You are already taking part under the current policy."), code="already_enrolled")
    else:
        kind, action = ConsentEvent.Kind.RECONSENTED, AuditAction.CONSENT_RECONSENTED
    enrollment.status = Enrollment.Status.ACTIVE
    enrollment.policy_version = current
    enrollment.save()
    ConsentEvent.objects.create(user=user, kind=kind, policy_version=current)
    audit_record(actor=user, action=action, target=enrollment, subject=user, new={"policy_version": current.number})
    return enrollment


@dataclass(frozen=True)
class LeaveResult:
    enrollment: Enrollment
    cancelled_shares: int


# While a worker is publishing shares it leased before the leave, the leave checks
# again this often (outside any transaction: it holds no lock while it waits).
LEAVE_WAIT_SECONDS = 0.05


def enrollment_leave(*, user: User, actor: User | None = None, reason: str = "") -> LeaveResult:
    """Leave the programme, effective now: every scheduled share is cancelled in the
    leave's transaction. ``actor`` is the person themself, or an admin offboarding them.

    Call it outside any transaction (views and the hand-back do). It first stops the
    engine taking any new lease for the person (its own short transaction), then waits,
    holding no lock, until each share a worker had already leased has its outcome
    recorded, and only then commits the leave. When it returns nothing more is posted
    for the person, and every post that did go out is in the audit log before the
    leave's event (docs/operations.md, "Leaving while a batch is sending"). Inside a
    caller's transaction it cannot wait without holding locks the worker needs, so it
    leaves at once and a post already leased may follow. A share whose worker died
    holds its lease only until the lease expires; it is then reconciled, never posted
    blindly after the leave."""
    if not transaction.get_connection().in_atomic_block:
        _leave_begin(user=user)
        while _posts_in_flight(user=user):
            time.sleep(LEAVE_WAIT_SECONDS)
    return _leave(user=user, actor=actor or user, reason=reason)


@transaction.atomic
def _leave_begin(*, user: User) -> None:
    """Stop new leases: the engine's "may this person share" needs ``left_at`` empty.
    (A leave interrupted after this is finished by calling leave again.)

    FOR UPDATE conflicts with the FOR SHARE the engine's lease transaction takes on
    this row (PostgreSQL; SQLite runs one writer at a time): this commit and every
    lease are ordered. A lease before it is seen by ``_posts_in_flight``; one after
    it reads ``left_at`` and cancels the share instead of posting it."""
    enrollment = Enrollment.objects.select_for_update().filter(user=user).first()
    if enrollment is None or enrollment.status == Enrollment.Status.LEFT:
        raise Conflict(gettext("You are not taking part in the programme."), code="not_enrolled")
    if enrollment.left_at is None:
        enrollment.left_at = timezone.now()
        enrollment.save(update_fields=["left_at"])


def _posts_in_flight(*, user: User) -> bool:
    """A worker holds the lease of one of the person's shares: it may be on its way."""
    from advocacy.sharing.models import Share

    return Share.objects.filter(employee=user, state=Share.State.SENDING, lease_until__gt=timezone.now()).exists()


@transaction.atomic
def _leave(*, user: User, actor: User, reason: str) -> LeaveResult:
    from advocacy.notifications.push import push_subscriptions_delete_for_user
    from advocacy.sharing.services import share_cancel_pending_for_user

    enrollment = Enrollment.objects.select_for_update().filter(user=user).first()
    if enrollment is None or enrollment.status == Enrollment.Status.LEFT:
        raise Conflict(gettext("You are not taking part in the programme."), code="not_enrolled")
    cancelled = share_cancel_pending_for_user(
        user=user, actor=actor, reason=reason or gettext_noop("You left the programme.")
    )
    # Nothing more reaches their devices: leaving stops everything at once.
    push_subscriptions_delete_for_user(user=user, actor=actor, reason="left_programme")
    enrollment.status = Enrollment.Status.LEFT
    enrollment.left_at = timezone.now()
    enrollment.save(update_fields=["status", "left_at"])
    ConsentEvent.objects.create(user=user, kind=ConsentEvent.Kind.OPTED_OUT, policy_version=enrollment.policy_version)
    audit_record(
        actor=actor,
        action=AuditAction.CONSENT_OPTED_OUT,
        target=enrollment,
        subject=user,
        new={"cancelled_shares": cancelled},
    )
    return LeaveResult(enrollment=enrollment, cancelled_shares=cancelled)


# advocacy.compose explains a template's problems in English; people reading Candor in
# another language get the same rule in theirs.
_TEMPLATE_MESSAGES = {
    "no_organisation": gettext_lazy("The disclosure must name the employer: add {organisation}."),
    "hidden_characters": gettext_lazy("The disclosure must be visible text, without characters readers cannot see."),
    "line_break": gettext_lazy("The disclosure must be one line: remove the line breaks."),
    "lookalike_letters": gettext_lazy(
        "The disclosure must be written with ordinary letters, not look-alike characters from other scripts "
        "or styled, full-width or differently encoded forms."
    ),
    "bad_tag": gettext_lazy("A tag must be one word: “#” followed by letters, digits or “_”, 3 to 41 characters."),
    "tag_not_used": gettext_lazy("The disclosure must contain the chosen tag %(tag)s."),
    "no_employment_statement": gettext_lazy(
        "The disclosure must say that the author works there: keep %(statements)s, or the words “%(words)s”."
    ),
}


@transaction.atomic
def disclosure_template_set(*, actor: User, language: str, template: str, tag: str = "") -> DisclosureTemplate:
    """Change the disclosure for ``language``. It must keep a visible employment
    statement: the language's default tag or words, or ``tag``, a one-word hashtag the
    admin chooses (see ``advocacy.compose.template_problems``). Shares scheduled under
    the old disclosure are checked against the new one right before they are sent."""
    from advocacy.compose import EMPLOYMENT_TAGS, EMPLOYMENT_WORDS, render_disclosure, template_problems

    if not user_can(actor, Capability.MANAGE_PROGRAM):
        raise NotAllowed(gettext("Only programme admins can change disclosures."))
    if language not in SUPPORTED_LANGUAGES:
        raise ValidationFailed(
            gettext("Unsupported language %(language)s.") % {"language": repr(language)},
            fields={"language": [gettext("Use en, de, id or it.")]},
        )
    template, tag = template.strip(), tag.strip()
    problems = template_problems(template=template, language=language, tag=tag)
    english = (get_language() or "en").startswith("en")
    statements = " / ".join(f"“{s}”" for s in [EMPLOYMENT_TAGS[language], *([tag] if tag else [])])
    messages = [
        problem.message
        if english
        else str(_TEMPLATE_MESSAGES[problem.code])
        % {"tag": tag, "statements": statements, "words": EMPLOYMENT_WORDS[language]}
        for problem in problems
    ]
    if not problems:
        try:
            render_disclosure(template=template, organisation=settings.CANDOR_ORGANISATION_NAME)
        except ValueError as exc:
            messages.append(str(exc))
    if messages:
        raise ValidationFailed(
            gettext("The disclosure cannot be used: %(problems)s") % {"problems": " ".join(messages)},
            fields={"template": messages},
            code=f"disclosure_{problems[0].code}" if problems else "disclosure_invalid",
        )
    existing = DisclosureTemplate.objects.select_for_update().filter(language=language).first()
    old = {"template": existing.template, "tag": existing.tag} if existing else None
    if existing is not None and old == {"template": template, "tag": tag}:
        return existing  # nothing changed: no audit event
    row, _ = DisclosureTemplate.objects.update_or_create(language=language, defaults={"template": template, "tag": tag})
    audit_record(
        actor=actor,
        action=AuditAction.SETTINGS_CHANGED,
        target=row,
        old={"disclosure": old, "language": language},
        new={"disclosure": {"template": template, "tag": tag}, "language": language},
    )
    return row


@transaction.atomic
def blocked_terms_set(*, actor: User, terms: list[str]) -> list[str]:
    if not user_can(actor, Capability.MANAGE_PROGRAM):
        raise NotAllowed(gettext("Only programme admins can change blocked terms."))
    cleaned = sorted({t.strip() for t in terms if t.strip()})
    old = sorted(BlockedTerm.objects.values_list("term", flat=True))
    BlockedTerm.objects.exclude(term__in=cleaned).delete()
    for term in cleaned:
        BlockedTerm.objects.get_or_create(term=term)
    audit_record(
        actor=actor,
        action=AuditAction.SETTINGS_CHANGED,
        old={"blocked_terms": old},
        new={"blocked_terms": cleaned},
    )
    return cleaned


@transaction.atomic
def programme_settings_set(*, actor: User, edited_shares_need_review: bool) -> ProgrammeSettings:
    """Change the programme's settings (admins). Shares already scheduled keep their
    state: the setting applies to shares created or edited from now on."""
    if not user_can(actor, Capability.MANAGE_PROGRAM):
        raise NotAllowed(gettext("Only programme admins can change the programme settings."))
    old = programme_settings().edited_shares_need_review
    row, _ = ProgrammeSettings.objects.select_for_update().get_or_create(pk=1)
    if old == edited_shares_need_review:
        return row
    row.edited_shares_need_review = edited_shares_need_review
    row.save(update_fields=["edited_shares_need_review", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.SETTINGS_CHANGED,
        target=row,
        old={"edited_shares_need_review": old},
        new={"edited_shares_need_review": edited_shares_need_review},
    )
    return row
