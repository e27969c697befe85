"""``DATABASES["default"]`` from ``DATABASE_URL``, with the options each engine needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def default_database(env: Any, *, var_dir: Path) -> dict[str, Any]:
    database = env.database(default=f"sqlite:///{var_dir / 'candor.sqlite3'}")
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # web, worker and beat share one SQLite file in development: WAL lets readers
        # run beside a writer, IMMEDIATE avoids lock-upgrade deadlocks, and the
        # timeout makes a busy moment wait instead of failing.
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    else:
        database.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
        database["CONN_HEALTH_CHECKS"] = True
    return database
