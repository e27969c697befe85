"""Database triggers that keep a connected account with its person, whoever writes
(installed by migration 0005; the same idea as advocacy.audit.triggers).

* An account's ``ownership`` (personal or corporate) never changes.
* A personal account's ``owner`` never changes.
* A corporate account's ``owner`` (its custodian) changes only to the person an
  accepted custody transfer names, so every change of hands leaves a
  ``CustodyTransfer`` row (custody.custody_transfer_accept and the offboarding
  successor both write it before moving the account).

The services explain these rules in words (services.account_reassign); the triggers
make ``loaddata``, a shell session or a new admin page fail with an IntegrityError
instead of quietly moving an account.

On SQLite, a migration that rebuilds ``ledger_connectedaccount`` (most AlterField /
AddField operations) drops its triggers: such a migration must call ``install`` again
at its end. tests/ledger/test_ownership_guard.py fails if the triggers are missing.
"""

from typing import Any

# No apostrophes: these go into SQL string literals as they are.
PERSONAL_OWNER = "the owner of a personal account never changes"
OWNERSHIP = "the ownership of an account (personal or corporate) never changes"
CUSTODY = "a corporate account changes custodian only through an accepted custody transfer"

_ACCEPTED_TRANSFER = """EXISTS (
    SELECT 1 FROM ledger_custodytransfer t
    WHERE t.account_id = OLD.id AND t.from_user_id = OLD.owner_id
      AND t.to_user_id = NEW.owner_id AND t.state = 'accepted'
)"""

POSTGRES_UP = f"""
CREATE OR REPLACE FUNCTION ledger_account_owner_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.ownership IS DISTINCT FROM OLD.ownership THEN
        RAISE EXCEPTION 'ledger_connectedaccount: {OWNERSHIP}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.owner_id IS DISTINCT FROM OLD.owner_id THEN
        IF OLD.ownership = 'personal' THEN
            RAISE EXCEPTION 'ledger_connectedaccount: {PERSONAL_OWNER}'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF NOT {_ACCEPTED_TRANSFER} THEN
            RAISE EXCEPTION 'ledger_connectedaccount: {CUSTODY}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_account_owner_guard
    BEFORE UPDATE ON ledger_connectedaccount
    FOR EACH ROW EXECUTE FUNCTION ledger_account_owner_guard();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS ledger_account_owner_guard ON ledger_connectedaccount;
DROP FUNCTION IF EXISTS ledger_account_owner_guard();
"""
SQLITE_UP = [
    f"""CREATE TRIGGER ledger_account_ownership_fixed BEFORE UPDATE OF ownership ON ledger_connectedaccount
       WHEN NEW.ownership IS NOT OLD.ownership
       BEGIN SELECT RAISE(ABORT, 'ledger_connectedaccount: {OWNERSHIP}'); END;""",
    f"""CREATE TRIGGER ledger_account_personal_owner_fixed BEFORE UPDATE OF owner_id ON ledger_connectedaccount
       WHEN NEW.owner_id IS NOT OLD.owner_id AND OLD.ownership = 'personal'
       BEGIN SELECT RAISE(ABORT, 'ledger_connectedaccount: {PERSONAL_OWNER}'); END;""",
    f"""CREATE TRIGGER ledger_account_custody_traced BEFORE UPDATE OF owner_id ON ledger_connectedaccount
       WHEN NEW.owner_id IS NOT OLD.owner_id AND OLD.ownership = 'corporate' AND NOT {_ACCEPTED_TRANSFER}
       BEGIN SELECT RAISE(ABORT, 'ledger_connectedaccount: {CUSTODY}'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS ledger_account_ownership_fixed;",
    "DROP TRIGGER IF EXISTS ledger_account_personal_owner_fixed;",
    "DROP TRIGGER IF EXISTS ledger_account_custody_traced;",
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
