"""The hand-back receipt: what Candor held for a leaver, what it did with it, and
everything it posted on their behalf. JSON is the record; the PDF renders it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext
from fpdf import FPDF

from advocacy.audit.actions import AuditAction
from advocacy.audit.keys import verifier_keys
from advocacy.audit.standalone.candor_verify import ProofError, parse_checkpoint
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


# --- the PDF ------------------------------------------------------------------------

logger = logging.getLogger(__name__)
# A Unicode TrueType font, embedded (subset) in every receipt: "→", "—" and names in
# any Latin, Greek or Cyrillic script print as themselves. Debian's fonts-dejavu-core
# puts it here; CANDOR_RECEIPT_FONT_DIR points elsewhere (a directory holding
# DejaVuSans.ttf and DejaVuSans-Bold.ttf). Without it the receipt falls back to the
# PDF core font, which has Latin-1 only, and says so in the log (docs/operations.md).
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
FONT = "DejaVu"
MONO_FILE, MONO = "DejaVuSansMono.ttf", "DejaVuMono"  # the checkpoint, verbatim (its em dash too)


def _font_dir() -> Path | None:
    folder = Path(settings.CANDOR_RECEIPT_FONT_DIR)
    return folder if all((folder / name).is_file() for name in FONT_FILES) else None


class _ReceiptPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        folder = _font_dir()
        self.unicode = folder is not None
        if folder is not None:
            self.add_font(FONT, "", str(folder / FONT_FILES[0]))
            self.add_font(FONT, "B", str(folder / FONT_FILES[1]))
            if (folder / MONO_FILE).is_file():
                self.add_font(MONO, "", str(folder / MONO_FILE))
        else:
            logger.warning(
                "receipt PDF: no Unicode font (%s in CANDOR_RECEIPT_FONT_DIR or /usr/share/fonts/truetype/dejavu; "
                "Debian: apt-get install fonts-dejavu-core): characters outside Latin-1 print as '?'",
                " and ".join(FONT_FILES),
            )
        self.set_margins(18, 16, 18)

    def font(self, size: float, *, bold: bool = False) -> None:
        self.set_font(FONT if self.unicode else "Helvetica", "B" if bold else "", size)

    def verbatim(self, text: str) -> None:
        """Text as signed, in a monospaced font, line by line."""
        mono = MONO.lower() in self.fonts
        self.set_font(MONO if mono else "Courier", size=8)
        for row in text.rstrip("\n").split("\n"):
            # Courier (Latin-1) lacks the em dash that starts a signature line.
            shown = row if mono else row.replace("\u2014", "--")
            self.multi_cell(0, 4, shown or " ", align="L", new_x="LMARGIN", new_y="NEXT")
        self.font(10)

    def text_of(self, value: object) -> str:
        text = str(value)
        if self.unicode:
            return text
        return text.replace("\u2192", "->").replace("\u2014", "-").encode("latin-1", "replace").decode("latin-1")

    def paragraph(self, value: object, *, height: float = 5.5) -> None:
        # Left-aligned: fpdf2's default for multi_cell is justified, which stretches words apart.
        self.multi_cell(0, height, self.text_of(value), align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, value: object, *, size: float = 12) -> None:
        self.ln(3)
        self.font(size, bold=True)
        self.paragraph(value, height=7)
        self.font(10)


def _when(value: str | None) -> str:
    """An ISO 8601 time of the receipt as the portal shows times: in the active time
    zone and language."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _action_label(action: str) -> str:
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action


def _ownership_label(value: str) -> str:
    try:
        return str(ConnectedAccount.Ownership(value).label)
    except ValueError:
        return value


def receipt_pdf(*, receipt: dict[str, Any], time_zone: str | None = None, language: str | None = None) -> bytes:
    """The receipt as a PDF in the person's language and time zone (or the given ones),
    with its audit proof: the signed checkpoint, the key's fingerprint, one line per
    event, and the JSON receipt (with every inclusion proof) attached to the file."""
    case = Offboarding.objects.filter(pk=receipt.get("offboarding_id") or 0).select_related("user").first()
    person = case.user if case is not None else None
    zone_name = time_zone or (person.time_zone if person is not None else "") or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone_name, zone = "UTC", ZoneInfo("UTC")
    with translation.override(language or (person.language if person is not None else None)), timezone.override(zone):
        return _render(receipt, zone_name)


def _render(receipt: dict[str, Any], zone_name: str) -> bytes:
    pdf = _ReceiptPDF()
    pdf.set_title(gettext("Candor hand-back receipt"))
    pdf.add_page()
    pdf.font(16, bold=True)
    pdf.paragraph(gettext("Hand-back receipt — %(organisation)s") % {"organisation": receipt["organisation"]}, height=9)
    pdf.font(10)
    person = receipt["person"]
    pdf.paragraph(gettext("Person: %(name)s <%(email)s>") % {"name": person["name"], "email": person["email"]})
    pdf.paragraph(
        gettext("Offboarding #%(number)s: started %(time)s")
        % {"number": receipt["offboarding_id"], "time": _when(receipt["started_at"])}
    )
    pdf.paragraph(gettext("Completed %(time)s") % {"time": _when(receipt["completed_at"])})
    pdf.paragraph(gettext("Scheduled posts cancelled: %(count)s") % {"count": receipt["cancelled_shares"]})
    pdf.paragraph(gettext("Times are in the time zone %(zone)s.") % {"zone": zone_name})

    pdf.heading(gettext("Accounts"))
    if not receipt["accounts"]:
        pdf.paragraph("– " + gettext("no connected accounts"))
    for account in receipt["accounts"]:
        text = f"{account['network']} {account['handle']}"
        if account.get("outcome"):
            text += f" ({_ownership_label(account['ownership'])}): {account['outcome']}"
        if account.get("revoked_at"):
            text += "; " + gettext("access revoked %(time)s") % {"time": _when(account["revoked_at"])}
        if account.get("detail"):
            text += f". {account['detail']}"
        if account.get("new_custodian"):
            text += " " + gettext("New custodian: %(name)s.") % {"name": account["new_custodian"]}
        if account.get("action_needed"):
            text += " " + gettext("To do: %(action)s") % {"action": account["action_needed"]}
        pdf.paragraph("– " + text)

    pdf.heading(gettext("Posts Candor made on your behalf"))
    if not receipt["posts"]:
        pdf.paragraph("– " + gettext("none"))
    for post in receipt["posts"]:
        pdf.paragraph(f"– {_when(post['sent_at'])} {post['network']} {post['account']}: {post['title']} {post['url']}")

    pdf.ln(3)
    pdf.font(11, bold=True)
    if receipt.get("credentials_held"):
        statement = ngettext(
            "Candor still holds credentials for %(count)s account while revocation is pending.",
            "Candor still holds credentials for %(count)s accounts while revocation is pending.",
            receipt["credentials_held"],
        ) % {"count": receipt["credentials_held"]}
    else:
        statement = gettext(
            "Candor keeps no credentials for any of these accounts: every stored token or app password was "
            "deleted after access was revoked at the network. Personal accounts remain entirely yours."
        )
    pdf.paragraph(statement, height=6)
    pdf.font(10)
    if receipt.get("audit_proof"):
        _proof_section(pdf, receipt)
    return bytes(pdf.output())


def _proof_section(pdf: _ReceiptPDF, receipt: dict[str, Any]) -> None:
    proof = receipt["audit_proof"]
    try:
        checkpoint = parse_checkpoint(proof["checkpoint"], verifier_keys())
    except ProofError as exc:  # a receipt must still print; the verifier will say the same
        pdf.heading(gettext("Audit proof"))
        pdf.paragraph(gettext("The checkpoint of this receipt does not verify: %(problem)s") % {"problem": exc})
        return
    key = checkpoint.signed_by
    pdf.heading(gettext("Audit proof"))
    pdf.paragraph(
        gettext(
            "The %(count)s audit events about you are in the audit log's signed checkpoint of %(size)s events "
            "(%(origin)s, signed %(time)s):"
        )
        % {
            "count": len(proof.get("events", [])),
            "size": checkpoint.size,
            "origin": checkpoint.origin,
            "time": _when(checkpoint.time.replace("Z", "+00:00")),
        }
    )
    pdf.verbatim(checkpoint.text)
    pdf.ln(1)
    pdf.paragraph(
        gettext("Signing key %(key_id)s, fingerprint %(fingerprint)s, published at %(url)s")
        % {
            "key_id": key.key_id.hex(),
            "fingerprint": "SHA256:" + hashlib.sha256(key.public_key).hexdigest(),
            "url": proof.get("key_url", ""),
        }
    )
    pdf.paragraph(
        gettext(
            "To check it offline: take the JSON receipt (attached to this PDF, or download it), save the key page "
            "as candor-audit-key.json and run: python3 candor_verify.py --key candor-audit-key.json "
            "RECEIPT.json (candor_verify.py is advocacy/audit/standalone/candor_verify.py in Candor's source; it "
            "needs Python 3 and the cryptography package)."
        )
    )
    pdf.heading(gettext("Events and their inclusion proofs"), size=11)
    pdf.font(8.5)
    for event in proof.get("events", []):
        path = proof.get("proofs", {}).get(str(event.get("sequence")), [])
        pdf.paragraph(
            gettext("#%(sequence)s %(time)s %(action)s — event hash %(hash)s, proof of %(count)s hashes")
            % {
                "sequence": event.get("sequence"),
                "time": _when(event.get("created_at")),
                "action": _action_label(str(event.get("action", ""))),
                "hash": str(event.get("hash", ""))[:16] + "…",
                "count": len(path),
            },
            height=4.5,
        )
    pdf.embed_file(
        bytes=json.dumps(receipt, indent=2, ensure_ascii=False).encode(),
        basename=f"candor-hand-back-receipt-{receipt.get('offboarding_id')}.json",
        mime_type="application/json",
        desc=gettext("The JSON receipt with every inclusion proof"),
    )
