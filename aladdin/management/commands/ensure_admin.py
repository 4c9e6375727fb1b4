"""python manage.py ensure_admin: a first admin user for a fresh install."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the admin user (ALADDIN_ADMIN_USER / ALADDIN_ADMIN_PASSWORD, default "
        "admin / admin) unless a superuser already exists."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser exists already; nothing to do.")
            return
        username = os.environ.get("ALADDIN_ADMIN_USER", "admin")
        password = os.environ.get("ALADDIN_ADMIN_PASSWORD", "admin")
        user_model.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created superuser {username!r} with password {password!r}. "
                "Change it in the admin before exposing this server."
            )
        )
