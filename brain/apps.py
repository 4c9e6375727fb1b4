from django.apps import AppConfig


class BrainConfig(AppConfig):
    name = "brain"
