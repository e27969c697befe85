from django.db import models


class AuditAction(models.TextChoices):
    """Every kind of state change Candor records. Values are stable: exports and the
    hash chain depend on them, so rename the label, never the value."""

    # people and sessions
    USER_LOGGED_IN = "user.logged_in"
    USER_LOGIN_FAILED = "user.login_failed"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_PSEUDONYMISED = "user.pseudonymised"
    # programme and consent
    POLICY_PUBLISHED = "policy.published"
    CONSENT_OPTED_IN = "consent.opted_in"
    CONSENT_RECONSENTED = "consent.reconsented"
    CONSENT_OPTED_OUT = "consent.opted_out"
    SETTINGS_CHANGED = "settings.changed"
    # drafts and reviews
    DRAFT_CREATED = "draft.created"
    DRAFT_EDITED = "draft.edited"
    DRAFT_SUBMITTED = "draft.submitted"
    DRAFT_CHANGES_REQUESTED = "draft.changes_requested"
    DRAFT_APPROVED = "draft.approved"
    DRAFT_APPROVAL_REFUSED = "draft.approval_refused"
    DRAFT_PUBLISHED = "draft.published"
    DRAFT_RETIRED = "draft.retired"
    # shares and sending
    SHARE_SCHEDULED = "share.scheduled"
    SHARE_EDITED = "share.edited"
    SHARE_CANCELLED = "share.cancelled"
    SHARE_CLAIMED = "share.claimed"
    SHARE_SENT = "share.sent"
    SHARE_FAILED = "share.failed"
    SHARE_RETRY_SCHEDULED = "share.retry_scheduled"
    SHARE_MISSED = "share.missed"
    SHARE_UNKNOWN = "share.unknown"
    SHARE_RECONCILED = "share.reconciled"
    # accounts and custody
    ACCOUNT_CONNECTED = "account.connected"
    ACCOUNT_RECONNECTED = "account.reconnected"
    ACCOUNT_SCOPES_CHANGED = "account.scopes_changed"
    ACCOUNT_NEEDS_RECONNECT = "account.needs_reconnect"
    ACCOUNT_DISCONNECTED = "account.disconnected"
    ACCOUNT_REASSIGN_REFUSED = "account.reassign_refused"
    CUSTODY_TRANSFER_STARTED = "custody.transfer_started"
    CUSTODY_TRANSFERRED = "custody.transferred"
    ACCOUNT_REVOCATION_PENDING = "account.revocation_pending"
    ACCOUNT_REVOKED = "account.revoked"
    ACCOUNT_HANDED_BACK = "account.handed_back"
    OFFBOARDING_STARTED = "offboarding.started"
    OFFBOARDING_COMPLETED = "offboarding.completed"
    # audit itself
    AUDIT_EXPORTED = "audit.exported"
    DIAGNOSTIC_PROBE = "diagnostic.probe"
    # people
    USER_CREATED = "user.created"
    USER_PROFILE_CHANGED = "user.profile_changed"
    USER_PRIVILEGES_CHANGED = "user.privileges_changed"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_PREFERENCES_SAVED = "user.preferences_saved"
    TOKEN_ISSUED = "token.issued"
    TOKEN_REVOKED = "token.revoked"
    CREDENTIALS_KEY_ROTATED = "credentials.key_rotated"
    # shares
    SHARE_REVIEW_APPROVED = "share.review_approved"
    SHARE_REVIEW_REJECTED = "share.review_rejected"
    SHARE_HELD = "share.held"
    # who is speaking, and posts made outside Candor
    PUBLIC_NAME_CHANGED = "user.public_name_changed"
    OUTSIDE_POST_DETECTED = "account.outside_post_detected"
    OUTSIDE_POST_CONFIRMED = "account.outside_post_confirmed"
    OUTSIDE_POST_DISOWNED = "account.outside_post_disowned"
    ACCOUNT_WATCH_CHANGED = "account.watch_changed"
    # web push to an installed portal
    PUSH_SUBSCRIBED = "push.subscribed"
    PUSH_UNSUBSCRIBED = "push.unsubscribed"
    # teams (audiences and group figures)
    TEAM_CREATED = "team.created"
    TEAM_RENAMED = "team.renamed"
    TEAM_DELETED = "team.deleted"
    TEAM_MEMBER_ADDED = "team.member_added"
    TEAM_MEMBER_REMOVED = "team.member_removed"


class Via(models.TextChoices):
    """Which path made a change."""

    PORTAL = "portal"
    API = "api"
    ADMIN = "admin"
    WORKER = "worker"
    COMMAND = "command"
    SYSTEM = "system"
