"""A backup restored into a fresh database still has a verifiable audit chain and
still refuses edits to the audit table. Runs on SQLite here and on PostgreSQL in the
CI pass (pg_dump / pg_restore, as docs/operations.md describes)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction

from advocacy.audit.actions import AuditAction
from advocacy.audit.services import audit_record

ROOT = Path(__file__).resolve().parents[1]


def _verify(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "advocacy.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", "audit_verify"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _restore_postgres(tmp_path: Path) -> tuple[str, str]:
    settings = connection.settings_dict
    host, port, user = settings["HOST"] or "127.0.0.1", str(settings["PORT"] or 5432), settings["USER"] or "postgres"
    dump = tmp_path / "candor.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "-h", host, "-p", port, "-U", user, "-f", str(dump), settings["NAME"]],
        check=True,
        timeout=120,
    )
    fresh = f"candor_restore_{os.getpid()}"
    admin_url = f"postgresql://{user}@{host}:{port}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
        admin.execute(f'CREATE DATABASE "{fresh}"')
    subprocess.run(
        ["pg_restore", "-h", host, "-p", port, "-U", user, "-d", fresh, "--no-owner", str(dump)],
        check=True,
        timeout=120,
    )
    return f"postgres://{user}@{host}:{port}/{fresh}", admin_url


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_verifies_and_stays_append_only(employee, tmp_path):
    with transaction.atomic():
        for step in range(5):
            audit_record(actor=employee, action=AuditAction.SETTINGS_CHANGED, new={"step": step})

    if connection.vendor == "postgresql":
        url, admin_url = _restore_postgres(tmp_path)
        try:
            result = _verify(url)
            with (
                psycopg.connect(url.replace("postgres://", "postgresql://")) as restored,
                pytest.raises(psycopg.Error, match="append-only"),
            ):
                restored.execute("UPDATE audit_auditevent SET action = 'x'")
        finally:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
    else:
        copy = tmp_path / "restored.sqlite3"
        with sqlite3.connect(connection.settings_dict["NAME"]) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        result = _verify(f"sqlite:///{copy}")
        with sqlite3.connect(copy) as restored, pytest.raises(sqlite3.DatabaseError, match="append-only"):
            restored.execute("UPDATE audit_auditevent SET action = 'x'")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 5 events verified" in result.stdout
