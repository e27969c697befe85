"""The posting engine: claim due shares, send each exactly once, classify failures.

One module per responsibility: ``dispatch`` (claim due shares, recover stale ones,
mark late ones missed), ``leases`` (a batch's hold and each share's lease), ``send``
(the batch loop), ``batch`` (the pre-send checks, the network calls, each outcome),
``outcomes`` (the raw-SQL outcome writer), ``facts`` (what the checks read in the
lease's transaction), ``request`` (what the network receives) and ``messages`` (what
people are told). Callers use the names below; tests that tune the engine patch the
module that reads the value (``leases.LEASE``, ``dispatch.QUEUE_TIMEOUT``,
``send.LEASE_CHUNK``, ``send.BATCH_SECONDS``, ``batch.get_client``).

* The database is the source of truth. ``dispatch_due`` claims due rows
  (``scheduled`` → ``sending``; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
  enqueues one send task per batch of up to ``SEND_BATCH`` shares after commit. A
  worker that finishes a batch dispatches again, so a large fan-out keeps flowing
  between beat ticks, while backpressure keeps the broker's queue short.
* ``shares_send`` first *holds* its shares (``holder``, ``held_until``), so a
  duplicate delivery of the same task does nothing, and leases each few shares
  (``LEASE_CHUNK``) right before talking to the network about them. The hold and the
  leases are short (``CANDOR_SEND_LEASE_SECONDS``) and renewed while the batch runs
  (``leases.Hold``): a worker that dies frees its shares within one short lease, not after
  the task's time limit. Network calls happen outside any transaction; every outcome
  is a conditional update on ``state='sending'`` and the batch's hold, written with
  its audit event a few shares at a time.
* When the previous attempt's outcome is unknown (timeout, 5xx, worker killed
  mid-send), the next attempt **reconciles first** with the network and never
  blindly posts again. If the network cannot tell, the share becomes *unknown*
  and a person is asked.
"""

from advocacy.sharing.engine.batch import SendOutcome
from advocacy.sharing.engine.dispatch import dispatch_due, recover_stale, share_missed_sweep
from advocacy.sharing.engine.send import share_send, shares_send, shares_take_over_lapsed
from advocacy.sharing.models import OUTCOME_UNKNOWN

__all__ = [
    "OUTCOME_UNKNOWN",
    "SendOutcome",
    "dispatch_due",
    "recover_stale",
    "share_missed_sweep",
    "share_send",
    "shares_send",
    "shares_take_over_lapsed",
]
