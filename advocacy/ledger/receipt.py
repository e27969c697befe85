"""The hand-back receipt: what Candor held for a leaver, what it did with it, and
everything it posted on their behalf. JSON is the record; the PDF renders it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from advocacy.ledger.models import AccountEvent, ConnectedAccount, Offboarding
from advocacy.sharing.models import Share


def receipt_build(*, offboarding: Offboarding) -> dict[str, Any]:
    accounts = ConnectedAccount.objects.filter(pk__in=offboarding.account_ids).select_related("owner")
    still_held = [a for a in accounts if a.credentials_encrypted]
    not_revoked = set(
        AccountEvent.objects.filter(
            account__in=accounts, kind=AccountEvent.Kind.REVOKED, detail__revoked=False
        ).values_list("account_id", flat=True)
    )
    posts = Share.objects.filter(employee=offboarding.user, state=Share.State.SENT).select_related("account", "draft")
    return {
        "organisation": settings.CANDOR_ORGANISATION_NAME,
        "person": {"name": offboarding.user.name, "email": offboarding.user.email},
        "offboarding_id": offboarding.pk,
        "started_at": offboarding.started_at.isoformat(),
        "completed_at": (offboarding.completed_at or timezone.now()).isoformat(),
        "cancelled_shares": offboarding.cancelled_shares,
        "accounts": [
            {
                "network": a.get_network_display(),
                "handle": a.handle,
                "ownership": a.ownership,
                "outcome": a.get_status_display(),
                "revoked_at": a.revoked_at.isoformat() if a.revoked_at else None,
                "detail": a.revocation_detail,
                "new_custodian": a.owner.name if a.ownership == ConnectedAccount.Ownership.CORPORATE else None,
                "action_needed": _action_needed(a) if a.pk in not_revoked else None,
            }
            for a in accounts
        ],
        "posts": [
            {
                "sent_at": s.sent_at.isoformat() if s.sent_at else None,
                "network": s.account.get_network_display(),
                "account": s.account.handle,
                "title": s.draft.title,
                "url": s.external_url,
            }
            for s in posts.order_by("sent_at")
        ],
        "credentials_held": len(still_held),
        "statement": (
            "Candor keeps no credentials for any of these accounts: every stored token or app password was "
            "deleted after access was revoked at the network. Personal accounts remain entirely yours."
            if not still_held
            else f"Candor still holds credentials for {len(still_held)} account(s) while revocation is pending."
        ),
    }


def _action_needed(account: ConnectedAccount) -> str:
    """What the owner must still do themselves: the network revoked Candor's session
    but the password or grant they gave Candor still works."""
    if account.network == "bluesky":
        return (
            f"Delete the app password you gave Candor for {account.handle} on "
            f"{account.connected_at:%Y-%m-%d} (Bluesky: Settings → Privacy and security → App passwords). "
            "It still signs in until you do."
        )
    return f"Remove Candor's access to {account.handle} in the account's settings on the network."


def _latin(text: object) -> str:
    # The PDF core fonts cover Latin-1; anything else is shown as "?" rather than failing.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def receipt_pdf(*, receipt: dict[str, Any]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title("Candor hand-back receipt")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"Hand-back receipt - {receipt['organisation']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    person = receipt["person"]
    lines = [
        f"Person: {person['name']} <{person['email']}>",
        f"Offboarding #{receipt['offboarding_id']}: started {receipt['started_at']}",
        f"Completed {receipt['completed_at']}",
        f"Scheduled posts cancelled: {receipt['cancelled_shares']}",
    ]
    for line in lines:
        pdf.multi_cell(0, 6, _latin(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Accounts", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for account in receipt["accounts"] or [{"network": "-", "handle": "no connected accounts"}]:
        text = f"{account['network']} {account['handle']}"
        if account.get("outcome"):
            text += f" ({account['ownership']}): {account['outcome']}"
        if account.get("revoked_at"):
            text += f"; access revoked {account['revoked_at']}"
        if account.get("detail"):
            text += f". {account['detail']}"
        if account.get("new_custodian"):
            text += f" New custodian: {account['new_custodian']}."
        if account.get("action_needed"):
            text += f" TO DO: {account['action_needed']}"
        pdf.multi_cell(0, 6, _latin("- " + text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Posts Candor made on your behalf", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for post in receipt["posts"] or [{"sent_at": "", "network": "", "account": "", "title": "none", "url": ""}]:
        pdf.multi_cell(
            0,
            6,
            _latin(f"- {post['sent_at']} {post['network']} {post['account']}: {post['title']} {post['url']}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 6, _latin(receipt["statement"]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
