"""Celery interface of the outside-post watch: thin, named, idempotent, IDs only."""

from functools import partial

from celery import shared_task
from django.db import transaction

from advocacy.networks.base import TransientError
from advocacy.watch import services


@shared_task(name="watch.dispatch", ignore_result=True)
def dispatch() -> int:
    """Beat: one look per due account, each its own task."""
    ids = services.outside_post_checks_due()
    for account_id in ids:
        transaction.on_commit(partial(check_account.delay, account_id))
    return len(ids)


@shared_task(name="watch.check_account", ignore_result=True)
def check_account(account_id: int) -> int:
    return len(services.outside_posts_check(account_id=account_id).found)


@shared_task(
    bind=True,
    name="watch.revoke_disowned_account",
    ignore_result=True,
    autoretry_for=(TransientError,),
    retry_backoff=30,
    max_retries=8,
)
def revoke_disowned_account(self: object, account_id: int) -> bool:
    result = services.account_revoke_after_disowned(account_id=account_id)
    return bool(result and result.revoked)
