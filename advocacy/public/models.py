from __future__ import annotations

from django.conf import settings
from django.db import models


class PublicName(models.Model):
    """The name an employee chose to show on the public pages of their posts.

    No row, or an empty ``name``, means "an employee of <organisation>": a reader
    learns only what the disclosure already says until the person chooses more.
    Written only by ``public_name_set``, which audits it.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="public_name")
    name = models.CharField(max_length=80, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or "(an employee)"
