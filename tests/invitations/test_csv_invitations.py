"""Admins invite people by CSV (companies without SCIM): a preview names each line's
problem, confirming creates the people (audited, not opted in) and emails each an
invitation in their own language, and the same file uploaded again invites nobody."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import User
from advocacy.audit.actions import AuditAction
from advocacy.audit.models import AuditEvent
from advocacy.core.errors import NotAllowed
from advocacy.invitations.csv_rows import InvitationRow
from advocacy.invitations.emails import invitation_email_send, set_password_url
from advocacy.invitations.models import Invitation
from advocacy.invitations.services import invitations_create
from advocacy.ledger.offboarding import offboarding_start
from advocacy.program.models import Enrollment

pytestmark = pytest.mark.django_db

HEADER = "email,name,team,language,time_zone\n"
GOOD = HEADER + "nina@example.com,Nina Neu,Sales,de,Europe/Berlin\nluca@example.com,Luca Rossi,,it,europe/rome\n"


def upload(client, content: bytes | str, name: str = "people.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post("/people/invite/", {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def invite(client, capture, content: str = GOOD):
    assert upload(client, content).status_code == 200
    with capture(execute=True):
        return client.post("/people/invite/confirm/")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_it_previews_each_lines_problem_and_invites_nobody_yet(admin_client, employee):
    content = (
        HEADER
        + "not-an-email,Bad Address,,en,UTC\n"
        + "nina@example.com,Nina,,de,Europe/Berlin\n"
        + "NINA@example.com,Nina Again,,de,Europe/Berlin\n"
        + f"{employee.email},Emma,,en,UTC\n"
        + "kai@example.com,Kai,,klingon,UTC\n"
        + "ida@example.com,Ida,,id,Mars/Olympus\n"
        + ",No Email,,en,UTC\n"
        + "ok@example.com,Ok Person,Sales,it,Europe/Rome\n"
    )
    response = upload(admin_client, content)
    page = response.content.decode()
    assert response.status_code == 200
    assert "“not-an-email” is not a valid email address." in page
    assert "The same email address as line 3: each person is invited once." in page
    assert "Already in Candor: not invited again." in page
    assert "Unknown language “klingon”: use one of de, en, id, it." in page
    assert "Unknown time zone “Mars/Olympus”" in page
    assert "The email address is missing: every row needs one." in page
    # Two lines are fine (Nina's first line and ok@); the rest are skipped.
    assert "2 people can be invited." in page
    assert "6 lines have problems and will be skipped." in page
    assert "Invite 2 people" in page
    assert not User.objects.filter(email__in=["nina@example.com", "ok@example.com"]).exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"mail;full name\nx@example.com;X\n", "The first line must name the columns: email, name, team"),
        (b"name,team\nNina,Sales\n", "The first line must name the columns"),
        ("email,name\nj\xfcrgen@example.com,J\xfcrgen\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"PK\x03\x04\x14\x00\x06\x00binary", "This is not a CSV text file"),
        (b"\n\n", "The file is empty."),
        (HEADER.encode() + b"a@example.com,A,,en,UTC,surplus\n", "This line has 6 values, but the first line names 5"),
        (HEADER.encode() + b'a@example.com,"' + b"x" * 200_000 + b"\n", "cannot be read as CSV"),
    ],
)
def test_a_bad_file_gets_a_message_naming_the_rule_never_a_500(admin_client, content, message):
    response = upload(admin_client, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Invite 1 person" not in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_empty_or_missing_upload_is_refused_on_the_form(admin_client):
    assert "The submitted file is empty." in upload(admin_client, b"").content.decode()
    response = admin_client.post("/people/invite/", {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_too_many_rows_or_too_many_bytes_invite_nobody(admin_client, settings):
    settings.CANDOR_INVITE_MAX_ROWS = 2
    rows = "".join(f"p{n}@example.com,P {n},,en,UTC\n" for n in range(3))
    page = upload(admin_client, HEADER + rows).content.decode()
    assert "The file lists 3 people; one upload may invite at most 2. Split it." in page
    settings.CANDOR_INVITE_MAX_BYTES = 40
    page = upload(admin_client, GOOD).content.decode()
    assert "The file is larger than 40" in page
    assert "Split it into smaller files." in page
    assert not Invitation.objects.exists()


def test_semicolons_and_excel_byte_order_mark_are_read(admin_client, django_capture_on_commit_callbacks):
    content = "\ufeffEmail;Name;Time zone\nnina@example.com;Nina Neu;Europe/Berlin\n"
    invite(admin_client, django_capture_on_commit_callbacks, content)
    nina = User.objects.get(email="nina@example.com")
    assert (nina.display_name, nina.time_zone, nina.language) == ("Nina Neu", "Europe/Berlin", "en")


def test_confirming_creates_the_people_audited_and_not_opted_in(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    response = invite(admin_client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert "Invited 2 people." in admin_client.get(response["Location"]).content.decode()
    nina, luca = User.objects.get(email="nina@example.com"), User.objects.get(email="luca@example.com")
    assert (nina.display_name, nina.team.name, nina.language, nina.time_zone) == (
        "Nina Neu",
        "Sales",
        "de",
        "Europe/Berlin",
    )
    assert (luca.language, luca.time_zone) == ("it", "Europe/Rome")  # spelled europe/rome in the file
    assert not nina.has_usable_password()
    for person in (nina, luca):
        event = AuditEvent.objects.get(action=AuditAction.USER_CREATED, subject_id=person.pk)
        assert event.actor_id == admin_user.pk
        assert event.payload["new"]["source"] == "invitation"
        # Consent stays opt-in: an invitation is never joining the programme.
        assert not Enrollment.objects.filter(user=person).exists()
        assert person.invitation.invited_by == admin_user


def test_the_email_is_in_the_persons_language_and_its_link_sets_a_password(
    client, admin_client, django_capture_on_commit_callbacks
):
    invite(admin_client, django_capture_on_commit_callbacks)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"nina@example.com", "luca@example.com"}
    german, italian = by_address["nina@example.com"], by_address["luca@example.com"]
    assert "Hallo Nina Neu," in german.body
    assert "Ciao Luca Rossi," in italian.body
    assert german.subject == "[Candor] Eine Einladung von Acme Robotics"
    assert "Ob du mitmachst, entscheidest du." in german.body  # an invitation is not joining
    assert "Partecipare è una tua scelta." in italian.body
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+/", german.body)
    assert link is not None
    client.logout()
    form = client.get(urlsplit(link.group(0)).path, follow=True)
    assert form.status_code == 200
    password = "a-new-long-password-42"
    response = client.post(form.redirect_chain[-1][0], {"password1": password, "password2": password})
    assert response.status_code == 302
    client.logout()
    signed_in = client.post("/accounts/login/", {"login": "nina@example.com", "password": password})
    assert signed_in.status_code == 302
    assert client.get("/").context["user"].email == "nina@example.com"


def test_the_same_file_again_invites_nobody_twice(admin_client, django_capture_on_commit_callbacks):
    invite(admin_client, django_capture_on_commit_callbacks)
    page = upload(admin_client, GOOD).content.decode()
    assert page.count("Already in Candor: not invited again.") == 2
    assert "Invite " not in page.split("Preview", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/people/invite/confirm/", follow=True)
    assert "There is nobody to invite yet" in response.content.decode()
    assert User.objects.filter(email="nina@example.com").count() == 1
    assert len(mail.outbox) == 2


def test_the_service_rechecks_rows_and_a_second_send_sends_nothing(admin_user, django_capture_on_commit_callbacks):
    row = InvitationRow(line=2, email="nina@example.com", name="Nina", language="de", time_zone="Europe/Berlin")
    bad = InvitationRow(line=3, email="kai@example.com", language="klingon")
    with django_capture_on_commit_callbacks(execute=True):
        first = invitations_create(actor=admin_user, rows=[row, bad])
    again = invitations_create(actor=admin_user, rows=[row])
    assert [user.email for user in first.invited] == ["nina@example.com"]
    assert [skipped.email for skipped in first.skipped] == ["kai@example.com"]
    assert again.invited == [] and again.skipped[0].problems == ["Already in Candor: not invited again."]
    invitation = Invitation.objects.get()
    assert invitation_email_send(invitation_id=invitation.pk) is False  # already sent once
    assert len(mail.outbox) == 1


def test_someone_deactivated_before_the_email_goes_out_gets_none_and_cannot_sign_in(
    client, admin_user, django_capture_on_commit_callbacks
):
    row = InvitationRow(line=2, email="nina@example.com", name="Nina")
    outcome = invitations_create(actor=admin_user, rows=[row])  # the email waits for commit
    nina = outcome.invited[0]
    with django_capture_on_commit_callbacks(execute=True):
        offboarding_start(actor=admin_user, user_id=nina.pk, reason="Left before starting")
    assert invitation_email_send(invitation_id=nina.invitation.pk) is False
    assert not [message for message in mail.outbox if "An invitation from" in message.subject]
    nina.refresh_from_db()
    assert not nina.is_active
    # Even with the link from an email sent earlier, a deactivated person cannot get in.
    password = "a-new-long-password-42"
    form = client.get(urlsplit(set_password_url(nina)).path, follow=True)
    client.post(form.redirect_chain[-1][0], {"password1": password, "password2": password})
    client.post("/accounts/login/", {"login": nina.email, "password": password})
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # sent to sign in


@pytest.mark.parametrize("who", ["employee", "author", "reviewer"])
def test_only_admins_may_invite(client, request, who, django_capture_on_commit_callbacks):
    person = request.getfixturevalue(who)
    client.force_login(person)
    assert client.get("/people/invite/").status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert client.post("/people/invite/confirm/").status_code == 403
    with pytest.raises(NotAllowed):
        invitations_create(actor=person, rows=[InvitationRow(line=2, email="nina@example.com")])
    assert not User.objects.filter(email="nina@example.com").exists()


def test_a_stranger_is_sent_to_sign_in(client):
    response = client.get("/people/invite/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_command_imports_the_same_way(tmp_path, admin_user, django_capture_on_commit_callbacks, capsys):
    path = tmp_path / "people.csv"
    path.write_text(GOOD + "bad,Bad,,en,UTC\n", encoding="utf-8")
    call_command("invite_people", str(path), actor=admin_user.email, dry_run=True)
    assert "2 ready to invite, 1 skipped (dry run)." in capsys.readouterr().out
    assert not Invitation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("invite_people", str(path), actor=admin_user.email)
    out = capsys.readouterr().out
    assert "“bad” is not a valid email address." in out
    assert "Invited 2, skipped 1." in out
    assert Invitation.objects.count() == 2 and len(mail.outbox) == 2
    event = AuditEvent.objects.filter(action=AuditAction.USER_CREATED).first()
    assert event is not None and event.via == "command"
