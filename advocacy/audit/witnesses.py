"""Witnesses: places outside the database that keep every signed checkpoint, so that
whoever owns the database cannot rewrite history and re-sign it unnoticed.

A directory witness (meant for a volume the database owner cannot write, e.g. an
append-only mount or another host's share) keeps one file per checkpoint and never
overwrites one; beside it, the hashes of the events the checkpoint added, so that a
later verification can name the first event that differs. An email witness sends
each checkpoint to the auditors' address; it cannot be read back by Candor, but the
auditors can hand a mailed checkpoint to ``audit_verify --checkpoint``. An S3 witness
(``advocacy.audit.s3_witness``) keeps the same files as objects in a bucket with
object lock, so that not even the bucket's owner can delete them before they expire.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

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


class _KeptFiles:
    """A witness that keeps files it never overwrites: one per checkpoint and, beside
    it, the hashes of the events that checkpoint added. Subclasses say where files
    live: ``_names``, ``_read``, ``_create`` (which fails if the file exists)."""

    name: str

    def _names(self) -> list[str]:
        raise NotImplementedError

    def _read(self, name: str) -> str:
        raise NotImplementedError

    def _create(self, name: str, pieces: Iterable[str]) -> None:
        raise NotImplementedError

    def _failure(self, exc: Exception) -> WitnessError:
        return WitnessError(f"{self.name}: {getattr(exc, 'strerror', None) or exc}")

    def _sizes(self) -> list[int]:
        return sorted(int(m.group(1)) for m in map(_CHECKPOINT_FILE.match, self._names()) if m)

    def write(self, *, size: int, text: str, hashes: HashSource) -> None:
        """Keep the checkpoint of ``size`` events; ``hashes`` are the hashes of all
        events 1..size (the ones this witness has not got yet are written)."""
        try:
            sizes = self._sizes()
            if size in sizes:
                if self._read(_checkpoint_name(size)) != text:
                    raise WitnessError(
                        f"{self.name} already holds a different checkpoint for {size} events: "
                        "the log was forked or rewritten"
                    )
                return
            previous = max((s for s in sizes if s < size), default=0)
            if size > previous:
                self._create(f"{previous:012d}-{size:012d}.hashes", _lines(hashes, previous, size))
            self._create(_checkpoint_name(size), [text])
        except WitnessError:
            raise
        except Exception as exc:  # the storage's own errors (OSError, botocore's), reported loudly by the caller
            raise self._failure(exc) from exc

    def checkpoints(self) -> list[WitnessedCheckpoint]:
        """Every checkpoint kept here, oldest first."""
        try:
            return [
                WitnessedCheckpoint(size, self._read(_checkpoint_name(size)), self._where(_checkpoint_name(size)))
                for size in self._sizes()
            ]
        except Exception as exc:
            raise self._failure(exc) from exc

    def _where(self, name: str) -> str:
        raise NotImplementedError

    def hashes(self) -> list[str]:
        """The event hashes kept here, from event 1 as far as they run without a gap."""
        runs = {}
        try:
            for name in self._names():
                match = _HASHES_FILE.match(name)
                if match:
                    runs[int(match.group(1))] = (int(match.group(2)), name)
            found: list[str] = []
            while len(found) in runs:
                end, name = runs[len(found)]
                lines = self._read(name).split()
                if len(found) + len(lines) != end:
                    break
                found.extend(lines)
        except Exception as exc:
            raise self._failure(exc) from exc
        return found


def _checkpoint_name(size: int) -> str:
    return f"{size:012d}.checkpoint"


class DirectoryWitness(_KeptFiles):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"directory {self.path}"

    def _names(self) -> list[str]:
        if not self.path.exists():  # nothing witnessed yet; the health check reports a missing witness
            return []
        return os.listdir(self.path)

    def _read(self, name: str) -> str:
        return (self.path / name).read_text(encoding="utf-8")

    def _where(self, name: str) -> str:
        return str(self.path / name)

    def _create(self, name: str, pieces: Iterable[str]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        _write_new(self.path / name, pieces)

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


class S3Witness(_KeptFiles):
    """The same files as objects under ``s3://bucket/prefix/`` in an S3-compatible
    bucket created with object lock: each is put once (``If-None-Match: *``) in
    compliance mode, so that until its retention ends nobody, not even the bucket's
    owner, can delete or replace it. A bucket without object lock is a health problem."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/") + "/" if parts.path.strip("/") else ""
        self.name = f"S3 bucket {url}"

    @cached_property
    def _client(self) -> Any:  # a boto3 S3 client
        import boto3  # type: ignore[import-untyped]  # only loaded when an S3 witness is configured
        from botocore.config import Config  # type: ignore[import-untyped]

        return boto3.client(
            "s3",
            endpoint_url=settings.CANDOR_AUDIT_WITNESS_S3_ENDPOINT or None,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3}),
        )

    def _names(self) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        return [item["Key"][len(self.prefix) :] for page in pages for item in page.get("Contents", [])]

    def _read(self, name: str) -> str:
        body = self._client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"]
        return str(body.read().decode("utf-8"))

    def _where(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def _create(self, name: str, pieces: Iterable[str]) -> None:
        retain_until = timezone.now() + timedelta(days=settings.CANDOR_AUDIT_WITNESS_S3_RETENTION_DAYS)
        self._client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + name,
            Body="".join(pieces).encode("utf-8"),
            IfNoneMatch="*",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=retain_until,
            ChecksumAlgorithm="SHA256",
        )

    def problem(self) -> str:
        """Why checkpoints could not be kept safely here now, or "" if they can."""
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        try:
            lock = self._client.get_object_lock_configuration(Bucket=self.bucket)["ObjectLockConfiguration"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ObjectLockConfigurationNotFoundError":
                return f"{self.name} has no object lock: whoever owns the bucket could delete checkpoints"
            return f"{self.name}: {code or exc}"
        except BotoCoreError as exc:
            return f"{self.name} cannot be reached: {exc}"
        if lock.get("ObjectLockEnabled") != "Enabled":
            return f"{self.name} has no object lock: whoever owns the bucket could delete checkpoints"
        return ""


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


Witness = DirectoryWitness | S3Witness | EmailWitness


def configured_witnesses() -> list[Witness]:
    witnesses: list[Witness] = [DirectoryWitness(path) for path in settings.CANDOR_AUDIT_WITNESS_DIRS]
    if settings.CANDOR_AUDIT_WITNESS_S3:
        witnesses.append(S3Witness(settings.CANDOR_AUDIT_WITNESS_S3))
    if settings.CANDOR_AUDIT_WITNESS_EMAIL:
        witnesses.append(EmailWitness(settings.CANDOR_AUDIT_WITNESS_EMAIL))
    return witnesses


def readable_witnesses() -> list[DirectoryWitness | S3Witness]:
    return [w for w in configured_witnesses() if isinstance(w, _KeptFiles)]
