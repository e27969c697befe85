from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_account_owner_guard")]

    operations = [
        migrations.AlterField(
            model_name="offboarding",
            name="state",
            field=models.CharField(
                choices=[
                    ("running", "Handing back"),
                    ("revocation_pending", "Revocation pending"),
                    ("revocation_failed", "Revocation failed: needs an admin"),
                    ("completed", "Completed"),
                ],
                db_index=True,
                default="running",
                max_length=20,
            ),
        ),
    ]
