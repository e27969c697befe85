import advocacy.core.public_links
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0004_share_held"),
    ]

    # Existing shares keep NULL: they were posted without a link to a public page. The
    # column is added without a default first, so no two old rows share one value.
    operations = [
        migrations.AddField(
            model_name="share",
            name="public_id",
            field=models.CharField(editable=False, max_length=10, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="share",
            name="public_id",
            field=models.CharField(
                default=advocacy.core.public_links.new_public_id,
                editable=False,
                max_length=10,
                null=True,
                unique=True,
            ),
        ),
    ]
