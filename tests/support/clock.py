"""The test clock: time-machine, stopped (``tick=False``), for anything that depends on
time passing (leases expiring, posts becoming late, digests and warnings falling due).
Everything that reads the time (``timezone.now``, ``time.time``, ``datetime.now``) sees
the same moment, and each move is exact. Registered in tests/conftest.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from time_machine import TimeMachineFixture


class Clock:
    """Read ``clock.now``, set it, or ``clock.advance(minutes=5)``; time stands still
    in between."""

    def __init__(self, machine: TimeMachineFixture):
        self._machine = machine

    @property
    def now(self) -> dt.datetime:
        return timezone.now()

    @now.setter
    def now(self, moment: dt.datetime) -> None:
        self._machine.move_to(moment, tick=False)

    def advance(self, **delta: float) -> dt.datetime:
        self._machine.shift(dt.timedelta(**delta))
        return self.now


@pytest.fixture
def clock_start() -> dt.datetime:
    """Where the clock starts: now, to the second. A folder's conftest overrides it
    when its tests need a particular weekday or hour."""
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def clock(time_machine: TimeMachineFixture, clock_start: dt.datetime) -> Clock:
    time_machine.move_to(clock_start, tick=False)
    return Clock(time_machine)
