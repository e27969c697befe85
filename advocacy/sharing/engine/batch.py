"""One batch of leased shares on their way to the networks: the pre-send checks
(consent, account, draft, text, lateness, the account's budget), the network calls
(reconciling first when an earlier attempt's outcome is unknown), and the outcome
each send ends in, collected for the outcome writer (``outcomes``)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from django.utils import timezone

from advocacy.audit.actions import AuditAction
from advocacy.core.counters import CALL_BUCKETS, LATENESS_BUCKETS, Tally
from advocacy.drafts.content import check_post
from advocacy.drafts.models import Draft
from advocacy.ledger.models import ConnectedAccount
from advocacy.ledger.services import account_credentials_update, account_mark_needs_reconnect
from advocacy.ledger.sessions import session_for
from advocacy.networks import base as net
from advocacy.networks.registry import get_client
from advocacy.notifications.models import Notification
from advocacy.notifications.services import notify, recipient_locale
from advocacy.program.selectors import disclosure_for
from advocacy.sharing.engine import messages
from advocacy.sharing.engine.dispatch import late_cutoff
from advocacy.sharing.engine.facts import Facts
from advocacy.sharing.engine.outcomes import Outcomes, Transition
from advocacy.sharing.engine.request import final_post, publish_request
from advocacy.sharing.limits import ACCOUNT_POST_BUDGET, MAX_ATTEMPTS, backoff_seconds
from advocacy.sharing.models import OUTCOME_UNKNOWN, Share

_T = TypeVar("_T")
State = Share.State
# Network failures as /metrics labels them; the most specific class first.
_OUTCOME_LABELS: dict[type[net.NetworkError], str] = {
    net.RateLimited: "rate_limited",
    net.OutcomeUnknown: OUTCOME_UNKNOWN,
    net.TransientError: "transient",
    net.AuthError: "auth",
    net.PermanentError: "refused",
}


@dataclass(frozen=True)
class SendOutcome:
    share_id: int
    state: str
    detail: str = ""


class SendBatch:
    """One batch of leased shares: the pre-send facts are read once for all of them
    (who may still share, each account's recent posts), outcomes are collected in
    ``outcomes`` and written in a few transactions."""

    def __init__(self, shares: list[Share], now: dt.datetime) -> None:
        self.now = now
        self.outcomes = Outcomes()
        self.refused: dict[int, str] = {}
        self.recent_sends = _recent_sends(shares, now)
        self.text_problems: dict[tuple[str, str, str, int | None], str | None] = {}
        self.disclosures: dict[str, str] = {}  # language: the disclosure in force now
        self.held: set[int] = set()  # shares stopped only by a changed disclosure
        self.tally = Tally()  # network calls and lateness, for /metrics

    def use_facts(self, shares: list[Share], facts: Facts) -> None:
        """Check ``shares`` against ``facts``, read when their lease was taken: someone
        who left, was deactivated or offboarded, or whose account or draft changed
        before that is not posted for; one who leaves after it waits for these
        outcomes (see ``facts.lock_people``)."""
        for share in shares:
            reason = facts.refused.get(share.employee_id)
            if reason is None:
                self.refused.pop(share.employee_id, None)
            else:
                self.refused[share.employee_id] = reason
            share.account.status = facts.account_status.get(share.account_id, ConnectedAccount.Status.REVOKED)
            share.draft.state = facts.draft_state.get(share.draft_id, Draft.State.RETIRED)

    def send(self, share: Share) -> SendOutcome:
        if share.attempts > MAX_ATTEMPTS:
            # Every earlier attempt died mid-send (a crash or a kill, recovered each time):
            # stop instead of re-enqueueing forever, and ask the employee to check.
            return self._unknown(share, net.OutcomeUnknown(f"{share.attempts - 1} attempts did not finish"))
        client = get_client(share.network)
        session = session_for(share.account)
        try:
            if share.last_error_code == OUTCOME_UNKNOWN:
                # An earlier attempt may have landed: find out before anything else, even
                # before cancelling or marking it late, so the status never says "not
                # sent" about a post that is live.
                try:
                    found = self._call(
                        share, "find_existing", client.find_existing, session, share.idempotency_key, text=share.text
                    )
                except (net.OutcomeUnknown, net.PermanentError) as exc:
                    return self._unknown(share, exc)
                if found is not None:
                    return self._sent(share, found, reconciled=True)
            stopped = self._stop_before_publish(share)
            if stopped is not None:
                return stopped
            result = self._call(share, "publish", client.publish, session, publish_request(share))
        except net.AuthError as exc:
            return self._auth_failed(share, exc)
        except net.OutcomeUnknown as exc:
            return self._retry(
                share,
                delay=backoff_seconds(attempt=share.attempts, retry_after=exc.retry_after),
                code=OUTCOME_UNKNOWN,
                message=exc.message,
            )
        except net.TransientError as exc:
            code = "rate_limited" if isinstance(exc, net.RateLimited) else "transient"
            if share.last_error_code == OUTCOME_UNKNOWN:
                code = OUTCOME_UNKNOWN  # the lookup failed, so the next attempt must reconcile again
            return self._retry(
                share,
                delay=backoff_seconds(attempt=share.attempts, retry_after=exc.retry_after),
                code=code,
                message=exc.message,
            )
        except net.PermanentError as exc:
            return self._failed(share, code="refused", message=exc.message)
        finally:
            _save_refreshed_credentials(share, session)
        return self._sent(share, result, reconciled=False)

    def _call(self, share: Share, call: str, method: Callable[..., _T], *args: object, **kwargs: object) -> _T:
        """``method(*args, **kwargs)``, a call to the network, timed and counted by
        network and outcome for /metrics (no label names a person or an account)."""
        started = time.monotonic()
        outcome = "error"
        try:
            result = method(*args, **kwargs)
        except net.NetworkError as exc:
            outcome = next((label for kind, label in _OUTCOME_LABELS.items() if isinstance(exc, kind)), "error")
            raise
        else:
            outcome = "ok"
            return result
        finally:
            labels = {"network": share.network, "call": call}
            self.tally.observe("candor_network_call_seconds", labels, time.monotonic() - started, CALL_BUCKETS)
            self.tally.count("candor_network_calls_total", {**labels, "outcome": outcome})

    def _finish(
        self,
        share: Share,
        *,
        to: str,
        action: AuditAction,
        fields: dict[str, object],
        audit_new: dict[str, object],
        notice: messages.Notice | None = None,
    ) -> None:
        self.outcomes.add(Transition(share, to, action, fields, audit_new, notice))

    def _precheck(self, share: Share) -> str | None:
        """Everything that must still hold right before sending; the reason if not.
        A share only the disclosure change stops is held instead (``self.held``)."""
        if share.employee_id in self.refused:
            return self.refused[share.employee_id]
        if share.account.status != ConnectedAccount.Status.ACTIVE:
            return messages.account_reason(share.account.status)
        if share.draft.state == Draft.State.RETIRED:
            return messages.WITHDRAWN
        expires = share.draft_version.expires_at
        if expires is not None and self.now >= expires:
            return messages.EXPIRED
        # The final post, with whatever the network adds to the text, is what is checked.
        post = final_post(share)
        text = post.text
        # The disclosure line carries the public page's address on some networks.
        page = post.disclosure_line[len(share.disclosure) :] if post.disclosure_line else ""
        # The disclosure in force now decides, not the one the share was scheduled under:
        # after the admins change it, a post that still starts with it goes out as
        # scheduled, and one that does not is stopped, and its owner told why.
        current = self._current_disclosure(share.language)
        problem = self._text_problem(share.network, text, current + page, share.account.max_characters)
        stale = problem is not None and current != share.disclosure
        line = share.disclosure + page
        if stale and self._text_problem(share.network, text, line, share.account.max_characters) is None:
            self.held.add(share.pk)
            return messages.disclosure_changed_reason(current)
        return problem

    def _current_disclosure(self, language: str) -> str:
        if language not in self.disclosures:
            self.disclosures[language] = disclosure_for(language=language)
        return self.disclosures[language]

    def _text_problem(self, network: str, text: str, disclosure: str, max_characters: int | None) -> str | None:
        # The shares of one campaign mostly carry the same text: check each text once per batch.
        key = (network, text, disclosure, max_characters)
        if key not in self.text_problems:
            check = check_post(network=network, text=text, disclosure=disclosure, max_characters=max_characters)
            self.text_problems[key] = (
                None if check.ok else "The text no longer passes the rules: " + " ".join(check.problems)
            )
        return self.text_problems[key]

    def _over_budget(self, share: Share) -> dt.datetime | None:
        posts, window = ACCOUNT_POST_BUDGET[share.network]
        recent = [sent for sent in self.recent_sends.get(share.account_id, []) if sent > self.now - window]
        if len(recent) < posts:
            return None
        return min(recent) + window

    def _stop_before_publish(self, share: Share) -> SendOutcome | None:
        """Re-check everything right before posting: consent, account, draft, text,
        lateness and the account's budget. An outcome means: do not post now."""
        reason = self._precheck(share)
        if reason is not None and share.pk in self.held:
            self._finish(
                share,
                to=State.HELD,
                action=AuditAction.SHARE_HELD,
                fields={"last_error_code": "disclosure_changed", "last_error": reason[:1000]},
                audit_new={"reason": reason},
                notice=(Notification.Kind.SHARE_HELD, partial(messages.held_words, reason)),
            )
            return SendOutcome(share.pk, State.HELD, reason)
        if reason is not None:
            self._finish(
                share,
                to=State.CANCELLED,
                action=AuditAction.SHARE_CANCELLED,
                fields={"cancelled_reason": reason[:300]},
                audit_new={"reason": reason},
                notice=(Notification.Kind.SHARE_CANCELLED, partial(messages.cancelled_words, reason)),
            )
            return SendOutcome(share.pk, State.CANCELLED, reason)
        if share.scheduled_at < late_cutoff(self.now):
            return self._missed(share)
        resume_at = self._over_budget(share)
        if resume_at is not None:
            return self._retry(
                share,
                delay=(resume_at - self.now).total_seconds(),
                code="account_budget",
                message="Pausing to stay within this account's posting limit.",
                count_attempt=False,
            )
        return None

    def _sent(self, share: Share, result: net.PublishResult, *, reconciled: bool) -> SendOutcome:
        now = timezone.now()
        self.recent_sends.setdefault(share.account_id, []).append(now)
        late = (now - share.scheduled_at).total_seconds()
        self.tally.observe("candor_share_lateness_seconds", {"network": share.network}, late, LATENESS_BUCKETS)
        self._finish(
            share,
            to=State.SENT,
            action=AuditAction.SHARE_RECONCILED if reconciled else AuditAction.SHARE_SENT,
            fields={
                "sent_at": now,
                "external_id": result.external_id[:255],
                "external_url": result.url[:500],
                "last_error_code": "",
                "last_error": "",
            },
            audit_new={
                "external_id": result.external_id,
                "url": result.url,
                "attempts": share.attempts,
                "tool": "candor",
                "reconciled": reconciled,
            },
        )
        return SendOutcome(share.pk, State.SENT, result.url)

    def _retry(self, share: Share, *, delay: float, code: str, message: str, count_attempt: bool = True) -> SendOutcome:
        if count_attempt and share.attempts >= MAX_ATTEMPTS:
            if code == OUTCOME_UNKNOWN:
                return self._unknown(share, net.OutcomeUnknown(message))
            return self._failed(share, code=code, message=f"Gave up after {share.attempts} attempts: {message}")
        next_at = timezone.now() + dt.timedelta(seconds=delay)
        fields: dict[str, object] = {
            "next_attempt_at": next_at,
            "last_error_code": code,
            "last_error": message[:1000],
        }
        if not count_attempt:
            fields["attempts"] = max(0, share.attempts - 1)
        self._finish(
            share,
            to=State.SCHEDULED,
            action=AuditAction.SHARE_RETRY_SCHEDULED,
            fields=fields,
            audit_new={"code": code, "message": message, "next_attempt_at": next_at.isoformat()},
        )
        return SendOutcome(share.pk, State.SCHEDULED, message)

    def _failed(self, share: Share, *, code: str, message: str) -> SendOutcome:
        self._finish(
            share,
            to=State.FAILED,
            action=AuditAction.SHARE_FAILED,
            fields={"last_error_code": code, "last_error": message[:1000]},
            audit_new={"code": code, "message": message},
            notice=(Notification.Kind.SHARE_FAILED, partial(messages.failed_words, share, message)),
        )
        return SendOutcome(share.pk, State.FAILED, message)

    def _auth_failed(self, share: Share, exc: net.AuthError) -> SendOutcome:
        # Only the failure that moves the account to needs-reconnect tells the owner: shares
        # failing alongside it add no second email, and a failure after a reconnect does.
        if account_mark_needs_reconnect(account_id=share.account_id, reason=exc.message):
            owner = share.account.owner
            with recipient_locale(owner):
                title, body = messages.reconnect_words(share.account, exc.message)
            notify(
                user=owner, kind=Notification.Kind.RECONNECT_NEEDED, title=title, body=body, link="/accounts/social/"
            )
        return self._failed(share, code="auth", message=f"{exc.message} Reconnect the account, then schedule again.")

    def _unknown(self, share: Share, exc: net.NetworkError) -> SendOutcome:
        message = messages.unknown_reason(share, exc.message)
        self._finish(
            share,
            to=State.UNKNOWN,
            action=AuditAction.SHARE_UNKNOWN,
            fields={"last_error_code": OUTCOME_UNKNOWN, "last_error": message[:1000]},
            audit_new={"message": message},
            notice=(Notification.Kind.SHARE_UNKNOWN, partial(messages.unknown_words, share, exc.message)),
        )
        return SendOutcome(share.pk, State.UNKNOWN, message)

    def _missed(self, share: Share) -> SendOutcome:
        message = messages.missed_reason()
        self._finish(
            share,
            to=State.MISSED,
            action=AuditAction.SHARE_MISSED,
            fields={"last_error_code": "missed", "last_error": message},
            audit_new={},
            notice=(Notification.Kind.SHARE_MISSED, partial(messages.missed_words, share)),
        )
        return SendOutcome(share.pk, State.MISSED, message)


def _recent_sends(shares: list[Share], now: dt.datetime) -> dict[int, list[dt.datetime]]:
    """Each account's sends within its network's budget window, in one query."""
    if not shares:
        return {}
    longest = max(ACCOUNT_POST_BUDGET[share.network][1] for share in shares)
    rows = Share.objects.filter(
        account_id__in={share.account_id for share in shares}, state=State.SENT, sent_at__gt=now - longest
    ).values_list("account_id", "sent_at")
    recent: dict[int, list[dt.datetime]] = {}
    for account_id, sent_at in rows:
        if sent_at is not None:  # always: sent_at__gt leaves out NULLs
            recent.setdefault(account_id, []).append(sent_at)
    return recent


def _save_refreshed_credentials(share: Share, session: net.AccountSession) -> None:
    if session.credentials_changed:
        account_credentials_update(account_id=share.account_id, credentials=session.credentials)
        session.credentials_changed = False
