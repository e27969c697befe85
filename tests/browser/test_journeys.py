"""The four journeys people take through Candor, in a real browser with a real worker."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from accounts.models import Role
from advocacy.ledger.models import ConnectedAccount
from advocacy.networks.base import ConnectedAccount as Identity
from advocacy.sharing.models import Share
from tests.factories import UserFactory
from tests.support.scenario import publish_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DISCLOSURE = "#employee · I work at Acme Robotics."


def test_employee_opts_in_connects_bluesky_and_sees_the_post_sent(
    page, live_server, login, shoot, axe_check, bluesky_pds, celery_worker_process, employee, author, reviewer, policy
):
    draft = publish_draft(
        author, reviewer, title="Robots", body="Our robots sort parcels faster.", networks=["bluesky"]
    )
    handle, password, did = bluesky_pds.create_account("emma")
    app_password = bluesky_pds.create_app_password(handle, password)

    login(page, employee.email)
    page.get_by_role("link", name="Read the policy").click()
    expect(page.get_by_role("heading", name="Our policy")).to_be_visible()
    axe_check(page)
    page.get_by_label(re.compile("I have read the policy")).check()
    page.get_by_role("button", name="Join the programme").click()
    expect(page.get_by_text("Welcome to the programme")).to_be_visible()

    page.get_by_role("link", name="My accounts").click()
    bluesky_form = page.locator("form#connect")
    bluesky_form.get_by_label("Handle").fill(handle)
    bluesky_form.get_by_label("App password", exact=True).fill(app_password)
    bluesky_form.get_by_label("Server").fill(bluesky_pds.url)
    bluesky_form.get_by_role("button", name="Connect").click()
    expect(page.get_by_text(f"Connected Bluesky {handle}")).to_be_visible()
    axe_check(page)

    page.goto(f"{live_server.url}/feed/{draft.pk}/share/")
    text = page.get_by_label("Your post")
    expect(page.locator("#preview")).to_contain_text("Ready to post")
    counter = page.get_by_test_id("counter-bluesky")
    before = counter.inner_text()
    text.fill(text.input_value() + " Proud of the team!")
    expect(counter).not_to_have_text(before)
    axe_check(page)

    # Try to delete the disclosure: the preview refuses, and so does the server.
    text.fill("Our robots sort parcels faster. Proud of the team!")
    expect(page.locator("#preview")).to_contain_text("The disclosure is missing")
    page.get_by_label(f"Bluesky · {handle}").check()
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".errorlist").first).to_contain_text("The disclosure is missing")
    shoot(page, "disclosure-refused")
    assert not Share.objects.exists()

    text.fill(f"{DISCLOSURE}\n\nOur robots sort parcels faster. Proud of the team!")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("1 post scheduled.")).to_be_visible()

    share = Share.objects.get()
    page.goto(f"{live_server.url}/shares/{share.pk}/")
    for _ in range(60):
        if page.get_by_test_id("share-state").inner_text() == "Sent":
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(page.get_by_test_id("share-state")).to_have_text("Sent")
    # A self-hosted PDS (this one): "View the post" opens the record on the account's own
    # server, not bsky.app, which may never have heard of it.
    expect(page.get_by_test_id("share-link")).to_have_attribute(
        "href", re.compile(r"^http://127\.0\.0\.1:\d+/xrpc/com\.atproto\.repo\.getRecord\?")
    )
    shoot(page, "share-sent")
    posts = bluesky_pds.list_posts(did)
    assert len(posts) == 1
    assert posts[0]["value"]["text"].startswith(DISCLOSURE)
    viewed = httpx.get(page.get_by_test_id("share-link").get_attribute("href"), timeout=10).json()
    assert viewed["value"]["text"] == posts[0]["value"]["text"]


def test_comms_review_with_four_eyes(page, live_server, login, shoot, axe_check, author, reviewer, enrolled):
    second_reviewer = UserFactory(email="rosa@example.com", display_name="Rosa Reviewer", role=Role.COMMS_REVIEWER)

    login(page, author.email)
    page.goto(f"{live_server.url}/comms/drafts/new/")
    axe_check(page)
    page.get_by_label("Internal title").fill("Launch day")
    page.get_by_label("Post text", exact=True).fill("The R2 ships today.")
    page.get_by_label("X", exact=True).check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_test_id("draft-state")).to_have_text("In review")
    draft_url = page.url

    login(page, reviewer.email)
    page.goto(draft_url)
    axe_check(page)
    page.get_by_label("Comment").fill("Please add the price.")
    page.get_by_role("button", name="Request changes").click()
    expect(page.get_by_test_id("draft-state")).to_have_text("Changes requested")

    login(page, author.email)
    page.goto(draft_url)
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Post text", exact=True).fill("The R2 ships today at €999.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Submit for review").click()

    # The second person approves (the four-eyes refusal has its own test below).
    login(page, second_reviewer.email)
    page.goto(draft_url)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_test_id("draft-state")).to_have_text("Approved")
    page.get_by_role("button", name="Publish to employees").click()
    expect(page.get_by_test_id("draft-state")).to_have_text("Published")
    shoot(page, "published")

    login(page, enrolled.email)
    page.goto(f"{live_server.url}/feed/")
    expect(page.get_by_text("The R2 ships today at €999.")).to_be_visible()
    axe_check(page)


def test_an_author_cannot_approve_their_own_version(page, live_server, login, reviewer):
    login(page, reviewer.email)
    page.goto(f"{live_server.url}/comms/drafts/new/")
    page.get_by_label("Internal title").fill("Mine")
    page.get_by_label("Post text", exact=True).fill("Something I wrote.")
    page.get_by_label("LinkedIn", exact=True).check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Submit for review").click()

    expect(page.get_by_text("You wrote this version, so someone else must approve it")).to_be_visible()
    # The button says so before anyone presses it; the service refuses regardless (tests/workflow).
    expect(page.get_by_role("button", name="Approve")).to_be_disabled()
    expect(page.get_by_test_id("draft-state")).to_have_text("In review")


def test_admin_offboards_and_exports_the_audit_log(
    page, live_server, login, shoot, axe_check, celery_worker_process, admin_user, account, monkeypatch
):
    from advocacy.ledger.services import account_connect
    from advocacy.portal import oversight

    leaver = account.owner
    account_connect(
        actor=leaver,
        network="mastodon",
        identity=Identity(
            handle="emma@down.example",
            external_id="7",
            service_url="http://127.0.0.1:9",
            credentials={"access_token": "planted-mastodon-token", "client_id": "cid", "client_secret": "csecret"},
        ),
    )
    monkeypatch.setattr(oversight, "DIRECT_EXPORT_MAX_ROWS", 1)  # force the background export path

    login(page, admin_user.email)
    page.get_by_role("link", name="People").click()
    axe_check(page)
    page.locator("tr", has_text=leaver.email).get_by_role("link", name="Offboard").click()
    page.get_by_role("button", name="Start the hand-back").click()
    expect(page.get_by_test_id("offboarding-state")).to_have_text("Revocation pending", timeout=30_000)
    expect(page.get_by_text("Revocation pending (attempt").first).to_be_visible()
    shoot(page, "revocation-pending")
    axe_check(page)
    with page.expect_download() as receipt:
        page.get_by_role("link", name="Download receipt (PDF)").click()
    assert receipt.value.suggested_filename.endswith(".pdf")
    assert ConnectedAccount.objects.get(network="mastodon").status == "revocation_pending"

    page.get_by_role("link", name="Audit log").click()
    axe_check(page)
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_test_id("export-state")).to_have_text("Done", timeout=60_000)
    expect(page.locator("progress")).to_have_attribute("value", "100")
    shoot(page, "audit-export")
    with page.expect_download() as export:
        page.get_by_test_id("export-download").click()
    content = Path(export.value.path()).read_text(encoding="utf-8")
    assert content.startswith("# candor audit export; chain_head_sequence=")
    assert "offboarding.started" in content


def test_employee_leaves_in_one_click(page, live_server, login, shoot, axe_check, account, published, later):
    from advocacy.sharing.services import share_create

    for _ in range(2):
        share_create(
            employee=account.owner,
            draft_id=published.pk,
            account_id=account.pk,
            text=f"{DISCLOSURE}\n\nRobots sort parcels faster.",
            scheduled_at=later,
        )

    login(page, account.owner.email)
    page.get_by_role("link", name="My data").click()
    axe_check(page)
    page.locator(".usermenu").get_by_role("link", name="Leave the programme").click()  # on every page's menu
    expect(page.get_by_text("Your 2 scheduled posts will be cancelled")).to_be_visible()
    page.get_by_role("button", name="Yes, leave now").click()
    expect(page.get_by_text("2 scheduled posts were cancelled")).to_be_visible()
    shoot(page, "left")
    page.get_by_role("link", name="My shares").click()
    expect(page.locator(".badge.cancelled")).to_have_count(2)
    assert set(Share.objects.values_list("state", flat=True)) == {"cancelled"}
