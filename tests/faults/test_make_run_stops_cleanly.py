"""Ctrl-C on ``make run``: web, worker and beat (bin/run-procfile, the Procfile) stop
without an error line, each exits 0, and so does the runner, so make prints no
"Error 130"."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.support.pds import free_loopback_port
from tests.support.worker import ROOT, _database_url, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ERROR_LINE = re.compile(r"ERROR|CRITICAL|Traceback|exited with|Error \d+")


def test_ctrl_c_on_make_run_stops_web_worker_and_beat_cleanly(broker, tmp_path):
    port = free_loopback_port()
    out = tmp_path / "run.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "advocacy.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CANDOR_HOST": "127.0.0.1",
        "PORT": str(port),
    }
    with out.open("wb") as log:
        # A session of its own, so the signal reaches it as a terminal's Ctrl-C reaches
        # the foreground process group, and nothing else.
        runner = subprocess.Popen(
            [sys.executable, "bin/run-procfile", "-f", "Procfile"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: all(mark in out.read_text() for mark in ("ready.", "beat: Starting", "Quit the server")),
            timeout=240,  # three processes importing Django and Celery on a busy 2-core machine
            interval=0.5,
            message="web, worker and beat started",
        )
        time.sleep(1)
        os.killpg(runner.pid, signal.SIGINT)
        exit_code = runner.wait(timeout=90)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait(10)

    text = out.read_text()
    after = text[text.index("SIGINT received") :]
    assert exit_code == 0, after
    for name in ("web.1", "worker.1", "beat.1"):
        assert f"{name} stopped (rc=0)" in after, after
    assert "SIGKILL" not in after, after
    assert not ERROR_LINE.findall(after), after
