from celery import shared_task

from advocacy.ledger import offboarding


@shared_task(name="ledger.hand_back", acks_late=True, ignore_result=True)
def hand_back(offboarding_id: int) -> str:
    return offboarding.hand_back_run(offboarding_id=offboarding_id).state


@shared_task(name="ledger.hand_back_sweep", ignore_result=True)
def hand_back_sweep() -> int:
    due = offboarding.hand_back_due()
    for case_id in due:
        hand_back.delay(case_id)
    return len(due)
