"""Witnesses: places outside the database that keep every signed checkpoint, so that
whoever owns the database cannot rewrite history and re-sign it unnoticed.

A directory witness (meant for a volume the database owner cannot write, e.g. an
append-only mount or another host's share) keeps one file per checkpoint and never
overwrites one; beside it, the hashes of the events the checkpoint added, so that a
later verification can name the first event that differs. An email witness sends
each checkpoint to the auditors' address; it cannot be read back by Candor, but the
auditors can hand a mailed checkpoint to ``audit_verify --checkpoint``. S3 object
lock is documented in docs/operations.md (mount it, or sync the directory to it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)

_CHECKPOINT_FILE = re.compile(r"^(\d{12})\.checkpoint$")
_HASHES_FILE = re.compile(r"^(\d{12})-(\d{12})\.hashes$")


class HashSource(Protocol):
    """The event hashes, by slice: a list, or ``checkpoints.EventHashes`` reading only
    the slice a witness asks for."""

    def __getitem__(self, item: slice, /) -> Sequence[str]: ...


class WitnessError(Exception):
    """A witness could not take or give a checkpoint."""


@dataclass(frozen=True)
class WitnessedCheckpoint:
    size: int
    text: str
    where: str


class DirectoryWitness:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"directory {self.path}"

    def _sizes(self) -> list[int]:
        if not self.path.exists():  # nothing witnessed yet; the health check reports a missing witness
            return []
        return sorted(int(m.group(1)) for m in map(_CHECKPOINT_FILE.match, os.listdir(self.path)) if m)

    def write(self, *, size: int, text: str, hashes: HashSource) -> None:
        """Keep the checkpoint of ``size`` events; ``hashes`` are the hashes of all
        events 1..size (the ones this directory has not got yet are written)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            existing = self._path_of(size)
            if existing.exists():
                if existing.read_text(encoding="utf-8") != text:
                    raise WitnessError(
                        f"{self.name} already holds a different checkpoint for {size} events: "
                        "the log was forked or rewritten"
                    )
                return
            previous = max((s for s in self._sizes() if s < size), default=0)
            if size > previous:
                _write_new(self.path / f"{previous:012d}-{size:012d}.hashes", _lines(hashes, previous, size))
            _write_new(existing, [text])
        except OSError as exc:
            raise WitnessError(f"{self.name}: {exc.strerror or exc}") from exc

    def _path_of(self, size: int) -> Path:
        return self.path / f"{size:012d}.checkpoint"

    def checkpoints(self) -> list[WitnessedCheckpoint]:
        """Every checkpoint kept here, oldest first."""
        try:
            return [
                WitnessedCheckpoint(size, self._path_of(size).read_text(encoding="utf-8"), str(self._path_of(size)))
                for size in self._sizes()
            ]
        except OSError as exc:
            raise WitnessError(f"{self.name}: {exc.strerror or exc}") from exc

    def hashes(self) -> list[str]:
        """The event hashes kept here, from event 1 as far as they run without a gap."""
        runs = {}
        if not self.path.exists():
            return []
        try:
            for name in os.listdir(self.path):
                match = _HASHES_FILE.match(name)
                if match:
                    runs[int(match.group(1))] = (int(match.group(2)), self.path / name)
            found: list[str] = []
            while len(found) in runs:
                end, path = runs[len(found)]
                lines = path.read_text(encoding="ascii").split()
                if len(found) + len(lines) != end:
                    break
                found.extend(lines)
        except OSError as exc:
            raise WitnessError(f"{self.name}: {exc.strerror or exc}") from exc
        return found

    def problem(self) -> str:
        """Why checkpoints could not be written here now, or "" if they can."""
        if not self.path.is_dir():
            return f"{self.name} does not exist"
        if not os.access(self.path, os.W_OK | os.X_OK):
            return f"{self.name} is not writable"
        return ""


_CHUNK = 1 << 16  # hashes per piece: a million hashes are written with flat memory


def _lines(hashes: HashSource, start: int, end: int) -> Iterator[str]:
    """hashes[start:end], one per line, in pieces of _CHUNK hashes."""
    for lo in range(start, end, _CHUNK):
        piece = hashes[lo : min(lo + _CHUNK, end)]
        if piece:
            yield "\n".join(piece) + "\n"


def _write_new(path: Path, pieces: Iterable[str]) -> None:
    """Write a file that must not exist yet, and make sure it reached the disk."""
    with path.open("x", encoding="utf-8") as handle:
        try:
            for piece in pieces:
                handle.write(piece)
        except BaseException:
            # Half a file would block this size for good; a witness that refuses the
            # removal (write-once storage) keeps it, and the failure is reported anyway.
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        handle.flush()
        os.fsync(handle.fileno())


class EmailWitness:
    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = list(addresses)
        self.name = f"email to {', '.join(self.addresses)}"

    def write(self, *, size: int, text: str, hashes: HashSource) -> None:
        origin = text.partition("\n")[0]
        body = (
            f"Candor signed a checkpoint of its audit log ({origin}, {size} events).\n"
            "Keep this message: `python manage.py audit_verify --checkpoint FILE` with the text below\n"
            "saved to FILE proves the log still holds these events unchanged.\n\n" + text
        )
        try:
            send_mail(f"Candor audit checkpoint #{size}", body, None, self.addresses)
        except Exception as exc:  # any mail backend error: the caller reports it loudly
            raise WitnessError(f"{self.name}: {type(exc).__name__}: {exc}") from exc

    def problem(self) -> str:
        return ""


Witness = DirectoryWitness | EmailWitness


def configured_witnesses() -> list[Witness]:
    witnesses: list[Witness] = [DirectoryWitness(path) for path in settings.CANDOR_AUDIT_WITNESS_DIRS]
    if settings.CANDOR_AUDIT_WITNESS_EMAIL:
        witnesses.append(EmailWitness(settings.CANDOR_AUDIT_WITNESS_EMAIL))
    return witnesses


def readable_witnesses() -> list[DirectoryWitness]:
    return [w for w in configured_witnesses() if isinstance(w, DirectoryWitness)]
