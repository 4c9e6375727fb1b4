"""Mirror the periodic jobs declared in settings into the admin's Periodic tasks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from aladdin.schedules import sync_periodic_tasks


class Command(BaseCommand):
    help = "List the declared periodic jobs (retention, recovery, webhooks, usage) in the admin."

    def handle(self, *args: Any, **options: Any) -> None:
        names = sync_periodic_tasks()
        self.stdout.write(f"{len(names)} periodic jobs: {', '.join(names)}")
