"""python manage.py seed_aladdin: the agent team, built-in tools and a demo project."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from aladdin.seeding import seed_all, seed_brain_documents


class Command(BaseCommand):
    help = (
        "Create the master orchestrator, 6 departments with their heads and 24 specialists, "
        "the built-in tools and a demo project with brain documents made from its canon. "
        "Safe to run again: existing rows and documents are kept."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = seed_all()
        # After the transaction: the pipeline reads the committed canon.
        seed_brain_documents(report)
        self.stdout.write(self.style.SUCCESS(f"Seeded: {report.line()}."))
