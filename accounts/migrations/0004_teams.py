"""Teams become rows: one Team per distinct non-empty team name (names that differ
only in case or surrounding spaces are one team, spelled as first seen), and each
person linked to theirs. Reversible: going back writes the names into the text field."""

import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


def names_to_teams(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Team = apps.get_model("accounts", "Team")
    teams: dict[str, int] = {}
    for user_id, name in User.objects.order_by("pk").values_list("pk", "team_name"):
        name = (name or "").strip()
        if not name:
            continue
        key = name.lower()
        if key not in teams:
            teams[key] = Team.objects.create(name=name).pk
        User.objects.filter(pk=user_id).update(team_id=teams[key])


def teams_to_names(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(team__isnull=False).select_related("team"):
        User.objects.filter(pk=user.pk).update(team_name=user.team.name)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_token_admin"),
    ]

    operations = [
        migrations.CreateModel(
            name="Team",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=80, verbose_name="name")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
            ],
            options={
                "verbose_name": "team",
                "verbose_name_plural": "teams",
                "ordering": ["name"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"),
                        name="team_name_unique_ci",
                        violation_error_message="There is already a team of this name (whatever its case).",
                    ),
                    models.CheckConstraint(condition=models.Q(("name", ""), _negated=True), name="team_name_not_empty"),
                ],
            },
        ),
        migrations.RenameField(model_name="user", old_name="team", new_name="team_name"),
        migrations.AddField(
            model_name="user",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="accounts.team",
                verbose_name="team",
            ),
        ),
        migrations.RunPython(names_to_teams, teams_to_names),
        migrations.RemoveField(model_name="user", name="team_name"),
    ]
