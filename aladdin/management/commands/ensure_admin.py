"""python manage.py ensure_admin: a first admin user for a fresh install.

With DEBUG on (local development, `make run`) it may fall back to admin / admin.
With DEBUG off there is no default: the password comes from
ALADDIN_ADMIN_PASSWORD or is typed at a prompt, and must pass Django's password
validators (AUTH_PASSWORD_VALIDATORS).
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

DEBUG_DEFAULT_PASSWORD = "admin"


class Command(BaseCommand):
    help = (
        "Create the first superuser unless one exists: ALADDIN_ADMIN_USER (default admin) "
        "with ALADDIN_ADMIN_PASSWORD, or a password typed at the prompt. Only with DEBUG "
        "on does the password default to admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Never prompt; fail when DEBUG is off and no password is set.",
        )

    def handle(self, *args: Any, interactive: bool = True, **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser exists already; nothing to do.")
            return
        username = os.environ.get("ALADDIN_ADMIN_USER", "").strip() or "admin"
        password = os.environ.get("ALADDIN_ADMIN_PASSWORD", "")
        if not password and settings.DEBUG:
            self._create(username, DEBUG_DEFAULT_PASSWORD)
            self.stdout.write(
                self.style.WARNING(
                    f"Created superuser {username!r} with password {DEBUG_DEFAULT_PASSWORD!r} "
                    "(DEBUG is on). Change it before exposing this server."
                )
            )
            return
        if not password:
            password = self._prompt(username, interactive)
        self._validate(username, password)
        self._create(username, password)
        self.stdout.write(self.style.SUCCESS(f"Created superuser {username!r}."))

    def _prompt(self, username: str, interactive: bool) -> str:
        if not (interactive and sys.stdin.isatty()):
            raise CommandError(
                "DEBUG is off, so there is no default admin password. Set "
                "ALADDIN_ADMIN_PASSWORD, or run `python manage.py ensure_admin` in a "
                "terminal to type one."
            )
        password = getpass.getpass(f"Password for {username}: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was created.")
        return password

    def _validate(self, username: str, password: str) -> None:
        candidate = get_user_model()(username=username)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError("The admin password is refused: " + " ".join(exc.messages)) from None

    def _create(self, username: str, password: str) -> None:
        get_user_model().objects.create_superuser(username=username, email="", password=password)
