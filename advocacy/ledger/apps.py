from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "advocacy.ledger"
    label = "ledger"
    verbose_name = "Account ownership ledger"
