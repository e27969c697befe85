from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "advocacy.core"
    label = "core"
    verbose_name = "Candor core"

    def ready(self) -> None:
        # Made once the process starts (every entry point runs django.setup()), not
        # when settings are imported: reading settings has no effect on the disk.
        for folder in settings.CANDOR_RUNTIME_DIRS:
            Path(folder).mkdir(parents=True, exist_ok=True)
