"""The comms workflow: draft → in review → changes requested → approved → published
→ retired. Every edit that changes something makes a new immutable version; the
approver must not be anyone who wrote a version since the last approved one (four
eyes), so a second person saving an unchanged draft cannot turn its writer into an
approver."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_noop

from accounts.models import Team, User
from accounts.permissions import Capability, user_can
from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record, audit_record_standalone
from advocacy.compose import tone_flags
from advocacy.core.errors import Conflict, NotAllowed, ValidationFailed
from advocacy.drafts.content import check_draft_post, draft_post, unix_newlines
from advocacy.drafts.images import image_clean
from advocacy.drafts.models import NETWORK_CHOICES, Campaign, Draft, DraftAudienceTeam, DraftVersion, ReviewDecision
from advocacy.linkcards.tasks import link_card_request
from advocacy.networks.registry import takes_images
from advocacy.notifications.alerts import review_decision_notify
from advocacy.notifications.tasks import announce_draft_push
from advocacy.program.selectors import blocked_terms, disclosure_for

NETWORKS = tuple(key for key, _ in NETWORK_CHOICES)
LANGUAGES = ("en", "de", "id", "it")
State = Draft.State


@dataclass
class DraftContent:
    body: str
    networks: list[str]
    language: str = "en"
    link: str = ""
    variants: dict[str, str] = field(default_factory=dict)
    expires_at: dt.datetime | None = None
    image: UploadedFile | None = None
    image_alt: str = ""
    keep_image_from: DraftVersion | None = None
    # Who the post is meant for (``advocacy.drafts.audience``): both empty is everyone.
    audience_teams: list[int] = field(default_factory=list)
    audience_languages: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Browsers submit CRLF; what is stored, counted and posted uses LF.
        self.body = unix_newlines(self.body)
        self.variants = {network: unix_newlines(text) for network, text in self.variants.items()}


def _validate(content: DraftContent) -> None:
    errors: dict[str, list[str]] = {}
    if not content.body.strip():
        errors["body"] = [gettext("Write the text of the post.")]
    networks = list(dict.fromkeys(content.networks))
    if not networks:
        errors["networks"] = [gettext("Choose at least one network.")]
    unknown = [n for n in networks if n not in NETWORKS]
    if unknown:
        errors["networks"] = [
            gettext("Unknown network(s): %(unknown)s. Use %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(NETWORKS)}
        ]
    extra_variants = sorted(set(content.variants) - set(networks))
    if extra_variants:
        errors["variants"] = [
            gettext("Variants for networks not chosen: %(networks)s.") % {"networks": ", ".join(extra_variants)}
        ]
    unknown_languages = sorted(set(content.audience_languages) - set(LANGUAGES))
    if unknown_languages:
        errors["audience_languages"] = [
            gettext("Unknown language(s) for the audience: %(unknown)s. Use en, de, id or it.")
            % {"unknown": ", ".join(unknown_languages)}
        ]
    teams = set(content.audience_teams)
    unknown_teams = sorted(teams - set(Team.objects.filter(pk__in=teams).values_list("pk", flat=True)))
    if unknown_teams:
        errors["audience_teams"] = [
            gettext("No such team for the audience: %(unknown)s.") % {"unknown": ", ".join(map(str, unknown_teams))}
        ]
    if content.language not in LANGUAGES:
        errors["language"] = [
            gettext("Unsupported language %(language)s; use en, de, id or it.") % {"language": repr(content.language)}
        ]
    if content.expires_at is not None and content.expires_at <= timezone.now():
        errors["expires_at"] = [gettext("The expiry must be in the future.")]
    if content.image is not None and not content.image_alt.strip():
        errors["image_alt"] = [gettext("Describe the image for people who cannot see it (alt text).")]
    if (link_problem := _link_problem(content.link.strip())) is not None:
        errors["link"] = [link_problem]
    has_image = content.image is not None or bool(content.keep_image_from and content.keep_image_from.image)
    if has_image and (imageless := [n for n in networks if n in NETWORKS and not takes_images(n)]):
        names = ", ".join(dict(NETWORK_CHOICES)[n] for n in imageless)
        errors["networks"] = [
            gettext(
                "Candor cannot attach images to posts on %(networks)s yet: remove the image, or untick %(networks)s."
            )
            % {"networks": names}
        ]
    if errors:
        raise ValidationFailed(
            gettext("The draft is not valid: %(problems)s")
            % {"problems": " ".join(m for ms in errors.values() for m in ms)},
            fields=errors,
        )
    disclosure = disclosure_for(language=content.language)
    for network in networks:
        post = draft_post(
            network=network,
            body=content.variants.get(network) or content.body,
            link=content.link.strip(),
            disclosure=disclosure,
            has_image=has_image,
        )
        check = check_draft_post(post=post, disclosure=disclosure)
        if not check.ok:
            key = f"variants.{network}" if network in content.variants else "body"
            errors.setdefault(key, []).extend(check.problems)
    if errors:
        raise ValidationFailed(
            gettext("The post does not fit every chosen network: %(problems)s")
            % {"problems": " ".join(m for ms in errors.values() for m in ms)},
            fields=errors,
        )


def _link_problem(link: str) -> str | None:
    """Links must be web addresses: a ``javascript:`` or ``data:`` link in a post runs
    code or hides content, and ``ftp:``/``mailto:`` links are not what readers expect."""
    if not link:
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return gettext("Links must be web addresses starting with http:// or https://.")
    if any(char.isspace() or ord(char) < 32 for char in link):
        return gettext("Links must be web addresses starting with http:// or https://.")
    return None


def _new_version(*, draft: Draft, actor: User, content: DraftContent, number: int) -> DraftVersion:
    version = DraftVersion(
        draft=draft,
        number=number,
        body=content.body.strip(),
        link=content.link.strip(),
        language=content.language,
        networks=list(dict.fromkeys(content.networks)),
        variants={k: v.strip() for k, v in content.variants.items() if v.strip()},
        expires_at=content.expires_at,
        image_alt=content.image_alt.strip(),
        created_by=actor,
    )
    if content.image is not None:
        version.image = image_clean(upload=content.image)
    elif content.keep_image_from is not None and content.keep_image_from.image:
        version.image = content.keep_image_from.image.name
    all_text = "\n".join([version.body, *version.variants.values()])
    version.tone_flags = [
        {"kind": flag.kind, "reason": flag.reason} for flag in tone_flags(text=all_text, blocked_terms=blocked_terms())
    ]
    version.audience_languages = sorted(set(content.audience_languages))
    version.save()
    DraftAudienceTeam.objects.bulk_create(
        DraftAudienceTeam(version=version, team_id=team_id) for team_id in sorted(set(content.audience_teams))
    )
    return version


def _audience_teams(version: DraftVersion) -> list[int | None]:
    """The version's teams; None for a team deleted since, which nobody is in."""
    return sorted(version.audience_teams.values_list("team_id", flat=True), key=lambda pk: (pk is None, pk or 0))


def _unchanged(*, previous: DraftVersion, content: DraftContent) -> bool:
    """Whether saving ``content`` would repeat ``previous`` word for word."""
    if content.image is not None:
        return False
    kept_image = content.keep_image_from.image.name if content.keep_image_from and content.keep_image_from.image else ""
    return (
        previous.body == content.body.strip()
        and previous.link == content.link.strip()
        and previous.language == content.language
        and list(previous.networks) == list(dict.fromkeys(content.networks))
        and previous.variants == {k: v.strip() for k, v in content.variants.items() if v.strip()}
        and previous.expires_at == content.expires_at
        and previous.image_alt == content.image_alt.strip()
        and (previous.image.name if previous.image else "") == kept_image
        and previous.audience_languages == sorted(set(content.audience_languages))
        and _audience_teams(previous) == sorted(set(content.audience_teams))
    )


def _working(draft: Draft) -> DraftVersion:
    """The version being edited or reviewed (draft_create writes version 1 with the draft)."""
    version = draft.working_version
    assert version is not None  # only unset inside draft_create's transaction
    return version


def _writers_since_last_approval(draft: Draft) -> set[int]:
    """Everyone who wrote a version after the last approved one, up to the one under review."""
    versions = DraftVersion.objects.filter(draft=draft, number__lte=_working(draft).number)
    last_approved = versions.filter(approved_by__isnull=False).order_by("-number").values_list("number", flat=True)
    since = last_approved.first() or 0
    return set(versions.filter(number__gt=since).values_list("created_by_id", flat=True))


def _content_snapshot(version: DraftVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "body": version.body,
        "link": version.link,
        "language": version.language,
        "networks": version.networks,
        "variants": version.variants,
        "expires_at": version.expires_at.isoformat() if version.expires_at else None,
        "image": bool(version.image),
        "audience": {"teams": _audience_teams(version), "languages": version.audience_languages},
    }


def _label(label: str) -> str:
    """A state label mid-sentence: lower case in English, as written in other languages."""
    return label.lower() if (get_language() or "en").startswith("en") else label


def _require(actor: User, capability: Capability, message: str) -> None:
    if not user_can(actor, capability):
        raise NotAllowed(message)


def _lock(draft_id: int) -> Draft:
    draft = Draft.objects.select_for_update(of=("self",)).select_related("working_version").filter(pk=draft_id).first()
    if draft is None:
        raise ValidationFailed(gettext("No such draft."), code="not_found")
    return draft


@transaction.atomic
def draft_create(*, actor: User, title: str, content: DraftContent, campaign: str = "") -> Draft:
    _require(actor, Capability.WRITE_DRAFTS, gettext("Only the comms team can write drafts."))
    if not title.strip():
        raise ValidationFailed(gettext("Give the draft a title."), fields={"title": [gettext("A title is required.")]})
    _validate(content)
    campaign_row = Campaign.objects.get_or_create(name=campaign.strip())[0] if campaign.strip() else None
    draft = Draft.objects.create(title=title.strip(), campaign=campaign_row, created_by=actor)
    version = _new_version(draft=draft, actor=actor, content=content, number=1)
    draft.working_version = version
    draft.save(update_fields=["working_version"])
    audit_record(actor=actor, action=AuditAction.DRAFT_CREATED, target=draft, new=_content_snapshot(version))
    return draft


@transaction.atomic
def draft_edit(*, actor: User, draft_id: int, content: DraftContent, title: str | None = None) -> Draft:
    """Save changes as a new version. An approved or published version is never
    changed: the new version goes back to *draft* and needs approval again, while
    the published one stays visible to employees until the new one is published.

    Saving content identical to the working version makes no version and no audit
    event (a new title alone is saved and audited, without a version): the returned
    draft then has ``nothing_changed`` set, which callers should tell the person."""
    _require(actor, Capability.WRITE_DRAFTS, gettext("Only the comms team can edit drafts."))
    draft = _lock(draft_id)
    if draft.state in (State.IN_REVIEW, State.RETIRED):
        raise Conflict(
            gettext("A draft in review cannot be edited; ask for changes first.")
            if draft.state == State.IN_REVIEW
            else gettext("A retired draft cannot be edited."),
            code=f"draft_{draft.state}",
        )
    previous = _working(draft)
    if content.image is None and content.keep_image_from is None:
        content.keep_image_from = previous
    _validate(content)
    new_title = title.strip() if title is not None and title.strip() else draft.title
    if _unchanged(previous=previous, content=content):
        # Not a new version: the person saving it did not write these words, and making
        # them its author would let the real writer approve their own text.
        draft.nothing_changed = True
        if new_title != draft.title:
            old_title, draft.title = draft.title, new_title
            draft.save(update_fields=["title", "updated_at"])
            audit_record(
                actor=actor,
                action=AuditAction.DRAFT_EDITED,
                target=draft,
                old={"title": old_title},
                new={"title": new_title},
            )
        return draft
    version = _new_version(draft=draft, actor=actor, content=content, number=previous.number + 1)
    draft.working_version = version
    draft.title = new_title
    old_state = draft.state
    draft.state = State.DRAFT if old_state in (State.APPROVED, State.PUBLISHED) else old_state
    draft.save(update_fields=["working_version", "title", "state", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.DRAFT_EDITED,
        target=draft,
        old={**_content_snapshot(previous), "state": old_state},
        new={**_content_snapshot(version), "state": draft.state},
    )
    return draft


def _transition(*, draft: Draft, actor: User, to: str, action: AuditAction, decision: str, comment: str) -> Draft:
    old_state = draft.state
    draft.state = to
    draft.save(update_fields=["state", "updated_at"])
    review = ReviewDecision.objects.create(version=_working(draft), reviewer=actor, decision=decision, comment=comment)
    # Submitted: reviewers hear of it; changes requested / approved: the author does.
    transaction.on_commit(lambda: review_decision_notify(decision_id=review.pk))
    audit_record(
        actor=actor,
        action=action,
        target=draft,
        old={"state": old_state},
        new={"state": to, "version": _working(draft).number, "comment": comment},
    )
    return draft


@transaction.atomic
def draft_submit(*, actor: User, draft_id: int, comment: str = "") -> Draft:
    _require(actor, Capability.WRITE_DRAFTS, gettext("Only the comms team can submit drafts."))
    draft = _lock(draft_id)
    if draft.state not in (State.DRAFT, State.CHANGES_REQUESTED):
        raise Conflict(
            gettext("Only a draft can be submitted for review; this one is %(state)s.")
            % {"state": _label(draft.get_state_display())}
        )
    return _transition(
        draft=draft,
        actor=actor,
        to=State.IN_REVIEW,
        action=AuditAction.DRAFT_SUBMITTED,
        decision=ReviewDecision.Decision.SUBMITTED,
        comment=comment.strip(),
    )


@transaction.atomic
def draft_request_changes(*, actor: User, draft_id: int, comment: str) -> Draft:
    _require(actor, Capability.REVIEW_DRAFTS, gettext("Only reviewers can request changes."))
    if not comment.strip():
        raise ValidationFailed(
            gettext("Say what should change."), fields={"comment": [gettext("A comment is required.")]}
        )
    draft = _lock(draft_id)
    if draft.state != State.IN_REVIEW:
        raise Conflict(gettext("Only a draft in review can be sent back for changes."))
    return _transition(
        draft=draft,
        actor=actor,
        to=State.CHANGES_REQUESTED,
        action=AuditAction.DRAFT_CHANGES_REQUESTED,
        decision=ReviewDecision.Decision.CHANGES_REQUESTED,
        comment=comment.strip(),
    )


def draft_approve(*, actor: User, draft_id: int, comment: str = "") -> Draft:
    """Approve the version under review. Refused, and the refusal audited, when the
    approver wrote that version or any version since the last approved one: a second
    person, who wrote none of the words, must always look."""
    _require(actor, Capability.REVIEW_DRAFTS, gettext("Only reviewers can approve drafts."))
    with transaction.atomic():
        draft = _lock(draft_id)
        if draft.state != State.IN_REVIEW:
            raise Conflict(gettext("Only a draft in review can be approved."))
        version = _working(draft)
        if actor.pk not in _writers_since_last_approval(draft):
            version.approved_by, version.approved_at = actor, timezone.now()
            version.save(update_fields=["approved_by", "approved_at"])
            return _transition(
                draft=draft,
                actor=actor,
                to=State.APPROVED,
                action=AuditAction.DRAFT_APPROVED,
                decision=ReviewDecision.Decision.APPROVED,
                comment=comment.strip(),
            )
    audit_record_standalone(
        actor=actor,
        action=AuditAction.DRAFT_APPROVAL_REFUSED,
        target=draft,
        new={"version": version.number, "rule": "four_eyes"},
    )
    raise NotAllowed(
        gettext("Four eyes: you wrote this version or an earlier unapproved one, so someone else must approve it."),
        code="four_eyes",
    )


@transaction.atomic
def draft_publish(*, actor: User, draft_id: int) -> Draft:
    _require(actor, Capability.WRITE_DRAFTS, gettext("Only the comms team can publish drafts."))
    draft = _lock(draft_id)
    if draft.state != State.APPROVED:
        raise Conflict(gettext("Only an approved draft can be published."))
    old = draft.published_version_id
    draft.state = State.PUBLISHED
    draft.published_version = draft.working_version
    draft.published_at = timezone.now()
    draft.save(update_fields=["state", "published_version", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.DRAFT_PUBLISHED,
        target=draft,
        old={"published_version_id": old},
        new={"version": _working(draft).number},
    )
    version = _working(draft)
    if version.link and not version.image:
        # Read the page's card now (after commit, by a worker), so employees see it
        # in their first preview rather than the address alone.
        link_card_request(url=version.link)
    announce_draft_push.delay_on_commit(draft.pk)  # type: ignore[attr-defined]
    return draft


@transaction.atomic
def draft_retire(*, actor: User, draft_id: int, reason: str = "") -> tuple[Draft, int]:
    """Withdraw a draft: employees no longer see it and its pending shares are cancelled."""
    from advocacy.sharing.services import share_cancel_pending_for_draft

    _require(actor, Capability.WRITE_DRAFTS, gettext("Only the comms team can retire drafts."))
    draft = _lock(draft_id)
    if draft.state == State.RETIRED:
        raise Conflict(gettext("This draft is already retired."))
    old_state = draft.state
    draft.state = State.RETIRED
    draft.save(update_fields=["state", "updated_at"])
    cancelled = share_cancel_pending_for_draft(
        draft=draft, actor=actor, reason=reason.strip() or gettext_noop("The comms team withdrew this post.")
    )
    audit_record(
        actor=actor,
        action=AuditAction.DRAFT_RETIRED,
        target=draft,
        old={"state": old_state},
        new={"state": State.RETIRED, "cancelled_shares": cancelled, "reason": reason},
    )
    return draft, cancelled


def content_from_version(version: DraftVersion) -> dict[str, Any]:
    return asdict(
        DraftContent(
            body=version.body,
            networks=list(version.networks),
            language=version.language,
            link=version.link,
            variants=dict(version.variants),
            expires_at=version.expires_at,
            image_alt=version.image_alt,
            audience_teams=[pk for pk in _audience_teams(version) if pk is not None],
            audience_languages=list(version.audience_languages),
        )
    )
