"""The acceptance journey of issue 15: a person signs in through the company's real
OpenID Connect provider, opts in, connects Bluesky (the real PDS) and schedules a
post; then the provider's SCIM client deactivates them the way Entra ID does. A
real worker on the real broker hands everything back."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from advocacy.identity.services import scim_client_create
from advocacy.ledger import crypto
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.sharing.models import Share
from tests.support.scenario import publish_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DISCLOSURE = "#employee · I work at Acme Robotics."
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_deactivation_by_the_identity_provider_hands_everything_back_and_signs_the_browser_out(
    page, live_server, sso, sso_sign_in, shoot, bluesky_pds, celery_worker_process, author, reviewer, policy, admin_user
):
    draft = publish_draft(
        author, reviewer, title="Robots", body="Our robots sort parcels faster.", networks=["bluesky"]
    )
    handle, password, did = bluesky_pds.create_account("nina")
    app_password = bluesky_pds.create_app_password(handle, password)
    sso.add_person("nina@acme.example", name="Nina Novak")

    sso_sign_in(page, "nina@acme.example")
    page.get_by_role("link", name="Read the policy").click()
    page.get_by_label(re.compile("I have read the policy")).check()
    page.get_by_role("button", name="Join the programme").click()
    expect(page.get_by_text("Welcome to the programme")).to_be_visible()

    page.get_by_role("link", name="My accounts").click()
    form = page.locator("form#connect")
    form.get_by_label("Handle").fill(handle)
    form.get_by_label("App password", exact=True).fill(app_password)
    form.get_by_label("Server").fill(bluesky_pds.url)
    form.get_by_role("button", name="Connect").click()
    expect(page.get_by_text(f"Connected Bluesky {handle}")).to_be_visible()

    page.goto(f"{live_server.url}/feed/{draft.pk}/share/")
    page.get_by_label("Your post").fill(f"{DISCLOSURE}\n\nOur robots sort parcels faster.")
    page.get_by_label(f"Bluesky · {handle}").check()
    page.get_by_label("Later").check()
    tomorrow = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Date and time (your time zone)").fill(tomorrow)
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("1 post scheduled.")).to_be_visible()
    nina = User.objects.get(email="nina@acme.example")
    share = Share.objects.get(employee=nina)
    assert share.state == "scheduled"
    account = ConnectedAccount.objects.get(owner=nina)
    refresh = crypto.decrypt(account.credentials_encrypted)["session"].split(":::")[3]

    # The provider's SCIM client: find Nina by userName, then deactivate her as Entra ID does.
    _client, token = scim_client_create(actor=admin_user, name="Entra ID")
    scim = httpx.Client(base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {token}"})
    found = scim.get("/Users", params={"filter": 'userName eq "nina@acme.example"'}).json()
    assert found["totalResults"] == 1
    answer = scim.patch(
        f"/Users/{found['Resources'][0]['id']}",
        json={"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
        headers={"Content-Type": "application/scim+json"},
    )
    assert answer.status_code == 200, answer.text

    # The worker hands everything back; the test waits for the outcome, not for a time.
    for _ in range(60):
        case = Offboarding.objects.filter(user=nina).first()
        if case is not None and case.state == Offboarding.State.COMPLETED:
            break
        page.wait_for_timeout(1000)
    case = Offboarding.objects.get(user=nina)
    assert case.state == Offboarding.State.COMPLETED and case.receipt
    assert case.started_by is None and "Entra ID" in case.reason
    share.refresh_from_db()
    assert share.state == "cancelled"
    account.refresh_from_db()
    assert account.status == "handed_back" and account.credentials_encrypted == ""
    # Candor's Bluesky session is revoked on the real PDS.
    refreshed = httpx.post(
        f"{bluesky_pds.url}/xrpc/com.atproto.server.refreshSession", headers={"Authorization": f"Bearer {refresh}"}
    )
    assert refreshed.status_code != 200
    assert bluesky_pds.list_posts(did) == []

    # Nina's open browser session is signed out.
    page.goto(f"{live_server.url}/shares/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    shoot(page, "signed-out-after-scim")
