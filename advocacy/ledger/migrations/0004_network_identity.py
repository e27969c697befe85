"""One network identity, one person: uniqueness moves from the address as typed
(network, service_url, external_id) to the canonical identity the network reports
(a Bluesky DID, a Mastodon acct@domain, an X/LinkedIn user id)."""

from collections import defaultdict

from django.db import migrations, models

LIVE = ("active", "needs_reconnect", "revocation_pending")


def identity_of(row) -> str:
    # The same rule as services.network_identity_for, from what the rows already hold.
    if row.network == "mastodon":
        return row.handle.strip().lstrip("@").lower() or row.external_id
    return row.external_id.strip() or f"unknown-{row.pk}"


def fill(apps, schema_editor) -> None:
    ConnectedAccount = apps.get_model("ledger", "ConnectedAccount")
    live = defaultdict(list)
    for row in ConnectedAccount.objects.order_by("pk"):
        row.network_identity = identity_of(row)
        row.save(update_fields=["network_identity"])
        if row.status in LIVE:
            live[(row.network, row.network_identity)].append(row)
    shared = {key: rows for key, rows in live.items() if len(rows) > 1}
    if shared:
        # Two people hold the same social account: which of them it belongs to is a
        # decision for a person, not for a migration. Stop, and say which rows.
        lines = [
            f"{network} {identity}: accounts {', '.join(str(r.pk) for r in rows)} "
            f"(owners {', '.join(str(r.owner_id) for r in rows)})"
            for (network, identity), rows in shared.items()
        ]
        raise RuntimeError(
            "The same social account is connected by more than one person, which Candor no longer allows. "
            "Disconnect or hand back all but one of each, then migrate again:\n  " + "\n  ".join(lines)
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_mastodonapp")]

    operations = [
        migrations.AddField(
            model_name="connectedaccount",
            name="network_identity",
            field=models.CharField(default="", max_length=255),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="connectedaccount",
            name="one_live_connection_per_social_account",
        ),
        migrations.AddConstraint(
            model_name="connectedaccount",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["active", "needs_reconnect", "revocation_pending"])),
                fields=("network", "network_identity"),
                name="one_live_connection_per_network_identity",
            ),
        ),
        migrations.AddConstraint(
            model_name="connectedaccount",
            constraint=models.CheckConstraint(
                condition=models.Q(("network_identity", ""), _negated=True), name="network_identity_not_empty"
            ),
        ),
    ]
