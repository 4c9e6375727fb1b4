from django.apps import AppConfig


class BrainConfig(AppConfig):
    name = "brain"

    def ready(self) -> None:
        from brain import signals  # noqa: F401  (connects the cache invalidation)
