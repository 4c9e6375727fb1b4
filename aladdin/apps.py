from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AladdinConfig(AppConfig):
    name = "aladdin"
    verbose_name = "Aladdin platform"

    def ready(self) -> None:
        from aladdin import checks  # noqa: F401  (registers the system checks)


class AladdinAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin whose JSON fields refuse oversized or deeply nested input.

    Every ModelAdmin copies FORMFIELD_FOR_DBFIELD_DEFAULTS when it is registered,
    which autodiscovery does in super().ready(); the bounded field goes in first.
    """

    default = False  # named in INSTALLED_APPS; "aladdin" stays AladdinConfig

    def ready(self) -> None:
        from django.contrib.admin import options
        from django.db import models

        from aladdin.jsonlimits import BoundedJSONFormField

        options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.JSONField] = {
            "form_class": BoundedJSONFormField
        }
        super().ready()
