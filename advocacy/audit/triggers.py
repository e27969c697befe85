"""Database triggers that make the audit table append-only (used by migration 0002
and by the test suite, which must lift them to empty the table between tests)."""

from typing import Any

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]


def install(apps: Any, schema_editor: Any) -> None:
    install_on(schema_editor.connection)


def remove(apps: Any, schema_editor: Any) -> None:
    remove_on(schema_editor.connection)


def install_on(connection: Any) -> None:
    statements = [POSTGRES_UP] if connection.vendor == "postgresql" else SQLITE_UP
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def remove_on(connection: Any) -> None:
    statements = [POSTGRES_DOWN] if connection.vendor == "postgresql" else SQLITE_DOWN
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
