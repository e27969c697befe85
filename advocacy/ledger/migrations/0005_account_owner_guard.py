"""A personal account's owner never changes, and a corporate one's only through an
accepted custody transfer, at the database level, whichever code path tries
(advocacy.ledger.triggers). Runs after every migration that rebuilds the table."""

from django.db import migrations

from advocacy.ledger.triggers import install, remove


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_network_identity")]

    operations = [migrations.RunPython(install, remove)]
