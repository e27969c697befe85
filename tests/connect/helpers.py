"""Helpers for the connect tests: a look at everything the database holds (to prove
a planted token is nowhere in plain text) and the text of a page."""

from __future__ import annotations

import json

from django.contrib.sessions.models import Session
from django.db import connection

NETWORK_APPS = {
    "linkedin": {"client_id": "candor-linkedin-app", "client_secret": "candor-linkedin-secret"},
    "x": {"client_id": "candor-x-app", "client_secret": "candor-x-secret"},
}


def database_text() -> str:
    """Every row of every table, as text, plus every session decoded: whatever a
    database dump or backup would reveal."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    chunks.extend(json.dumps(session.get_decoded(), default=str) for session in Session.objects.all())
    return "\n".join(chunks)


def page_text(client, path: str = "/connections/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()
