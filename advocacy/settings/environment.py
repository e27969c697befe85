"""The one ``env`` object every settings module reads from.

It is django-environ's file-aware reader (``NAME_FILE`` holds a path whose contents
are the value, for Docker/Kubernetes secrets) with two strictness rules added: an
unknown boolean spelling is an error instead of silently meaning False, and a
``DATABASE_URL`` whose scheme we cannot serve is an error instead of a warning.
Errors are ``ImproperlyConfigured`` with one sentence that names the variable;
``advocacy.startup`` turns them into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_SPELLINGS = frozenset({"1", "true", "yes", "on"})
FALSE_SPELLINGS = frozenset({"0", "false", "no", "off"})
DATABASE_SCHEMES = frozenset({"sqlite", "postgres", "postgresql", "pgsql", "psql"})


class CandorEnv(environ.FileAwareEnv):
    def bool(self, var: str, default: Any = environ.Env.NOTSET) -> bool:
        raw = self.str(var, default=None)
        if raw is None:
            if default is environ.Env.NOTSET:
                raise ImproperlyConfigured(f"{var} is not set; set it to true or false.")
            return bool(default)
        spelling = raw.strip().lower()
        if spelling in TRUE_SPELLINGS:
            return True
        if spelling in FALSE_SPELLINGS:
            return False
        raise ImproperlyConfigured(f"{var}={raw!r} is not a boolean; use one of true/false, yes/no, on/off, 1/0.")

    def database(self, var: str = "DATABASE_URL", *, default: str) -> dict[str, Any]:
        url = self.str(var, default=default).strip()
        scheme = urlsplit(url).scheme
        if scheme not in DATABASE_SCHEMES:
            raise ImproperlyConfigured(
                f"{var} has unsupported scheme {scheme or '(none)'!r}; "
                "use sqlite:///path or postgres://user@host:port/name."
            )
        config = self.db_url_config(url)
        if scheme != "sqlite" and not config.get("NAME"):
            raise ImproperlyConfigured(f"{var} names no database; add /<name> to the URL.")
        return config

    def positive_int(self, var: str, *, default: int) -> int:
        raw = self.str(var, default=str(default)).strip()
        if not raw.isdigit() or int(raw) < 1:
            raise ImproperlyConfigured(f"{var}={raw!r} must be a whole number of at least 1.")
        return int(raw)

    def stripped_list(self, var: str) -> list[str]:
        """A comma-separated list without blanks or the spaces around each entry."""
        return [item.strip() for item in self.list(var, default=[]) if item.strip()]


env = CandorEnv()
