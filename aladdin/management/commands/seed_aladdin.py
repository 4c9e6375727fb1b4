"""python manage.py seed_aladdin: the agent team, built-in tools and a demo project."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from aladdin.seeding import seed_all


class Command(BaseCommand):
    help = (
        "Create the master orchestrator, 6 departments with their heads and 24 specialists, "
        "the built-in tools and a demo project. Safe to run again: existing rows are kept."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = seed_all()
        self.stdout.write(self.style.SUCCESS(f"Seeded: {report.line()}."))
