"""A real Celery worker process on the configured broker executes a task enqueued by
the web and writes to the database. No eager mode here."""

import pytest

from advocacy.core.models import TaskProbe
from tests.support.worker import running_worker, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_from_the_web_is_run_by_a_worker_process(client, admin_user, real_broker, artifacts_dir):
    client.force_login(admin_user)

    with running_worker(log_dir=artifacts_dir / "workers") as worker:
        response = client.post("/diagnostics/")
        assert response.status_code == 200
        probe = TaskProbe.objects.get()
        done = wait_for(
            lambda: TaskProbe.objects.filter(pk=probe.pk, completed_at__isnull=False).first(),
            timeout=60,
            message=f"the worker to complete probe {probe.pk}; worker log:\n{worker.log()}",
        )

    assert done.worker_pid is not None
    assert done.worker_pid != __import__("os").getpid()
