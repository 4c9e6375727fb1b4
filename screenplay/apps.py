from django.apps import AppConfig


class ScreenplayConfig(AppConfig):
    name = "screenplay"
    verbose_name = "Screenplays"

    def ready(self) -> None:
        from screenplay import signals  # noqa: F401  (continuity re-check on change)
