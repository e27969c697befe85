"""The audit table refuses UPDATE and DELETE at the database level, whichever code
path tries. (TRUNCATE needs table ownership; the application's database role in
production should not own this table — see docs/operations.md.)"""

from django.db import migrations

from advocacy.audit.triggers import install, remove

class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
