"""Invitations for companies without SCIM: an admin uploads a CSV of people, Candor
creates them (with no password and not opted in) and emails each an invitation.

One ``Invitation`` per invited person: who invited them, and when their email went
out. ``email_sent_at`` is the claim that keeps the email from being sent twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Invitation(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitation")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    email_sent_at = models.DateTimeField(_("invitation email sent"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return str(self.user)
