"""Per-account posting budgets, kept well inside each network's published limits
(each line names the network's own documented limit) so a large campaign never trips an
account's rate limit."""

from __future__ import annotations

import datetime as dt
import random

# network -> (posts, window). Conservative: about half of the network's own limit.
ACCOUNT_POST_BUDGET: dict[str, tuple[int, dt.timedelta]] = {
    "x": (100, dt.timedelta(minutes=15)),  # X: 200 posts / 15 min per user
    "bluesky": (500, dt.timedelta(hours=1)),  # 5,000 points/h, 3 points a post
    "mastodon": (100, dt.timedelta(minutes=5)),  # 300 requests / 5 min per account
    "linkedin": (75, dt.timedelta(days=1)),  # ~150 / day / member reported
}

MAX_ATTEMPTS = 8
BASE_DELAY = 30.0  # seconds
MAX_DELAY = 3600.0


def backoff_seconds(*, attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the network asked."""
    ceiling = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempt - 1)))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, retry_after + 1)
    return min(delay, MAX_DELAY * 6)
