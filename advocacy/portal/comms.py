"""Comms portal: write drafts, review them (four eyes), publish and retire."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import Capability, user_can
from accounts.timezones import aware_in_user_zone
from advocacy.core.errors import ApplicationError
from advocacy.drafts import services
from advocacy.drafts.content import check_draft_post, draft_post, unix_newlines
from advocacy.drafts.models import NETWORK_CHOICES, Draft, DraftVersion
from advocacy.drafts.selectors import (
    draft_get_for_comms,
    draft_history,
    drafts_for_comms,
    review_queue,
    version_diff,
)
from advocacy.portal.forms import CommentForm, DraftForm, variant_field
from advocacy.portal.helpers import form_errors_from, requires
from advocacy.portal.previews import NetworkPreview, composer_previews
from advocacy.program.selectors import disclosure_for
from advocacy.sharing.selectors import shares_awaiting_review
from advocacy.sharing.services import share_review_approve, share_review_reject

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

comms_member = requires(Capability.WRITE_DRAFTS)


@comms_member
def drafts(request: AuthenticatedHttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in {None, *Draft.State.values}:
        state = None
    return render(
        request,
        "comms/drafts.html",
        {
            "drafts": drafts_for_comms(user=request.user, state=state)[:200],
            "state": state,
            "states": Draft.State.choices,
        },
    )


@requires(Capability.REVIEW_DRAFTS)
def review_queue_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "comms/review_queue.html",
        {"drafts": review_queue(user=request.user)[:200], "shares": shares_awaiting_review()[:200]},
    )


@requires(Capability.REVIEW_DRAFTS)
@require_POST
def share_review(request: AuthenticatedHttpRequest, share_id: int, action: str) -> HttpResponse:
    """Approve or reject an edited share (four eyes: never the employee's own)."""
    if action not in {"approve", "reject"}:
        raise Http404
    try:
        if action == "approve":
            share_review_approve(actor=request.user, share_id=share_id)
        else:
            form = CommentForm(request.POST)
            reason = form.cleaned_data["comment"] if form.is_valid() else ""
            share_review_reject(actor=request.user, share_id=share_id, reason=reason)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Approved: the share will be sent at its time.")
            if action == "approve"
            else _("Rejected: the share will not be sent, and the employee sees your reason."),
        )
    return redirect("portal:review_queue")


def _content(request: HttpRequest, form: DraftForm) -> services.DraftContent:
    data = form.cleaned_data
    expires = data.get("expires_at")
    return services.DraftContent(
        body=data["body"],
        networks=list(data["networks"]),
        language=data["language"],
        link=data.get("link") or "",
        variants=form.variants(),
        expires_at=aware_in_user_zone(user=request.user, value=expires) if expires else None,
        image=request.FILES.get("image"),
        image_alt=data.get("image_alt") or "",
        audience_teams=[team.pk for team in data.get("audience_teams") or []],
        audience_languages=list(data.get("audience_languages") or []),
    )


@comms_member
@require_http_methods(["GET", "POST"])
def draft_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = DraftForm(
        request.POST or None,
        request.FILES or None,
        initial={"language": "en", "networks": ["bluesky", "mastodon", "linkedin", "x"]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.draft_create(
                actor=request.user,
                title=form.cleaned_data["title"],
                content=_content(request, form),
                campaign=form.cleaned_data["campaign"],
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Draft saved. Submit it for review when it is ready."))
            return redirect("portal:draft", draft_id=draft.pk)
    return render(request, "comms/draft_form.html", {"form": form, "draft": None})


def _audience_initial(version: DraftVersion) -> dict[str, list[Any]]:
    """The form's audience fields for ``version`` (a deleted team is not offered)."""
    content = services.content_from_version(version)
    return {"audience_teams": content["audience_teams"], "audience_languages": content["audience_languages"]}


@comms_member
@require_http_methods(["GET", "POST"])
def draft_edit_view(request: AuthenticatedHttpRequest, draft_id: int) -> HttpResponse:
    draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
    version = draft.working_version
    assert version is not None  # every draft has one once draft_create returns
    initial = {
        "title": draft.title,
        "campaign": draft.campaign.name if draft.campaign else "",
        "body": version.body,
        "link": version.link,
        "language": version.language,
        "networks": version.networks,
        **{variant_field(network): text for network, text in version.variants.items()},
        "expires_at": version.expires_at,
        "image_alt": version.image_alt,
        **_audience_initial(version),
    }
    form = DraftForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.draft_edit(
                actor=request.user,
                draft_id=draft.pk,
                content=_content(request, form),
                title=form.cleaned_data["title"],
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            if saved.nothing_changed:
                messages.info(request, _("Nothing in the post changed, so no new version was saved."))
            else:
                messages.success(request, _("Saved as a new version."))
            return redirect("portal:draft", draft_id=draft.pk)
    return render(request, "comms/draft_form.html", {"form": form, "draft": draft})


@comms_member
@require_POST
def draft_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Live preview (htmx) of the draft form: per chosen network, the post it will
    receive (its variant, else the main text) with the counter and the problems that
    saving would refuse (the same ``check_draft_post``). Half-filled forms preview too."""
    form = DraftForm(request.POST)
    form.is_valid()  # only to clean what can be cleaned; the rest falls back below
    data = form.cleaned_data
    language = data.get("language") or "en"
    disclosure = disclosure_for(language=language)
    image, image_alt = None, data.get("image_alt") or ""
    if request.POST.get("draft", "").isdigit():
        current = draft_get_for_comms(user=request.user, draft_id=int(request.POST["draft"])).working_version
        image = current.image if current is not None and current.image else None
    previews = _previews(
        author=request.user.name,
        image_url=image.url if image else "",
        body=unix_newlines(data.get("body") or ""),
        variants={network: unix_newlines(text) for network, text in form.variants().items()},
        link=data.get("link") or "",
        networks=list(data.get("networks") or [key for key, _label in NETWORK_CHOICES]),
        disclosure=disclosure,
        has_image=image is not None,
        image_alt=image_alt,
    )
    return render(request, "portal/_preview.html", {"previews": previews})


def _previews(
    *,
    author: str,
    image_url: str,
    body: str,
    variants: dict[str, str],
    link: str,
    networks: list[str],
    disclosure: str,
    has_image: bool,
    image_alt: str,
) -> list[NetworkPreview]:
    """Each network's preview: its variant (else the main text) as it will be posted."""
    posts = []
    for network in networks:
        post = draft_post(
            network=network,
            body=variants.get(network) or body,
            link=link,
            disclosure=disclosure,
            has_image=has_image,
            image_alt=image_alt,
        )
        check = check_draft_post(post=post, disclosure=disclosure)
        posts.append((post, check))
    return composer_previews(author=author, posts=posts, disclosure=disclosure, image_url=image_url)


@comms_member
def draft_detail(request: AuthenticatedHttpRequest, draft_id: int) -> HttpResponse:
    draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
    versions, decisions = draft_history(draft=draft)
    version = draft.working_version
    assert version is not None  # every draft has one once draft_create returns
    disclosure = disclosure_for(language=version.language)
    return render(
        request,
        "comms/draft_detail.html",
        {
            "draft": draft,
            "version": version,
            "versions": versions,
            "decisions": decisions,
            "comment_form": CommentForm(),
            "can_review": user_can(request.user, Capability.REVIEW_DRAFTS),
            "wrote_this_version": version.created_by_id == request.user.pk,
            # What the reviewer approves, network by network, as employees will be offered it.
            "previews": _previews(
                author=version.created_by.name if version.created_by else "",
                image_url=version.image.url if version.image else "",
                body=version.body,
                variants=version.variants,
                link=version.link,
                networks=list(version.networks),
                disclosure=disclosure,
                has_image=bool(version.image),
                image_alt=version.image_alt,
            ),
            "disclosure": disclosure,
            "image_url": version.image.url if version.image else "",
        },
    )


@comms_member
def draft_diff(request: AuthenticatedHttpRequest, draft_id: int) -> HttpResponse:
    draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
    versions = {v.number: v for v in draft.versions.all()}
    try:
        new = versions[int(request.GET.get("to", max(versions)))]
        old = versions[int(request.GET.get("from", max(new.number - 1, 1)))]
    except (KeyError, ValueError):
        raise Http404("No such version.") from None
    return render(request, "comms/draft_diff.html", {"draft": draft, "diff": version_diff(old=old, new=new)})


# action -> (service, what to tell the person); the services take different keywords.
ACTIONS: dict[str, tuple[Callable[..., object], StrPromise]] = {
    "submit": (services.draft_submit, gettext_lazy("Submitted for review.")),
    "request-changes": (services.draft_request_changes, gettext_lazy("Sent back to the author with your comments.")),
    "approve": (services.draft_approve, gettext_lazy("Approved. It can now be published.")),
    "publish": (services.draft_publish, gettext_lazy("Published: participants can now share it.")),
    "retire": (
        services.draft_retire,
        gettext_lazy("Retired: employees no longer see it and its pending posts were cancelled."),
    ),
}


@comms_member
@require_POST
def draft_action(request: AuthenticatedHttpRequest, draft_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    draft = draft_get_for_comms(user=request.user, draft_id=draft_id)
    service, done = ACTIONS[action]
    form = CommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    kwargs = {"actor": request.user, "draft_id": draft.pk}
    if action in {"submit", "request-changes", "approve"}:
        kwargs["comment"] = comment
    elif action == "retire":
        kwargs["reason"] = comment
    try:
        service(**kwargs)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    else:
        messages.success(request, done)
    return redirect("portal:draft", draft_id=draft.pk)
