from django.apps import AppConfig


class AladdinConfig(AppConfig):
    name = "aladdin"
    verbose_name = "Aladdin platform"
