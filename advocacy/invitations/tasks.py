"""Celery interface of invitations: thin, named, idempotent."""

from celery import shared_task

from advocacy.invitations import emails


@shared_task(
    name="invitations.send_email",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=8,
)
def send_invitation_email(invitation_id: int) -> bool:
    return emails.invitation_email_send(invitation_id=invitation_id)
