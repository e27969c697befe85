"""Employee portal: join or leave, the feed, sharing with a live preview, my shares,
my accounts, my data. Views validate input, call a service, and render."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.permissions import Capability
from accounts.timezones import aware_in_user_zone, user_zone
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import ApplicationError
from advocacy.core.my_data import my_data_export
from advocacy.drafts.content import unix_newlines
from advocacy.drafts.selectors import FeedCard, feed_cards_for_employee, feed_for_employee, published_draft_get
from advocacy.ledger.connect import account_connect_bluesky
from advocacy.ledger.models import ConnectedAccount, account_label
from advocacy.ledger.services import account_disconnect
from advocacy.networks.registry import NETWORKS
from advocacy.notifications.models import Notification, NotificationPreference
from advocacy.notifications.services import notifications_mark_read
from advocacy.portal.forms import BlueskyConnectForm, OptInForm, ShareEditForm, ShareForm
from advocacy.portal.helpers import form_errors_from, requires
from advocacy.portal.previews import network_previews
from advocacy.portal.pwa import OFFLINE_COPY_HEADER
from advocacy.program.selectors import consent_history, disclosure_for, participation_state
from advocacy.program.services import enrollment_leave, enrollment_opt_in
from advocacy.sharing.models import Share
from advocacy.sharing.offered import approved_text, texts_as_offered
from advocacy.sharing.selectors import share_get_for_user, share_rows_for_employee, shares_for_employee
from advocacy.sharing.services import ShareTarget, share_cancel, share_edit, shares_create

participant = requires(Capability.PARTICIPATE)
# Cards per feed page; older posts are a link away. All 50 newest on one page cost
# four times a plain page to fetch and render (bench/).
FEED_PAGE_SIZE = 20
# Past any real feed: a larger OFFSET would only cost the database (or overflow it).
FEED_MAX_PAGE = 1000
_URL_ARGUMENT = 987654321


def _url_format(name: str) -> str:
    """The URL ``name`` with its one integer argument as ``{}``. Long pages format it
    per row: a ``{% url %}`` or ``reverse()`` per row was a large part of their time (bench/)."""
    return reverse(name, args=[_URL_ARGUMENT]).replace(str(_URL_ARGUMENT), "{}")


@dataclass(frozen=True)
class OnboardingStep:
    label: str
    url: str
    done: bool


def _onboarding(user: Any, *, enrolled: bool) -> list[OnboardingStep]:
    """The first steps after joining, or nothing once they are all done (or before joining)."""
    if not enrolled:
        return []
    preferences_set = (user.time_zone, user.language) != ("UTC", settings.LANGUAGE_CODE) or (
        AuditEvent.objects.filter(subject_id=user.pk, action=AuditAction.USER_PREFERENCES_SAVED).exists()
    )
    steps = [
        OnboardingStep(
            _("Connect an account"),
            reverse("portal:connections"),
            ConnectedAccount.objects.filter(owner=user, status=ConnectedAccount.Status.ACTIVE).exists(),
        ),
        OnboardingStep(
            _("Share a first post"),
            reverse("portal:feed"),
            Share.objects.filter(employee=user).exclude(state=Share.State.CANCELLED).exists(),
        ),
        OnboardingStep(_("Set your time zone and language"), reverse("preferences"), preferences_set),
        OnboardingStep(
            _("Choose your notifications"),
            reverse("notifications:settings"),
            NotificationPreference.objects.filter(user=user).exists(),
        ),
    ]
    return [] if all(step.done for step in steps) else steps


@participant
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    participation = participation_state(user=user)
    context = {
        "participation": participation,
        "onboarding": _onboarding(user, enrolled=participation.enrolled),
        "feed": feed_for_employee(user=user)[:3],
        "recent_shares": shares_for_employee(user=user)[:5],
        "notifications": Notification.objects.filter(user=user, read_at__isnull=True)[:5],
    }
    return render(request, "portal/home.html", context)


@participant
@require_http_methods(["GET", "POST"])
def programme(request: AuthenticatedHttpRequest) -> HttpResponse:
    state = participation_state(user=request.user)
    policy = state.current_policy
    form = OptInForm(request.POST or None, initial={"policy_version": policy.pk if policy else None})
    if request.method == "POST" and form.is_valid():
        try:
            enrollment_opt_in(
                user=request.user,
                policy_version_id=form.cleaned_data["policy_version"],
                accepted=form.cleaned_data["accept"],
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Welcome to the programme. You can leave at any time from this page."))
            return redirect("portal:feed")
    text = policy.text_for(request.LANGUAGE_CODE) if policy else None
    context = {"state": state, "participation": state, "policy": policy, "text": text, "form": form}
    return render(request, "portal/programme.html", context)


@participant
@require_http_methods(["GET", "POST"])
def leave(request: AuthenticatedHttpRequest) -> HttpResponse:
    state = participation_state(user=request.user)
    if not state.enrolled:
        messages.info(request, _("You are not taking part in the programme."))
        return redirect("portal:programme")
    if request.method == "POST":
        result = enrollment_leave(user=request.user)
        n = result.cancelled_shares
        messages.success(
            request,
            ngettext(
                "You have left the programme. %(n)s scheduled post was cancelled.",
                "You have left the programme. %(n)s scheduled posts were cancelled.",
                n,
            )
            % {"n": n},
        )
        return redirect("portal:programme")
    pending = Share.objects.filter(employee=request.user, state__in=Share.PENDING_STATES).count()
    return render(request, "portal/leave.html", {"pending": pending})


@participant
def feed(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = _page_number(request)
    # One row more than a page tells whether there is an older page, without a COUNT.
    cards = feed_cards_for_employee(user=request.user, offset=(page - 1) * FEED_PAGE_SIZE, limit=FEED_PAGE_SIZE + 1)
    participation = participation_state(user=request.user)
    cards_html = _feed_cards_html(cards[:FEED_PAGE_SIZE], can_share=participation.can_share)
    response = render(
        request,
        "portal/feed.html",
        {
            "cards_html": _mark_shared(cards_html, user=request.user, draft_ids=[c["pk"] for c in cards]),
            "newer_page": page - 1,
            "older_page": page + 1 if len(cards) > FEED_PAGE_SIZE else 0,
            "participation": participation,
        },
    )
    if participation.enrolled:
        response[OFFLINE_COPY_HEADER] = "keep"  # the service worker keeps only pages that say so
    return response


def _feed_cards_html(cards: list[FeedCard], *, can_share: bool) -> SafeString:
    """The feed's cards as HTML, rendered once per distinct content, language, time zone
    and ``can_share``, then taken from the cache: every employee sees the same cards, and
    rendering them was most of the feed's time (bench/). The key holds everything the
    fragment shows, so a changed card gives a new key, never a stale page."""
    shown = (get_language(), timezone.get_current_timezone_name(), can_share, cards)
    key = "portal:feed-cards:" + hashlib.sha256(repr(shown).encode()).hexdigest()
    html: SafeString | None = cache.get(key)
    if html is None or settings.DEBUG:  # while developing, a template edit shows at once
        html = render_to_string("portal/_feed_cards.html", {"cards": cards, "can_share": can_share})
        cache.set(key, html, timeout=300)
    return html  # a SafeString, also as it comes back from the cache


def _mark_shared(cards_html: SafeString, *, user: User, draft_ids: list[int]) -> SafeString:
    """The cached cards are the same for everyone; whether *you* shared a post is put in
    afterwards, at the marker each card leaves for it (one query for the page)."""
    if not draft_ids:
        return cards_html
    shared = set(
        Share.objects.filter(employee=user, draft_id__in=draft_ids)
        .exclude(state=Share.State.CANCELLED)
        .values_list("draft_id", flat=True)
    )
    badge = format_html(' <span class="badge ok" data-testid="you-shared">{}</span>', _("You shared this"))
    html = str(cards_html)
    for draft_id in shared:
        html = html.replace(f"<!--shared:{draft_id}-->", badge)
    # Safe: the cached cards were escaped when rendered, and the badge is format_html.
    return mark_safe(html)  # noqa: S308  # nosec B308, B703


def _page_number(request: HttpRequest) -> int:
    """``?page=`` as a number from 1 to ``FEED_MAX_PAGE``; anything else is the first page."""
    try:
        return min(max(1, int(request.GET.get("page", "1"))), FEED_MAX_PAGE)
    except ValueError:
        return 1


def _own_accounts(user: User, networks: list[str]) -> list[ConnectedAccount]:
    return list(
        ConnectedAccount.objects.filter(owner=user, status=ConnectedAccount.Status.ACTIVE, network__in=networks)
    )


@participant
@require_http_methods(["GET", "POST"])
def share_compose(request: AuthenticatedHttpRequest, draft_id: int) -> HttpResponse:
    draft = published_draft_get(user=request.user, draft_id=draft_id)
    version = draft.published_version
    assert version is not None  # the feed lists published drafts only
    disclosure = disclosure_for(language=version.language)
    accounts = _own_accounts(request.user, version.networks)
    choices = [(str(a.pk), f"{a.get_network_display()} · {a.handle}") for a in accounts]
    # One tracked link and one text box for the composer; left as offered, each network
    # gets its own variant (texts_as_offered).
    form = ShareForm(request.POST or None, account_choices=choices, initial={"text": approved_text(draft=draft)})
    if request.method == "POST" and form.is_valid():
        when = form.cleaned_data["scheduled_at"] if form.cleaned_data["when"] == "later" else None
        scheduled_at = aware_in_user_zone(user=request.user, value=when) if when else None
        network_of = {str(a.pk): a.network for a in accounts}
        texts = texts_as_offered(draft=draft, text=form.cleaned_data["text"], networks=set(network_of.values()))
        targets = [
            ShareTarget(account_id=int(pk), text=texts.get(network_of.get(pk, ""), form.cleaned_data["text"]))
            for pk in form.cleaned_data["accounts"]
        ]
        try:
            created = shares_create(
                employee=request.user, draft_id=draft.pk, targets=targets, scheduled_at=scheduled_at
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
            if len(targets) > 1:
                # All or none: say so, or the employee may think the other networks went through.
                form.add_error(None, _("Nothing was scheduled."))
        else:
            waiting = sum(share.state == Share.State.REVIEW for share in created)
            scheduled = len(created) - waiting
            if scheduled:
                messages.success(
                    request, ngettext("%(n)s post scheduled.", "%(n)s posts scheduled.", scheduled) % {"n": scheduled}
                )
            if waiting:
                messages.info(
                    request,
                    ngettext(
                        "%(n)s post waits for a review, because the programme reviews edited texts.",
                        "%(n)s posts wait for a review, because the programme reviews edited texts.",
                        waiting,
                    )
                    % {"n": waiting},
                )
            return redirect("portal:shares")
    return render(
        request,
        "portal/share_compose.html",
        {
            "draft": draft,
            "version": version,
            "form": form,
            "accounts": accounts,
            "disclosure": disclosure,
            "networks": sorted({a.network for a in accounts}) or version.networks,
            "participation": participation_state(user=request.user),
            "zone": user_zone(request.user),
        },
    )


@participant
@require_POST
def preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Live preview (htmx): the exact final post per network (``share_post``, as the
    share check and the network client build it), with counter and problems."""
    text = unix_newlines(request.POST.get("text", "")[:20000])
    language = request.POST.get("language", "en")
    networks = [n for n in request.POST.getlist("network") if n in NETWORKS] or ["bluesky"]
    version = None
    texts = dict.fromkeys(networks, text)
    if request.POST.get("draft", "").isdigit():
        draft = published_draft_get(user=request.user, draft_id=int(request.POST["draft"]))
        version = draft.published_version
        assert version is not None  # the feed lists published drafts only
        language = version.language
        texts = texts_as_offered(draft=draft, text=text, networks=networks)
    previews = network_previews(
        user=request.user,
        texts=texts,
        networks=networks,
        disclosure=disclosure_for(language=language),
        version=version,
    )
    return render(request, "portal/_preview.html", {"previews": previews})


@participant
def shares(request: AuthenticatedHttpRequest) -> HttpResponse:
    zone = user_zone(request.user)
    share_url = _url_format("portal:share")
    states = {value: str(label) for value, label in Share.State.choices}
    rows = share_rows_for_employee(user=request.user, limit=200)
    for row in rows:
        row["url"] = share_url.format(row["pk"])
        row["account"] = account_label(row["account_network"], row["account_handle"])
        row["when"] = date_format(row["scheduled_at"].astimezone(zone), "SHORT_DATETIME_FORMAT")
        row["state_label"] = states.get(row["state"], row["state"])
        # Stored in English and translated when shown, as {% translate %} did.
        row["cancelled_reason"] = _(row["cancelled_reason"]) if row["cancelled_reason"] else ""
    return render(request, "portal/shares.html", {"shares": rows, "zone": zone})


@participant
@require_http_methods(["GET", "POST"])
def share_detail(request: AuthenticatedHttpRequest, share_id: int) -> HttpResponse:
    share = share_get_for_user(user=request.user, share_id=share_id)
    zone = user_zone(request.user)
    text, when = share.text, share.scheduled_at
    if share.state == Share.State.HELD:
        # Offer the fix: the current disclosure on the first line, and now if the time passed.
        current = disclosure_for(language=share.language)
        if text.startswith(share.disclosure):
            text = current + text[len(share.disclosure) :]
        when = max(when, timezone.now())
    form = ShareEditForm(
        request.POST or None,
        initial={"text": text, "scheduled_at": when.astimezone(zone).strftime("%Y-%m-%dT%H:%M")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            share_edit(
                employee=request.user,
                share_id=share.pk,
                text=form.cleaned_data["text"],
                scheduled_at=aware_in_user_zone(user=request.user, value=form.cleaned_data["scheduled_at"]),
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("portal:share", share_id=share.pk)
    return render(request, "portal/share_detail.html", {"share": share, "form": form, "zone": zone})


@participant
@require_POST
def share_cancel_view(request: AuthenticatedHttpRequest, share_id: int) -> HttpResponse:
    share = share_get_for_user(user=request.user, share_id=share_id)
    try:
        share_cancel(employee=request.user, share_id=share.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The post was cancelled; nothing will be sent."))
    return redirect("portal:share", share_id=share.pk)


@participant
@require_http_methods(["GET", "POST"])
def connections(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = BlueskyConnectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_connect_bluesky(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Connected %(account)s.") % {"account": account})
            return redirect("portal:connections")
    accounts = ConnectedAccount.objects.filter(owner=request.user).order_by("status", "network", "handle")
    return render(request, "portal/connections.html", {"accounts": accounts, "form": form})


@participant
@require_POST
def connection_disconnect(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    try:
        account = account_disconnect(actor=request.user, account_id=account_id)
    except ApplicationError as exc:
        if exc.status == 403:
            raise Http404 from None
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Disconnected %(account)s and deleted Candor's copy of its credential.") % {"account": account},
        )
    return redirect("portal:connections")


@participant
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/my_data.html",
        {
            "history": consent_history(user=request.user),
            "accounts": ConnectedAccount.objects.filter(owner=request.user),
            "sent": shares_for_employee(user=request.user).filter(state=Share.State.SENT)[:200],
            "participation": participation_state(user=request.user),
        },
    )


@participant
def my_data_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    payload = my_data_export(user=request.user)
    response = JsonResponse(payload, json_dumps_params={"indent": 2, "ensure_ascii": False})
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="candor-my-data-{stamp}.json"'
    return response


@participant
@require_http_methods(["GET", "POST"])
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("portal:notifications")
    rows = Notification.objects.filter(user=request.user)[:100]
    return render(request, "portal/notifications.html", {"notifications": rows})
