from django.apps import AppConfig


class BrainConfig(AppConfig):
    name = "brain"

    def ready(self) -> None:
        from brain import signals  # noqa: F401  (cache invalidation and graph sync on commit)
