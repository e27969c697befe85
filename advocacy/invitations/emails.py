"""The invitation email, in the invited person's own language, with a link to set a
password (allauth's password-reset link, so it works once and expires after
``PASSWORD_RESET_TIMEOUT``) and the sign-in page for single sign-on."""

from __future__ import annotations

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from advocacy.invitations.models import Invitation
from advocacy.notifications.services import recipient_locale


def invitation_email_send(*, invitation_id: int) -> bool:
    """Send one invitation email, once: the send is claimed on ``email_sent_at``, so
    a redelivered task sends nothing. Nothing is sent to someone deactivated since
    the upload. A failed send hands the claim back and raises, for the task to retry.
    Returns whether this call sent it."""
    invitation = Invitation.objects.select_related("user", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.user.is_active:
        return False
    if not Invitation.objects.filter(pk=invitation.pk, email_sent_at__isnull=True).update(email_sent_at=timezone.now()):
        return False
    subject, body = invitation_email(invitation=invitation)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.user.email])
    except Exception:
        Invitation.objects.filter(pk=invitation.pk).update(email_sent_at=None)
        raise
    return True


def invitation_email(*, invitation: Invitation) -> tuple[str, str]:
    """Subject and text of ``invitation``'s email, in the person's language."""
    user, organisation = invitation.user, settings.CANDOR_ORGANISATION_NAME
    inviter = invitation.invited_by.name if invitation.invited_by else organisation
    with recipient_locale(user):
        subject = gettext("[Candor] An invitation from %(organisation)s") % {"organisation": organisation}
        paragraphs = [
            gettext("Hello %(name)s,") % {"name": user.name},
            gettext(
                "%(inviter)s has added you to Candor, where people at %(organisation)s can share posts "
                "the comms team has approved to their own social media accounts."
            )
            % {"inviter": inviter, "organisation": organisation},
            gettext(
                "Taking part is your choice. Candor posts nothing for you, and you are not in the programme, "
                "until you have read its policy and joined it yourself. You can leave at any time, in one click."
            ),
            gettext("Set your password and sign in (this link works once, for %(days)d days):")
            % {"days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}
            + f"\n{set_password_url(user)}",
            gettext("If your company signs you in with its own account (single sign-on), use the sign-in page:")
            + f"\n{settings.CANDOR_SITE_URL}{reverse('account_login')}",
            gettext("Once the link has expired, choose “Forgot your password?” on the sign-in page."),
        ]
    return subject, "\n\n".join(paragraphs) + "\n"


def set_password_url(user: User) -> str:
    key = default_token_generator.make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
    return f"{settings.CANDOR_SITE_URL}{path}"
