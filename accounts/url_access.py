"""Who may open each page: the portal half of the permission matrix.

``accounts.permissions.ROLE_CAPABILITIES`` says what each role may do; this says
what each URL needs. ``tests/security/test_url_matrix.py`` walks every URL pattern
with every role and fails when a pattern is missing here, and
``docs/permissions.md`` is generated from both (``manage.py permission_matrix``).
The REST API's half is its OpenAPI schema, walked the same way by
``tests/api/test_permissions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accounts.permissions import Capability, user_can

PUBLIC = "public"


@dataclass(frozen=True)
class Access:
    needs: str | tuple[str, ...]  # a Capability, any of several, or PUBLIC
    owner_only: bool = False  # object pages: only the person it belongs to (others get 404)
    post_only: bool = False  # actions: GET is 405
    note: str = ""

    def allows(self, user: Any) -> bool:
        needed = self.needs if isinstance(self.needs, tuple) else (self.needs,)
        return PUBLIC in needed or any(user_can(user, Capability(need)) for need in needed)


P, W, R = Capability.PARTICIPATE, Capability.WRITE_DRAFTS, Capability.REVIEW_DRAFTS
M, OFF, A, D = Capability.MANAGE_PROGRAM, Capability.OFFBOARD, Capability.VIEW_AUDIT, Capability.RUN_DIAGNOSTICS

ANALYTICS = (W, R, M)  # the comms team and programme admins; figures are about groups only

URL_ACCESS: dict[str, Access] = {
    "home": Access(P),
    "healthz": Access(PUBLIC, note="service status, no personal data"),
    "metrics": Access(
        PUBLIC, note="Prometheus figures, no personal data; only with CANDOR_METRICS_TOKEN or from an allowed network"
    ),
    "audit_key": Access(
        PUBLIC, note="the audit log's public signing key(s) and fingerprint, so anyone can check a receipt"
    ),
    "diagnostics": Access(D),
    "manifest": Access(PUBLIC, note="the web app manifest: names and icons, nothing personal"),
    "service_worker": Access(PUBLIC, note="the same script for everyone; what it keeps is cleared on sign-out"),
    "offline": Access(PUBLIC, note="a fixed 'you are offline' page, kept by the service worker"),
    "set_language": Access(PUBLIC, note="Django's language switcher"),
    "public:post": Access(PUBLIC, note="who is speaking in a sent post; no cookies, nothing about the reader stored"),
    "public:programme": Access(PUBLIC, note="the programme's policy, disclosures and (k ≥ 5) participation"),
    "public:programme_json": Access(PUBLIC, note="the public programme page's facts as JSON, for researchers"),
    "public:name": Access(P, note="the name the public pages of one's own posts show"),
    "watch:overview": Access(P, note="one's own accounts' watch choices; admins also see every outside post"),
    "watch:account_watch": Access(P, owner_only=True, post_only=True),
    "watch:outside_post": Access(P, owner_only=True, note="the account's holder decides; admins may look"),
    "preferences": Access(tuple(Capability), note="anyone signed in: their own language and time zone"),
    "api-schema": Access(PUBLIC, note="the API description; every endpoint still needs its own permission"),
    "api-docs": Access(PUBLIC),
    "api-redoc": Access(PUBLIC),
    "draft_image": Access(
        PUBLIC,
        note="signed in only; an unpublished draft's image only for write_drafts, review_drafts or "
        "manage_program; anything else 404",
    ),
    "linkcards:thumb": Access(
        PUBLIC,
        note="signed in only: Candor's copy of a link card's thumbnail, an image from a public page; "
        "404 when there is none",
    ),
    "portal:programme": Access(P),
    "portal:leave": Access(P),
    "portal:feed": Access(P),
    "portal:share_compose": Access(P),
    "portal:share_as_is": Access(P, note="the approved text, after one confirmation"),
    "portal:preview": Access(P, post_only=True),
    "portal:shares": Access(P),
    "portal:share": Access(P, owner_only=True),
    "portal:share_cancel": Access(P, owner_only=True, post_only=True),
    "portal:connections": Access(P),
    "portal:disconnect": Access(P, owner_only=True, post_only=True),
    "portal:reconnect": Access(P, owner_only=True, post_only=True),
    "portal:connect_mastodon": Access(P, post_only=True),
    "portal:connect_mastodon_callback": Access(P),
    "portal:connect_mastodon_cancel": Access(P, post_only=True),
    "portal:connect_oauth": Access(P, post_only=True),
    "portal:my_data": Access(P),
    "portal:my_data_download": Access(P),
    "portal:notifications": Access(P),
    "portal:api_token": Access(tuple(Capability), note="anyone signed in: only their own API token"),
    "notifications:settings": Access(P),
    "notifications:push_subscribe": Access(P, post_only=True, note="this browser's push subscription, as JSON"),
    "notifications:push_unsubscribe": Access(P, post_only=True),
    "notifications:push_off_everywhere": Access(P, post_only=True),
    "analytics:my_impact": Access(P, note="only the person's own figures"),
    "analytics:follow": Access(PUBLIC, note="tracked link redirect; stores no IP or user agent"),
    "analytics:overview": Access(ANALYTICS, note="groups of at least the minimum size only"),
    "analytics:draft": Access(ANALYTICS),
    "analytics:draft_csv": Access(ANALYTICS),
    "analytics:campaign": Access(ANALYTICS),
    "analytics:campaign_csv": Access(ANALYTICS),
    "portal:comms_drafts": Access(W),
    "portal:review_queue": Access(R),
    "portal:share_review": Access(R, post_only=True, note="edited shares; never the reviewer's own"),
    "portal:draft_new": Access(W),
    "portal:draft_preview": Access(W, post_only=True),
    "portal:comms_schedule": Access(W, note="posts by day; group counts only, never names"),
    "portal:draft": Access(W),
    "portal:draft_edit": Access(W),
    "portal:draft_diff": Access(W),
    "portal:draft_action": Access(W, post_only=True, note="approve and request-changes need review_drafts"),
    "portal:participation": Access(M, note="group figures only, never names"),
    "portal:people": Access(OFF),
    "portal:offboard": Access(OFF),
    "portal:people_invite": Access(OFF, note="CSV upload and its preview; invites nobody"),
    "portal:people_invite_confirm": Access(OFF, post_only=True, note="invites the people the preview found ready"),
    "portal:offboarding": Access(P, owner_only=True, note="the leaver, or anyone with offboard"),
    "portal:offboarding_retry": Access(OFF, post_only=True),
    "portal:receipt": Access(P, owner_only=True, note="the leaver, or anyone with offboard"),
    "portal:audit": Access(A),
    "portal:audit_export": Access(A, post_only=True),
    "portal:audit_job": Access(A, owner_only=True, note="the auditor who started the export"),
    "portal:audit_job_download": Access(A, owner_only=True),
}
