"""A clean stop for Celery pool processes: SIGTERM ends the current batch, not the post.

Celery's own answer to SIGTERM in a pool process is to die on the spot (billiard raises
``SystemExit`` wherever the process happens to be). A share caught mid-send then stays
*sending* under its lease until the lease runs out, and the worker's main process,
which is waiting for that pool process, logged errors and (seen here) never exited.

Instead, a pool process that is told to stop (``honcho``, ``make run``'s Ctrl-C and
``systemctl stop`` send SIGTERM to the whole process group; the worker's main process
forwards its own SIGTERM to its pool, see ``advocacy.celery``) only *notes* the
request: long-running work checks :func:`requested` between units of work and hands
back what it has not started (the posting engine finishes the post it is sending and
releases the rest of its batch). The pool process then exits when the worker's main
process closes the pool, after the batch has returned.

The request is sticky for the life of the process: a pool process asked to stop is on
its way out, and anything it is still given is handed back at once. SIGQUIT (cold
shutdown) and SIGKILL still end a pool process immediately.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_requested = threading.Event()


def requested() -> bool:
    """Has this process been asked to stop? Work that runs for more than a few seconds
    checks this between units and hands back what it has not started."""
    return _requested.is_set()


def request(signum: int | None = None, frame: FrameType | None = None) -> None:
    """Ask this process to stop at the next unit of work (also the SIGTERM handler)."""
    _requested.set()


def reset() -> None:
    """Forget a request (tests; a process that has just been forked)."""
    _requested.clear()


def ignore_terminate() -> None:
    """In a pool process while it is idle: SIGTERM must not kill it (its main process
    closes the pool, and sees a clean exit). ``SIG_IGN`` is also the one setting that
    billiard's after-fork signal reset leaves alone."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def note_terminate() -> None:
    """In a pool process about to run a task: from now on SIGTERM sets
    :func:`requested` instead of killing the process. Installed per task because
    billiard resets the process's signal handlers after ``worker_process_init``."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is not request:
        signal.signal(signal.SIGTERM, request)
