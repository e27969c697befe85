"""Words for the codes the audit log stores, in the reader's language.

The audit log keeps stable English codes (``draft.published``, ``ledger.connectedaccount``,
``worker``): exports and the hash chain depend on them. People reading the log in the
portal see these labels instead; a code without a label is shown as it is, and a test
makes sure every action, path and target type has one.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from advocacy.audit.actions import AuditAction, Via

A = AuditAction
ACTION_LABELS: dict[str, Promise] = {
    A.USER_LOGGED_IN: _("Signed in"),
    A.USER_LOGIN_FAILED: _("Sign-in failed"),
    A.USER_ROLE_CHANGED: _("Role changed"),
    A.USER_DEACTIVATED: _("Person deactivated"),
    A.USER_REACTIVATED: _("Person reactivated"),
    A.USER_PSEUDONYMISED: _("Person pseudonymised"),
    A.POLICY_PUBLISHED: _("Programme policy published"),
    A.CONSENT_OPTED_IN: _("Joined the programme"),
    A.CONSENT_RECONSENTED: _("Confirmed the new policy"),
    A.CONSENT_OPTED_OUT: _("Left the programme"),
    A.SETTINGS_CHANGED: _("Programme settings changed"),
    A.DRAFT_CREATED: _("Draft created"),
    A.DRAFT_EDITED: _("Draft edited"),
    A.DRAFT_SUBMITTED: _("Draft submitted for review"),
    A.DRAFT_CHANGES_REQUESTED: _("Changes requested on a draft"),
    A.DRAFT_APPROVED: _("Draft approved"),
    A.DRAFT_APPROVAL_REFUSED: _("Approval refused (four eyes)"),
    A.DRAFT_PUBLISHED: _("Draft published"),
    A.DRAFT_RETIRED: _("Draft retired"),
    A.SHARE_SCHEDULED: _("Share scheduled"),
    A.SHARE_EDITED: _("Share edited"),
    A.SHARE_CANCELLED: _("Share cancelled"),
    A.SHARE_CLAIMED: _("Share picked up for sending"),
    A.SHARE_SENT: _("Share sent"),
    A.SHARE_FAILED: _("Share failed"),
    A.SHARE_RETRY_SCHEDULED: _("Share retry scheduled"),
    A.SHARE_MISSED: _("Share missed its time"),
    A.SHARE_UNKNOWN: _("Share outcome unknown"),
    A.SHARE_RECONCILED: _("Share checked with the network"),
    A.SHARE_REVIEW_APPROVED: _("Edited share approved"),
    A.SHARE_REVIEW_REJECTED: _("Edited share rejected"),
    A.SHARE_HELD: _("Share on hold: the disclosure changed"),
    A.PUBLIC_NAME_CHANGED: _("Public name changed"),
    A.OUTSIDE_POST_DETECTED: _("Post made outside Candor found"),
    A.OUTSIDE_POST_CONFIRMED: _("Outside post confirmed by its holder"),
    A.OUTSIDE_POST_DISOWNED: _("Outside post disowned by its holder"),
    A.ACCOUNT_WATCH_CHANGED: _("Outside-post watch changed"),
    A.ACCOUNT_CONNECTED: _("Account connected"),
    A.ACCOUNT_RECONNECTED: _("Account reconnected"),
    A.ACCOUNT_SCOPES_CHANGED: _("Account permissions changed"),
    A.ACCOUNT_NEEDS_RECONNECT: _("Account needs reconnecting"),
    A.ACCOUNT_DISCONNECTED: _("Account disconnected"),
    A.ACCOUNT_REASSIGN_REFUSED: _("Account reassignment refused"),
    A.CUSTODY_TRANSFER_STARTED: _("Custody transfer started"),
    A.CUSTODY_TRANSFERRED: _("Custody transferred"),
    A.ACCOUNT_REVOCATION_PENDING: _("Account access revocation pending"),
    A.ACCOUNT_REVOKED: _("Account access revoked"),
    A.ACCOUNT_HANDED_BACK: _("Account handed back"),
    A.OFFBOARDING_STARTED: _("Offboarding started"),
    A.OFFBOARDING_COMPLETED: _("Offboarding completed"),
    A.AUDIT_EXPORTED: _("Audit log exported"),
    A.DIAGNOSTIC_PROBE: _("Diagnostic check run"),
    A.USER_CREATED: _("Person created"),
    A.USER_PROFILE_CHANGED: _("Profile changed"),
    A.USER_PRIVILEGES_CHANGED: _("Privileges changed"),
    A.USER_PASSWORD_CHANGED: _("Password changed"),
    A.USER_PREFERENCES_SAVED: _("Preferences saved"),
    A.TOKEN_ISSUED: _("API token created"),
    A.TOKEN_REVOKED: _("API token revoked"),
    A.CREDENTIALS_KEY_ROTATED: _("Credentials key rotated"),
    A.PUSH_SUBSCRIBED: _("Push notifications turned on for a device"),
    A.PUSH_UNSUBSCRIBED: _("Push notifications turned off for a device"),
    A.TEAM_CREATED: _("Team created"),
    A.TEAM_RENAMED: _("Team renamed"),
    A.TEAM_DELETED: _("Team deleted"),
    A.TEAM_MEMBER_ADDED: _("Added to a team"),
    A.TEAM_MEMBER_REMOVED: _("Removed from a team"),
}

VIA_LABELS: dict[str, Promise] = {
    Via.PORTAL: _("portal"),
    Via.API: _("API"),
    Via.ADMIN: _("admin site"),
    Via.WORKER: _("background worker"),
    Via.COMMAND: _("command line"),
    Via.SYSTEM: _("system"),
}

TARGET_LABELS: dict[str, Promise] = {
    "accounts.user": _("Person"),
    "accounts.apitoken": _("API token"),
    "accounts.team": _("Team"),
    "core.serviceheartbeat": _("Service heartbeat"),
    "core.taskprobe": _("Diagnostic check"),
    "audit.auditevent": _("Audit event"),
    "audit.auditchainhead": _("Audit chain"),
    "audit.auditexportjob": _("Audit export"),
    "audit.auditcheckpoint": _("Audit checkpoint"),
    "program.policyversion": _("Programme policy"),
    "program.enrollment": _("Participation"),
    "program.consentevent": _("Consent record"),
    "program.disclosuretemplate": _("Disclosure wording"),
    "program.blockedterm": _("Blocked term"),
    "program.programmesettings": _("Programme settings"),
    "drafts.campaign": _("Campaign"),
    "drafts.draft": _("Draft"),
    "drafts.draftversion": _("Draft version"),
    "drafts.draftaudienceteam": _("Draft audience"),
    "drafts.reviewdecision": _("Review decision"),
    "ledger.connectedaccount": _("Connected account"),
    "ledger.accountevent": _("Account event"),
    "ledger.custodytransfer": _("Custody transfer"),
    "ledger.offboarding": _("Offboarding"),
    "ledger.mastodonapp": _("Mastodon server registration"),
    "sharing.share": _("Share"),
    "notifications.notification": _("Notification"),
    "notifications.notificationpreference": _("Notification settings"),
    "notifications.pushsubscription": _("Push subscription"),
    "analytics.trackedlink": _("Tracked link"),
    "analytics.linkclickdaily": _("Link clicks"),
    "core.workerheartbeat": _("Worker heartbeat"),
    "core.metriccounter": _("Metric counter"),
    "audit.auditmerklenode": _("Audit tree node"),
    "identity.scimclient": _("Provisioning client"),
    "identity.scimlink": _("Provisioning link"),
    "invitations.invitation": _("Invitation"),
    "identity.scimgrouplink": _("Provisioned group link"),
    "public.publicname": _("Public name"),
    "watch.watchedaccount": _("Watched account"),
    "watch.outsidepost": _("Post made outside Candor"),
    "linkcards.linkpage": _("Linked page"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def via_label(code: str) -> str:
    label = VIA_LABELS.get(code)
    return str(label) if label is not None else code


def target_label(target_type: str, target_id: str) -> str:
    """``Connected account #1`` for ``ledger.connectedaccount`` and ``1``; empty without a target."""
    if not target_type:
        return ""
    label = TARGET_LABELS.get(target_type)
    name = str(label) if label is not None else target_type
    return f"{name} #{target_id}" if target_id else name


def action_choices() -> list[tuple[str, str]]:
    """The audit filter's choices, labelled and sorted in the reader's language."""
    return sorted(((value, action_label(value)) for value in AuditAction.values), key=lambda choice: choice[1])
