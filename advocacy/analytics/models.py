"""Tracked links and their click counts.

Privacy by construction: a click is one ``+1`` on a per-link, per-day counter. There is
no table, column or log line that could hold an IP address, a user agent, a cookie
or anything else about the person who clicked.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from advocacy.drafts.models import NETWORK_CHOICES

ALL_NETWORKS = "all"
LINK_NETWORK_CHOICES = [*NETWORK_CHOICES, (ALL_NETWORKS, _("All networks"))]


class TrackedLink(models.Model):
    """A short Candor URL (``/l/<code>``) that redirects to a draft's link with UTM
    parameters. One per draft, network and destination: if the comms team changes a
    draft's link later, posts already out keep pointing where they said they would."""

    code = models.CharField(max_length=16, unique=True)
    draft = models.ForeignKey("drafts.Draft", on_delete=models.CASCADE, related_name="tracked_links")
    network = models.CharField(max_length=20, choices=LINK_NETWORK_CHOICES)
    target_url = models.URLField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "network", "target_url"], name="tracked_link_per_draft_network_target"
            )
        ]

    def __str__(self) -> str:
        return f"/l/{self.code}"


class LinkClickDaily(models.Model):
    """How many times a tracked link was followed on one day (UTC). Nothing else."""

    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="daily_clicks")
    day = models.DateField()
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="link_click_daily_unique")]

    def __str__(self) -> str:
        return f"{self.link} {self.day}: {self.clicks}"
